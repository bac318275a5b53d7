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

/// Builds the board at `now` for the units `only` names (indices into `units`, which are in
/// region-code order; all of them when None), keeping only rows whose status `keep` accepts.
/// Units left out cost nothing; a unit named twice is decided once. Rows come ordered by due day, then unit code, deliverable key
/// and occurrence key — produced in that order, not sorted afterwards: a national board has
/// half a million rows, and sorting them by their strings cost more than deciding them.
pub fn board(
    expanded: &[Expanded],
    units: &[BoardUnit],
    only: Option<&[usize]>,
    filings: &Filings,
    now: DateTime<Utc>,
    keep: impl Fn(Status) -> bool,
) -> Vec<BoardLine> {
    let now = Now::new(now);
    // Every deadline of the plan, in board order within a unit: due day, deliverable key,
    // occurrence key.
    let mut slots: Vec<(usize, usize)> =
        expanded.iter().enumerate().flat_map(|(di, e)| (0..e.occurrences.len()).map(move |oi| (di, oi))).collect();
    let order = |&(di, oi): &(usize, usize)| {
        let e = &expanded[di];
        (e.occurrences[oi].due_on, &e.deliverable.key, e.occurrences[oi].key.as_str())
    };
    slots.sort_by(|a, b| order(a).cmp(&order(b)));
    let slot_of: HashMap<(&Key, &str), usize> = slots
        .iter()
        .enumerate()
        .map(|(s, &(di, oi))| ((&expanded[di].deliverable.key, expanded[di].occurrences[oi].key.as_str()), s))
        .collect();
    let mut chosen: Vec<usize> = match only {
        Some(list) => list.iter().copied().filter(|&i| i < units.len()).collect(),
        None => (0..units.len()).collect(),
    };
    // In code order, each unit once (however often `only` names it).
    if !chosen.is_sorted_by(|&a, &b| units[a].region < units[b].region) {
        chosen.sort_by(|&a, &b| units[a].region.cmp(&units[b].region));
        chosen.dedup();
    }
    // The chosen units' first submissions, one cell per (unit, slot); the first listed wins.
    let width = slots.len();
    let mut filed_at: Vec<Option<DateTime<Utc>>> = vec![None; chosen.len() * width];
    for (ci, &ui) in chosen.iter().enumerate() {
        for (d, occ, at) in filings.get(&units[ui].region).map(Vec::as_slice).unwrap_or_default() {
            if let Some(&s) = slot_of.get(&(d, occ.as_str())) {
                filed_at[ci * width + s].get_or_insert(*at);
            }
        }
    }
    // How each deadline stands for a unit that has not filed it depends on the deadline only;
    // a unit's filing can only make it done.
    let unfiled: Vec<Standing> = slots
        .iter()
        .map(|&(di, oi)| {
            let e = &expanded[di];
            assess_at(e.occurrences[oi].due_on, e.due_at[oi], None, now)
        })
        .collect();
    let mut rows = Vec::with_capacity(chosen.len() * width);
    let mut start = 0;
    while start < width {
        // The slots due on one day, for every unit in code order.
        let day = order(&slots[start]).0;
        let end = start + slots[start..].iter().take_while(|s| order(s).0 == day).count();
        for (ci, &ui) in chosen.iter().enumerate() {
            let u = &units[ui];
            for (s, &(di, oi)) in slots.iter().enumerate().take(end).skip(start) {
                let e = &expanded[di];
                if e.deliverable.audience == Audience::Demonstration && !u.demonstration {
                    continue;
                }
                let filed = filed_at[ci * width + s];
                let standing = match filed {
                    Some(t) if t <= now.instant => Standing { status: Status::Done, ..unfiled[s] },
                    _ => unfiled[s],
                };
                if keep(standing.status) {
                    rows.push(BoardLine { unit: ui, deliverable: di, occurrence: oi, standing, filed_at: filed });
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
            /// filings, and an unordered or repeating choice of units included.
            #[test]
            fn rows_come_as_deciding_every_row_and_sorting_gives(
                plan_day in 20u32..=31,
                due_day in 20u32..=28,
                demo in proptest::collection::vec(any::<bool>(), 6),
                filed in proptest::collection::vec((0usize..6, 0usize..4, 0usize..6, 0i64..200), 0..40),
                only in proptest::option::of(proptest::collection::vec(0usize..8, 0..10)),
                now_day in 0i64..200,
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
                let got = board(&expanded, &units, only.as_deref(), &filings, now, |_| true);
                let want = sorted_board(&expanded, &units, only.as_deref(), &filings, now);
                prop_assert_eq!(got, want);
            }
        }
    }
}
