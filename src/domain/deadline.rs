//! Deadlines: how a deliverable's deadline is specified, how it expands into concrete dated
//! occurrences, and how an occurrence stands at a given instant.
//!
//! The rule, written once and applied everywhere: a deadline is a calendar day in Asia/Shanghai
//! and is inclusive ("9月20日前" may be met at any time on the 20th). The due instant is therefore
//! the following midnight in Shanghai; a filing before that instant is on time. "Due soon" (黄)
//! means the due day is at most [`DUE_SOON_DAYS`] days away; "overdue" (红) means the due instant has
//! passed without a filing.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde::{Deserialize, Serialize};

use super::docdate::month_end;
use super::{DocDate, DomainError, Key, Stage};

/// How many days before the due day a deadline turns yellow.
pub const DUE_SOON_DAYS: i64 = 3;

/// A calendar month, written `2019-04`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    /// As the documents write a month: 2019年4月.
    pub fn chinese(&self) -> String {
        format!("{}年{}月", self.year, self.month)
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::invalid("month", format!("`{s}` is not a month like 2019-04"));
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1949..=2100).contains(&year) || !(1..=12).contains(&month) || m.len() != 2 {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    pub fn of(d: NaiveDate) -> Self {
        Self { year: d.year(), month: d.month() }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    /// The month before.
    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self { year: self.year - 1, month: 12 }
        } else {
            Self { year: self.year, month: self.month - 1 }
        }
    }

    pub fn last_day(self) -> NaiveDate {
        month_end(self.year, self.month).expect("valid month")
    }

    /// The given day of this month, or its last day when the month is shorter.
    pub fn day(self, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, day).unwrap_or_else(|| self.last_day())
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}

impl From<YearMonth> for String {
    fn from(m: YearMonth) -> String {
        m.to_string()
    }
}

/// A day of the month for recurring deadlines: a number (clamped to the month's end) or `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MonthDay {
    Day(u32),
    Last(LastDay),
}

/// The literal `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LastDay {
    Last,
}

impl MonthDay {
    fn in_month(self, m: YearMonth) -> NaiveDate {
        match self {
            Self::Day(d) => m.day(d),
            Self::Last(_) => m.last_day(),
        }
    }

    fn validate(self) -> Result<(), DomainError> {
        match self {
            Self::Day(d) if !(1..=31).contains(&d) => {
                Err(DomainError::invalid("deadline.due_day", "a day of the month is 1–31 or `last`"))
            }
            _ => Ok(()),
        }
    }

    fn text(self) -> String {
        match self {
            Self::Day(d) => format!("{d}日"),
            Self::Last(_) => "月底".to_owned(),
        }
    }
}

/// How often a recurring deadline comes round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// 每月.
    Month,
    /// 每季度: due in the quarter's last month.
    Quarter,
    /// 每年: due once a year, in the month of `from` (每年12月10日前: from `2022-12`).
    Year,
}

/// Which end of a stage a relative deadline counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    Start,
    End,
}

/// When a deliverable is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineSpec {
    /// A fixed day: "2022年9月20日前". A fuzzy date is due on its last day ("2023年11月底前").
    Fixed { due: DocDate },
    /// Every month (or quarter) of a range: Xixiu's "每月15日至20日传送动态电子信息、每月25日前上报
    /// 经审核纸质资料". `opens_day` is when the filing window opens, `due_day` when it closes.
    Recurring {
        every: Every,
        from: YearMonth,
        to: YearMonth,
        opens_day: Option<u32>,
        due_day: MonthDay,
        /// The document's words ("每月25日前").
        text: Option<String>,
    },
    /// A number of days from a stage's start or end (negative: before it).
    RelativeToStage { stage: Key, anchor: Anchor, offset_days: i32 },
}

impl DeadlineSpec {
    pub fn validate(&self) -> Result<(), DomainError> {
        match self {
            Self::Fixed { .. } => Ok(()),
            Self::Recurring { from, to, opens_day, due_day, .. } => {
                if from > to {
                    return Err(DomainError::invalid("deadline.to", "the range ends before it starts"));
                }
                if (to.year - from.year) * 12 + to.month as i32 - from.month as i32 > 120 {
                    return Err(DomainError::invalid("deadline.to", "at most ten years of occurrences"));
                }
                due_day.validate()?;
                if let Some(o) = opens_day {
                    MonthDay::Day(*o).validate()?;
                    if let MonthDay::Day(d) = due_day
                        && o > d
                    {
                        return Err(DomainError::invalid("deadline.opens_day", "the window opens after it closes"));
                    }
                }
                Ok(())
            }
            Self::RelativeToStage { offset_days, .. } => {
                if offset_days.abs() > 366 {
                    return Err(DomainError::invalid("deadline.offset_days", "at most a year"));
                }
                Ok(())
            }
        }
    }

