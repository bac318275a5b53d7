//! Scoring (考评): full marks minus deductions, plus bonuses, per unit and month; the monthly
//! ranking in descending order (降幂排列); and the annual score.
//!
//! Points are kept in hundredths ([`Points`]) so sums are exact. For a period:
//! `score = Σ over items max(full − deductions, 0) + min(Σ bonuses, bonus cap)`.
//! Ranks are standard competition ranks (1, 2, 2, 4): equal scores share a rank and are listed
//! by the programme's tie order (the unit code unless the programme gives one).

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::board::{BoardUnit, Expanded};
use super::deadline::YearMonth;
use super::filing::{FilingBrief, Timeliness, timeliness};
use super::{Audience, Deliverable, DomainError, Key, RegionCode, Rule, Stage};

/// What backs a manual deduction or bonus: a filing of the unit, a document reference
/// (`省民政厅2025年4月督导检查记录第3号`), or a note. Stored as `{"filing": key}`,
/// `{"document": reference}` or `{"note": text}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Evidence {
    Filing(String),
    Document(String),
    Note(String),
}

impl Evidence {
    /// Checks the text (1–500 characters after trimming).
    pub fn new(kind: fn(String) -> Self, text: &str) -> Result<Self, DomainError> {
        let t = text.trim();
        if t.is_empty() || t.chars().count() > 500 {
            return Err(DomainError::invalid("evidence", "1–500 characters"));
        }
        Ok(kind(t.to_owned()))
    }

    /// Evidence as stored. Rows written before the type existed may hold any object: it is
    /// kept, shown as a note of its JSON text.
    pub fn from_stored(v: &serde_json::Value) -> Self {
        serde_json::from_value(v.clone()).unwrap_or_else(|_| Self::Note(v.to_string()))
    }

    pub fn to_stored(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("evidence serialises")
    }
}

/// A score in hundredths of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Points(pub i64);

impl Points {
    pub fn from_f64(v: f64) -> Result<Self, DomainError> {
        if !v.is_finite() || v.abs() > 1e9 {
            return Err(DomainError::invalid("points", "not a finite number of points"));
        }
        Ok(Self((v * 100.0).round() as i64))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl TryFrom<f64> for Points {
    type Error = DomainError;
    fn try_from(v: f64) -> Result<Self, DomainError> {
        Self::from_f64(v)
    }
}

impl From<Points> for f64 {
    fn from(p: Points) -> f64 {
        p.as_f64()
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Integer arithmetic: exact, and cheap enough for tens of thousands of explanations.
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

/// A scored item with its full marks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub key: Key,
    pub name: String,
    pub full: Points,
}

/// What the record itself deducts, without anyone entering it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AutoRule {
    /// A late first submission: `per_day` for each day late, at most `cap`.
    Late { item: Key, deliverable: Option<Key>, per_day: Points, cap: Points },
    /// Nothing submitted by the deadline.
    Missing { item: Key, deliverable: Option<Key>, points: Points },
    /// A filing returned for revision (退回修改), once per return.
    Returned { item: Key, deliverable: Option<Key>, points: Points },
}

impl AutoRule {
    pub fn item(&self) -> &Key {
        match self {
            Self::Late { item, .. } | Self::Missing { item, .. } | Self::Returned { item, .. } => item,
        }
    }

    pub fn deliverable(&self) -> Option<&Key> {
        match self {
            Self::Late { deliverable, .. } | Self::Missing { deliverable, .. } | Self::Returned { deliverable, .. } => {
                deliverable.as_ref()
            }
        }
    }
}

/// The annual score's weights, in percent (they sum to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualWeights {
    /// Weight of the average monthly score.
    pub monthly: u32,
    /// Weight of the final evaluation.
    pub final_evaluation: u32,
}

/// A programme's scoring scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheme {
    pub items: Vec<Item>,
    /// The most bonus points a unit can gain in one period.
    pub bonus_cap: Points,
    #[serde(default)]
    pub auto_rules: Vec<AutoRule>,
    /// First and last month ranked (Xixiu: from the second quarter).
    pub ranking_from: YearMonth,
    pub ranking_to: YearMonth,
    /// Days after a deduction is known within which the unit may appeal.
    pub appeal_window_days: u32,
    pub annual: AnnualWeights,
    /// Units in the order the document lists them, for ties (else by code).
    #[serde(default)]
    pub tie_order: Vec<RegionCode>,
}

