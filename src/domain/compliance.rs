//! The compliance matrix: for each unit and each dated deadline, whether it was met on time, late,
//! not at all, or is still under review; with on-time rates.
//!
//! A cell's status combines review and timeliness, the review state first: `returned` and
//! `in_review` while a submitted filing is at those stages, then `on_time` / `late` once it is
//! filed, `missing` when past due with nothing submitted, `not_due` otherwise. The on-time rate
//! counts timeliness alone (first submission against the deadline) over the deadlines that are
//! due: a filing submitted on time and still in review counts as on time.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::filing::{FilingState, Timeliness, timeliness};

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
