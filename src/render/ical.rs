//! A unit's deadlines as an iCalendar feed (RFC 5545), for Outlook and WPS calendars: one
//! all-day event per deadline on its due day, with a stable UID so a refreshed feed updates
//! events instead of duplicating them.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

/// One deadline of the unit.
#[derive(Debug, Clone)]
pub struct Deadline {
    /// Stable: programme, unit, deliverable, occurrence.
    pub uid: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub due_text: String,
    /// 已按时报送 / 逾期未报送 / …, as of the feed's instant.
    pub status: String,
}

pub fn feed(name: &str, deadlines: &[Deadline], now: DateTime<Utc>) -> String {
    let mut cal = Calendar::new();
    cal.name(name).timezone("Asia/Shanghai");
    for d in deadlines {
        let event = Event::new()
            .uid(&d.uid)
            .summary(&format!("【截止】{}", d.title))
            .description(&format!("{}（{}）\n状态：{}", d.title, d.due_text, d.status))
            .all_day(d.due_on)
            .timestamp(now)
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_all_day_event_per_deadline() {
        let d = |uid: &str, day: u32| Deadline {
            uid: uid.into(),
            title: "试点实施方案".into(),
            due_on: NaiveDate::from_ymd_opt(2022, 9, day).unwrap(),
            due_text: "2022年9月20日前".into(),
            status: "未到期".into(),
        };
        let text = feed("台江区", &[d("a@pilotgov", 20), d("b@pilotgov", 21)], Utc::now());
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
        assert!(text.contains("DTSTART;VALUE=DATE:20220920"), "{text}");
        assert!(text.contains("\r\n"), "RFC 5545 lines end in CRLF");
    }
}
