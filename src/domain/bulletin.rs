//! Bulletins (通报): what a progress bulletin says, as typed data. The service fills it from the
//! record at one instant; templates only lay it out. A draft can be recomputed and annotated; a
//! published one is frozen with its number (第N期) and never changes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::compliance::Matrix;
use super::deadline::{YearMonth, local_day};
use super::filing::{Filing, Timeliness};
use super::programme::text;
use super::region::RegionLevel;
use super::scoring::{PublishedRanking, RankEntry, Scheme};
use super::{DomainError, Key, Programme, RegionCode, Rule, Stage};

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
    /// Who issues it: the programme's issuer, or the civil-affairs department of the city or
    /// county the bulletin is about when it is not the programme's whole region.
    pub issuer: String,
    /// 主送: whom it is addressed to (the pilot units' departments at the programme's unit
    /// level). Bulletins drafted before it existed have none.
    #[serde(default)]
    pub addressee: String,
    /// 抄送, printed in the 版记 (from the programme's bulletin style; editable on a draft).
    #[serde(default)]
    pub copy_to: Option<String>,
    /// 发文字号 (`西民通〔2019〕3号`), given at publication from the programme's pattern; none
    /// for a draft or a programme without a pattern (the issue number 第N期 is printed then).
    #[serde(default)]
    pub doc_number: Option<String>,
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
    /// Supervision orders (督办单) not closed when the figures were taken, by number.
    #[serde(default)]
    pub orders: Vec<OrderLine>,
}

/// A supervision order still open, as a bulletin names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub number: u32,
    pub unit: String,
    pub name: String,
    pub deliverable: String,
    pub due_text: String,
    /// 蓝色 / 黄色 / 红色.
    pub colour: String,
    /// 待反馈 / 已反馈.
    pub state: String,
    pub respond_by: NaiveDate,
}

impl From<&super::supervision::Order> for OrderLine {
    fn from(o: &super::supervision::Order) -> Self {
        Self {
            number: o.number,
            unit: o.unit.to_string(),
            name: o.unit_name.clone(),
            deliverable: o.item.title.clone(),
            due_text: o.item.due_text.clone(),
            colour: o.colour.label().to_owned(),
            state: o.state.label().to_owned(),
            respond_by: o.respond_by,
        }
    }
}

impl Content {
    /// Nothing to report: nothing was due in the period, nothing falls due soon after, and no
    /// ranking is printed (the scheduler drafts no bulletin then).
    pub fn is_quiet(&self) -> bool {
        self.summary.due == 0 && self.upcoming.is_empty() && self.ranking.is_empty()
    }
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

/// What a bulletin is about in time: a month, or a stage of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Period {
    Month(YearMonth),
    Stage(Key),
}

impl Period {
    /// Reads `2019-05` for a monthly bulletin, a stage key for a stage bulletin.
    pub fn new(kind: Kind, text: &str) -> Result<Self, DomainError> {
        let text = text.trim();
        let bad = |e: DomainError| DomainError::invalid("period", e.to_string());
        match kind {
            Kind::Monthly => YearMonth::parse(text).map(Self::Month).map_err(bad),
            Kind::Stage => Key::parse(text).map(Self::Stage).map_err(bad),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Self::Month(_) => Kind::Monthly,
            Self::Stage(_) => Kind::Stage,
        }
    }

    /// Where the period falls in time among periods of its kind: months as months, stages by
    /// their place in the plan (never by key: Shizuishan's `carry-out` comes after `plan`).
    fn order(&self, stages: &[Stage]) -> Option<i64> {
        match self {
            Self::Month(m) => Some(i64::from(m.year) * 12 + i64::from(m.month)),
            Self::Stage(k) => stages.iter().position(|s| &s.key == k).map(|i| i as i64),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Month(m) => m.fmt(f),
            Self::Stage(k) => k.fmt(f),
        }
    }
}

/// A published bulletin's number (第N期) and who published it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub number: u32,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A bulletin: a draft that can be recomputed and annotated, or a published issue, frozen.
#[derive(Debug, Clone, PartialEq)]
pub struct Bulletin {
    pub key: String,
    pub programme: Key,
    /// The region it is about (the programme's, or a city in it) and its path, root first.
    pub region: RegionCode,
    pub region_path: Vec<RegionCode>,
    pub period: Period,
    pub title: String,
    pub remarks: Option<String>,
    /// The figures, as taken when drafted.
    pub content: Content,
    /// Bumped by every change; a change names the revision it was made on.
    pub revision: u32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// Present once published.
    pub published: Option<Publication>,
}

