//! A unit's deadlines as an iCalendar feed (RFC 5545), for Outlook and WPS calendars: one
//! all-day event per deadline on its due day (DTEND the day after, as RFC 5545 has an all-day
//! event end), with a stable UID so a refreshed feed updates events instead of duplicating
//! them, an alarm at 09:00 on each day the programme's rules remind, and a filed deadline
//! marked as filed.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, Property, Trigger};

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
    /// Submitted (on time or late): no alarms, and the title says so.
    pub filed: bool,
    /// Calendar days before the due day to ring (0: the day itself), from the reminder rules.
    pub alarm_days: Vec<u32>,
}

/// The hour of the morning an alarm rings, in the calendar's (Beijing) time.
const ALARM_HOUR: i64 = 9;

pub fn feed(name: &str, deadlines: &[Deadline], now: DateTime<Utc>) -> String {
    let mut cal = Calendar::new();
    let name = escaped(name);
    cal.append_property(Property::new("NAME", &name))
        .append_property(Property::new("X-WR-CALNAME", &name))
        .timezone("Asia/Shanghai");
    for d in deadlines {
        let title = one_kind_of_break(&d.title);
        let mark = if d.filed { "【已报送】" } else { "【截止】" };
        let mut event = Event::new();
        event
            .uid(&d.uid)
            .summary(&format!("{mark}{title}"))
            .description(&one_kind_of_break(&format!("{title}（{}）\n状态：{}", d.due_text, d.status)))
            .starts(d.due_on)
            .ends(d.due_on.succ_opt().unwrap_or(d.due_on))
            .timestamp(now);
        if !d.filed {
            for days in &d.alarm_days {
                // Relative to the start of the due day: n days before, at 09:00.
                let before = Duration::hours(i64::from(*days) * 24 - ALARM_HOUR);
                let text = if *days == 0 {
                    format!("今日截止：{title}")
                } else {
                    format!("{days}天后截止：{title}")
                };
                event.alarm(Alarm::display(&one_kind_of_break(&text), Trigger::before_start(before)));
            }
        }
        let event = event.done();
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
            filed: false,
            alarm_days: vec![9, 3, 0],
        };
        let filed = Deadline { filed: true, status: "按时".into(), ..d("c@pilotgov", 22) };
        let text = feed("台江区", &[d("a@pilotgov", 20), d("b@pilotgov", 21), filed], Utc::now());
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 3);
        assert!(text.contains("DTSTART;VALUE=DATE:20220920"), "{text}");
        assert!(text.contains("DTEND;VALUE=DATE:20220921"), "an all-day event ends the next day: {text}");
        assert!(text.contains("\r\n"), "RFC 5545 lines end in CRLF");
        // Alarms at 09:00: nine days before is 207 hours before the day starts; the day itself 9 after.
        assert_eq!(text.matches("BEGIN:VALARM").count(), 6, "three per open deadline, none when filed");
        assert!(text.contains("TRIGGER;RELATED=START:-PT745200S"), "207 hours before: {text}");
        assert!(text.contains("TRIGGER;RELATED=START:PT32400S"), "09:00 on the day: {text}");
        assert!(
            text.contains("SUMMARY:【已报送】试点实施方案") && text.matches("SUMMARY:【截止】").count() == 2,
            "{text}"
        );
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
            filed: false,
            alarm_days: vec![1],
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
