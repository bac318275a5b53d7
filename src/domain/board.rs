//! The deadline board: every unit × deliverable × occurrence of a programme, with its traffic
//! light at an instant. Pure: the store hands in the rows, this decides.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::deadline::{Occurrence, Standing, Status, assess, due_instant};
use super::{Audience, Deliverable, DomainError, Key, PilotUnit, RegionCode, RouteStep, Stage};

/// One concrete deadline of one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardRow {
    pub unit: RegionCode,
    pub deliverable: Key,
    pub occurrence: String,
    pub opens_on: Option<NaiveDate>,
    pub due_on: NaiveDate,
    pub due_at: DateTime<Utc>,
    pub due_text: String,
    pub standing: Standing,
    pub filed_at: Option<DateTime<Utc>>,
    pub route: Vec<RouteStep>,
}

/// A unit as the board needs it: the unit, and whether it files directly.
pub struct BoardUnit<'a> {
    pub unit: &'a PilotUnit,
    pub files_directly: bool,
}

/// First filing instants, keyed by (unit, deliverable, occurrence).
pub type Filings = HashMap<(RegionCode, Key, String), DateTime<Utc>>;

/// Expands deliverables once (occurrences do not depend on the unit).
pub fn expand(
    deliverables: &[Deliverable],
    stages: &[Stage],
) -> Result<Vec<(Deliverable, Vec<Occurrence>)>, DomainError> {
    deliverables
        .iter()
        .map(|d| Ok((d.clone(), d.deadline.occurrences(stages)?)))
        .collect()
}

/// Builds the board at `now`, keeping only the rows `keep` accepts (it sees status before the
/// row is built, so filtering a large programme costs little). Rows come ordered by due day,
/// then unit code, then deliverable.
pub fn board(
    expanded: &[(Deliverable, Vec<Occurrence>)],
    units: &[BoardUnit<'_>],
    filings: &Filings,
    now: DateTime<Utc>,
    keep: impl Fn(&RegionCode, Status) -> bool,
) -> Vec<BoardRow> {
    let mut rows = Vec::new();
    for (d, occs) in expanded {
        for u in units {
            if d.audience == Audience::Demonstration && !u.unit.demonstration {
                continue;
            }
            for o in occs {
                let filed_at = if filings.is_empty() {
                    None
                } else {
                    filings
                        .get(&(u.unit.region.clone(), d.key.clone(), o.key.clone()))
                        .copied()
                };
                let standing = assess(o.due_on, filed_at, now);
                if !keep(&u.unit.region, standing.status) {
                    continue;
                }
                rows.push(BoardRow {
                    unit: u.unit.region.clone(),
                    deliverable: d.key.clone(),
                    occurrence: o.key.clone(),
                    opens_on: o.opens_on,
                    due_on: o.due_on,
                    due_at: due_instant(o.due_on),
                    due_text: o.due_text.clone(),
                    standing,
                    filed_at,
                    route: d.route_for(u.files_directly),
                });
            }
        }
    }
    rows.sort_by(|a, b| {
        (a.due_on, &a.unit, &a.deliverable, &a.occurrence).cmp(&(
            b.due_on,
            &b.unit,
            &b.deliverable,
            &b.occurrence,
        ))
    });
    rows
}
