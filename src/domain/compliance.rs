//! The compliance matrix: for each unit and each dated deadline, whether it was met on time, late,
//! not at all, or is still under review; with on-time rates.
//!
//! A cell's status combines review and timeliness, the review state first: `returned` and
//! `in_review` while a submitted filing is at those stages, then `on_time` / `late` once it is
//! filed, `missing` when past due with nothing submitted, `not_due` otherwise. The on-time rate
//! counts timeliness alone (first submission against the deadline) over the deadlines that are
//! due: a filing submitted on time and still in review counts as on time.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::board::BoardUnit;
use super::filing::{FilingState, Timeliness, timeliness};
use super::register::Register;
use super::{Audience, Deliverable, DomainError, Key, RegionCode, RegionLevel, Stage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    OnTime,
    Late,
    Missing,
    Returned,
    InReview,
    NotDue,
}

impl CellStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTime => "on_time",
            Self::Late => "late",
            Self::Missing => "missing",
            Self::Returned => "returned",
            Self::InReview => "in_review",
            Self::NotDue => "not_due",
        }
    }
}

/// One cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub status: CellStatus,
    pub timeliness: Timeliness,
}

/// Judges one cell at `now` from the filing's current state and first submission, if any.
pub fn cell(due_on: NaiveDate, filing: Option<(FilingState, Option<DateTime<Utc>>)>, now: DateTime<Utc>) -> Cell {
    let first = filing.and_then(|(_, t)| t).filter(|t| *t <= now);
    let t = timeliness(due_on, first, now);
    let status = match (filing.map(|(s, _)| s), t) {
        (_, Timeliness::Missing) => CellStatus::Missing,
        (_, Timeliness::NotDue) => CellStatus::NotDue,
        (Some(FilingState::Returned), _) => CellStatus::Returned,
        (Some(FilingState::Submitted | FilingState::Approved), _) => CellStatus::InReview,
        (_, Timeliness::OnTime) => CellStatus::OnTime,
        (_, Timeliness::Late(_)) => CellStatus::Late,
    };
    Cell { status, timeliness: t }
}

/// Counts over a set of cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub on_time: u32,
    pub late: u32,
    pub missing: u32,
    pub returned: u32,
    pub in_review: u32,
    pub not_due: u32,
    /// Deadlines due by now.
    pub due: u32,
    /// Of those, first submitted on time.
    pub met_on_time: u32,
}

impl Tally {
    pub fn add(&mut self, c: Cell) {
        match c.status {
            CellStatus::OnTime => self.on_time += 1,
            CellStatus::Late => self.late += 1,
            CellStatus::Missing => self.missing += 1,
            CellStatus::Returned => self.returned += 1,
            CellStatus::InReview => self.in_review += 1,
            CellStatus::NotDue => self.not_due += 1,
        }
        if c.timeliness != Timeliness::NotDue {
            self.due += 1;
        }
        if c.timeliness == Timeliness::OnTime {
            self.met_on_time += 1;
        }
    }

    /// Share of due deadlines first submitted on time; none when nothing is due yet.
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.due > 0).then(|| f64::from(self.met_on_time) / f64::from(self.due))
    }
}
/// One column of the matrix: a deliverable's occurrence.
#[derive(Debug, Clone)]
pub struct Column {
    pub deliverable: Key,
    pub title: String,
    pub occurrence: String,
    pub due_on: NaiveDate,
    pub due_text: String,
}

/// One line: a unit and its cells (none where the deliverable is not asked of the unit), each
/// with the key of the filing behind it.
#[derive(Debug, Clone)]
pub struct MatrixLine {
    pub unit: RegionCode,
    pub name: String,
    pub city: Option<RegionCode>,
    pub cells: Vec<Option<(Cell, Option<String>)>>,
    pub tally: Tally,
}

#[derive(Debug, Clone)]
pub struct Matrix {
    pub columns: Vec<Column>,
    pub lines: Vec<MatrixLine>,
    pub by_city: Vec<(RegionCode, Tally)>,
    pub overall: Tally,
}

/// The matrix at `now` over the units `shown` accepts: a column per deliverable occurrence (in
/// plan order), a line per unit, tallies per line, per city and overall.
pub fn matrix(
    stages: &[Stage],
    deliverables: &[Deliverable],
    units: &[BoardUnit],
    filings: &Register,
    shown: impl Fn(&BoardUnit) -> bool,
    now: DateTime<Utc>,
) -> Result<Matrix, DomainError> {
    let mut columns = Vec::new();
    let mut audience = Vec::new();
    for d in deliverables {
        for o in d.deadline.occurrences(stages)? {
            columns.push(Column {
                deliverable: d.key.clone(),
                title: d.title.clone(),
                occurrence: o.key,
                due_on: o.due_on,
                due_text: o.due_text,
            });
            audience.push(d.audience);
        }
    }
    // Each column's deadline as the register numbers it, looked up once.
    let slots: Vec<_> = columns.iter().map(|c| filings.slot(c.deliverable.as_str(), &c.occurrence)).collect();
    let mut lines = Vec::new();
    let mut cities: HashMap<RegionCode, Tally> = HashMap::new();
    let mut overall = Tally::default();
    for u in units.iter().filter(|u| shown(u)) {
        let city = u.path.iter().find(|c| c.level() == RegionLevel::City).cloned();
        let mut tally = Tally::default();
        let cells = columns
            .iter()
            .zip(&audience)
            .zip(&slots)
            .map(|((c, a), slot)| {
                if *a == Audience::Demonstration && !u.demonstration {
                    return None;
                }
                let f = slot.and_then(|s| filings.at(&u.region, s));
                let cell = cell(c.due_on, f.map(|f| (f.state, f.first_submitted_at)), now);
                tally.add(cell);
                overall.add(cell);
                if let Some(city) = &city {
                    cities.entry(city.clone()).or_default().add(cell);
                }
                Some((cell, f.map(|f| f.key.to_owned())))
            })
            .collect();
        lines.push(MatrixLine { unit: u.region.clone(), name: u.name.clone(), city, cells, tally });
    }
    let mut by_city: Vec<_> = cities.into_iter().collect();
    by_city.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Matrix { columns, lines, by_city, overall })
}
