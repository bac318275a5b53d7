//! A pilot programme (试点工作) and what it is made of: stages, the direction catalogue, selection
//! rules and deliverables. Every constructor validates, so a value of these types is always usable.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{DeadlineSpec, DocDate, DomainError, RegionCode, RegionLevel, Rule};

/// A short stable identifier used in URLs: lowercase ASCII letters, digits and `-`, 2–64 long
/// (`fj-2022-reform`, `plan`, `deploy`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Key(String);

impl Key {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let ok = (2..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::invalid(
                "key",
                format!("`{s}` is not a key: 2–64 of a-z, 0-9 and `-`, not starting or ending with `-`"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Key {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}

impl From<Key> for String {
    fn from(k: Key) -> String {
        k.0
    }
}

/// Trims and bounds a free-text field; empty is refused.
pub fn text(field: &str, value: &str, max_chars: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max_chars {
        return Err(DomainError::invalid(field, format!("at most {max_chars} characters")));
    }
    Ok(v.to_owned())
}

/// An inclusive run of calendar days written as the document wrote its ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: DocDate,
    pub end: DocDate,
}

impl Window {
    pub fn new(start: DocDate, end: DocDate) -> Result<Self, DomainError> {
        if start.first() > end.last() {
            return Err(DomainError::invalid("end", format!("`{}` ends before `{}` begins", end.text(), start.text())));
        }
        Ok(Self { start, end })
    }

    pub fn first(&self) -> NaiveDate {
        self.start.first()
    }

    pub fn last(&self) -> NaiveDate {
        self.end.last()
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.first() <= d && d <= self.last()
    }

    /// "2022年8月下旬至2022年9月中旬", as the notices write a span.
    pub fn text(&self) -> String {
        if self.start.text() == self.end.text() {
            self.start.text().to_owned()
        } else {
            format!("{}至{}", self.start.text(), self.end.text())
        }
    }
}

/// The programme itself: who issued it, when it runs, where, and how units are chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    pub key: Key,
    pub title: String,
    pub issuer: String,
    pub doc_number: Option<String>,
    pub issued: DocDate,
    pub period: Window,
    /// The region the programme covers (its issuer's region).
    pub scope: RegionCode,
    /// The level pilot units normally sit at (county for Fujian, township for Xixiu).
    pub unit_level: RegionLevel,
    pub rules: SelectionRules,
    pub summary: Option<String>,
    /// Where the requirements come from (a seed notice, a file name, a URL).
    pub source: Option<String>,
}

impl Programme {
    /// A date lies inside the programme's period.
    pub fn check_within_period(&self, what: &str, d: &DocDate) -> Result<(), DomainError> {
        if d.first() < self.period.first() || d.last() > self.period.last() {
            return Err(DomainError::rule(
                Rule::WithinPeriod,
                format!("{what} `{}` lies outside the programme period {}", d.text(), self.period.text()),
            ));
        }
        Ok(())
    }
}

/// A named phase of the work with its window (部署 / 实施 / 总结, or finer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub key: Key,
    pub name: String,
    /// Order in the plan, from 1.
    pub seq: u32,
    pub window: Window,
    pub description: Option<String>,
}

/// Whether units pick a catalogue entry or are all assigned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectionKind {
    /// 试点方向: a unit chooses it (Fujian's 11 directions).
    Choice,
    /// 重点任务 / 工作内容: every unit carries it (Guangdong's 17 tasks, Fuzhou's 10 items).
    Assigned,
}

impl DirectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Choice => "choice",
            Self::Assigned => "assigned",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "choice" => Ok(Self::Choice),
            "assigned" => Ok(Self::Assigned),
            o => Err(DomainError::invalid("kind", format!("`{o}`: choice or assigned"))),
        }
    }
}

/// A department (责任单位) responsible for a task: an organisation inside a region, not a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub name: String,
    /// The region the department belongs to (市民政局 → 350100 福州市).
    pub region: Option<RegionCode>,
}

/// A numbered catalogue entry: a direction to choose or a task assigned to all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Direction {
    pub number: u32,
    pub title: String,
    pub text: String,
    pub kind: DirectionKind,
    /// The heading it stands under ("（一）深化社会救助制度改革").
    pub group: Option<String>,
    /// Departments responsible (责任单位); a document may leave them out.
    #[serde(default)]
    pub responsible: Vec<Department>,
}

impl Direction {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.number == 0 || self.number > 999 {
            return Err(DomainError::invalid("number", "catalogue numbers run from 1 to 999"));
        }
        text("title", &self.title, 200)?;
        text("text", &self.text, 4000)?;
        for d in &self.responsible {
            text("responsible.name", &d.name, 100)?;
        }
        Ok(())
    }
}

/// Inclusive bounds on a count; `max` absent means no upper limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    pub min: u32,
    pub max: Option<u32>,
}

impl Bounds {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        if let Some(max) = self.max
            && max < self.min
        {
            return Err(DomainError::invalid(field, "max is below min"));
        }
        Ok(())
    }

    pub fn text(&self) -> String {
        match self.max {
            Some(max) if max == self.min => format!("{max}"),
            Some(max) => format!("{}–{}", self.min, max),
            None => format!("≥{}", self.min),
        }
    }
}

