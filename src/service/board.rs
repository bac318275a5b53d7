//! "What is due, and who is late?": the deadline board of a programme at an instant.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::board::{self, BoardRow, BoardUnit};
use crate::domain::{Key, RegionCode, Status};
use crate::store::{Store, StoreError, programmes::StoredProgramme};

/// Which rows to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Units inside this region (its own code included).
    pub region: Option<RegionCode>,
    pub status: Option<Status>,
    pub deliverable: Option<Key>,
}

/// A board row with the names a reader needs.
#[derive(Debug, Clone)]
pub struct Entry {
    pub row: BoardRow,
    pub unit_name: String,
    pub deliverable_title: String,
}

/// The board and its totals by status (over the filtered rows).
#[derive(Debug, Clone)]
pub struct Board {
    pub programme: StoredProgramme,
    pub as_of: DateTime<Utc>,
    pub entries: Vec<Entry>,
    pub totals: HashMap<Status, usize>,
}

pub async fn deadline_board(
    store: &Store,
    key: &Key,
    as_of: DateTime<Utc>,
    filter: &Filter,
) -> Result<Board, StoreError> {
    let programme = store.programme_required(key).await?;
    let (stages, deliverables, units, filings) = tokio::try_join!(
        store.stages(key),
        store.deliverables(key),
        store.units(key),
        store.filings(key),
    )?;
    let deliverables: Vec<_> = deliverables
        .into_iter()
        .filter(|d| filter.deliverable.as_ref().is_none_or(|k| &d.key == k))
        .collect();
    let expanded = board::expand(&deliverables, &stages)?;
    let in_region: Vec<_> = units
        .iter()
        .filter(|u| filter.region.as_ref().is_none_or(|r| u.path.contains(r)))
        .collect();
    let board_units: Vec<BoardUnit<'_>> = in_region
        .iter()
        .map(|u| BoardUnit {
            unit: &u.unit,
            files_directly: u.placement.files_directly,
        })
        .collect();
    let rows = board::board(&expanded, &board_units, &filings, as_of, |_, s| {
        filter.status.is_none_or(|want| want == s)
    });
    let names: HashMap<&RegionCode, &str> = in_region
        .iter()
        .map(|u| (&u.unit.region, u.name.as_str()))
        .collect();
    let titles: HashMap<&Key, &str> = deliverables
        .iter()
        .map(|d| (&d.key, d.title.as_str()))
        .collect();
    let mut totals = HashMap::new();
    let entries = rows
        .into_iter()
        .map(|row| {
            *totals.entry(row.standing.status).or_insert(0) += 1;
            Entry {
                unit_name: names.get(&row.unit).copied().unwrap_or_default().to_owned(),
                deliverable_title: titles
                    .get(&row.deliverable)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                row,
            }
        })
        .collect();
    Ok(Board {
        programme,
        as_of,
        entries,
        totals,
    })
}

/// The board as a terminal table (the `deadlines` command).
pub fn render_text(board: &Board) -> String {
    use std::fmt::Write;
    let p = &board.programme.programme;
    let mut out = String::new();
    let local = board.as_of.with_timezone(&chrono_tz::Asia::Shanghai);
    let _ = writeln!(
        out,
        "{}（{}） as of {}",
        p.title,
        p.key,
        local.format("%Y-%m-%d %H:%M %Z")
    );
    let n = |s: Status| board.totals.get(&s).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "done {}  upcoming {}  due soon {}  overdue {}",
        n(Status::Done),
        n(Status::Upcoming),
        n(Status::DueSoon),
        n(Status::Overdue)
    );
    for e in &board.entries {
        let light = match e.row.standing.status {
            Status::Done => "完成",
            Status::Upcoming => "绿",
            Status::DueSoon => "黄",
            Status::Overdue => "红",
        };
        let _ = writeln!(
            out,
            "{light}\t{}\t{}\t{}\t{}\t{} ({:+} d)",
            e.row.unit,
            e.unit_name,
            e.deliverable_title,
            e.row.occurrence,
            e.row.due_text,
            e.row.standing.days_left
        );
    }
    out
}
