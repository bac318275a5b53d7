//! Bulletins (通报): what a progress bulletin says, as typed data. The service fills it from the
//! record at one instant; templates only lay it out. A draft can be recomputed and annotated; a
//! published one is frozen with its number (第N期) and never changes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Which bulletin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 月度进展通报: deadlines due in a month, and that month's published ranking.
    Monthly,
    /// 阶段通报: the deadlines of one stage (部署 / 实施 / 总结 …).
    Stage,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Stage => "stage",
        }
    }
}

/// Counts over the deadlines the bulletin covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub units: u32,
    /// Deadlines (unit × deliverable) due in the period.
    pub due: u32,
    pub on_time: u32,
    pub late: u32,
    pub missing: u32,
    /// First submitted on time, in per mille of `due` (none when nothing was due).
    pub on_time_permille: Option<u32>,
    /// Change of the on-time rate since the last published bulletin of the same kind and
    /// region, in per mille points.
    pub change_permille: Option<i32>,
}

/// One line of the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankLine {
    pub rank: u32,
    pub unit: String,
    pub name: String,
    /// Two decimals, as published.
    pub score: String,
    /// Places gained (+) or lost (−) since last month; none for a first ranking.
    pub change: Option<i32>,
}

/// A unit named for a missed or late deadline (点名通报).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub unit: String,
    pub name: String,
    pub deliverable: String,
    pub due_on: NaiveDate,
    pub due_text: String,
    /// Days late, for a late filing; none: not filed at all.
    pub days_late: Option<i64>,
}

/// Good practice (典型经验) quoted from a filing a reviewer marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practice {
    pub unit: String,
    pub name: String,
    pub deliverable: String,
    pub quote: String,
}

/// A deadline falling due in the two months after the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upcoming {
    pub deliverable: String,
    pub due_on: NaiveDate,
    pub due_text: String,
    /// Units that still owe it.
    pub units: u32,
}

/// The on-time rate of one city's units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityRate {
    pub city: String,
    pub name: String,
    pub due: u32,
    pub on_time_permille: Option<u32>,
}

/// A unit's published scores month by month (for the trend chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub name: String,
    /// (period, score) in order.
    pub points: Vec<(String, f64)>,
}

/// Everything a bulletin says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    pub programme: String,
    pub programme_title: String,
    pub issuer: String,
    pub kind: Kind,
    /// `2019-05` for a month, the stage key for a stage.
    pub period: String,
    /// 2019年5月, or the stage's name.
    pub period_label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region: String,
    pub region_name: String,
    /// The local date the figures were taken (Asia/Shanghai).
    pub as_of: NaiveDate,
    pub summary: Summary,
    /// The month's published ranking (monthly bulletins), in order.
    pub ranking: Vec<RankLine>,
    /// The ranking's published version.
    pub ranking_version: Option<u32>,
    pub named: Vec<Named>,
    pub practice: Vec<Practice>,
    pub upcoming: Vec<Upcoming>,
    pub city_rates: Vec<CityRate>,
    /// Top and bottom units' scores over the months published so far.
    pub trends: Vec<Trend>,
}

/// `935` → `93.5%`.
pub fn percent(permille: Option<u32>) -> String {
    match permille {
        Some(p) => format!("{}.{}%", p / 10, p % 10),
        None => "—".into(),
    }
}

/// Rounded per mille of `part` in `whole`; none when `whole` is zero.
pub fn permille(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| ((u64::from(part) * 2000 + u64::from(whole)) / (2 * u64::from(whole))) as u32)
}

/// 2019年5月1日 style, as official documents write dates.
pub fn chinese_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_half_up_to_one_decimal() {
        assert_eq!(permille(2, 3), Some(667));
        assert_eq!(permille(1, 8), Some(125));
        assert_eq!(permille(0, 0), None);
        assert_eq!(percent(permille(37, 40)), "92.5%");
        assert_eq!(percent(None), "—");
        assert_eq!(chinese_date(NaiveDate::from_ymd_opt(2022, 11, 1).unwrap()), "2022年11月1日");
    }
}
