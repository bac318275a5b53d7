//! `/programmes/{key}/compliance`: the compliance matrix — units × deadlines, each cell on time,
//! late, missing, returned, in review or not due, with totals per unit, per city and overall.

use chrono::{DateTime, FixedOffset, NaiveDate};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, param::Path, param::Query};

use super::auth::Auth;
use super::common::shanghai;
use super::error::ApiError;
use super::params::{KeyParam, RegionParam};
use super::{ApiTags, State};
use crate::domain::compliance::CellStatus;
use crate::domain::compliance::Tally;
use crate::domain::filing::Timeliness;
use crate::service::filings::{self as service};

/// Counts over cells, and the on-time rate (first submissions on time ÷ deadlines due).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TallyDto {
    pub on_time: u32,
    pub late: u32,
    pub missing: u32,
    pub returned: u32,
    pub in_review: u32,
    pub not_due: u32,
    pub due: u32,
    pub met_on_time: u32,
    pub on_time_rate: Option<f64>,
}

impl From<&Tally> for TallyDto {
    fn from(t: &Tally) -> Self {
        Self {
            on_time: t.on_time,
            late: t.late,
            missing: t.missing,
            returned: t.returned,
            in_review: t.in_review,
            not_due: t.not_due,
            due: t.due,
            met_on_time: t.met_on_time,
            on_time_rate: t.on_time_rate(),
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ColumnDto {
    pub deliverable: String,
    pub title: String,
    pub occurrence: String,
    pub due_on: NaiveDate,
    pub due_text: String,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CellDto {
    pub status: CellStatusDto,
    pub days_late: Option<i64>,
    pub filing: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ComplianceLine {
    pub unit: String,
    pub name: String,
    pub city: Option<String>,
    /// One per column (`not_asked` where the deliverable is not asked of this unit).
    pub cells: Vec<CellDto>,
    pub totals: TallyDto,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CityTotals {
    pub city: String,
    pub totals: TallyDto,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ComplianceMatrix {
    pub programme: String,
    pub as_of: DateTime<FixedOffset>,
    pub columns: Vec<ColumnDto>,
    pub rows: Vec<ComplianceLine>,
    pub cities: Vec<CityTotals>,
    pub overall: TallyDto,
}

/// Where one unit stands on one deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum CellStatusDto {
    /// Filed, first submitted by the deadline.
    OnTime,
    /// Filed, first submitted after it.
    Late,
    /// Past due with nothing submitted.
    Missing,
    /// Sent back for revision.
    Returned,
    /// Submitted, awaiting review.
    InReview,
    /// Not due yet, nothing submitted.
    NotDue,
    /// The deliverable is not asked of this unit (e.g. demonstration-only items).
    NotAsked,
}

impl From<CellStatus> for CellStatusDto {
    fn from(s: CellStatus) -> Self {
        match s {
            CellStatus::OnTime => Self::OnTime,
            CellStatus::Late => Self::Late,
            CellStatus::Missing => Self::Missing,
            CellStatus::Returned => Self::Returned,
            CellStatus::InReview => Self::InReview,
            CellStatus::NotDue => Self::NotDue,
        }
    }
}

pub struct ComplianceApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Filings")]
impl ComplianceApi {
    /// The compliance matrix: units × deadlines, each cell on time / late / missing / returned /
    /// in review / not due, with totals and on-time rates per unit, per city and overall.
    #[oai(path = "/programmes/:key/compliance", method = "get", operation_id = "complianceMatrix")]
    async fn compliance(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        /// RFC 3339 instant, or a date meaning 00:00 that day in Asia/Shanghai; default now.
        as_of: Query<Option<String>>,
        /// Only units inside this region.
        region: Query<Option<RegionParam>>,
    ) -> Result<Json<ComplianceMatrix>, ApiError> {
        let programme = key.0.0.clone();
        let as_of = super::common::as_of(as_of.0.as_deref(), self.state.clock.now())?;
        let within = region.0.map(|r| r.0);
        let m = service::compliance(&self.state.store, auth.principal(), &programme, within.as_ref(), as_of).await?;
        Ok(Json(ComplianceMatrix {
            programme: programme.to_string(),
            as_of: shanghai(as_of),
            columns: m
                .columns
                .iter()
                .map(|c| ColumnDto {
                    deliverable: c.deliverable.to_string(),
                    title: c.title.clone(),
                    occurrence: c.occurrence.clone(),
                    due_on: c.due_on,
                    due_text: c.due_text.clone(),
                })
                .collect(),
            rows: m
                .lines
                .iter()
                .map(|r| ComplianceLine {
                    unit: r.unit.to_string(),
                    name: r.name.clone(),
                    city: r.city.as_ref().map(|c| c.to_string()),
                    cells: r
                        .cells
                        .iter()
                        .map(|c| match c {
                            Some((cell, filing)) => CellDto {
                                status: cell.status.into(),
                                days_late: match cell.timeliness {
                                    Timeliness::Late(d) => Some(d),
                                    _ => None,
                                },
                                filing: filing.clone(),
                            },
                            None => CellDto { status: CellStatusDto::NotAsked, days_late: None, filing: None },
                        })
                        .collect(),
                    totals: (&r.tally).into(),
                })
                .collect(),
            cities: m.by_city.iter().map(|(c, t)| CityTotals { city: c.to_string(), totals: t.into() }).collect(),
            overall: (&m.overall).into(),
        }))
    }
}
