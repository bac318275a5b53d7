//! Reminders (临近提醒), chasing (到期催办) and escalation up the tree, planned from a deadline
//! and the working-day calendar. Pure: the job decides *what* is due on which day; the store
//! makes each reminder happen once.
//!
//! The rules, by default: the unit's lead is reminded 7, 3 and 1 working days before the due day
//! and on the day; after it, on every working day while nothing is filed; the level above (a
//! city's reviewers) is told once 3 days after the due day, the province once 7 days after. A
//! filing stops everything still to come.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::region::RegionCode;

/// A programme's reminder rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRules {
    /// Working days before the due day on which the lead is reminded.
    pub before_working_days: Vec<u32>,
    pub on_the_day: bool,
    /// Every working day while overdue.
    pub overdue_daily: bool,
    /// Days after the due day on which the city's reviewers are told; none: never.
    pub escalate_city_after_days: Option<u32>,
    /// Days after the due day on which the province is told; none: never.
    pub escalate_province_after_days: Option<u32>,
    /// When the reminder job runs for this programme: a cron expression with seconds
    /// (`sec min hour day month weekday`); none: the server's schedule (09:00 every day).
    #[serde(default)]
    pub schedule: Option<String>,
    /// The IANA time zone the schedule is read in; none: Asia/Shanghai.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Who is told at the last escalation instead of the unit's province: a region of the
    /// programme, e.g. the district that runs a district programme.
    #[serde(default)]
    pub escalate_to: Option<RegionCode>,
}

impl ReminderRules {
    /// Checks the rules of a programme whose scope is `scope` (escalation stays inside it).
    pub fn validate(&self, scope: &RegionCode) -> Result<(), super::DomainError> {
        use super::DomainError;
        self.schedule()?;
        if let Some(to) = &self.escalate_to
            && !to.implied_path().contains(scope)
        {
            return Err(DomainError::invalid(
                "escalate_to",
                format!("{to} is outside the programme's region {scope}; escalation goes to a region of the programme"),
            ));
        }
        if self.before_working_days.len() > 5 || self.before_working_days.iter().any(|n| !(1..=30).contains(n)) {
            return Err(DomainError::invalid(
                "before_working_days",
                "at most five reminders, each 1–30 working days before",
            ));
        }
        let days = [self.escalate_city_after_days, self.escalate_province_after_days];
        if days.iter().flatten().any(|d| !(1..=60).contains(d)) {
            return Err(DomainError::invalid("escalate", "escalation comes 1–60 days after the due day"));
        }
        if let [Some(city), Some(province)] = days
            && province < city
        {
            return Err(DomainError::invalid(
                "escalate_province_after_days",
                "the province is told after the city, not before",
            ));
        }
        Ok(())
    }
}

impl ReminderRules {
    /// The programme's own schedule and its time zone, if it set one.
    pub fn schedule(&self) -> Result<Option<(cron::Schedule, chrono_tz::Tz)>, super::DomainError> {
        use super::DomainError;
        let tz = match &self.time_zone {
            None => chrono_tz::Asia::Shanghai,
            Some(name) => name.parse::<chrono_tz::Tz>().map_err(|_| {
                DomainError::invalid(
                    "time_zone",
                    format!("unknown time zone {name:?}; use an IANA name such as Asia/Shanghai"),
                )
            })?,
        };
        let Some(expr) = &self.schedule else { return Ok(None) };
        let schedule = expr.parse::<cron::Schedule>().map_err(|e| {
            DomainError::invalid(
                "schedule",
                format!("invalid cron expression {expr:?} ({e}); write `sec min hour day month weekday`, e.g. \"0 0 9 * * *\""),
            )
        })?;
        Ok(Some((schedule, tz)))
    }
}

impl Default for ReminderRules {
    fn default() -> Self {
        Self {
            before_working_days: vec![7, 3, 1],
            on_the_day: true,
            overdue_daily: true,
            escalate_city_after_days: Some(3),
            escalate_province_after_days: Some(7),
            schedule: None,
            time_zone: None,
            escalate_to: None,
        }
    }
}

/// Which rule a reminder comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// N working days before.
    Before(u32),
    OnTheDay,
    Overdue,
    EscalateCity,
    EscalateProvince,
}

impl Kind {
    /// Stable text for identities and listings: `before-3`, `on-the-day`, `overdue`, ...
    pub fn code(self) -> String {
        match self {
            Self::Before(n) => format!("before-{n}"),
            Self::OnTheDay => "on-the-day".into(),
            Self::Overdue => "overdue".into(),
            Self::EscalateCity => "escalate-city".into(),
            Self::EscalateProvince => "escalate-province".into(),
        }
    }

