//! A programme's register of filings: for every deadline a unit has a filing for, that filing's
//! key, its state and its first submission — what the compliance matrix and the board page's
//! review marks read of a filing, and nothing else.
//!
//! The store keeps one per programme in memory and brings it up to date by the numbered changes
//! to filings (`store::board_cache`), so a whole national programme's matrix reads no filing
//! (a national year has half a million; reading their briefs took seconds). Deliverable and
//! occurrence keys are interned: a national year repeats a dozen of each half a million times,
//! and an entry is then two small numbers, a state, an instant and the filing's key.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::board::Filings;
use super::filing::{FilingBrief, FilingState};
use super::{Key, RegionCode};

/// A filing as the register holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen<'a> {
    pub key: &'a str,
    pub state: FilingState,
    pub first_submitted_at: Option<DateTime<Utc>>,
}

/// One deadline of a unit: a deliverable and an occurrence, as the register numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(u32, u32);

#[derive(Debug, Clone)]
struct Entry {
    slot: Slot,
    state: FilingState,
    first_submitted_at: Option<DateTime<Utc>>,
    key: Box<str>,
}

/// Interned keys: each distinct one numbered once, in the order first seen.
#[derive(Debug, Clone, Default)]
struct Names {
    number: HashMap<String, u32>,
    by_number: Vec<String>,
}

impl Names {
    fn get(&self, s: &str) -> Option<u32> {
        self.number.get(s).copied()
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(n) = self.get(s) {
            return n;
        }
        let n = u32::try_from(self.by_number.len()).expect("fewer than 2^32 distinct keys");
        self.number.insert(s.to_owned(), n);
        self.by_number.push(s.to_owned());
        n
    }
}

/// Every filing of a programme, by unit and deadline (at most one per deadline: the store's
/// `filing_deadline` index is unique).
#[derive(Debug, Clone, Default)]
pub struct Register {
    deliverables: Names,
    occurrences: Names,
    by_unit: HashMap<RegionCode, Vec<Entry>>,
    len: usize,
}

impl Register {
    pub fn new(briefs: impl IntoIterator<Item = FilingBrief>) -> Self {
        let mut r = Self::default();
        for b in briefs {
            r.set(b);
        }
        r
    }