impl Bulletin {
    pub fn kind(&self) -> Kind {
        self.period.kind()
    }

    pub fn is_published(&self) -> bool {
        self.published.is_some()
    }

    /// Is this the bulletin for `period` about `region`?
    pub fn is_issue(&self, period: &Period, region: &RegionCode) -> bool {
        &self.period == period && &self.region == region
    }

    /// A published bulletin is never changed.
    pub fn refuse_published(&self) -> Result<(), DomainError> {
        match &self.published {
            Some(p) => Err(DomainError::rule(
                Rule::Published,
                format!("bulletin 第{}期 is published; a published bulletin is never changed", p.number),
            )),
            None => Ok(()),
        }
    }

    /// The draft with a new title, remarks (empty remarks remove them), 主送 or 抄送 (empty:
    /// none), one revision on.
    pub fn edited(&self, e: &Edit<'_>) -> Result<Self, DomainError> {
        self.refuse_published()?;
        let mut b = self.clone();
        if let Some(t) = e.title {
            b.title = text("title", t, 200)?;
        }
        if let Some(r) = e.remarks {
            b.remarks = Some(text("remarks", r, 5000)?).filter(|r| !r.is_empty());
        }
        if let Some(a) = e.addressee {
            let a = a.trim().trim_end_matches(['：', ':']);
            b.content.addressee = if a.is_empty() { String::new() } else { text("addressee", a, 300)? };
        }
        if let Some(c) = e.copy_to {
            let c = c.trim().trim_end_matches('。');
            b.content.copy_to = if c.is_empty() { None } else { Some(text("copy_to", c, 300)?) };
        }
        b.revision += 1;
        Ok(b)
    }

    /// The file name of the bulletin in a format: `programme-第N期.docx`, or the period's draft.
    pub fn file_name(&self, ext: &str) -> String {
        match &self.published {
            Some(p) => format!("{}-第{}期.{ext}", self.programme, p.number),
            None => format!("{}-{}-草稿.{ext}", self.programme, self.period),
        }
    }

    /// 发文字号 or 第N期 as the document prints it; `（草稿）` before publication.
    pub fn number_text(&self) -> String {
        match (&self.published, &self.content.doc_number) {
            (Some(_), Some(n)) => n.clone(),
            (Some(p), None) => format!("第{}期", p.number),
            (None, _) => "（草稿）".into(),
        }
    }
}

/// What an edit of a draft changes (none: left as it is).
#[derive(Debug, Clone, Copy, Default)]
pub struct Edit<'a> {
    pub title: Option<&'a str>,
    pub remarks: Option<&'a str>,
    pub addressee: Option<&'a str>,
    pub copy_to: Option<&'a str>,
}

/// A 发文字号 pattern: the issuing office's abbreviation with `{year}` and `{n}`, as
/// `西民通〔{year}〕{n}号`. The number is the bulletin's issue number; the year its year of
/// publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NumberPattern(String);