    /// The concrete occurrences, in date order.
    pub fn occurrences(&self, stages: &[Stage]) -> Result<Vec<Occurrence>, DomainError> {
        match self {
            Self::Fixed { due } => Ok(vec![Occurrence {
                key: "once".to_owned(),
                opens_on: None,
                due_on: due.last(),
                due_text: due.text().to_owned(),
            }]),
            Self::Recurring { every, from, to, opens_day, due_day, .. } => {
                let mut out = Vec::new();
                let mut m = *from;
                while m <= *to {
                    let take = match every {
                        Every::Month => true,
                        Every::Quarter => m.month % 3 == 0,
                        Every::Year => m.month == from.month,
                    };
                    if take {
                        let due_on = due_day.in_month(m);
                        let key = match every {
                            Every::Month => m.to_string(),
                            Every::Quarter => format!("{}-Q{}", m.year, m.month / 3),
                            Every::Year => m.year.to_string(),
                        };
                        let due_text = match opens_day {
                            Some(o) => {
                                format!("{}年{}月{}日至{}", m.year, m.month, o, due_day.text())
                            }
                            None => format!("{}年{}月{}前", m.year, m.month, due_day.text()),
                        };
                        out.push(Occurrence { key, opens_on: opens_day.map(|o| m.day(o)), due_on, due_text });
                    }
                    m = m.next();
                }
                Ok(out)
            }
            Self::RelativeToStage { stage, anchor, offset_days } => {
                let s = stages.iter().find(|s| &s.key == stage).ok_or_else(|| {
                    DomainError::invalid("deadline.stage", format!("no stage `{stage}` in this programme"))
                })?;
                let base = match anchor {
                    Anchor::Start => s.window.first(),
                    Anchor::End => s.window.last(),
                };
                let due_on = if *offset_days >= 0 {
                    base.checked_add_days(Days::new(*offset_days as u64))
                } else {
                    base.checked_sub_days(Days::new(offset_days.unsigned_abs() as u64))
                }
                .ok_or_else(|| DomainError::invalid("deadline.offset_days", "out of range"))?;
                let side = match anchor {
                    Anchor::Start => "开始",
                    Anchor::End => "结束",
                };
                let due_text = match offset_days {
                    0 => format!("{}{}时", s.name, side),
                    n if *n > 0 => format!("{}{}后{}日内", s.name, side, n),
                    n => format!("{}{}前{}日", s.name, side, -n),
                };
                Ok(vec![Occurrence { key: "once".to_owned(), opens_on: None, due_on, due_text }])
            }
        }
    }
}

/// One dated instance of a deliverable's deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// Stable within the deliverable: `once`, `2019-04`, `2020-Q2`.
    pub key: String,
    pub opens_on: Option<NaiveDate>,
    pub due_on: NaiveDate,
    /// The deadline as the document would write it.
    pub due_text: String,
}

/// The instant a deadline day ends: the next midnight in Asia/Shanghai, as UTC.
pub fn due_instant(due_on: NaiveDate) -> DateTime<Utc> {
    let next = due_on.succ_opt().unwrap_or(due_on);
    Shanghai
        .from_local_datetime(&next.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("Shanghai has no DST gaps since 1991")
        .with_timezone(&Utc)
}

/// The calendar day of an instant in Asia/Shanghai.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// The traffic light of a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Filed by the instant asked about.
    Done,
    /// Due later than [`DUE_SOON_DAYS`] days away (绿).
    Upcoming,
    /// Due within [`DUE_SOON_DAYS`] days, today included (黄).
    DueSoon,
    /// The due day has passed without a filing (红).
    Overdue,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Upcoming => "upcoming",
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "done" => Ok(Self::Done),
            "upcoming" => Ok(Self::Upcoming),
            "due_soon" => Ok(Self::DueSoon),
            "overdue" => Ok(Self::Overdue),
            o => Err(DomainError::invalid("status", format!("`{o}`: done, upcoming, due_soon or overdue"))),
        }
    }
}

/// Where a deadline stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub status: Status,
    /// Days from the instant's Shanghai day to the due day: 0 on the day, negative when overdue.
    pub days_left: i64,
}

/// An instant and its Shanghai calendar day, computed once for many assessments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub instant: DateTime<Utc>,
    pub today: NaiveDate,
}

impl Now {
    pub fn new(instant: DateTime<Utc>) -> Self {
        Self { instant, today: local_day(instant) }
    }
}