impl Scheme {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.items.is_empty() {
            return Err(DomainError::invalid("items", "a scheme has at least one item"));
        }
        let mut keys = std::collections::BTreeSet::new();
        for i in &self.items {
            super::programme::text("items.name", &i.name, 100)?;
            if i.full.0 <= 0 {
                return Err(DomainError::invalid("items.full", "full marks are positive"));
            }
            if !keys.insert(i.key.clone()) {
                return Err(DomainError::invalid("items.key", format!("item `{}` appears twice", i.key)));
            }
        }
        if self.bonus_cap.0 < 0 {
            return Err(DomainError::invalid("bonus_cap", "not negative"));
        }
        for r in &self.auto_rules {
            if !keys.contains(r.item()) {
                return Err(DomainError::invalid("auto_rules.item", format!("no item `{}`", r.item())));
            }
        }
        if self.ranking_from > self.ranking_to {
            return Err(DomainError::invalid("ranking_to", "the ranking ends before it starts"));
        }
        if self.annual.monthly + self.annual.final_evaluation != 100 {
            return Err(DomainError::invalid("annual", "the weights add up to 100"));
        }
        Ok(())
    }

    pub fn item(&self, key: &Key) -> Option<&Item> {
        self.items.iter().find(|i| &i.key == key)
    }

    /// Total full marks (the best score without bonuses).
    pub fn full_marks(&self) -> Points {
        Points(self.items.iter().map(|i| i.full.0).sum())
    }

    pub fn ranks(&self, m: YearMonth) -> bool {
        self.ranking_from <= m && m <= self.ranking_to
    }

    /// An appeal about something that became known at `known_at` is in time until the window
    /// closes (`appeal_window_days` later, to the instant).
    pub fn check_appeal_in_time(&self, known_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), DomainError> {
        let closes = known_at + Duration::days(i64::from(self.appeal_window_days));
        if now > closes {
            return Err(DomainError::rule(
                Rule::AppealWindow,
                format!(
                    "the appeal window of {} days closed at {}",
                    self.appeal_window_days,
                    closes.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M")
                ),
            ));
        }
        Ok(())
    }

    /// Checks a manual deduction or bonus before it is stored.
    pub fn check_adjustment(&self, item: &Key, kind: AdjustmentKind, points: Points) -> Result<(), DomainError> {
        let it =
            self.item(item).ok_or_else(|| DomainError::invalid("item", format!("no item `{item}` in the scheme")))?;
        if points.0 <= 0 {
            return Err(DomainError::invalid("points", "points are positive"));
        }
        match kind {
            AdjustmentKind::Deduction if points > it.full => Err(DomainError::rule(
                Rule::DeductionCap,
                format!("a deduction of {points} exceeds the full marks of {} ({})", it.name, it.full),
            )),
            AdjustmentKind::Bonus if points > self.bonus_cap => Err(DomainError::rule(
                Rule::BonusCap,
                format!("a bonus of {points} exceeds the bonus cap of {}", self.bonus_cap),
            )),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    Deduction,
    Bonus,
}

impl AdjustmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deduction => "deduction",
            Self::Bonus => "bonus",
        }
    }

    /// As a score sheet says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Deduction => "扣分",
            Self::Bonus => "加分",
        }
    }
}

/// A manual deduction or bonus, as an evaluator entered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub key: String,
    pub programme: Key,
    pub unit: RegionCode,
    /// The unit's region path, root first (decides who may see it).
    pub unit_path: Vec<RegionCode>,
    pub period: YearMonth,
    pub item: Key,
    pub kind: AdjustmentKind,
    pub points: Points,
    pub reason: String,
    pub evidence: Option<Evidence>,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
    /// Overturned on appeal.
    pub voided: bool,
}