/// A named exception to the selection rules (平潭综合实验区 pilots as a whole and files directly).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleException {
    pub region: RegionCode,
    pub name: String,
    /// The region counts as a group of its own (a city of its own for the quotas).
    pub own_group: bool,
    /// Its filings skip the intermediate review and go straight to the last step of the route.
    pub files_directly: bool,
    /// It may be a unit although its level differs from the programme's unit level.
    pub any_level: bool,
    pub note: Option<String>,
}

/// How units and their directions are chosen; each bound is checked when a unit is added or
/// changed, and a refusal names the rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionRules {
    /// How many catalogue directions one unit chooses.
    pub directions_per_unit: Option<Bounds>,
    /// How many distinct directions the units of one group (e.g. a city) choose together.
    pub directions_per_group: Option<Bounds>,
    /// How many units one group may have.
    pub units_per_group: Option<Bounds>,
    /// The level whose regions form the groups (city for Fujian).
    pub group_level: Option<RegionLevel>,
    #[serde(default)]
    pub exceptions: Vec<RuleException>,
}

impl SelectionRules {
    pub fn validate(&self) -> Result<(), DomainError> {
        if let Some(b) = &self.directions_per_unit {
            b.validate("rules.directions_per_unit")?;
        }
        if let Some(b) = &self.directions_per_group {
            b.validate("rules.directions_per_group")?;
        }
        if let Some(b) = &self.units_per_group {
            b.validate("rules.units_per_group")?;
        }
        if (self.units_per_group.is_some() || self.directions_per_group.is_some()) && self.group_level.is_none() {
            return Err(DomainError::invalid(
                "rules.group_level",
                "per-group quotas need the level that forms the groups",
            ));
        }
        Ok(())
    }

    pub fn exception_for(&self, region: &RegionCode) -> Option<&RuleException> {
        self.exceptions.iter().find(|e| &e.region == region)
    }
}

/// What a filing does at a step of its route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteAction {
    /// 审定: the level reviews and approves.
    Review,
    /// 备案: the level accepts and files.
    File,
}

impl RouteAction {
    /// As a page says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Review => "审定",
            Self::File => "备案",
        }
    }
}

/// One step of the route a filing takes above the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteStep {
    pub level: RegionLevel,
    pub action: RouteAction,
}

/// Which units a deliverable is asked of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Every pilot unit.
    #[default]
    All,
    /// Only demonstration units (示范).
    Demonstration,
}

/// Something units must file, when, and along which route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliverable {
    pub key: Key,
    pub title: String,
    pub description: Option<String>,
    pub stage: Option<Key>,
    pub deadline: DeadlineSpec,
    /// The steps above the unit, in order (e.g. city review, then province filing). Empty means
    /// the filing is final when submitted.
    #[serde(default)]
    pub route: Vec<RouteStep>,
    #[serde(default)]
    pub audience: Audience,
}

impl Deliverable {
    pub fn validate(&self) -> Result<(), DomainError> {
        text("title", &self.title, 200)?;
        if let Some(d) = &self.description {
            text("description", d, 4000)?;
        }
        self.deadline.validate()
    }

    /// The route for one unit: a unit that files directly keeps only the final step.
    pub fn route_for(&self, files_directly: bool) -> Vec<RouteStep> {
        if files_directly { self.route.last().copied().into_iter().collect() } else { self.route.clone() }
    }
}

/// The day an occurrence of a deliverable falls due, when both exist: the one lookup the
/// filing views and appeals share.
pub fn due_on(
    deliverables: &[Deliverable],
    stages: &[Stage],
    deliverable: &str,
    occurrence: &str,
) -> Option<chrono::NaiveDate> {
    deliverables
        .iter()
        .find(|d| d.key.as_str() == deliverable)?
        .deadline
        .occurrences(stages)
        .ok()?
        .into_iter()
        .find(|o| o.key == occurrence)
        .map(|o| o.due_on)
}

/// The refusal for a programme key already in use. Keys are names across the whole server (like
/// a 文号), so a taken key must be refused; the refusal is the same whoever holds it and says
/// nothing about it (whether the caller could read it, where, or what it is).
pub fn key_taken(key: &Key) -> DomainError {
    DomainError::rule(Rule::DuplicateProgramme, format!("the programme key `{key}` is not available; choose another"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_url_safe() {
        assert!(Key::parse("fj-2022-reform").is_ok());
        for bad in ["", "a", "Fj", "-x", "x-", "空格", "a b", &"x".repeat(65)] {
            assert!(Key::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn windows_read_like_the_notice() {
        let w =
            Window::new(DocDate::parse("2022年8月下旬").unwrap(), DocDate::parse("2022年9月中旬").unwrap()).unwrap();
        assert_eq!(w.text(), "2022年8月下旬至2022年9月中旬");
        assert_eq!(w.first().to_string(), "2022-08-21");
        assert_eq!(w.last().to_string(), "2022-09-20");
        assert!(Window::new(DocDate::parse("2022年9月").unwrap(), DocDate::parse("2022年8月").unwrap()).is_err());
    }
}
