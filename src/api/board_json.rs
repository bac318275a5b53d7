//! The deadline board's rows rendered to JSON from pieces made once per programme revision.
//!
//! A row is mostly fixed: its unit's code and name, its deadline's deliverable, title, days and
//! route do not change until the programme's parts do. Only the traffic light, the days left,
//! the holiday mark and the first filing depend on the instant. Building each row's view (six
//! strings copied, a date-time formatted, a route converted) and serialising it was most of a
//! board request's cost once the decisions were in memory: a city of a national township
//! programme returns 500 rows (about 175 KB). So the fixed pieces are rendered once, beside the
//! parts they came from, and a row is those pieces copied around its few changing fields.
//!
//! The bytes are the ones serde writes for `DeadlineBoard` (a test compares them on real boards).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use super::common::shanghai;
use super::deadlines::{StatusDto, head};
use super::parts::RouteStepDto;
use super::rendered::json;
use crate::domain::deadline::due_instant;
use crate::service::board::Board;
use crate::store::BoardParts;

/// Programmes kept; past this the memo starts again (re-rendering costs one board's rows).
const SLOTS: usize = 64;

/// The pieces of each programme's rows, for the parts they were made from.
#[derive(Default)]
pub struct BoardJson {
    slots: Mutex<HashMap<String, Arc<Pieces>>>,
}

/// A programme's fixed pieces of JSON. Each is a run of fields with its commas, so a row is
/// `unit` `deadline.0` holiday `deadline.1` light `route`.
struct Pieces {
    parts: Arc<BoardParts>,
    /// Per unit, made when a board first shows it: `{"unit":…,"unit_name":…,`.
    units: Vec<OnceLock<Box<[u8]>>>,
    /// Per deliverable and occurrence: from `"deliverable"` to `"due_on_holiday":`, and from
    /// `,"due_at"` to the comma before `"status"`.
    deadlines: Vec<Vec<AroundHoliday>>,
    /// Per deliverable, through the levels above and filed directly: `"route":[…]}`.
    routes: Vec<[Box<[u8]>; 2]>,
}

/// A deadline's fixed fields before and after its holiday mark.
type AroundHoliday = (Box<[u8]>, Box<[u8]>);