/// Assesses one deadline at `now`; `filed_at` is the first filing against it, if any. A filing
/// made after `now` does not count, so the board can be replayed at any past instant.
pub fn assess(due_on: NaiveDate, filed_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Standing {
    assess_at(due_on, due_instant(due_on), filed_at, Now::new(now))
}

/// [`assess`] with the due instant and today's date already worked out (the board's hot loop).
pub fn assess_at(due_on: NaiveDate, due_at: DateTime<Utc>, filed_at: Option<DateTime<Utc>>, now: Now) -> Standing {
    let days_left = (due_on - now.today).num_days();
    let status = match filed_at {
        Some(t) if t <= now.instant => Status::Done,
        _ if now.instant >= due_at => Status::Overdue,
        _ if days_left <= DUE_SOON_DAYS => Status::DueSoon,
        _ => Status::Upcoming,
    };
    Standing { status, days_left }
}

/// Where a yearly deadline (每年M月…) falls inside a window: the first and last `month` (of the year) from `from` to `to` (year, month) inclusive: 每年
/// 12月 over August 2022 – June 2024 is December 2022 to December 2023. None when the window
/// holds no such month.
pub fn months_named(from: (i32, u32), to: (i32, u32), month: u32) -> Option<((i32, u32), (i32, u32))> {
    let first = if from.1 <= month { (from.0, month) } else { (from.0 + 1, month) };
    let last = if to.1 >= month { (to.0, month) } else { (to.0 - 1, month) };
    (first <= last).then_some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_due_day_is_inclusive_in_shanghai() {
        let due = day("2022-09-20");
        assert_eq!(due_instant(due), at("2022-09-20T16:00:00Z"));
        // 23:59 Shanghai on the 20th is still in time; 00:00 on the 21st is late.
        assert_eq!(assess(due, None, at("2022-09-20T15:59:59Z")).status, Status::DueSoon);
        assert_eq!(assess(due, None, at("2022-09-20T16:00:00Z")).status, Status::Overdue);
        assert_eq!(assess(due, None, at("2022-09-20T16:00:00Z")).days_left, -1);
        assert_eq!(assess(due, None, at("2022-09-10T01:00:00Z")).status, Status::Upcoming);
        assert_eq!(assess(due, None, at("2022-09-17T01:00:00Z")).status, Status::DueSoon);
        assert_eq!(assess(due, None, at("2022-09-16T01:00:00Z")).status, Status::Upcoming);
        let filed = Some(at("2022-09-19T02:00:00Z"));
        assert_eq!(assess(due, filed, at("2022-09-25T00:00:00Z")).status, Status::Done);
        // Asked about a moment before the filing: not yet done.
        assert_eq!(assess(due, filed, at("2022-09-18T00:00:00Z")).status, Status::DueSoon);
    }

    /// A recurring deadline from `from` to `to` (`2019-01`), as the document gives it.
    fn recurring(every: Every, from: &str, to: &str, opens_day: Option<u32>, due_day: MonthDay) -> DeadlineSpec {
        let month = |m| YearMonth::parse(m).unwrap();
        DeadlineSpec::Recurring { every, from: month(from), to: month(to), opens_day, due_day, text: None }
    }

    #[test]
    fn monthly_windows_expand_with_clamping() {
        let spec = recurring(Every::Month, "2019-01", "2019-03", Some(15), MonthDay::Day(30));
        let occ = spec.occurrences(&[]).unwrap();
        let dues: Vec<String> = occ.iter().map(|o| o.due_on.to_string()).collect();
        assert_eq!(dues, ["2019-01-30", "2019-02-28", "2019-03-30"]);
        assert_eq!(occ[1].key, "2019-02");
        assert_eq!(occ[1].opens_on, Some(day("2019-02-15")));
    }

    #[test]
    fn quarters_fall_in_the_quarters_last_month() {
        let spec = recurring(Every::Quarter, "2020-04", "2020-12", None, MonthDay::Last(LastDay::Last));
        let occ = spec.occurrences(&[]).unwrap();
        let keys: Vec<&str> = occ.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["2020-Q2", "2020-Q3", "2020-Q4"]);
        assert_eq!(occ[0].due_on, day("2020-06-30"));
    }

    #[test]
    fn a_yearly_deadline_falls_once_a_year_in_its_month() {
        // 每年12月10日前 over a programme from August 2022 to mid-2024: two Decembers.
        let spec = recurring(Every::Year, "2022-12", "2024-06", None, MonthDay::Day(10));
        let occ = spec.occurrences(&[]).unwrap();
        let keys: Vec<&str> = occ.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["2022", "2023"]);
        assert_eq!(occ[1].due_on, day("2023-12-10"));
        assert_eq!(occ[1].due_text, "2023年12月10日前");
    }

    #[test]
    fn a_yearly_month_is_drafted_as_the_ones_inside_the_window() {
        assert_eq!(months_named((2022, 9), (2024, 6), 12), Some(((2022, 12), (2023, 12))));
        assert_eq!(months_named((2022, 12), (2023, 12), 12), Some(((2022, 12), (2023, 12))));
        assert_eq!(months_named((2022, 1), (2022, 12), 3), Some(((2022, 3), (2022, 3))));
        assert_eq!(months_named((2022, 4), (2023, 2), 3), None, "no March from April to February");
    }
}
