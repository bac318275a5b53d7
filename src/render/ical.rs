//! A unit's deadlines as an iCalendar feed (RFC 5545), for Outlook and WPS calendars: one
//! all-day event per deadline on its due day, with a stable UID so a refreshed feed updates
//! events instead of duplicating them.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike, Property};

/// A line break as RFC 5545 text knows it: CR LF and a lone CR become LF (which the escaping
/// writes as `\n`), so a title can never end a content line and start a new property.
fn one_kind_of_break(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// TEXT escaping (RFC 5545 §3.3.11) for the properties the icalendar crate writes raw (`NAME`,
/// `X-WR-CALNAME`); SUMMARY and DESCRIPTION are escaped by the crate itself.
fn escaped(s: &str) -> String {
    one_kind_of_break(s).replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n")
}

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
    let name = escaped(name);
    cal.append_property(Property::new("NAME", &name))
        .append_property(Property::new("X-WR-CALNAME", &name))
        .timezone("Asia/Shanghai");
    for d in deadlines {
        let title = one_kind_of_break(&d.title);
        let event = Event::new()
            .uid(&d.uid)
            .summary(&format!("【截止】{title}"))
            .description(&one_kind_of_break(&format!("{title}（{}）\n状态：{}", d.due_text, d.status)))
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

    /// A title carrying CR, LF, `;`, `,`, `\` and a whole injected VEVENT stays one text value.
    #[test]
    fn text_cannot_break_out_of_its_property() {
        let evil = "试点\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:钓鱼\r\nEND:VEVENT\r\nX;a,b\\c\rd\ne";
        let d = Deadline {
            uid: "a@pilotgov".into(),
            title: evil.into(),
            due_on: NaiveDate::from_ymd_opt(2022, 9, 20).unwrap(),
            due_text: "2022年9月20日前".into(),
            status: "未到期".into(),
        };
        let text = feed(evil, &[d], Utc::now());
        let lines = |what: &str| text.split("\r\n").filter(|l| *l == what).count();
        assert_eq!(lines("BEGIN:VEVENT"), 1, "{text}");
        assert_eq!(lines("END:VEVENT"), 1, "{text}");
        // Every physical line is a property or a fold (starts with a space): no stray line.
        let unfolded = text.replace("\r\n ", "");
        for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.contains(':'), "a line that is not a property: {line:?}");
            assert!(!line.contains('\r') && !line.contains('\n'), "{line:?}");
        }
        let name = unfolded.lines().find(|l| l.starts_with("X-WR-CALNAME:")).unwrap();
        assert_eq!(
            name,
            "X-WR-CALNAME:试点\\nBEGIN:VEVENT\\nUID:x\\nSUMMARY:钓鱼\\nEND:VEVENT\\nX\\;a\\,b\\\\c\\nd\\ne"
        );
    }
}
