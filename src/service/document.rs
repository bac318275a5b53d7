//! The fixture format (`fixtures/*.yaml`, documented in `fixtures/README.md`): one document per
//! notice, accepted alike by `pilotgov seed` and by `POST /api/v1/programmes/import`.

use serde::{Deserialize, Serialize};

use crate::domain::evaluation::IndicatorSystem;
use crate::domain::scoring::Scheme;
use crate::domain::{
    Bundle, Deliverable, Direction, DocDate, DomainError, Key, PilotUnit, Programme, Region, RegionCode, RegionLevel,
    SelectionRules, Stage, Window,
};

/// The format tag a programme document carries.
pub const PROGRAMME_FORMAT: &str = "pilotgov/programme@1";
/// The format tag a region list carries.
pub const REGIONS_FORMAT: &str = "pilotgov/regions@1";

/// A whole programme as a notice describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeDocument {
    pub format: String,
    pub programme: ProgrammeHead,
    #[serde(default)]
    pub stages: Vec<StageEntry>,
    #[serde(default)]
    pub directions: Vec<Direction>,
    #[serde(default)]
    pub deliverables: Vec<Deliverable>,
    #[serde(default)]
    pub units: Vec<PilotUnit>,
    /// The scoring scheme (项目满分扣减), if the programme scores its units.
    #[serde(default)]
    pub scoring: Option<Scheme>,
    /// The evaluation indicator system, if the programme evaluates its units.
    #[serde(default)]
    pub evaluation: Option<IndicatorSystem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeHead {
    pub key: Key,
    pub title: String,
    pub issuer: String,
    #[serde(default)]
    pub doc_number: Option<String>,
    pub issued: DocDate,
    pub period: Span,
    pub scope: RegionCode,
    pub unit_level: RegionLevel,
    #[serde(default)]
    pub rules: SelectionRules,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// Two document dates: where something starts and where it ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    pub start: DocDate,
    pub end: DocDate,
}

/// A stage; its number is its place in the list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageEntry {
    pub key: Key,
    pub name: String,
    pub start: DocDate,
    pub end: DocDate,
    #[serde(default)]
    pub description: Option<String>,
}

impl ProgrammeDocument {
    /// Turns the document into domain values (the windows are checked here; the rest by
    /// [`crate::domain::bundle::check`]).
    pub fn into_bundle(self) -> Result<(Bundle, Option<Scheme>, Option<IndicatorSystem>), DomainError> {
        if self.format != PROGRAMME_FORMAT {
            return Err(DomainError::invalid(
                "format",
                format!("expected `{PROGRAMME_FORMAT}`, found `{}`", self.format),
            ));
        }
        let h = self.programme;
        let programme = Programme {
            key: h.key,
            title: h.title,
            issuer: h.issuer,
            doc_number: h.doc_number,
            issued: h.issued,
            period: Window::new(h.period.start, h.period.end)?,
            scope: h.scope,
            unit_level: h.unit_level,
            rules: h.rules,
            summary: h.summary,
            source: h.source,
        };
        let stages = self
            .stages
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                Ok(Stage {
                    key: s.key,
                    name: s.name,
                    seq: i as u32 + 1,
                    window: Window::new(s.start, s.end)?,
                    description: s.description,
                })
            })
            .collect::<Result<_, DomainError>>()?;
        if let Some(s) = &self.scoring {
            s.validate()?;
        }
        if let Some(s) = &self.evaluation {
            s.validate()?;
        }
        Ok((
            Bundle {
                programme,
                stages,
                directions: self.directions,
                deliverables: self.deliverables,
                units: self.units,
            },
            self.scoring,
            self.evaluation,
        ))
    }
}

/// A list of regions with where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionsDocument {
    pub format: String,
    pub source: String,
    pub regions: Vec<RegionEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionEntry {
    pub code: RegionCode,
    pub name: String,
    #[serde(default)]
    pub level: Option<RegionLevel>,
    #[serde(default)]
    pub parent: Option<RegionCode>,
}

impl RegionsDocument {
    pub fn into_regions(self) -> Result<Vec<Region>, DomainError> {
        if self.format != REGIONS_FORMAT {
            return Err(DomainError::invalid(
                "format",
                format!("expected `{REGIONS_FORMAT}`, found `{}`", self.format),
            ));
        }
        self.regions.into_iter().map(|r| Region::new(r.code, &r.name, r.level, r.parent)).collect()
    }
}

/// The format tag of a working-day calendar.
pub const CALENDAR_FORMAT: &str = "pilotgov/calendar@1";

/// Holidays and make-up working days by year.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDocument {
    pub format: String,
    pub source: String,
    pub years: std::collections::BTreeMap<i32, CalendarYearEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearEntry {
    /// Days or inclusive ranges (`2022-10-01..2022-10-07`).
    pub holidays: Vec<String>,
    /// Weekend days worked instead.
    #[serde(default)]
    pub workdays: Vec<String>,
}

impl CalendarDocument {
    pub fn into_years(self) -> Result<(Vec<(i32, crate::domain::calendar::Year)>, String), DomainError> {
        use crate::domain::calendar::{Year, parse_days};
        let mut out = Vec::new();
        for (year, e) in self.years {
            let mut y = Year::default();
            for h in &e.holidays {
                y.holidays.extend(parse_days(h)?);
            }
            for w in &e.workdays {
                y.workdays.extend(parse_days(w)?);
            }
            out.push((year, y));
        }
        Ok((out, self.source))
    }
}

/// Any kind of fixture document.
#[derive(Debug, Clone)]
pub enum Document {
    Programme(Box<ProgrammeDocument>),
    Regions(RegionsDocument),
    Calendar(CalendarDocument),
}

/// Reads a YAML (or JSON, which YAML includes) document, telling the kinds apart by `format`.
pub fn parse(text: &str) -> Result<Document, DomainError> {
    let value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| DomainError::invalid("document", format!("not YAML/JSON: {e}")))?;
    let format = value.get("format").and_then(|f| f.as_str()).unwrap_or_default().to_owned();
    let bad = |e: serde_yaml_ng::Error| DomainError::invalid("document", e.to_string());
    match format.as_str() {
        PROGRAMME_FORMAT => Ok(Document::Programme(Box::new(serde_yaml_ng::from_value(value).map_err(bad)?))),
        REGIONS_FORMAT => Ok(Document::Regions(serde_yaml_ng::from_value(value).map_err(bad)?)),
        CALENDAR_FORMAT => Ok(Document::Calendar(serde_yaml_ng::from_value(value).map_err(bad)?)),
        other => Err(DomainError::invalid(
            "format",
            format!("unknown document format `{other}` ({PROGRAMME_FORMAT}, {REGIONS_FORMAT} or {CALENDAR_FORMAT})"),
        )),
    }
}