    /// How many filings it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// About how many bytes it holds: its tables, entries and keys (the allocator's own overhead
    /// not counted). What the benchmark prints as the register's memory.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let names = |n: &Names| {
            n.number.capacity() * (size_of::<String>() + 4)
                + n.by_number.capacity() * size_of::<String>()
                + 2 * n.by_number.iter().map(String::len).sum::<usize>()
        };
        let units = self.by_unit.capacity() * (size_of::<RegionCode>() + size_of::<Vec<Entry>>());
        let lists: usize = self
            .by_unit
            .iter()
            .map(|(u, l)| {
                u.as_str().len() + l.capacity() * size_of::<Entry>() + l.iter().map(|e| e.key.len()).sum::<usize>()
            })
            .sum();
        names(&self.deliverables) + names(&self.occurrences) + units + lists
    }

    /// The filing of `brief`'s deadline is now `brief` (it replaces what the deadline had).
    pub fn set(&mut self, brief: FilingBrief) {
        let slot =
            Slot(self.deliverables.intern(brief.deliverable.as_str()), self.occurrences.intern(&brief.occurrence));
        let entry = Entry {
            slot,
            state: brief.state,
            first_submitted_at: brief.first_submitted_at,
            key: brief.key.into_boxed_str(),
        };
        let list = self.by_unit.entry(brief.unit).or_default();
        match list.iter_mut().find(|e| e.slot == slot) {
            Some(e) => *e = entry,
            None => {
                list.push(entry);
                self.len += 1;
            }
        }
    }

    /// The deadline has no filing any more (a filing deleted, or moved to another deadline).
    pub fn remove(&mut self, unit: &RegionCode, deliverable: &str, occurrence: &str) {
        let Some(slot) = self.slot(deliverable, occurrence) else { return };
        if let Some(list) = self.by_unit.get_mut(unit)
            && let Some(i) = list.iter().position(|e| e.slot == slot)
        {
            list.swap_remove(i);
            self.len -= 1;
            if list.is_empty() {
                self.by_unit.remove(unit);
            }
        }
    }

    /// How the register numbers a deadline; none when no filing was ever held for it (then no
    /// unit has one). Look it up once per column, then [`Register::at`] per unit.
    pub fn slot(&self, deliverable: &str, occurrence: &str) -> Option<Slot> {
        Some(Slot(self.deliverables.get(deliverable)?, self.occurrences.get(occurrence)?))
    }

    /// The unit's filing of a deadline numbered by [`Register::slot`].
    pub fn at(&self, unit: &RegionCode, slot: Slot) -> Option<Seen<'_>> {
        let e = self.by_unit.get(unit)?.iter().find(|e| e.slot == slot)?;
        Some(Seen { key: &e.key, state: e.state, first_submitted_at: e.first_submitted_at })
    }

    /// The unit's filing of a deadline.
    pub fn find(&self, unit: &RegionCode, deliverable: &str, occurrence: &str) -> Option<Seen<'_>> {
        self.at(unit, self.slot(deliverable, occurrence)?)
    }

    /// The filings of some deadlines as briefs, in (unit, deliverable, occurrence) order: what a
    /// month's scores read of its filings (the deadlines it judges).
    pub fn briefs_of(&self, deadlines: &[(&Key, &str)]) -> Vec<FilingBrief> {
        let wanted: Vec<(Slot, &Key, &str)> =
            deadlines.iter().filter_map(|&(d, o)| Some((self.slot(d.as_str(), o)?, d, o))).collect();
        let mut out: Vec<FilingBrief> = self
            .by_unit
            .iter()
            .flat_map(|(unit, list)| {
                list.iter().filter_map(|e| {
                    let &(_, d, o) = wanted.iter().find(|w| w.0 == e.slot)?;
                    Some(FilingBrief {
                        key: e.key.to_string(),
                        unit: unit.clone(),
                        deliverable: d.clone(),
                        occurrence: o.to_owned(),
                        state: e.state,
                        first_submitted_at: e.first_submitted_at,
                    })
                })
            })
            .collect();
        out.sort_by(|a, b| a.deadline().cmp(&b.deadline()));
        out
    }

    /// The first submissions, as the deadline board holds them.
    pub fn first_submissions(&self) -> Result<Filings, super::DomainError> {
        let (deliverables, occurrences) = (&self.deliverables.by_number, &self.occurrences.by_number);
        let mut out = Filings::new();
        for (unit, list) in &self.by_unit {
            let firsts: Vec<_> = list
                .iter()
                .filter_map(|e| {
                    let at = e.first_submitted_at?;
                    let d = Key::parse(&deliverables[e.slot.0 as usize]);
                    Some(d.map(|d| (d, occurrences[e.slot.1 as usize].to_owned(), at)))
                })
                .collect::<Result<_, _>>()?;
            if !firsts.is_empty() {
                out.insert(unit.clone(), firsts);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brief(key: &str, unit: &str, occurrence: &str, state: FilingState, first: Option<i64>) -> FilingBrief {
        FilingBrief {
            key: key.into(),
            unit: RegionCode::parse(unit).unwrap(),
            deliverable: Key::parse("monthly").unwrap(),
            occurrence: occurrence.into(),
            state,
            first_submitted_at: first.map(|s| DateTime::from_timestamp(1_767_000_000 + s, 0).unwrap()),
        }
    }

    #[test]
    fn a_deadline_holds_its_latest_filing_and_forgets_a_removed_one() {
        let unit = RegionCode::parse("350102").unwrap();
        let mut r = Register::new([
            brief("a", "350102", "2026-01", FilingState::Draft, None),
            brief("b", "350102", "2026-02", FilingState::Submitted, Some(10)),
            brief("c", "350103", "2026-02", FilingState::Filed, Some(20)),
        ]);
        assert_eq!(r.len(), 3);
        assert!(r.approx_bytes() > Register::default().approx_bytes() + 3 * std::mem::size_of::<Entry>());
        assert_eq!(r.find(&unit, "monthly", "2026-01").map(|s| (s.key, s.state)), Some(("a", FilingState::Draft)));
        // Submitted: the same deadline now holds the new state and first submission.
        r.set(brief("a", "350102", "2026-01", FilingState::Submitted, Some(30)));
        assert_eq!(r.len(), 3);
        let a = r.find(&unit, "monthly", "2026-01").unwrap();
        assert_eq!(
            (a.state, a.first_submitted_at.map(|t| t.timestamp())),
            (FilingState::Submitted, Some(1_767_000_030))
        );
        // Removed: the deadline has none; the others keep theirs.
        r.remove(&unit, "monthly", "2026-02");
        assert_eq!(r.find(&unit, "monthly", "2026-02"), None);
        assert_eq!(r.find(&RegionCode::parse("350103").unwrap(), "monthly", "2026-02").map(|s| s.key), Some("c"));
        assert_eq!(r.len(), 2);
        // Deadlines and units it never held a filing for.
        assert_eq!(r.slot("monthly", "2027-01"), None);
        assert_eq!(r.find(&RegionCode::parse("350104").unwrap(), "monthly", "2026-01"), None);
        r.remove(&RegionCode::parse("350104").unwrap(), "monthly", "2026-01");
        assert_eq!(r.len(), 2);
        // A month's deadlines as briefs, in unit order; a deadline never held gives none.
        let monthly = Key::parse("monthly").unwrap();
        let got = r.briefs_of(&[(&monthly, "2026-01"), (&monthly, "2027-01")]);
        assert_eq!(got.iter().map(|b| (b.key.as_str(), b.unit.as_str())).collect::<Vec<_>>(), [("a", "350102")]);
        r.set(brief("d", "350101", "2026-01", FilingState::Filed, Some(40)));
        let got = r.briefs_of(&[(&monthly, "2026-01")]);
        assert_eq!(got.iter().map(|b| b.key.as_str()).collect::<Vec<_>>(), ["d", "a"]);
        r.remove(&RegionCode::parse("350101").unwrap(), "monthly", "2026-01");
        // The board's first submissions: the filings submitted, nothing of the draft.
        let firsts = r.first_submissions().unwrap();
        assert_eq!(firsts.values().map(Vec::len).sum::<usize>(), 2);
        assert_eq!(firsts[&unit][0].1, "2026-01");
    }
}
