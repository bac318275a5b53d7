//! Row types: how domain values are laid out in SurrealDB, and the conversions both ways. Rows
//! never leave the store; a row that no longer converts is reported, not served half-read.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value as Json;

use super::StoreError;
use crate::domain::{
    Audience, Deliverable, Direction, DirectionKind, DocDate, Key, PilotUnit, Placement, Programme, Region, RegionCode,
    RegionLevel, Stage, Window, Withdrawal,
};

pub fn decode<T: DeserializeOwned>(what: &str, v: Json) -> Result<T, StoreError> {
    serde_json::from_value(v).map_err(|e| StoreError::corrupt(what, e))
}

/// Like [`decode`], reading in place (for rows kept in memory and read often).
pub fn decode_ref<T: DeserializeOwned>(what: &str, v: &Json) -> Result<T, StoreError> {
    T::deserialize(v).map_err(|e| StoreError::corrupt(what, e))
}

/// A row type that reads back as a domain value: what [`Store::select_rows`] and
/// [`Store::select_row`] hand out instead of rows.
///
/// [`Store::select_rows`]: super::Store::select_rows
/// [`Store::select_row`]: super::Store::select_row
pub(super) trait Row: DeserializeOwned {
    type Domain;
    /// What the table calls one of its rows in errors.
    const WHAT: &'static str;
    fn domain(self) -> Result<Self::Domain, StoreError>;
}

/// `Row` for row types whose `into_domain` gives the domain value.
macro_rules! domain_rows {
    ($($row:ty => $domain:ty, $what:literal;)*) => {
        $(impl $crate::store::rows::Row for $row {
            type Domain = $domain;
            const WHAT: &'static str = $what;
            fn domain(self) -> Result<$domain, $crate::store::StoreError> {
                self.into_domain()
            }
        })*
    };
}
pub(super) use domain_rows;

pub fn encode<T: Serialize>(v: &T) -> Json {
    serde_json::to_value(v).expect("rows serialise")
}

/// A stored instant (RFC 3339, as every row writes one) read back.
pub fn instant(s: &str) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| StoreError::corrupt("instant", e))
}

/// A region path as stored: its codes as strings, root first.
pub fn strings(path: &[RegionCode]) -> Vec<String> {
    path.iter().map(ToString::to_string).collect()
}

/// A stored region path read back.
pub fn codes(path: &[String]) -> Result<Vec<RegionCode>, crate::domain::DomainError> {
    path.iter().map(|c| RegionCode::parse(c)).collect()
}

fn corrupt(what: &str) -> impl Fn(crate::domain::DomainError) -> StoreError + '_ {
    move |e| StoreError::corrupt(what, e)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub successor: Option<String>,
}

impl From<&Region> for RegionRow {
    fn from(r: &Region) -> Self {
        Self {
            code: r.code.to_string(),
            name: r.name.clone(),
            level: r.level.as_str().to_owned(),
            parent: r.parent.as_ref().map(|p| p.to_string()),
            successor: r.successor.as_ref().map(|p| p.to_string()),
        }
    }
}

domain_rows! {
    RegionRow => Region, "region";
}

