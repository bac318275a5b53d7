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
//! Between two first submissions of the units it shows, a board changes only with the day
//! (`Layout::stretch_around`): so a page's rows are kept beside the inputs they came from,
//! and the next request for an instant of the same stretch, with the same inputs, copies them.
//!
//! The bytes are the ones serde writes for `DeadlineBoard` (a test compares them on real boards).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::common::shanghai;
use super::deadlines::{StatusDto, Totals, head, totals};
use super::parts::RouteStepDto;
use super::rendered::json;
use crate::domain::board::{Layout, Stretch};
use crate::domain::calendar::Calendar;
use crate::domain::deadline::due_instant;
use crate::domain::{Key, RegionCode, Status};
use crate::service::board::{Board, Filter, Inputs};
use crate::store::BoardParts;
use crate::store::programmes::StoredProgramme;

/// Programmes kept; past this the memo starts again (re-rendering costs one board's rows).
const SLOTS: usize = 64;

/// Rendered rows kept for whole days, in bytes; past this the pages start again.
const PAGE_BYTES: usize = 16 << 20;

/// The pieces of each programme's rows, for the parts they were made from, and the rows of
/// pages already rendered, for the inputs and the day they were rendered for.
#[derive(Default)]
pub struct BoardJson {
    slots: Mutex<HashMap<String, Arc<Pieces>>>,
    pages: Mutex<Pages>,
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

/// Pages rendered, each for a stretch of a day (see `Layout::stretch_around`).
#[derive(Default)]
struct Pages {
    kept: HashMap<PageKey, Arc<Page>>,
    bytes: usize,
    served: u64,
}

/// What a request asked for, besides its viewer and instant.
#[derive(PartialEq, Eq, Hash)]
struct PageKey {
    programme: String,
    region: Option<RegionCode>,
    status: Option<Status>,
    deliverable: Option<Key>,
    offset: u64,
    limit: u64,
}

/// A page's rows and counts, and the inputs and stretch of a day they hold for (the shown units'
/// first submissions around the instant rendered, `Layout::stretch_around`). The inputs are held weakly
/// (compared by address, which a weak pointer keeps from being reused) so a page does not keep
/// an old programme's parts or first submissions alive. Weak pointers matter twice over: the
/// board cache applies a change to the first submissions in place (`Arc::make_mut`) when no
/// request holds them, and with a weak pointer outstanding `make_mut` moves them to a new
/// address, so a page kept from before the change no longer matches. A bare address would
/// match the changed layout and serve the old page.
struct Page {
    programme: Weak<StoredProgramme>,
    parts: Weak<BoardParts>,
    first: Weak<Layout>,
    calendar: Arc<Calendar>,
    shown: Vec<usize>,
    stretch: Stretch,
    totals: Totals,
    total: u64,
    /// The rows, comma-separated, without the brackets; shared by the responses that send them.
    rows: Bytes,
}

impl Page {
    fn holds_for(&self, inputs: &Inputs, as_of: DateTime<Utc>) -> bool {
        self.stretch.holds(as_of)
            && same(&self.programme, &inputs.programme)
            && same(&self.parts, &inputs.parts)
            && same(&self.first, &inputs.first)
            // The calendar is read again every `recent_ms`: the same holidays are as good.
            && (Arc::ptr_eq(&self.calendar, &inputs.calendar) || self.calendar == inputs.calendar)
            && self.shown == inputs.shown
    }