impl NumberPattern {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let bad = |why: &str| DomainError::invalid("number_pattern", format!("`{s}`: {why}"));
        if s.chars().count() > 40 {
            return Err(bad("at most 40 characters"));
        }
        if s.matches("{n}").count() != 1 {
            return Err(bad("write `{n}` once where the issue number goes, e.g. 西民通〔{year}〕{n}号"));
        }
        let rest = s.replace("{n}", "").replace("{year}", "");
        if rest.contains(['{', '}']) {
            return Err(bad("only `{year}` and `{n}` are filled in"));
        }
        if rest.trim().is_empty() {
            return Err(bad("the issuing office's abbreviation is missing, e.g. 西民通〔{year}〕{n}号"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number of issue `n` published in `year`.
    pub fn format(&self, year: i32, n: u32) -> String {
        self.0.replace("{year}", &year.to_string()).replace("{n}", &n.to_string())
    }
}

impl TryFrom<String> for NumberPattern {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<NumberPattern> for String {
    fn from(p: NumberPattern) -> Self {
        p.0
    }
}

/// How a programme's bulletins are headed as official documents: the 发文字号 pattern, the
/// 主送 new drafts take (none: the pilot units' departments, from the unit level) and 抄送.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Style {
    pub number_pattern: Option<NumberPattern>,
    pub addressee: Option<String>,
    pub copy_to: Option<String>,
}

impl Style {
    /// A style from what a person typed: empty fields are none.
    pub fn parse(number_pattern: &str, addressee: &str, copy_to: &str) -> Result<Self, DomainError> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Self {
            number_pattern: some(number_pattern).map(|p| NumberPattern::parse(&p)).transpose()?,
            addressee: some(addressee.trim_end_matches(['：', ':'])).map(|a| text("addressee", &a, 300)).transpose()?,
            copy_to: some(copy_to.trim_end_matches('。')).map(|c| text("copy_to", &c, 300)).transpose()?,
        })
    }
}

/// The number the next bulletin of a programme takes: one more than its last published one
/// (numbers run per programme, whatever the period or region).
pub fn next_number(bulletins: &[Bulletin]) -> u32 {
    bulletins.iter().filter_map(|b| b.published.as_ref().map(|p| p.number)).max().unwrap_or(0) + 1
}

/// The month whose ranking a bulletin of `period` prints: a month the programme's scheme ranks
/// (none for a stage, an unscored programme, or a month outside the ranking months).
pub fn ranked_month(period: &Period, scheme: Option<&Scheme>) -> Option<YearMonth> {
    match (period, scheme) {
        (Period::Month(m), Some(s)) if s.ranks(*m) => Some(*m),
        _ => None,
    }
}

/// Who issues a bulletin about `region`: the programme's issuer for its whole region; for a
/// city or county in it, that region's civil-affairs department (福州市民政局 publishes
/// Fuzhou's). A township has no department of its own: the programme's issuer speaks.
pub fn issuer(p: &Programme, region: &RegionCode, region_name: &str) -> String {
    if region == &p.scope {
        return p.issuer.clone();
    }
    match region.level() {
        RegionLevel::Province => format!("{region_name}民政厅"),
        RegionLevel::City | RegionLevel::County => format!("{region_name}民政局"),
        RegionLevel::Nation | RegionLevel::Township => p.issuer.clone(),
    }
}

/// 主送: the departments of the pilot units, as a notice addresses them.
pub fn addressee(unit_level: RegionLevel) -> String {
    match unit_level {
        RegionLevel::Nation => String::new(),
        RegionLevel::Province => "各试点省（自治区、直辖市）民政厅（局）".into(),
        RegionLevel::City => "各试点市（州、盟）民政局".into(),
        RegionLevel::County => "各试点县（市、区）民政局".into(),
        RegionLevel::Township => "各试点乡镇（街道）".into(),
    }
}

/// Everything a bulletin is composed from, gathered by the service.
pub struct Sources<'a> {
    pub programme: &'a Programme,
    pub stages: &'a [Stage],
    pub period: &'a Period,
    pub region: &'a RegionCode,
    pub region_name: &'a str,
    /// The compliance matrix at `now` over the region's units.
    pub matrix: &'a Matrix,
    /// The programme's scoring scheme, if it is scored.
    pub scheme: Option<&'a Scheme>,
    /// The newest published version of [`ranked_month`]'s ranking, if it was published.
    pub published: Option<&'a PublishedRanking>,
    /// The newest published version of each month from the first ranked month to the period.
    pub history: &'a [PublishedRanking],
    /// Names of the cities in the matrix.
    pub city_names: &'a HashMap<RegionCode, String>,
    /// The filings a reviewer marked as good practice (others may be passed; they are ignored).
    pub filings: &'a [Filing],
    /// The programme's bulletins (the last published one of the same kind and region before
    /// this period gives the change in the on-time rate).
    pub bulletins: &'a [Bulletin],
    pub now: DateTime<Utc>,
}

