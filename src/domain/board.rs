//! The deadline board: every unit × deliverable × occurrence of a programme, with its traffic
//! light at an instant. Pure: the store hands in the rows, this decides.
//!
//! A national programme has tens of thousands of rows, so a row holds indices into the units and
//! deliverables it was built from rather than copies of their names.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::deadline::{Now, Occurrence, Standing, Status, assess_at, due_instant, local_day};
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
    /// The first submission, if made by the board's instant.
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

/// Part of a day between two first submissions of a board's units: `since` (the latest at or
/// before the instant it was taken at, included) to `until` (the earliest after, excluded). A
/// board of those units is the same at every instant of it: a submission counts from its
/// instant, and a deadline is missed at a midnight. What lets a rendered page be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch {
    pub day: NaiveDate,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Stretch {
    /// `at` lies in this stretch.
    pub fn holds(&self, at: DateTime<Utc>) -> bool {
        local_day(at) == self.day && self.since.is_none_or(|s| s <= at) && self.until.is_none_or(|u| at < u)
    }
}

/// The plan's deadlines in the order a unit's rows take — due day, deliverable key, occurrence
/// key — as (deliverable, occurrence) indices into `expanded`.
fn slots_in_order(expanded: &[Expanded]) -> Vec<(usize, usize)> {
    let mut slots: Vec<(usize, usize)> =
        expanded.iter().enumerate().flat_map(|(di, e)| (0..e.occurrences.len()).map(move |oi| (di, oi))).collect();
    slots.sort_by(|&(da, oa), &(db, ob)| {
        let (a, b) = (&expanded[da], &expanded[db]);
        (a.occurrences[oa].due_on, &a.deliverable.key, &a.occurrences[oa].key).cmp(&(
            b.occurrences[ob].due_on,
            &b.deliverable.key,
            &b.occurrences[ob].key,
        ))
    });
    slots
}

/// A programme's first submissions laid out for its boards: one cell per unit (in the order of
/// the units it was laid out for) and deadline (in board order). Laid out once per change of the
/// parts and kept up to date by each change of a first submission ([`Layout::set`]), so a board
/// of half a million rows reads its cells in order instead of looking every unit's filings up
/// by name on every request.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    slots: Vec<(usize, usize)>,
    /// Deliverable key → occurrence key → slot.
    slot_of: HashMap<String, HashMap<String, usize>>,
    unit_of: HashMap<RegionCode, usize>,
    cells: Vec<Option<DateTime<Utc>>>,
}

impl Layout {
    /// `units` and `expanded` are the board's parts; filings of deadlines or units they do not
    /// have are left out. Of two filings of one deadline the first listed wins.
    pub fn new(expanded: &[Expanded], units: &[BoardUnit], filings: &Filings) -> Self {
        let slots = slots_in_order(expanded);
        let mut slot_of: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (s, &(di, oi)) in slots.iter().enumerate() {
            let e = &expanded[di];
            slot_of.entry(e.deliverable.key.to_string()).or_default().insert(e.occurrences[oi].key.clone(), s);
        }
        let unit_of = units.iter().enumerate().map(|(i, u)| (u.region.clone(), i)).collect();
        let mut layout = Self { cells: vec![None; units.len() * slots.len()], slots, slot_of, unit_of };
        for (ui, u) in units.iter().enumerate() {
            for (d, occ, at) in filings.get(&u.region).map(Vec::as_slice).unwrap_or_default() {
                if let Some(cell) = layout.cell(ui, d.as_str(), occ) {
                    layout.cells[cell].get_or_insert(*at);
                }
            }
        }
        layout
    }

    /// Of the first submissions of `units` (indices into the units it was laid out for), the
    /// latest at or before `at` and the earliest after it, with `at`'s day: the stretch in which
    /// a board of these units is the board at `at` (see [`Stretch`]).
    pub fn stretch_around(&self, units: &[usize], at: DateTime<Utc>) -> Stretch {
        let width = self.slots.len();
        let (mut since, mut until) = (None, None);
        for &u in units {
            for &t in self.cells.get(u * width..(u + 1) * width).unwrap_or_default().iter().flatten() {
                if t <= at {
                    since = since.max(Some(t));
                } else if until.is_none_or(|a| t < a) {
                    until = Some(t);
                }
            }
        }
        Stretch { day: local_day(at), since, until }
    }