impl BoardJson {
    /// The body of `board`'s page `offset..offset + limit`.
    pub fn page(&self, board: &Board, offset: u64, limit: u64) -> Vec<u8> {
        let pieces = self.pieces(board);
        let mut out = json(&head(board, offset, limit));
        // `rows` is the last field, and strings are escaped, so `[]}` ends the bytes.
        debug_assert!(out.ends_with(br#""rows":[]}"#));
        out.truncate(out.len() - 2);
        let window = board.rows.iter().skip(offset as usize).take(limit as usize);
        out.reserve(window.len() * 360 + 2);
        for (i, r) in window.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let (before, after) = &pieces.deadlines[r.deliverable][r.occurrence];
            out.extend_from_slice(pieces.unit(r.unit));
            out.extend_from_slice(before);
            let holiday = board.calendar.is_holiday(board.occurrence(r).due_on);
            out.extend_from_slice(if holiday { b"true" } else { b"false" });
            out.extend_from_slice(after);
            out.extend_from_slice(br#""status":"#);
            serde_json::to_writer(&mut out, &StatusDto::from(r.standing.status)).expect("an enum serialises");
            // Writing to a Vec cannot fail.
            let _ = write!(out, r#","days_left":{},"#, r.standing.days_left);
            if let Some(t) = r.filed_at {
                let _ = write!(out, r#""filed_at":"{}","#, shanghai(t).to_rfc3339());
            }
            let direct = board.unit(r).files_directly;
            out.extend_from_slice(&pieces.routes[r.deliverable][usize::from(direct)]);
        }
        out.extend_from_slice(b"]}");
        out
    }

    fn pieces(&self, board: &Board) -> Arc<Pieces> {
        let key = board.programme.programme.key.to_string();
        let found = self.lock().get(&key).filter(|p| Arc::ptr_eq(&p.parts, &board.parts)).cloned();
        if let Some(p) = found {
            return p;
        }
        let made = Arc::new(Pieces::new(board.parts.clone()));
        let mut slots = self.lock();
        if slots.len() >= SLOTS {
            slots.clear();
        }
        slots.insert(key, made.clone());
        made
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Pieces>>> {
        // The map holds only finished pieces, so one left by a panicking thread is whole.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `"name":` and the value as serde writes it.
fn field(out: &mut Vec<u8>, name: &str, value: &impl serde::Serialize) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    serde_json::to_writer(&mut *out, value).expect("plain data serialises");
}

impl Pieces {
    fn new(parts: Arc<BoardParts>) -> Self {
        let deadlines = parts
            .expanded
            .iter()
            .map(|e| {
                let d = &e.deliverable;
                e.occurrences
                    .iter()
                    .map(|o| {
                        let mut before = Vec::new();
                        field(&mut before, "deliverable", &d.key.as_str());
                        before.push(b',');
                        field(&mut before, "deliverable_title", &d.title);
                        before.push(b',');
                        field(&mut before, "occurrence", &o.key);
                        before.push(b',');
                        if let Some(opens) = o.opens_on {
                            field(&mut before, "opens_on", &opens);
                            before.push(b',');
                        }
                        field(&mut before, "due_on", &o.due_on);
                        before.push(b',');
                        field(&mut before, "due_text", &o.due_text);
                        before.extend_from_slice(br#","due_on_holiday":"#);
                        let mut after = Vec::new();
                        after.push(b',');
                        field(&mut after, "due_at", &shanghai(due_instant(o.due_on)).to_rfc3339());
                        after.push(b',');
                        (before.into_boxed_slice(), after.into_boxed_slice())
                    })
                    .collect()
            })
            .collect();
        let routes = parts
            .expanded
            .iter()
            .map(|e| {
                [&e.route, &e.direct_route].map(|steps| {
                    let mut out = Vec::new();
                    let dto: Vec<RouteStepDto> = steps.iter().map(Into::into).collect();
                    field(&mut out, "route", &dto);
                    out.push(b'}');
                    out.into_boxed_slice()
                })
            })
            .collect();
        let units = (0..parts.units.len()).map(|_| OnceLock::new()).collect();
        Self { parts, units, deadlines, routes }
    }

    fn unit(&self, i: usize) -> &[u8] {
        self.units[i].get_or_init(|| {
            let u = &self.parts.units[i];
            let mut out = vec![b'{'];
            field(&mut out, "unit", &u.region.as_str());
            out.push(b',');
            field(&mut out, "unit_name", &u.name);
            out.push(b',');
            out.into_boxed_slice()
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::domain::access::Principal;
    use crate::service::board::{Filter, deadline_board};
    use crate::service::import::{Imported, load_demo};
    use crate::store::{Store, StoreConfig, audit::Actor};

    /// The pieces give serde's very bytes for every seed programme's board, whole and paged, at
    /// instants around its deadlines: rows filed and not, windows that open, routes through the
    /// levels above and filed directly, holidays; and after a change of the parts, the new ones.
    #[tokio::test]
    async fn the_pieces_render_a_board_as_serde_does() {
        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        let loaded = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap();
        let viewer = Principal::system_reader("test");
        let memo = BoardJson::default();
        let (mut filed, mut opens, mut direct, mut holiday, mut boards) = (0, 0, 0, 0, 0);
        for imported in load_demo(&store, loaded).await.unwrap() {
            let Imported::Programme { key, .. } = imported else { continue };
            let all = Filter::default();
            let far = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
            let whole = deadline_board(&store, &key, far, &all, &viewer).await.unwrap();
            // A first submission a day before the first deadline of the first unit.
            let first = whole.rows[0];
            let (u, o) = (whole.unit(&first).clone(), whole.occurrence(&first).clone());
            let due = due_instant(o.due_on);
            let mut f = crate::domain::filing::Filing::draft(
                format!("{key}-test"),
                key.clone(),
                u.region.clone(),
                u.path.clone(),
                whole.deliverable(&first).key.clone(),
                o.key.clone(),
                whole.route(&first).to_vec(),
                "报告",
                "",
                "lead",
            )
            .unwrap();
            f.submit(due - Duration::days(1)).unwrap();
            store.insert_filing(&f, None, &Actor::system("test", due)).await.unwrap();
            let mut instants: Vec<_> = whole.expanded.iter().flat_map(|e| e.due_at.iter().copied()).collect();
            instants.sort();
            instants.dedup();
            for at in instants.iter().take(4).flat_map(|d| [*d - Duration::days(2), *d + Duration::hours(1)]) {
                let board = deadline_board(&store, &key, at, &all, &viewer).await.unwrap();
                for (offset, limit) in [(0, 500), (3, 7), (10_000, 5)] {
                    let pieces = memo.page(&board, offset, limit);
                    let view = json(&super::super::deadlines::view(&board, offset, limit));
                    assert_eq!(String::from_utf8(pieces).unwrap(), String::from_utf8(view).unwrap(), "{key} at {at}");
                }
                boards += 1;
                filed += board.rows.iter().filter(|r| r.filed_at.is_some()).count();
                opens += board.rows.iter().filter(|r| board.occurrence(r).opens_on.is_some()).count();
                direct += board.rows.iter().filter(|r| board.unit(r).files_directly).count();
                holiday += board.rows.iter().filter(|r| board.calendar.is_holiday(board.occurrence(r).due_on)).count();
            }
            // A unit's region renamed: its rows carry the new name at once.
            let region = store.region(&u.region).await.unwrap().unwrap();
            let renamed = format!("{}（新）", u.name);
            store.rename_region(&region, &renamed, &Actor::system("test", far)).await.unwrap();
            let board = deadline_board(&store, &key, far, &all, &viewer).await.unwrap();
            let page = String::from_utf8(memo.page(&board, 0, 500)).unwrap();
            assert!(page.contains(&renamed), "{key}: {renamed}");
            assert_eq!(page, String::from_utf8(json(&super::super::deadlines::view(&board, 0, 500))).unwrap());
        }
        assert!(
            boards >= 20 && filed > 0 && opens > 0 && direct > 0 && holiday > 0,
            "{boards} {filed} {opens} {direct} {holiday}"
        );
    }
}