impl Adjustment {
    /// The line it adds to its unit's score.
    pub fn line(&self) -> Line {
        Line {
            id: self.key.clone(),
            item: self.item.clone(),
            kind: self.kind,
            points: self.points,
            reason: self.reason.clone(),
        }
    }

    /// Whether it counts in `month`'s score.
    pub fn counts_in(&self, month: YearMonth) -> bool {
        self.period == month && !self.voided
    }
}

/// A version of a month's ranking as published: frozen, served as it was.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedRanking {
    pub programme: Key,
    pub period: YearMonth,
    /// 1 for the first publication; each correction is the next.
    pub version: i64,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    /// Why this version corrects the one before (none for version 1).
    pub reason: Option<String>,
    pub entries: Vec<RankEntry>,
}

/// The id of an automatic deduction line: `auto:<rule>:<deliverable>:<occurrence>[:n]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoLineId<'a> {
    pub deliverable: &'a str,
    pub occurrence: &'a str,
}

impl<'a> AutoLineId<'a> {
    /// Reads a line id; none when it is not an automatic line's.
    pub fn parse(id: &'a str) -> Option<Self> {
        let mut parts = id.strip_prefix("auto:")?.split(':');
        let _rule = parts.next()?;
        Some(Self { deliverable: parts.next()?, occurrence: parts.next()? })
    }
}

/// One line of a unit's itemised score: a deduction or bonus with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Stable id: `auto:late:e-data:2019-05` for rules, the adjustment key for manual ones.
    pub id: String,
    pub item: Key,
    pub kind: AdjustmentKind,
    pub points: Points,
    pub reason: String,
}

/// A unit's score for a period, itemised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitScore {
    pub unit: RegionCode,
    pub total: Points,
    /// Per item: (item, full, deducted (as applied, at most full), item score).
    pub items: Vec<(Key, Points, Points, Points)>,
    pub bonus: Points,
    pub lines: Vec<Line>,
}

/// One entry of a ranking as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankEntry {
    pub unit: RegionCode,
    pub name: String,
    pub rank: u32,
    pub score: Points,
    pub change: Option<i64>,
    pub score_detail: UnitScore,
}

/// Works out one unit's score from its active lines.
pub fn score(scheme: &Scheme, unit: &RegionCode, lines: Vec<Line>) -> UnitScore {
    // Schemes have a handful of items and a unit a handful of lines a month: a scan beats a map.
    let items: Vec<_> = scheme
        .items
        .iter()
        .map(|i| {
            let d: i64 = lines
                .iter()
                .filter(|l| l.kind == AdjustmentKind::Deduction && l.item == i.key)
                .map(|l| l.points.0)
                .sum::<i64>()
                .min(i.full.0);
            (i.key.clone(), i.full, Points(d), Points(i.full.0 - d))
        })
        .collect();
    let bonus: i64 = lines.iter().filter(|l| l.kind == AdjustmentKind::Bonus).map(|l| l.points.0).sum();
    let bonus = Points(bonus.min(scheme.bonus_cap.0));
    let total = Points(items.iter().map(|i| i.3.0).sum::<i64>() + bonus.0);
    UnitScore { unit: unit.clone(), total, items, bonus, lines }
}

/// What a month's scores are worked out from, as the service gathers it.
pub struct Record<'a> {
    pub stages: &'a [Stage],
    pub deliverables: &'a [Deliverable],
    /// The programme's units, in the order the scores come out.
    pub units: &'a [BoardUnit],
    /// The briefs of the filings of the deadlines the month judges (any others are not read).
    pub filings: &'a [FilingBrief],
    /// How many times each filing (by key) was returned for revision.
    pub returns: &'a HashMap<String, u32>,
    pub adjustments: &'a [Adjustment],
    /// Automatic lines overturned on appeal: (unit, line id).
    pub voided: &'a [(RegionCode, String)],
}

