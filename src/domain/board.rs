//! The deadline board: every unit × deliverable × occurrence of a programme, with its traffic
//! light at an instant. Pure: the store hands in the rows, this decides.
//!
//! A national programme has tens of thousands of rows, so a row holds indices into the units and
//! deliverables it was built from rather than copies of their names.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::deadline::{Now, Occurrence, Standing, Status, assess_at, due_instant};
use super::{Audience, Deliverable, DomainError, Key, RegionCode, RouteStep, Stage};

/// A unit as the board needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardUnit {
    pub region: RegionCode,
    pub name: String,
    /// The region and its ancestors, root first (for region filters).
    pub path: Vec<RegionCode>,
    pub demonstration: bool,
    pub files_directly: bool,
}

/// A deliverable with its occurrences and its two possible routes, expanded once per board.
#[derive(Debug, Clone)]
pub struct Expanded {
    pub deliverable: Deliverable,
    pub occurrences: Vec<Occurrence>,
    /// The instant each occurrence is missed, in the same order.
    pub due_at: Vec<DateTime<Utc>>,
    pub route: Vec<RouteStep>,
    pub direct_route: Vec<RouteStep>,
}

/// One concrete deadline of one unit, by index into the board's units and deliverables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoardLine {
    pub unit: usize,
    pub deliverable: usize,
    pub occurrence: usize,
    pub standing: Standing,
    pub filed_at: Option<DateTime<Utc>>,
}

/// First filing instants per unit: (deliverable, occurrence, instant).
pub type Filings = HashMap<RegionCode, Vec<(Key, String, DateTime<Utc>)>>;

/// Expands deliverables once (occurrences do not depend on the unit).
pub fn expand(deliverables: Vec<Deliverable>, stages: &[Stage]) -> Result<Vec<Expanded>, DomainError> {
    deliverables
        .into_iter()
        .map(|d| {
            let occurrences = d.deadline.occurrences(stages)?;
            Ok(Expanded {
                due_at: occurrences.iter().map(|o| due_instant(o.due_on)).collect(),
                occurrences,
                route: d.route_for(false),
                direct_route: d.route_for(true),
                deliverable: d,
            })
        })
        .collect()
}

/// Builds the board at `now`, keeping only rows `keep` accepts (given the unit index and the
/// status). Rows come ordered by due day, then unit code, deliverable key and occurrence key.
pub fn board(
    expanded: &[Expanded],
    units: &[BoardUnit],
    filings: &Filings,
    now: DateTime<Utc>,
    keep: impl Fn(usize, Status) -> bool,
) -> Vec<BoardLine> {
    let now = Now::new(now);
    let mut rows = Vec::new();
    for (ui, u) in units.iter().enumerate() {
        let filed = filings.get(&u.region).map(Vec::as_slice).unwrap_or_default();
        for (di, e) in expanded.iter().enumerate() {
            if e.deliverable.audience == Audience::Demonstration && !u.demonstration {
                continue;
            }
            for (oi, o) in e.occurrences.iter().enumerate() {
                let filed_at =
                    filed.iter().find(|(d, occ, _)| d == &e.deliverable.key && occ == &o.key).map(|(_, _, at)| *at);
                let standing = assess_at(o.due_on, e.due_at[oi], filed_at, now);
                if keep(ui, standing.status) {
                    rows.push(BoardLine { unit: ui, deliverable: di, occurrence: oi, standing, filed_at });
                }
            }
        }
    }
    rows.sort_by(|a, b| {
        let key = |r: &BoardLine| {
            let e = &expanded[r.deliverable];
            (
                e.occurrences[r.occurrence].due_on,
                &units[r.unit].region,
                &e.deliverable.key,
                &e.occurrences[r.occurrence].key,
            )
        };
        key(a).cmp(&key(b))
    });
    rows
}