    /// Who receives it.
    pub fn audience(self) -> Audience {
        match self {
            Self::EscalateCity => Audience::City,
            Self::EscalateProvince => Audience::Province,
            _ => Audience::Lead,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The unit's own lead.
    Lead,
    /// The reviewers of the unit's city.
    City,
    /// The province's admins.
    Province,
}

/// One reminder a deadline calls for, on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub kind: Kind,
    pub date: NaiveDate,
}

impl Due {
    /// The reminder's identity within its deadline; the same reminder always gets the same one.
    pub fn identity(&self) -> String {
        match self.kind {
            Kind::Overdue => format!("overdue:{}", self.date),
            k => k.code(),
        }
    }
}

/// Every reminder an unmet deadline due on `due_on` calls for with a date in `(after, upto]`.
pub fn due_between(
    rules: &ReminderRules,
    cal: &Calendar,
    due_on: NaiveDate,
    after: NaiveDate,
    upto: NaiveDate,
) -> Vec<Due> {
    let mut out = Vec::new();
    let mut push = |kind, date: NaiveDate| {
        if after < date && date <= upto {
            out.push(Due { kind, date });
        }
    };
    for n in &rules.before_working_days {
        push(Kind::Before(*n), cal.working_days_before(due_on, *n));
    }
    if rules.on_the_day {
        push(Kind::OnTheDay, due_on);
    }
    let plus = |n: u32| due_on.checked_add_days(Days::new(u64::from(n))).expect("dates stay in range");
    if let Some(n) = rules.escalate_city_after_days {
        push(Kind::EscalateCity, plus(n));
    }
    if let Some(n) = rules.escalate_province_after_days {
        push(Kind::EscalateProvince, plus(n));
    }
    if rules.overdue_daily {
        let mut d = plus(1).max(after.succ_opt().expect("dates stay in range"));
        while d <= upto {
            if cal.is_working_day(d) {
                push(Kind::Overdue, d);
            }
            d = d.succ_opt().expect("dates stay in range");
        }
    }
    out.sort_by_key(|d| (d.date, d.kind));
    out
}

/// After downtime, a run covers several days at once: of what each audience would have been
/// sent, only the latest is still worth sending (catch up once, not once per missed day).
pub fn collapse(due: Vec<Due>) -> Vec<Due> {
    let mut latest: Vec<Due> = Vec::new();
    for d in due {
        match latest.iter_mut().find(|x| x.kind.audience() == d.kind.audience()) {
            Some(x) if (x.date, x.kind) < (d.date, d.kind) => *x = d,
            Some(_) => {}
            None => latest.push(d),
        }
    }
    latest.sort_by_key(|d| (d.date, d.kind));
    latest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{Year, parse_days};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> Calendar {
        let mut y = Year::default();
        y.holidays.extend(parse_days("2022-10-01..2022-10-07").unwrap());
        y.workdays.extend([d("2022-10-08"), d("2022-10-09")]);
        Calendar::new([(2022, y)].into())
    }

    #[test]
    fn a_deadline_after_national_day_is_reminded_on_working_days() {
        let all = due_between(&ReminderRules::default(), &cal(), d("2022-10-11"), d("2022-09-01"), d("2022-10-20"));
        let view: Vec<(String, String)> = all.iter().map(|x| (x.identity(), x.date.to_string())).collect();
        assert_eq!(
            view[..4],
            [
                ("before-7".into(), "2022-09-27".into()),
                ("before-3".into(), "2022-10-08".into()),
                ("before-1".into(), "2022-10-10".into()),
                ("on-the-day".into(), "2022-10-11".into()),
            ]
        );
        assert!(view.contains(&("escalate-city".into(), "2022-10-14".into())));
        assert!(view.contains(&("escalate-province".into(), "2022-10-18".into())));
        assert!(!view.iter().any(|(k, d)| k.starts_with("overdue") && d == "2022-10-15"), "no chasing on a Saturday");
    }

    #[test]
    fn a_catch_up_sends_the_latest_of_each_audience_once() {
        let all = due_between(&ReminderRules::default(), &cal(), d("2022-10-11"), d("2022-10-09"), d("2022-10-19"));
        let caught: Vec<String> = collapse(all).iter().map(|x| x.identity()).collect();
        assert_eq!(caught, ["escalate-city", "escalate-province", "overdue:2022-10-19"]);
    }
}