impl RegionRow {
    pub fn into_domain(self) -> Result<Region, StoreError> {
        let c = corrupt("region");
        Ok(Region {
            code: RegionCode::parse(&self.code).map_err(&c)?,
            name: self.name,
            level: RegionLevel::parse(&self.level).map_err(&c)?,
            parent: self.parent.as_deref().map(RegionCode::parse).transpose().map_err(&c)?,
            successor: self.successor.as_deref().map(RegionCode::parse).transpose().map_err(&c)?,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ProgrammeRow {
    pub key: String,
    pub title: String,
    pub issuer: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub doc_number: Option<String>,
    pub issued: String,
    pub period_start: String,
    pub period_end: String,
    pub scope: String,
    pub unit_level: String,
    pub rules: Json,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    #[serde(default)]
    pub revision: i64,
    /// RFC 3339; the schema casts it to a datetime.
    pub created_at: String,
    pub updated_at: String,
}

impl ProgrammeRow {
    pub fn from_domain(p: &Programme, revision: i64, at: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            created_at: at.to_rfc3339(),
            updated_at: at.to_rfc3339(),
            key: p.key.to_string(),
            title: p.title.clone(),
            issuer: p.issuer.clone(),
            doc_number: p.doc_number.clone(),
            issued: p.issued.text().to_owned(),
            period_start: p.period.start.text().to_owned(),
            period_end: p.period.end.text().to_owned(),
            scope: p.scope.to_string(),
            unit_level: p.unit_level.as_str().to_owned(),
            rules: encode(&p.rules),
            summary: p.summary.clone(),
            source: p.source.clone(),
            revision,
        }
    }

    pub fn into_domain(self) -> Result<(Programme, i64), StoreError> {
        let c = corrupt("programme");
        let p = Programme {
            key: Key::parse(&self.key).map_err(&c)?,
            title: self.title,
            issuer: self.issuer,
            doc_number: self.doc_number,
            issued: DocDate::parse(&self.issued).map_err(&c)?,
            period: Window::new(
                DocDate::parse(&self.period_start).map_err(&c)?,
                DocDate::parse(&self.period_end).map_err(&c)?,
            )
            .map_err(&c)?,
            scope: RegionCode::parse(&self.scope).map_err(&c)?,
            unit_level: RegionLevel::parse(&self.unit_level).map_err(&c)?,
            rules: decode("programme rules", self.rules)?,
            summary: self.summary,
            source: self.source,
        };
        Ok((p, self.revision))
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct StageRow {
    pub programme: String,
    pub key: String,
    pub name: String,
    pub seq: i64,
    pub start: String,
    pub end: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
}

impl StageRow {
    pub fn from_domain(programme: &Key, s: &Stage) -> Self {
        Self {
            programme: programme.to_string(),
            key: s.key.to_string(),
            name: s.name.clone(),
            seq: s.seq as i64,
            start: s.window.start.text().to_owned(),
            end: s.window.end.text().to_owned(),
            description: s.description.clone(),
        }
    }

    pub fn into_domain(self) -> Result<Stage, StoreError> {
        let c = corrupt("stage");
        Ok(Stage {
            key: Key::parse(&self.key).map_err(&c)?,
            name: self.name,
            seq: u32::try_from(self.seq).map_err(|e| StoreError::corrupt("stage", e))?,
            window: Window::new(DocDate::parse(&self.start).map_err(&c)?, DocDate::parse(&self.end).map_err(&c)?)
                .map_err(&c)?,
            description: self.description,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DirectionRow {
    pub programme: String,
    pub number: i64,
    pub title: String,
    pub text: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub group: Option<String>,
    pub responsible: Json,
}

impl DirectionRow {
    pub fn from_domain(programme: &Key, d: &Direction) -> Self {
        Self {
            programme: programme.to_string(),
            number: d.number as i64,
            title: d.title.clone(),
            text: d.text.clone(),
            kind: d.kind.as_str().to_owned(),
            group: d.group.clone(),
            responsible: encode(&d.responsible),
        }
    }

    pub fn into_domain(self) -> Result<Direction, StoreError> {
        Ok(Direction {
            number: u32::try_from(self.number).map_err(|e| StoreError::corrupt("direction", e))?,
            title: self.title,
            text: self.text,
            kind: DirectionKind::parse(&self.kind).map_err(corrupt("direction"))?,
            group: self.group,
            responsible: decode("direction responsible", self.responsible)?,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DeliverableRow {
    pub programme: String,
    pub key: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stage: Option<String>,
    pub deadline: Json,
    pub route: Json,
    pub audience: String,
}

impl DeliverableRow {
    pub fn from_domain(programme: &Key, d: &Deliverable) -> Self {
        Self {
            programme: programme.to_string(),
            key: d.key.to_string(),
            title: d.title.clone(),
            description: d.description.clone(),
            stage: d.stage.as_ref().map(|s| s.to_string()),
            deadline: encode(&d.deadline),
            route: encode(&d.route),
            audience: match d.audience {
                Audience::All => "all".into(),
                Audience::Demonstration => "demonstration".into(),
            },
        }
    }

    pub fn into_domain(self) -> Result<Deliverable, StoreError> {
        let c = corrupt("deliverable");
        Ok(Deliverable {
            key: Key::parse(&self.key).map_err(&c)?,
            title: self.title,
            description: self.description,
            stage: self.stage.as_deref().map(Key::parse).transpose().map_err(&c)?,
            deadline: decode("deliverable deadline", self.deadline)?,
            route: decode("deliverable route", self.route)?,
            audience: decode("deliverable audience", Json::String(self.audience))?,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct UnitRow {
    pub programme: String,
    pub region: String,
    pub name: String,
    pub path: Vec<String>,
    pub directions: Vec<i64>,
    pub demonstration: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lead: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
    pub quota_group: String,
    pub files_directly: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub withdrawn_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub withdrawn_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub withdrawn_reason: Option<String>,
}

/// A unit as stored: the domain unit with what admission derived.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUnit {
    pub unit: PilotUnit,
    pub name: String,
    /// The unit's region and its ancestors, root first.
    pub path: Vec<RegionCode>,
    pub placement: Placement,
    /// Set once the unit withdrew (退出试点); its records stay.
    pub withdrawn: Option<Withdrawal>,
}

impl UnitRow {
    pub fn from_domain(programme: &Key, u: &StoredUnit) -> Self {
        Self {
            programme: programme.to_string(),
            region: u.unit.region.to_string(),
            name: u.name.clone(),
            path: u.path.iter().map(|c| c.to_string()).collect(),
            directions: u.unit.directions.iter().map(|n| *n as i64).collect(),
            demonstration: u.unit.demonstration,
            lead: u.unit.lead.as_ref().map(encode),
            note: u.unit.note.clone(),
            quota_group: u.placement.group.to_string(),
            files_directly: u.placement.files_directly,
            withdrawn_at: u.withdrawn.as_ref().map(|w| w.at.to_rfc3339()),
            withdrawn_by: u.withdrawn.as_ref().map(|w| w.by.clone()),
            withdrawn_reason: u.withdrawn.as_ref().map(|w| w.reason.clone()),
        }
    }

    pub fn into_domain(self) -> Result<StoredUnit, StoreError> {
        let c = corrupt("unit");
        let directions = self
            .directions
            .iter()
            .map(|n| u32::try_from(*n).map_err(|e| StoreError::corrupt("unit", e)))
            .collect::<Result<_, _>>()?;
        Ok(StoredUnit {
            unit: PilotUnit {
                region: RegionCode::parse(&self.region).map_err(&c)?,
                directions,
                demonstration: self.demonstration,
                lead: self.lead.map(|l| decode("unit lead", l)).transpose()?,
                note: self.note,
            },
            name: self.name,
            path: self.path.iter().map(|p| RegionCode::parse(p)).collect::<Result<_, _>>().map_err(&c)?,
            placement: Placement {
                group: RegionCode::parse(&self.quota_group).map_err(&c)?,
                files_directly: self.files_directly,
            },
            withdrawn: match (self.withdrawn_at, self.withdrawn_by, self.withdrawn_reason) {
                (Some(at), Some(by), Some(reason)) => Some(Withdrawal { at: instant(&at)?, by, reason }),
                _ => None,
            },
        })
    }
}