    fn cell(&self, unit: usize, deliverable: &str, occurrence: &str) -> Option<usize> {
        let slot = *self.slot_of.get(deliverable)?.get(occurrence)?;
        Some(unit * self.slots.len() + slot)
    }

    /// A unit's first submission of one deadline becomes `at` (none: it has none). A unit or a
    /// deadline the parts do not have changes nothing.
    pub fn set(&mut self, unit: &RegionCode, deliverable: &str, occurrence: &str, at: Option<DateTime<Utc>>) {
        if let Some(&ui) = self.unit_of.get(unit)
            && let Some(cell) = self.cell(ui, deliverable, occurrence)
        {
            self.cells[cell] = at;
        }
    }

    /// Whether it was laid out for these parts (as many units and deadlines).
    fn fits(&self, expanded: &[Expanded], units: &[BoardUnit]) -> bool {
        self.unit_of.len() == units.len()
            && self.slots.len() == expanded.iter().map(|e| e.occurrences.len()).sum::<usize>()
            && self.cells.len() == units.len() * self.slots.len()
    }
}

/// Builds the board at `now` for the units `only` names (indices into `units`, which are in
/// region-code order; all of them when None), keeping only rows of `deliverable` (all when None)
/// whose status `keep` accepts; `first` holds the first submissions, laid out for these parts.
/// Units left out cost nothing; a unit named twice is decided once. Rows come ordered by due
/// day, then unit code, deliverable key and occurrence key — produced in that order, not sorted
/// afterwards: a national board has half a million rows, and sorting them by their strings cost
/// more than deciding them.
pub fn board(
    expanded: &[Expanded],
    units: &[BoardUnit],
    only: Option<&[usize]>,
    deliverable: Option<&Key>,
    first: &Layout,
    now: DateTime<Utc>,
    keep: impl Fn(Status) -> bool,
) -> Vec<BoardLine> {
    debug_assert!(first.fits(expanded, units), "the layout was made for other parts");
    let now = Now::new(now);
    let slots = &first.slots;
    let width = slots.len();
    let mut chosen: Vec<usize> = match only {
        Some(list) => list.iter().copied().filter(|&i| i < units.len()).collect(),
        None => (0..units.len()).collect(),
    };
    // In code order, each unit once (however often `only` names it).
    if !chosen.is_sorted_by(|&a, &b| units[a].region < units[b].region) {
        chosen.sort_by(|&a, &b| units[a].region.cmp(&units[b].region));
        chosen.dedup();
    }
    // How each deadline stands for a unit that has not filed it depends on the deadline only;
    // a unit's filing can only make it done. None: a deliverable not asked for.
    let unfiled: Vec<Option<Standing>> = slots
        .iter()
        .map(|&(di, oi)| {
            let e = &expanded[di];
            deliverable
                .is_none_or(|k| &e.deliverable.key == k)
                .then(|| assess_at(e.occurrences[oi].due_on, e.due_at[oi], None, now))
        })
        .collect();
    let due_on = |s: usize| expanded[slots[s].0].occurrences[slots[s].1].due_on;
    let mut rows = Vec::with_capacity(if deliverable.is_some() { chosen.len() } else { chosen.len() * width });
    let mut start = 0;
    while start < width {
        // The slots due on one day, for every unit in code order.
        let day = due_on(start);
        let end = start + (start..width).take_while(|&s| due_on(s) == day).count();
        if unfiled[start..end].iter().all(Option::is_none) {
            start = end;
            continue;
        }
        for &ui in &chosen {
            let u = &units[ui];
            let cells = &first.cells[ui * width..(ui + 1) * width];
            for s in start..end {
                let Some(unfiled) = unfiled[s] else { continue };
                let (di, oi) = slots[s];
                if expanded[di].deliverable.audience == Audience::Demonstration && !u.demonstration {
                    continue;
                }
                let filed = cells[s];
                let standing = match filed {
                    Some(t) if t <= now.instant => Standing { status: Status::Done, ..unfiled },
                    _ => unfiled,
                };
                if keep(standing.status) {
                    // A submission after the board's instant is not shown: the replay of a past
                    // instant shows what was known then.
                    let filed_at = filed.filter(|t| *t <= now.instant);
                    rows.push(BoardLine { unit: ui, deliverable: di, occurrence: oi, standing, filed_at });
                }
            }
        }
        start = end;
    }
    rows
}