    /// Bytes it holds, roughly.
    fn size(&self) -> usize {
        self.rows.len() + self.shown.len() * size_of::<usize>()
    }
}

/// The weak pointer was made from this `Arc`.
fn same<T>(kept: &Weak<T>, now: &Arc<T>) -> bool {
    std::ptr::eq(kept.as_ptr(), Arc::as_ptr(now))
}

impl BoardJson {
    /// The body of the page `offset..offset + limit` of the board `inputs` give at `as_of`, in
    /// pieces to be sent in order (`Rendered::from_pieces`): the head, the rows, the close.
    ///
    /// Between two first submissions of the units shown, a board changes only with the day
    /// (`Layout::stretch_around`), so the page's rows are kept, and asked again for an
    /// instant of the same stretch with the same inputs they are copied instead of decided and
    /// rendered. Any change of the programme, its first submissions or the holidays gives new
    /// inputs.
    pub fn page_at(
        &self,
        inputs: &Inputs,
        as_of: DateTime<Utc>,
        filter: &Filter,
        offset: u64,
        limit: u64,
    ) -> Vec<Bytes> {
        let key = PageKey {
            programme: inputs.programme.programme.key.to_string(),
            region: filter.region.clone(),
            status: filter.status,
            deliverable: filter.deliverable.clone(),
            offset,
            limit,
        };
        let programme = &inputs.programme.programme;
        let kept = {
            let mut pages = self.pages();
            let found = pages.kept.get(&key).filter(|p| p.holds_for(inputs, as_of)).cloned();
            pages.served += u64::from(found.is_some());
            found
        };
        if let Some(p) = kept {
            return around(json(&head(programme, as_of, p.totals.clone(), p.total, offset, limit)), p.rows.clone());
        }
        let board = inputs.decide(as_of, filter);
        let rows = Bytes::from(self.rows(&board, offset, limit));
        let (totals, total) = (totals(&board), board.rows.len() as u64);
        let out = around(json(&head(programme, as_of, totals.clone(), total, offset, limit)), rows.clone());
        let page = Page {
            programme: Arc::downgrade(&inputs.programme),
            parts: Arc::downgrade(&inputs.parts),
            first: Arc::downgrade(&inputs.first),
            calendar: inputs.calendar.clone(),
            shown: inputs.shown.clone(),
            stretch: inputs.first.stretch_around(&inputs.shown, as_of),
            totals,
            total,
            rows,
        };
        let size = page.size();
        let mut pages = self.pages();
        if pages.bytes + size > PAGE_BYTES {
            pages.kept.clear();
            pages.bytes = 0;
        }
        pages.bytes += size;
        if let Some(old) = pages.kept.insert(key, Arc::new(page)) {
            pages.bytes -= old.size();
        }
        out
    }

    /// Pages answered from the rows kept: how the tests see the memo used.
    pub fn pages_served_kept(&self) -> u64 {
        self.pages().served
    }

    /// The body of `board`'s page `offset..offset + limit`.
    #[cfg(test)]
    pub fn page(&self, board: &Board, offset: u64, limit: u64) -> Vec<u8> {
        let head = head(&board.programme.programme, board.as_of, totals(board), board.rows.len() as u64, offset, limit);
        around(json(&head), self.rows(board, offset, limit).into()).concat()
    }

