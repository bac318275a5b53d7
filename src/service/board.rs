//! "What is due, and who is late?": the deadline board of a programme at an instant.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::access::{Access, Principal};
use crate::domain::board::{self, BoardLine, BoardUnit, Expanded, Layout};
use crate::domain::calendar::Calendar;
use crate::domain::deadline::Occurrence;
use crate::domain::{Deliverable, Key, RegionCode, RouteStep, Status};
use crate::store::{BoardParts, Store, StoreError, programmes::StoredProgramme};

/// Which rows to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Units inside this region (its own code included).
    pub region: Option<RegionCode>,
    pub status: Option<Status>,
    pub deliverable: Option<Key>,
}

/// The board, the units and deliverables its rows point into, and totals by status (over the
/// filtered rows).
#[derive(Debug, Clone)]
pub struct Board {
    pub programme: Arc<StoredProgramme>,
    pub as_of: DateTime<Utc>,
    pub parts: Arc<BoardParts>,
    pub expanded: Arc<Vec<Expanded>>,
    pub rows: Vec<BoardLine>,
    pub totals: HashMap<Status, usize>,
    pub calendar: Arc<Calendar>,
}

impl Board {
    pub fn unit(&self, r: &BoardLine) -> &BoardUnit {
        &self.parts.units[r.unit]
    }

    pub fn deliverable(&self, r: &BoardLine) -> &Deliverable {
        &self.expanded[r.deliverable].deliverable
    }

    pub fn occurrence(&self, r: &BoardLine) -> &Occurrence {
        &self.expanded[r.deliverable].occurrences[r.occurrence]
    }

    /// The route this row's unit files along.
    pub fn route(&self, r: &BoardLine) -> &[RouteStep] {
        let e = &self.expanded[r.deliverable];
        if self.parts.units[r.unit].files_directly { &e.direct_route } else { &e.route }
    }

    pub fn total(&self, s: Status) -> usize {
        self.totals.get(&s).copied().unwrap_or(0)
    }
}

pub async fn deadline_board(
    store: &Store,
    key: &Key,
    as_of: DateTime<Utc>,
    filter: &Filter,
    viewer: &Principal,
) -> Result<Board, StoreError> {
    Ok(inputs(store, key, filter, viewer).await?.decide(as_of, filter))
}

/// What a board is decided from, read and checked for one viewer: the programme, its parts and
/// first submissions as this instance holds them now, the holiday calendar, and the units the
/// board shows. Two requests with equal inputs (the same `Arc`s, the same units) and instants of
/// one day with no first submission of those units between them get the same board
/// ([`Layout::stretch_around`]): what `api::board_json` keeps rendered pages by.
pub struct Inputs {
    pub programme: Arc<StoredProgramme>,
    pub parts: Arc<BoardParts>,
    pub first: Arc<Layout>,
    pub calendar: Arc<Calendar>,
    /// Indices into `parts.units`, in code order: inside the region asked for and readable by
    /// the viewer.
    pub shown: Vec<usize>,
}

/// The inputs of `key`'s board for `viewer`; not found when the viewer may not read the
/// programme.
pub async fn inputs(store: &Store, key: &Key, filter: &Filter, viewer: &Principal) -> Result<Inputs, StoreError> {
    let ((programme, parts, first), calendar) = tokio::try_join!(store.board_inputs(key), store.recent_calendar())?;
    let reach = store.recent_reach(key).await?.unwrap_or_default();
    if viewer.check(Access::ReadProgramme { reach: &reach }).is_err() {
        return Err(StoreError::NotFound(format!("programme `{key}`")));
    }
    // Only the units inside the region asked for (all of them when none is) are decided, and of
    // those only the ones this viewer may read.
    let candidates: Vec<usize> = match &filter.region {
        Some(r) => parts.units_in(r).to_vec(),
        None => (0..parts.units.len()).collect(),
    };
    let shown: Vec<usize> = candidates.into_iter().filter(|&i| viewer.can_read_unit(&parts.units[i].path)).collect();
    Ok(Inputs { programme, parts, first, calendar, shown })
}

impl Inputs {
    /// The board at `as_of`, its rows filtered by status and deliverable (the region is in
    /// `shown` already).
    pub fn decide(&self, as_of: DateTime<Utc>, filter: &Filter) -> Board {
        let (parts, expanded) = (&self.parts, self.parts.expanded.clone());
        let rows = board::board(
            &expanded,
            &parts.units,
            Some(&self.shown),
            filter.deliverable.as_ref(),
            &self.first,
            as_of,
            |s| filter.status.is_none_or(|want| want == s),
        );
        // Counted in an array: half a million map updates cost more than the board's decisions.
        let mut counts = [0usize; 4];
        let index = |s: Status| match s {
            Status::Done => 0,
            Status::Upcoming => 1,
            Status::DueSoon => 2,
            Status::Overdue => 3,
        };
        for r in &rows {
            counts[index(r.standing.status)] += 1;
        }
        let totals = [Status::Done, Status::Upcoming, Status::DueSoon, Status::Overdue]
            .into_iter()
            .filter(|&s| counts[index(s)] > 0)
            .map(|s| (s, counts[index(s)]))
            .collect();
        Board {
            programme: self.programme.clone(),
            as_of,
            parts: self.parts.clone(),
            expanded,
            rows,
            totals,
            calendar: self.calendar.clone(),
        }
    }
}

/// The board as a terminal table (the `deadlines` command).
pub fn render_text(board: &Board) -> String {
    use std::fmt::Write;
    let p = &board.programme.programme;
    let mut out = String::new();
    let local = board.as_of.with_timezone(&chrono_tz::Asia::Shanghai);
    let _ = writeln!(out, "{}（{}） as of {}", p.title, p.key, local.format("%Y-%m-%d %H:%M %Z"));
    let _ = writeln!(
        out,
        "done {}  upcoming {}  due soon {}  overdue {}",
        board.total(Status::Done),
        board.total(Status::Upcoming),
        board.total(Status::DueSoon),
        board.total(Status::Overdue)
    );
    for r in &board.rows {
        let light = match r.standing.status {
            Status::Done => "完成",
            Status::Upcoming => "绿",
            Status::DueSoon => "黄",
            Status::Overdue => "红",
        };
        let (u, d, o) = (board.unit(r), board.deliverable(r), board.occurrence(r));
        let _ = writeln!(
            out,
            "{light}\t{}\t{}\t{}\t{}\t{} ({:+} d)",
            u.region, u.name, d.title, o.key, o.due_text, r.standing.days_left
        );
    }
    out
}