/// One region's part of a board, one level below the viewer's region (a province's cities, a
/// city's counties): how many of its units are overdue, its red and yellow deadlines, and of the
/// deadlines due (or already submitted) how many were first submitted on time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTally {
    pub region: RegionCode,
    pub units: usize,
    pub units_overdue: usize,
    pub red: usize,
    pub yellow: usize,
    pub due: usize,
    pub on_time: usize,
}

impl GroupTally {
    /// On-time rate in per mille; none while nothing was due.
    pub fn on_time_permille(&self) -> Option<u32> {
        (self.due > 0).then(|| (self.on_time * 1000 / self.due) as u32)
    }
}

/// The board's rows tallied by the region one level below `under` on each unit's path (the unit
/// itself when it sits right below), in code order. Units outside `under` are left out.
pub fn tally_by_group(
    rows: &[BoardLine],
    units: &[BoardUnit],
    expanded: &[Expanded],
    under: &RegionCode,
    now: DateTime<Utc>,
) -> Vec<GroupTally> {
    let group_of = |u: &BoardUnit| -> Option<RegionCode> {
        let at = u.path.iter().position(|r| r == under)?;
        u.path.get(at + 1).cloned()
    };
    let mut groups: std::collections::BTreeMap<RegionCode, (GroupTally, std::collections::HashSet<usize>)> =
        Default::default();
    for u in units {
        if let Some(g) = group_of(u) {
            let entry = groups.entry(g.clone()).or_insert_with(|| {
                let t = GroupTally { region: g, units: 0, units_overdue: 0, red: 0, yellow: 0, due: 0, on_time: 0 };
                (t, Default::default())
            });
            entry.0.units += 1;
        }
    }
    for r in rows {
        let Some(g) = group_of(&units[r.unit]) else { continue };
        let Some((t, overdue)) = groups.get_mut(&g) else { continue };
        match r.standing.status {
            Status::Overdue => {
                t.red += 1;
                overdue.insert(r.unit);
            }
            Status::DueSoon => t.yellow += 1,
            _ => {}
        }
        // Counted as the compliance matrix counts (`compliance::Tally`): a deadline is due once
        // its day has passed or it was submitted, and met on time when first submitted by then.
        let due_at = expanded[r.deliverable].due_at[r.occurrence];
        let filed = r.filed_at.filter(|f| *f <= now);
        if due_at <= now || filed.is_some() {
            t.due += 1;
        }
        if filed.is_some_and(|f| f < due_at) {
            t.on_time += 1;
        }
    }
    groups
        .into_values()
        .map(|(mut t, overdue)| {
            t.units_overdue = overdue.len();
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> RegionCode {
        RegionCode::parse(c).unwrap()
    }

    fn unit(c: &str) -> BoardUnit {
        let path = [code("350000"), code(&format!("{}00", &c[..4])), code(c)].into();
        BoardUnit { region: code(c), name: c.into(), path, demonstration: false, files_directly: false }
    }

    #[test]
    fn a_province_sees_its_cities_tallied() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let due = at("2022-09-20T16:00:00Z"); // the end of 2022-09-20 in Beijing
        let e = Expanded {
            deliverable: serde_json::from_value(serde_json::json!({
                "key": "plan", "title": "方案", "description": "", "stage": null,
                "deadline": {"kind": "fixed", "due": "2022年9月20日前"}, "route": [], "audience": "all"
            }))
            .unwrap(),
            occurrences: vec![],
            due_at: vec![due, at("2022-10-03T16:00:00Z")],
            route: vec![],
            direct_route: vec![],
        };
        let units = vec![unit("350103"), unit("350121"), unit("350203")];
        let line = |u, o, status, filed: Option<&str>| BoardLine {
            unit: u,
            deliverable: 0,
            occurrence: o,
            standing: Standing { status, days_left: 0 },
            filed_at: filed.map(at),
        };
        let rows = vec![
            line(0, 0, Status::Done, Some("2022-09-15T02:00:00Z")), // 台江 on time
            line(1, 0, Status::Done, Some("2022-09-23T02:00:00Z")), // 闽侯 late
            line(2, 0, Status::Overdue, None),                      // 思明 missing
            line(0, 1, Status::DueSoon, None),
            line(2, 1, Status::DueSoon, None),
            line(1, 1, Status::Done, Some("2022-09-30T02:00:00Z")), // 闽侯 early: due, and on time
        ];
        let now = at("2022-10-01T02:00:00Z");
        let e = [e];
        let t = tally_by_group(&rows, &units, &e, &code("350000"), now);
        assert_eq!(t.iter().map(|g| g.region.as_str()).collect::<Vec<_>>(), ["350100", "350200"]);
        let (fz, xm) = (&t[0], &t[1]);
        assert_eq!((fz.units, fz.units_overdue, fz.red, fz.yellow, fz.due, fz.on_time), (2, 0, 0, 1, 3, 2));
        assert_eq!(fz.on_time_permille(), Some(666));
        assert_eq!((xm.units, xm.units_overdue, xm.red, xm.yellow, xm.due, xm.on_time), (1, 1, 1, 1, 1, 0));
        // A city sees its counties; a county outside it is left out.
        let t = tally_by_group(&rows, &units, &e, &code("350100"), now);
        assert_eq!(t.iter().map(|g| g.region.as_str()).collect::<Vec<_>>(), ["350103", "350121"]);
    }

    mod order {
        use super::super::*;
        use crate::domain::deadline::{Every, MonthDay};
        use crate::domain::{DeadlineSpec, DocDate, YearMonth};
        use proptest::prelude::*;

        fn deliverable(key: &str, deadline: DeadlineSpec, audience: Audience) -> Deliverable {
            Deliverable {
                key: Key::parse(key).unwrap(),
                title: key.into(),
                description: None,
                stage: None,
                deadline,
                route: vec![],
                audience,
            }
        }

        /// The board as first written (each chosen unit once): every row decided, then sorted by
        /// due day, unit code, deliverable key and occurrence key.
        fn sorted_board(
            expanded: &[Expanded],
            units: &[BoardUnit],
            only: Option<&[usize]>,
            filings: &Filings,
            now: DateTime<Utc>,
        ) -> Vec<BoardLine> {
            let now = Now::new(now);
            let mut chosen: Vec<usize> = only.map_or_else(|| (0..units.len()).collect(), <[usize]>::to_vec);
            chosen.sort();
            chosen.dedup();
            let mut rows = Vec::new();
            for &ui in &chosen {
                let Some(u) = units.get(ui) else { continue };
                let filed = filings.get(&u.region).map(Vec::as_slice).unwrap_or_default();
                for (di, e) in expanded.iter().enumerate() {
                    if e.deliverable.audience == Audience::Demonstration && !u.demonstration {
                        continue;
                    }
                    for (oi, o) in e.occurrences.iter().enumerate() {
                        let filed_at = filed
                            .iter()
                            .find(|(d, occ, _)| d == &e.deliverable.key && occ == &o.key)
                            .map(|(_, _, at)| *at);
                        let standing = assess_at(o.due_on, e.due_at[oi], filed_at, now);
                        let filed_at = filed_at.filter(|t| *t <= now.instant);
                        rows.push(BoardLine { unit: ui, deliverable: di, occurrence: oi, standing, filed_at });
                    }
                }
            }
            rows.sort_by(|a, b| {
                let key = |r: &BoardLine| {
                    let e = &expanded[r.deliverable];
                    let o = &e.occurrences[r.occurrence];
                    (o.due_on, &units[r.unit].region, &e.deliverable.key, &o.key)
                };
                key(a).cmp(&key(b))
            });
            rows
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]
            /// Rows produced in board order are exactly the rows a sort would give, ties of one
            /// due day across deliverables, demonstration-only deadlines, repeated and unknown
            /// filings, and an unordered or repeating choice of units included; one
            /// deliverable's board is its rows of the whole; and a layout kept up to date change
            /// by change equals one laid out afresh.
            #[test]
            fn rows_come_as_deciding_every_row_and_sorting_gives(
                plan_day in 20u32..=31,
                due_day in 20u32..=28,
                demo in proptest::collection::vec(any::<bool>(), 6),
                filed in proptest::collection::vec((0usize..6, 0usize..4, 0usize..6, 0i64..200), 0..40),
                only in proptest::option::of(proptest::collection::vec(0usize..8, 0..10)),
                now_day in 0i64..200,
                changes in proptest::collection::vec((0usize..6, 0usize..3, 0usize..6, proptest::option::of(0i64..200)), 0..12),
            ) {
                let deliverables = vec![
                    deliverable("plan", DeadlineSpec::Fixed { due: DocDate::parse(&format!("2026年3月{plan_day}日前")).unwrap() }, Audience::All),
                    deliverable("monthly", DeadlineSpec::Recurring {
                        every: Every::Month,
                        from: YearMonth::parse("2026-02").unwrap(),
                        to: YearMonth::parse("2026-06").unwrap(),
                        opens_day: None,
                        due_day: MonthDay::Day(due_day),
                        text: None,
                    }, Audience::All),
                    deliverable("case", DeadlineSpec::Fixed { due: DocDate::parse("2026年4月25日前").unwrap() }, Audience::Demonstration),
                ];
                let expanded = expand(deliverables, &[]).unwrap();
                let codes = ["350102", "350103", "350121", "350203", "350205", "350322"];
                let units: Vec<BoardUnit> = codes
                    .iter()
                    .zip(&demo)
                    .map(|(c, d)| BoardUnit { demonstration: *d, ..super::unit(c) })
                    .collect();
                let start = DateTime::parse_from_rfc3339("2026-01-20T02:00:00Z").unwrap().with_timezone(&Utc);
                let mut filings: Filings = HashMap::new();
                for (u, d, o, day) in filed {
                    let (key, occurrence) = match expanded.get(d) {
                        Some(e) => (e.deliverable.key.clone(), e.occurrences[o % e.occurrences.len()].key.clone()),
                        None => (Key::parse("unknown").unwrap(), "once".to_owned()),
                    };
                    filings.entry(units[u].region.clone()).or_default().push((key, occurrence, start + chrono::Duration::days(day)));
                }
                let now = start + chrono::Duration::days(now_day);
                let first = Layout::new(&expanded, &units, &filings);
                let got = board(&expanded, &units, only.as_deref(), None, &first, now, |_| true);
                let want = sorted_board(&expanded, &units, only.as_deref(), &filings, now);
                prop_assert_eq!(&got, &want);
                // The same board at every instant of the day between the shown units' first
                // submissions around `now`; and none after `now` is shown.
                prop_assert!(got.iter().all(|r| r.filed_at.is_none_or(|t| t <= now)));
                let shown: Vec<usize> = only.clone().unwrap_or_else(|| (0..units.len()).collect());
                let stretch = first.stretch_around(&shown, now);
                let day_starts = due_instant(local_day(now) - chrono::Days::new(1));
                let day_ends = due_instant(local_day(now)) - chrono::Duration::seconds(1);
                let from = stretch.since.map_or(day_starts, |s| s.max(day_starts));
                let to = stretch.until.map_or(day_ends, |u| (u - chrono::Duration::seconds(1)).min(day_ends));
                for t in [from, to] {
                    prop_assert!(stretch.holds(t));
                    prop_assert_eq!(&board(&expanded, &units, only.as_deref(), None, &first, t, |_| true), &got, "at {}", t);
                }
                prop_assert!(!stretch.holds(day_ends + chrono::Duration::seconds(1)));
                // One deliverable's rows are its rows of the whole board.
                let plan = Key::parse("monthly").unwrap();
                let got = board(&expanded, &units, only.as_deref(), Some(&plan), &first, now, |_| true);
                let want: Vec<BoardLine> = want.into_iter().filter(|r| expanded[r.deliverable].deliverable.key == plan).collect();
                prop_assert_eq!(got, want);

                // Laid out again after changes, or kept up to date by them: the same layout.
                let mut kept = first.clone();
                for (u, d, o, day) in changes {
                    let e = &expanded[d % expanded.len()];
                    let occurrence = e.occurrences[o % e.occurrences.len()].key.clone();
                    let list = filings.entry(units[u].region.clone()).or_default();
                    list.retain(|(k, occ, _)| !(k == &e.deliverable.key && occ == &occurrence));
                    let at = day.map(|d| start + chrono::Duration::days(d));
                    if let Some(at) = at {
                        list.push((e.deliverable.key.clone(), occurrence.clone(), at));
                    }
                    kept.set(&units[u].region, e.deliverable.key.as_str(), &occurrence, at);
                }
                prop_assert_eq!(kept, Layout::new(&expanded, &units, &filings));
            }
        }
    }
}