/// Every unit's itemised score for `month` at `now`: the automatic lines the scheme's rules
/// draw from the record (late, missing, returned), the manual adjustments of the month, less
/// what appeals overturned.
pub fn month_scores(
    scheme: &Scheme,
    record: &Record<'_>,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<Vec<UnitScore>, DomainError> {
    let mut lines = auto_lines(scheme, record, month, now)?;
    for a in record.adjustments.iter().filter(|a| a.counts_in(month)) {
        if let Some(mine) = lines.get_mut(&a.unit) {
            mine.push(a.line());
        }
    }
    Ok(record
        .units
        .iter()
        .map(|u| {
            let mine: Vec<Line> = lines
                .remove(&u.region)
                .unwrap_or_default()
                .into_iter()
                .filter(|l| !record.voided.iter().any(|(vu, vl)| vu == &u.region && vl == &l.id))
                .collect();
            score(scheme, &u.region, mine)
        })
        .collect())
}

/// A deadline is judged in the month it falls due: its lateness or absence is a line of that
/// month's score and of no other.
pub fn judged_in(due_on: chrono::NaiveDate, month: YearMonth) -> bool {
    YearMonth::of(due_on) == month
}

/// The deadlines (deliverable key, occurrence key) a month's scores judge: all the filings the
/// month's automatic lines can draw on.
pub fn deadlines_judged_in(expanded: &[Expanded], month: YearMonth) -> Vec<(&Key, &str)> {
    expanded
        .iter()
        .flat_map(|e| {
            e.occurrences
                .iter()
                .filter(move |o| judged_in(o.due_on, month))
                .map(|o| (&e.deliverable.key, o.key.as_str()))
        })
        .collect()
}

/// The automatic deduction lines of `month` per unit (every unit has an entry): one per late or
/// missing deliverable whose deadline falls in the month, one per return of its filing.
pub fn auto_lines<'r>(
    scheme: &Scheme,
    record: &Record<'r>,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<HashMap<RegionCode, Vec<Line>>, DomainError> {
    let filings: HashMap<(&RegionCode, &Key, &str), &FilingBrief> =
        record.filings.iter().map(|f| ((&f.unit, &f.deliverable, f.occurrence.as_str()), f)).collect();
    let mut lines: HashMap<RegionCode, Vec<Line>> =
        record.units.iter().map(|u| (u.region.clone(), Vec::new())).collect();
    for d in record.deliverables {
        let rules: Vec<&AutoRule> =
            scheme.auto_rules.iter().filter(|r| r.deliverable().is_none_or(|k| k == &d.key)).collect();
        if rules.is_empty() {
            continue;
        }
        for o in d.deadline.occurrences(record.stages)? {
            if !judged_in(o.due_on, month) {
                continue;
            }
            let what = format!("{}（{}）", d.title, o.due_text);
            for u in record.units {
                if d.audience == Audience::Demonstration && !u.demonstration {
                    continue;
                }
                let f = filings.get(&(&u.region, &d.key, o.key.as_str()));
                let t = timeliness(o.due_on, f.and_then(|f| f.first_submitted_at), now);
                let mine = lines.entry(u.region.clone()).or_default();
                for r in &rules {
                    let deduct = |id: String, points: Points, reason: String| Line {
                        id,
                        item: r.item().clone(),
                        kind: AdjustmentKind::Deduction,
                        points,
                        reason,
                    };
                    match (r, t) {
                        (AutoRule::Late { per_day, cap, .. }, Timeliness::Late(days)) => mine.push(deduct(
                            format!("auto:late:{}:{}", d.key, o.key),
                            Points(per_day.0.saturating_mul(days).min(cap.0)),
                            format!("{what}迟报 {days} 天"),
                        )),
                        (AutoRule::Missing { points, .. }, Timeliness::Missing) => mine.push(deduct(
                            format!("auto:missing:{}:{}", d.key, o.key),
                            *points,
                            format!("{what}未报送"),
                        )),
                        (AutoRule::Returned { points, .. }, _) => {
                            let n = f.and_then(|f| record.returns.get(&f.key)).copied().unwrap_or(0);
                            mine.extend((1..=n).map(|i| {
                                deduct(
                                    format!("auto:returned:{}:{}:{i}", d.key, o.key),
                                    *points,
                                    format!("{what}第 {i} 次退回修改"),
                                )
                            }));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(lines)
}

/// One place in a ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub unit: RegionCode,
    pub score: Points,
    pub rank: u32,
    /// Previous rank minus this rank (positive: moved up); none without a previous ranking.
    pub change: Option<i64>,
}

/// Ranks scores in descending order with standard competition ranks; ties follow `tie_order`,
/// then unit code. `previous` gives each unit's rank last period.
pub fn rank(
    scores: &[(RegionCode, Points)],
    tie_order: &[RegionCode],
    previous: &HashMap<RegionCode, u32>,
) -> Vec<Placed> {
    let pos: HashMap<&RegionCode, usize> = tie_order.iter().enumerate().map(|(i, c)| (c, i)).collect();
    let mut v: Vec<&(RegionCode, Points)> = scores.iter().collect();
    v.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| pos.get(&a.0).unwrap_or(&usize::MAX).cmp(pos.get(&b.0).unwrap_or(&usize::MAX)))
            .then_with(|| a.0.cmp(&b.0))
    });
    let mut out: Vec<Placed> = Vec::with_capacity(v.len());
    for (i, (unit, score)) in v.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.score == *score => prev.rank,
            _ => i as u32 + 1,
        };
        let change = previous.get(unit).map(|p| i64::from(*p) - i64::from(rank));
        out.push(Placed { unit: unit.clone(), score: *score, rank, change });
    }
    out
}