/// What the bulletin says: the period's deadlines counted, late and missing units named, good
/// practice quoted, what falls due next, rates by city, the published ranking with trends, and
/// the change since the last bulletin.
pub fn compose(s: &Sources<'_>) -> Result<Content, DomainError> {
    let (from, to, period_label) = match s.period {
        Period::Month(m) => (m.first_day(), m.last_day(), m.chinese()),
        Period::Stage(k) => {
            let stage = s.stages.iter().find(|st| &st.key == k).ok_or_else(|| {
                DomainError::invalid("period", format!("programme `{}` has no stage `{k}`", s.programme.key))
            })?;
            (stage.window.first(), stage.window.last(), stage.name.clone())
        }
    };
    // A monthly bulletin of a scored month waits for the published ranking: leaders are never
    // shown a ranking that can still move.
    let (ranking, ranking_version, trends) = match (ranked_month(s.period, s.scheme), s.published) {
        (Some(m), None) => {
            let key = &s.programme.key;
            return Err(DomainError::rule(
                Rule::RankingNotPublished,
                format!(
                    "the {m} ranking of `{key}` is not published yet; publish it first \
                     (POST /api/v1/programmes/{key}/rankings/{m}/publish), then draft the bulletin"
                ),
            ));
        }
        (Some(_), Some(r)) => {
            let in_region = |u: &RegionCode| u.implied_path().contains(s.region);
            let lines: Vec<RankLine> = r.entries.iter().filter(|e| in_region(&e.unit)).map(RankLine::from).collect();
            let trends = trends(s.history, &lines);
            (lines, Some(r.version as u32), trends)
        }
        _ => (vec![], None, vec![]),
    };

    let in_period = |d: NaiveDate| from <= d && d <= to;
    let Tally { mut summary, named, upcoming, city_rates } = tally(s.matrix, from, to, s.city_names);
    let practice = practice(s.matrix, s.filings, in_period);
    // The change since the last published bulletin of the same kind and region.
    let this = s.period.order(s.stages);
    let previous = s
        .bulletins
        .iter()
        .filter(|b| {
            b.is_published()
                && b.kind() == s.period.kind()
                && &b.region == s.region
                && b.period.order(s.stages).is_some_and(|o| this.is_some_and(|t| o < t))
        })
        .max_by_key(|b| (b.period.order(s.stages), b.published.as_ref().map(|p| p.number)));
    if let (Some(prev), Some(now_rate)) = (previous, summary.on_time_permille)
        && let Some(before) = prev.content.summary.on_time_permille
    {
        summary.change_permille = Some(now_rate as i32 - before as i32);
    }

    let p = s.programme;
    Ok(Content {
        programme: p.key.to_string(),
        programme_title: p.title.clone(),
        issuer: issuer(p, s.region, s.region_name),
        addressee: addressee(p.unit_level),
        copy_to: None,
        doc_number: None,
        kind: s.period.kind(),
        period: s.period.to_string(),
        period_label,
        from,
        to,
        region: s.region.to_string(),
        region_name: s.region_name.to_owned(),
        as_of: local_day(s.now),
        summary,
        ranking,
        ranking_version,
        named,
        practice,
        upcoming,
        city_rates,
        trends,
        orders: vec![],
    })
}

/// What a period's deadlines come to.
struct Tally {
    summary: Summary,
    named: Vec<Named>,
    upcoming: Vec<Upcoming>,
    city_rates: Vec<CityRate>,
}

/// Counts the deadlines due from `from` to `to` (on time, late, missing; per city), names the
/// late and missing units, and gathers what falls due in the two months after.
fn tally(m: &Matrix, from: NaiveDate, to: NaiveDate, city_names: &HashMap<RegionCode, String>) -> Tally {
    let in_period = |d: NaiveDate| from <= d && d <= to;
    // "What falls due next": the two months after the period, so a bulletin issued early in a
    // month still announces a deadline on the 1st of the month after.
    let next_to = to.checked_add_months(Months::new(2)).expect("dates stay in range");
    let mut summary = Summary { units: m.lines.len() as u32, ..Summary::default() };
    let mut named = Vec::new();
    let mut upcoming: BTreeMap<(NaiveDate, usize), Upcoming> = BTreeMap::new();
    let mut by_city: BTreeMap<&RegionCode, (u32, u32)> = BTreeMap::new();
    for line in &m.lines {
        for (i, (col, cell)) in m.columns.iter().zip(&line.cells).enumerate() {
            let Some((cell, _)) = cell else { continue };
            if in_period(col.due_on) && cell.timeliness != Timeliness::NotDue {
                summary.due += 1;
                let mut city = line.city.as_ref().map(|c| by_city.entry(c).or_default());
                if let Some(c) = city.as_mut() {
                    c.0 += 1;
                }
                match cell.timeliness {
                    Timeliness::OnTime => {
                        summary.on_time += 1;
                        if let Some(c) = city {
                            c.1 += 1;
                        }
                    }
                    Timeliness::Late(_) => summary.late += 1,
                    _ => summary.missing += 1,
                }
                if let Timeliness::Late(_) | Timeliness::Missing = cell.timeliness {
                    named.push(Named {
                        unit: line.unit.to_string(),
                        name: line.name.clone(),
                        deliverable: col.title.clone(),
                        due_on: col.due_on,
                        due_text: col.due_text.clone(),
                        days_late: match cell.timeliness {
                            Timeliness::Late(d) => Some(d),
                            _ => None,
                        },
                    });
                }
            }
            // Still owed (nothing submitted yet) and falling due soon after the period.
            if to < col.due_on && col.due_on <= next_to && cell.timeliness == Timeliness::NotDue {
                upcoming
                    .entry((col.due_on, i))
                    .or_insert_with(|| Upcoming {
                        deliverable: col.title.clone(),
                        due_on: col.due_on,
                        due_text: col.due_text.clone(),
                        units: 0,
                    })
                    .units += 1;
            }
        }
    }
    summary.on_time_permille = permille(summary.on_time, summary.due);
    // Missing first, then the latest; then by unit code, so the list reads the same every time.
    named.sort_by(|a, b| {
        (a.days_late.is_some(), std::cmp::Reverse(a.days_late), a.due_on, &a.unit).cmp(&(
            b.days_late.is_some(),
            std::cmp::Reverse(b.days_late),
            b.due_on,
            &b.unit,
        ))
    });
    let city_rates = by_city
        .into_iter()
        .map(|(city, (due, on_time))| CityRate {
            city: city.to_string(),
            name: city_names.get(city).cloned().unwrap_or_else(|| city.to_string()),
            due,
            on_time_permille: permille(on_time, due),
        })
        .collect();
    Tally { summary, named, upcoming: upcoming.into_values().collect(), city_rates }
}