    /// The rows of `board`'s page, comma-separated.
    fn rows(&self, board: &Board, offset: u64, limit: u64) -> Vec<u8> {
        let pieces = self.pieces(board);
        let window = board.rows.iter().skip(offset as usize).take(limit as usize);
        let mut out = Vec::with_capacity(window.len() * 360);
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

    fn pages(&self) -> std::sync::MutexGuard<'_, Pages> {
        // Likewise: a page is inserted whole, and the byte count only steers when to start again.
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A page in pieces: `head` (serde's rendering of the fields around no rows) opened at its
/// rows' bracket, the rows, and the close.
fn around(mut head: Vec<u8>, rows: Bytes) -> Vec<Bytes> {
    // `rows` is the last field, and strings are escaped, so `[]}` ends the bytes.
    debug_assert!(head.ends_with(br#""rows":[]}"#));
    head.truncate(head.len() - 2);
    vec![head.into(), rows, Bytes::from_static(b"]}")]
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

    /// A first submission of `row`'s deadline by its unit, made `at`.
    async fn submit(
        store: &Store,
        board: &Board,
        row: &crate::domain::board::BoardLine,
        name: &str,
        at: DateTime<Utc>,
    ) {
        let (u, o) = (board.unit(row), board.occurrence(row));
        let mut f = crate::domain::filing::Filing::draft(
            name.into(),
            board.programme.programme.key.clone(),
            u.region.clone(),
            u.path.clone(),
            board.deliverable(row).key.clone(),
            o.key.clone(),
            board.route(row).to_vec(),
            "报告",
            "",
            "lead",
        )
        .unwrap();
        f.submit(at).unwrap();
        store.insert_filing(&f, None, &Actor::system("test", at)).await.unwrap();
    }

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
            let u = whole.unit(&first).clone();
            let due = due_instant(whole.occurrence(&first).due_on);
            submit(&store, &whole, &first, &format!("{key}-test"), due - Duration::days(1)).await;
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

    /// A page kept is the page rendered afresh, and it is used only while it is: asked again the
    /// same day with the same inputs (kept), on the next day, after a first submission, for an
    /// instant before that submission (kept until it), by a viewer who sees fewer units, and
    /// with a status filter.
    #[tokio::test]
    async fn kept_pages_are_the_pages_rendered_afresh() {
        use crate::domain::access::Role;
        use crate::domain::region::RegionLevel;
        use crate::service::board::inputs;

        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        load_demo(&store, Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap()).await.unwrap();
        let key = crate::domain::Key::parse("fj-2022-reform-pilot").unwrap();
        let system = Principal::system_reader("test");
        let code = |c: &str| RegionCode::parse(c).unwrap();
        let city = Principal {
            username: "fz".into(),
            display_name: "福州市民政局".into(),
            role: Role::CityReviewer,
            region: code("350100"),
            region_level: RegionLevel::City,
            region_path: vec![code("000000"), code("350000"), code("350100")],
            must_change_password: false,
        };
        let memo = BoardJson::default();
        let all = Filter::default();
        // Asked of the memo, and of a memo that keeps nothing yet: the same bytes.
        let ask = async |viewer: &Principal, at, filter: &Filter, offset, limit| {
            let given = inputs(&store, &key, filter, viewer).await.unwrap();
            let page = String::from_utf8(memo.page_at(&given, at, filter, offset, limit).concat()).unwrap();
            let fresh =
                String::from_utf8(BoardJson::default().page_at(&given, at, filter, offset, limit).concat()).unwrap();
            assert!(page == fresh, "at {at} the page kept differs from the page rendered afresh");
            page
        };

        let at = Utc.with_ymd_and_hms(2023, 6, 10, 2, 0, 0).unwrap();
        let first = ask(&system, at, &all, 0, 500).await;
        assert_eq!(memo.pages_served_kept(), 0);
        // Later the same day: the rows kept, the instant in the head new.
        let later = ask(&system, at + Duration::hours(5), &all, 0, 500).await;
        assert_eq!(memo.pages_served_kept(), 1);
        assert_ne!(later, first);
        let instant = |t: &str| format!("\"as_of\":\"2023-06-10T{t}+08:00\"");
        assert_eq!(later.replacen(&instant("15:00:00"), &instant("10:00:00"), 1), first);
        // Another page of the same board is a page of its own.
        ask(&system, at, &all, 2, 3).await;
        assert_eq!(memo.pages_served_kept(), 1);
        // The next day: days left move.
        ask(&system, at + Duration::days(1), &all, 0, 500).await;
        assert_eq!(memo.pages_served_kept(), 1);
        ask(&system, at + Duration::days(1) + Duration::hours(1), &all, 0, 500).await;
        assert_eq!(memo.pages_served_kept(), 2);

        // A first submission an hour after `at`: new inputs, and a kept page ends at it.
        let board = deadline_board(&store, &key, at, &all, &system).await.unwrap();
        let row = *board.rows.iter().find(|r| r.filed_at.is_none()).expect("a deadline not yet filed");
        let filed = at + Duration::hours(1);
        submit(&store, &board, &row, "fj-2022-kept-page", filed).await;
        let shows = |page: &str| page.matches("\"filed_at\"").count();
        let after = ask(&system, filed + Duration::minutes(1), &all, 0, 500).await;
        assert_eq!(shows(&after), shows(&first) + 1);
        assert_eq!(memo.pages_served_kept(), 2);
        // Before it, on the same day: as it was (the submission not shown), and kept until it.
        let before = ask(&system, at, &all, 0, 500).await;
        assert_eq!(before, first);
        ask(&system, at + Duration::minutes(30), &all, 0, 500).await;
        assert_eq!(memo.pages_served_kept(), 3);
        ask(&system, filed, &all, 0, 500).await;
        assert_eq!(memo.pages_served_kept(), 3);
        ask(&system, filed + Duration::minutes(2), &all, 0, 500).await;
        assert_eq!(memo.pages_served_kept(), 4);

        // A city's reviewer asks the same question and sees only the city's units.
        let theirs = ask(&city, filed + Duration::minutes(3), &all, 0, 500).await;
        assert!(theirs.contains("\"unit\":\"350103\"") && !theirs.contains("\"unit\":\"350203\""), "{theirs}");
        assert_eq!(memo.pages_served_kept(), 4);
        // And a status filter is a page of its own.
        let red = Filter { status: Some(Status::Overdue), ..Filter::default() };
        let overdue = ask(&system, filed + Duration::minutes(3), &red, 0, 500).await;
        assert!(!overdue.contains("\"status\":\"done\""));
        assert_eq!(memo.pages_served_kept(), 4);
    }
}