/// `numerator / denominator` rounded half away from zero (四舍五入): the one rounding rule for
/// points wherever they are averaged or weighted (the denominator is positive).
pub fn round_half_up(numerator: i128, denominator: i128) -> i64 {
    debug_assert!(denominator > 0);
    let q = (2 * numerator.abs() + denominator) / (2 * denominator);
    let q = if numerator < 0 { -q } else { q };
    q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The average of monthly scores, rounded half up to the hundredth.
pub fn average(monthly: &[Points]) -> Option<Points> {
    (!monthly.is_empty())
        .then(|| Points(round_half_up(monthly.iter().map(|p| i128::from(p.0)).sum::<i128>(), monthly.len() as i128)))
}

/// The annual score: average monthly score × its weight + final evaluation × its weight, worked
/// out exactly and rounded once, half up, to the hundredth (with weights 100/0 it is the average).
pub fn annual(weights: AnnualWeights, monthly: &[Points], final_evaluation: Option<Points>) -> Option<Points> {
    if monthly.is_empty() {
        return None;
    }
    let n = monthly.len() as i128;
    let sum = monthly.iter().map(|p| i128::from(p.0)).sum::<i128>();
    let fin = final_evaluation.map(|p| i128::from(p.0)).unwrap_or(0);
    let numerator = sum * i128::from(weights.monthly) + fin * i128::from(weights.final_evaluation) * n;
    Some(Points(round_half_up(numerator, 100 * n)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::filing::Filing;
    use proptest::prelude::*;

    #[test]
    fn a_month_judges_the_deadlines_due_in_it() {
        let deliverables: Vec<Deliverable> = serde_json::from_value(serde_json::json!([
            {"key": "plan", "title": "方案", "description": null, "stage": null,
             "deadline": {"kind": "fixed", "due": "2026年3月31日前"}, "route": [], "audience": "all"},
            {"key": "late-plan", "title": "补充方案", "description": null, "stage": null,
             "deadline": {"kind": "fixed", "due": "2026年4月1日前"}, "route": [], "audience": "all"}
        ]))
        .unwrap();
        let expanded = super::super::board::expand(deliverables, &[]).unwrap();
        let march = deadlines_judged_in(&expanded, YearMonth::parse("2026-03").unwrap());
        assert_eq!(march, [(&Key::parse("plan").unwrap(), "once")]);
        assert!(deadlines_judged_in(&expanded, YearMonth::parse("2026-02").unwrap()).is_empty());
    }

    fn code(i: u32) -> RegionCode {
        RegionCode::parse(&format!("520402{:03}", i + 1)).unwrap()
    }

    /// 99.166… is 99.17, not 99.16; exact halves go up (away from zero).
    #[test]
    fn averages_round_half_up_to_the_hundredth() {
        let months = [Points(10000), Points(10000), Points(9750)];
        assert_eq!(average(&months), Some(Points(9917)));
        let w = AnnualWeights { monthly: 100, final_evaluation: 0 };
        assert_eq!(annual(w, &months, None), Some(Points(9917)));
        assert_eq!(average(&[Points(1), Points(2)]), Some(Points(2)), "1.5 hundredths → 2");
        assert_eq!(round_half_up(-3, 2), -2);
        assert_eq!(round_half_up(5, 10), 1);
        assert_eq!(round_half_up(4, 10), 0);
        // 80 % of 99.166… + 20 % of 90 = 97.3333… → 97.33
        let w = AnnualWeights { monthly: 80, final_evaluation: 20 };
        assert_eq!(annual(w, &months, Some(Points(9000))), Some(Points(9733)));
        assert_eq!(average(&[]), None);
    }

    #[test]
    fn appeals_are_in_time_until_the_window_closes() {
        let scheme = Scheme {
            items: vec![],
            bonus_cap: Points(0),
            auto_rules: vec![],
            ranking_from: YearMonth::parse("2019-04").unwrap(),
            ranking_to: YearMonth::parse("2019-12").unwrap(),
            appeal_window_days: 7,
            annual: AnnualWeights { monthly: 100, final_evaluation: 0 },
            tie_order: vec![],
        };
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let known = at("2019-09-05T10:00:00+08:00");
        assert!(scheme.check_appeal_in_time(known, at("2019-09-12T10:00:00+08:00")).is_ok());
        let late = scheme.check_appeal_in_time(known, at("2019-09-12T10:00:01+08:00")).unwrap_err();
        assert!(late.is(Rule::AppealWindow), "{late:?}");
    }

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        let s = |u: u32, p: i64| (code(u), Points(p));
        let ranked = rank(&[s(0, 9000), s(1, 9500), s(2, 9000), s(3, 8000)], &[], &HashMap::new());
        let view: Vec<(u32, i64)> = ranked.iter().map(|p| (p.rank, p.score.0)).collect();
        assert_eq!(view, [(1, 9500), (2, 9000), (2, 9000), (4, 8000)]);
        assert_eq!(ranked[1].unit, code(0), "ties by code");
        let ranked = rank(&[s(0, 9000), s(2, 9000)], &[code(2), code(0)], &HashMap::new());
        assert_eq!(ranked[0].unit, code(2), "ties by the document's order");
    }

    /// The month's lines come from the record alone: late (per day, capped), missing, one per
    /// return; the month's adjustments are added, other months' left out; what an appeal voided
    /// is gone; bonuses are capped.
    #[test]
    fn month_scores_come_from_the_record() {
        use crate::domain::{Audience, DeadlineSpec, Deliverable, DocDate};
        let key = |s: &str| Key::parse(s).unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let scheme = Scheme {
            items: vec![
                Item { key: key("timely"), name: "按时报送".into(), full: Points(2000) },
                Item { key: key("quality"), name: "材料质量".into(), full: Points(1000) },
            ],
            bonus_cap: Points(200),
            auto_rules: vec![
                AutoRule::Late { item: key("timely"), deliverable: None, per_day: Points(100), cap: Points(500) },
                AutoRule::Missing { item: key("timely"), deliverable: None, points: Points(1000) },
                AutoRule::Returned { item: key("quality"), deliverable: None, points: Points(200) },
            ],
            ranking_from: YearMonth::parse("2019-04").unwrap(),
            ranking_to: YearMonth::parse("2019-12").unwrap(),
            appeal_window_days: 7,
            annual: AnnualWeights { monthly: 100, final_evaluation: 0 },
            tie_order: vec![],
        };
        let report = Deliverable {
            key: key("report"),
            title: "月度报告".into(),
            description: None,
            stage: None,
            deadline: DeadlineSpec::Fixed { due: DocDate::parse("2019年5月10日前").unwrap() },
            route: vec![],
            audience: Audience::All,
        };
        let occurrence = report.deadline.occurrences(&[]).unwrap().remove(0).key;
        let unit = |i: u32| BoardUnit {
            region: code(i),
            name: format!("单位{i}"),
            path: vec![code(i)],
            demonstration: false,
            files_directly: true,
        };
        let units = [unit(0), unit(1), unit(2)];
        let filed = |i: u32, when: &str| {
            let mut f = Filing::draft(
                format!("f{i}"),
                key("xixiu"),
                code(i),
                vec![],
                key("report"),
                occurrence.clone(),
                vec![],
                "报告",
                "正文",
                "lead",
            )
            .unwrap();
            f.submit(at(when)).unwrap();
            FilingBrief::from(&f)
        };
        // 0: three days late and returned twice; 1: nothing; 2: on time.
        let filings = [filed(0, "2019-05-13T10:00:00+08:00"), filed(2, "2019-05-09T10:00:00+08:00")];
        let returns = HashMap::from([("f0".to_owned(), 2)]);
        let adjust = |unit: u32, period: &str, kind: AdjustmentKind, points: i64| Adjustment {
            key: format!("a-{unit}-{period}"),
            programme: key("xixiu"),
            unit: code(unit),
            unit_path: vec![code(unit)],
            period: YearMonth::parse(period).unwrap(),
            item: key("quality"),
            kind,
            points: Points(points),
            reason: "督导检查".into(),
            evidence: None,
            entered_by: "evaluator".into(),
            entered_at: at("2019-05-20T10:00:00+08:00"),
            voided: false,
        };
        let adjustments =
            [adjust(2, "2019-05", AdjustmentKind::Bonus, 300), adjust(1, "2019-06", AdjustmentKind::Deduction, 500)];
        let voided = [(code(0), format!("auto:returned:report:{occurrence}:2"))];
        let record = Record {
            stages: &[],
            deliverables: std::slice::from_ref(&report),
            units: &units,
            filings: &filings,
            returns: &returns,
            adjustments: &adjustments,
            voided: &voided,
        };
        let scores =
            month_scores(&scheme, &record, YearMonth::parse("2019-05").unwrap(), at("2019-06-01T00:00:00+08:00"))
                .unwrap();
        let totals: Vec<i64> = scores.iter().map(|s| s.total.0).collect();
        assert_eq!(totals, [2500, 2000, 3200], "{scores:#?}");
        let ids: Vec<&str> = scores[0].lines.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, [format!("auto:late:report:{occurrence}"), format!("auto:returned:report:{occurrence}:1")]);
        assert_eq!(scores[0].lines[0].reason, "月度报告（2019年5月10日前）迟报 3 天");
        assert_eq!(scores[1].lines[0].id, format!("auto:missing:report:{occurrence}"));
        assert_eq!(scores[2].bonus, Points(200), "the bonus is capped");
        // A month with no deadline in it has no automatic lines.
        let june =
            month_scores(&scheme, &record, YearMonth::parse("2019-06").unwrap(), at("2019-07-01T00:00:00+08:00"))
                .unwrap();
        assert_eq!(june.iter().map(|s| s.total.0).collect::<Vec<_>>(), [3000, 2500, 3000]);
    }

    proptest! {
        #[test]
        fn ranks_agree_with_scores(scores in proptest::collection::vec(0i64..200, 1..60)) {
            let input: Vec<_> = scores.iter().enumerate().map(|(i, p)| (code(i as u32), Points(*p))).collect();
            let ranked = rank(&input, &[], &HashMap::new());
            prop_assert_eq!(ranked.len(), input.len());
            for w in ranked.windows(2) {
                prop_assert!(w[0].score >= w[1].score);
                prop_assert_eq!(w[0].score == w[1].score, w[0].rank == w[1].rank);
                prop_assert!(w[0].rank <= w[1].rank);
            }
            for p in &ranked {
                // Standard competition: rank = 1 + number of strictly better scores.
                let better = input.iter().filter(|(_, s)| *s > p.score).count() as u32;
                prop_assert_eq!(p.rank, better + 1);
            }
        }
    }
}