/// Good practice quoted from the period's filings a reviewer marked, by unit code.
fn practice(m: &Matrix, filings: &[Filing], in_period: impl Fn(NaiveDate) -> bool) -> Vec<Practice> {
    let columns_in_period: HashMap<(&Key, &str), &str> = m
        .columns
        .iter()
        .filter(|c| in_period(c.due_on))
        .map(|c| ((&c.deliverable, c.occurrence.as_str()), c.title.as_str()))
        .collect();
    let names: HashMap<&RegionCode, &str> = m.lines.iter().map(|r| (&r.unit, r.name.as_str())).collect();
    let mut practice: Vec<Practice> = filings
        .iter()
        .filter_map(|f| {
            let quote = f.exemplary_quote.as_ref()?;
            let title = columns_in_period.get(&(&f.deliverable, f.occurrence.as_str()))?;
            let name = names.get(&f.unit)?;
            Some(Practice {
                unit: f.unit.to_string(),
                name: (*name).to_owned(),
                deliverable: (*title).to_owned(),
                quote: quote.clone(),
            })
        })
        .collect();
    practice.sort_by(|a, b| a.unit.cmp(&b.unit));
    practice
}

impl From<&RankEntry> for RankLine {
    fn from(e: &RankEntry) -> Self {
        Self {
            rank: e.rank,
            unit: e.unit.to_string(),
            name: e.name.clone(),
            score: e.score.to_string(),
            change: e.change.map(|c| c as i32),
        }
    }
}

/// The published scores, month by month through `history`, of the top three and bottom three
/// units of `ranking`.
pub fn trends(history: &[PublishedRanking], ranking: &[RankLine]) -> Vec<Trend> {
    let mut picked: Vec<&RankLine> = ranking.iter().take(3).collect();
    for r in ranking.iter().rev().take(3).rev() {
        if !picked.iter().any(|p| p.unit == r.unit) {
            picked.push(r);
        }
    }
    picked
        .iter()
        .map(|r| Trend {
            name: r.name.clone(),
            points: history
                .iter()
                .filter_map(|h| {
                    let e = h.entries.iter().find(|e| e.unit.as_str() == r.unit)?;
                    Some((h.period.to_string(), f64::from(e.score)))
                })
                .collect(),
        })
        .collect()
}

/// The bulletin's title, in the style of a 通报.
pub fn title(c: &Content) -> String {
    let region = if c.region_name.is_empty() || c.programme_title.starts_with(&c.region_name) {
        String::new()
    } else {
        c.region_name.clone()
    };
    match c.kind {
        Kind::Monthly => format!("关于{}{}{}进展情况的通报", c.period_label, region, c.programme_title),
        Kind::Stage => format!("关于{}{}{}阶段进展情况的通报", region, c.programme_title, c.period_label),
    }
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

    #[test]
    fn a_number_pattern_needs_its_number_once_and_an_office() {
        let p = NumberPattern::parse(" 西民通〔{year}〕{n}号 ").unwrap();
        assert_eq!(p.format(2019, 3), "西民通〔2019〕3号");
        assert_eq!(NumberPattern::parse("通报第{n}期").unwrap().format(2020, 12), "通报第12期");
        for bad in ["西民通〔{year}〕号", "{n}{n}", "{year}{n}", "西民通〔{yr}〕{n}号"] {
            assert!(NumberPattern::parse(bad).is_err(), "{bad}");
        }
        let s = Style::parse("", "各乡镇（街道）：", "安顺市民政局。").unwrap();
        assert_eq!(
            (s.number_pattern, s.addressee.as_deref(), s.copy_to.as_deref()),
            (None, Some("各乡镇（街道）"), Some("安顺市民政局"))
        );
    }
}
