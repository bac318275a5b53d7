//! What the deadline board and the compliance matrix read on every request, kept in memory per
//! programme: the board's parts (stages, deliverables, units, and the units inside each region),
//! reused while the programme's revision is unchanged; its first submissions, and the register of
//! filings (domain::register) once a matrix asks, reused while the programme's filings counter is
//! unchanged and caught up by the changes in between otherwise.
//!
//! Every change to the parts bumps `programme.revision` in the same transaction; every write
//! that creates or deletes a filing, or changes its deadline, state or first submission, bumps
//! `board_stamp.filings` in the same transaction and writes the change under that number (an
//! event on the filing table, migrations 0014, 0016 and 0022, so every writer does); an event
//! copies the revision beside it. Each board reads that one record by id first, so a cached copy
//! is never served after a change — by this instance or any other sharing the database — and a
//! board costs one read by id plus the work on its region.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::programmes::StoredProgramme;
use super::{Store, StoreError};
use crate::domain::board::{BoardUnit, Expanded, Filings, Layout};
use crate::domain::filing::{FilingBrief, FilingState};
use crate::domain::register::Register;
use crate::domain::{Deliverable, Key, RegionCode, Stage};

/// What the board needs besides filings.
#[derive(Debug)]
pub struct BoardParts {
    pub stages: Vec<Stage>,
    pub deliverables: Vec<Deliverable>,
    pub units: Vec<BoardUnit>,
    /// Every deliverable expanded into its occurrences and routes (they depend on the parts
    /// only, not on the unit or the instant).
    pub expanded: Arc<Vec<Expanded>>,
    /// The units (indices into `units`, in order) inside each region their paths pass through,
    /// a unit's own region included: a region's board decides only these.
    pub by_region: HashMap<RegionCode, Vec<usize>>,
}

impl BoardParts {
    pub fn new(stages: Vec<Stage>, deliverables: Vec<Deliverable>, units: Vec<BoardUnit>) -> Result<Self, StoreError> {
        let expanded = Arc::new(crate::domain::board::expand(deliverables.clone(), &stages)?);
        let mut by_region: HashMap<RegionCode, Vec<usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            for code in u.path.iter().chain(std::iter::once(&u.region)) {
                let list = by_region.entry(code.clone()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        Ok(Self { stages, deliverables, units, expanded, by_region })
    }

    /// The units inside `region` (its own code included), in order.
    pub fn units_in(&self, region: &RegionCode) -> &[usize] {
        self.by_region.get(region).map(Vec::as_slice).unwrap_or_default()
    }
}

/// The programme and its parts by key, with the revision they were read at.
type ByProgramme = HashMap<Key, (i64, Arc<StoredProgramme>, Arc<BoardParts>)>;

#[derive(Default, Clone)]
pub(super) struct PartsCache(Arc<Mutex<ByProgramme>>);

/// A programme's filings in memory: its first submissions as read (for the reminder job), laid
/// out for its boards once a board asks (for the parts at `layout`'s revision), and its register
/// once a compliance matrix asks. All are at `stamp`, the filings counter read before them: every
/// change applied to one is applied to the others.
struct FirstSubmissions {
    stamp: i64,
    filings: Arc<Filings>,
    layout: Option<(i64, Arc<Layout>)>,
    register: Option<Arc<Register>>,
}

type FilingsByProgramme = HashMap<Key, FirstSubmissions>;

#[derive(Default, Clone)]
pub(super) struct FilingsCache(Arc<Mutex<FilingsByProgramme>>);

impl Store {
    /// The programme (read fresh) and its board parts (from memory when the revision matches).
    pub async fn board_parts(&self, key: &Key) -> Result<(StoredProgramme, Arc<BoardParts>), StoreError> {
        let programme = self.programme_required(key).await?;
        let (_, parts) = self.parts_at(key, programme.revision).await?;
        Ok((programme, parts))
    }

    /// Everything a board reads, for one read by record id while nothing changed: the
    /// programme's board stamp (its revision and its filings counter, migration 0014); the
    /// programme, its parts and its first submissions laid out for them from memory when those
    /// counters match (the layout is made once per change of the parts and kept up to date by
    /// the changes of first submissions).
    pub async fn board_inputs(
        &self,
        key: &Key,
    ) -> Result<(Arc<StoredProgramme>, Arc<BoardParts>, Arc<Layout>), StoreError> {
        #[derive(serde::Deserialize, Default)]
        struct Stamp {
            #[serde(default)]
            revision: i64,
            #[serde(default)]
            filings: i64,
        }
        let out = self
            .query(
                "SELECT revision, filings FROM ONLY type::record('board_stamp', $k)",
                serde_json::json!({ "k": key.as_str() }),
            )
            .await?;
        let stamp: Stamp = out.into_iter().next().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
        // No revision on the stamp (a programme not written since, or none): read it by key.
        let revision = match stamp.revision {
            0 => self.programme_required(key).await?.revision,
            r => r,
        };
        let stamp = stamp.filings;
        let ((programme, parts), filings) =
            tokio::try_join!(self.parts_at(key, revision), self.filings_at(key, stamp))?;
        let revision = programme.revision;
        let laid_out = {
            let map = self.filings_cache.0.lock().expect("cache lock");
            map.get(key)
                .filter(|c| Arc::ptr_eq(&c.filings, &filings))
                .and_then(|c| c.layout.as_ref())
                .filter(|(rev, _)| *rev == revision)
                .map(|(_, l)| l.clone())
        };
        let layout = match laid_out {
            Some(l) => l,
            None => {
                let layout = Arc::new(Layout::new(&parts.expanded, &parts.units, &filings));
                // Kept only beside the very filings it was laid out from.
                let mut map = self.filings_cache.0.lock().expect("cache lock");
                if let Some(c) = map.get_mut(key)
                    && Arc::ptr_eq(&c.filings, &filings)
                {
                    c.layout = Some((revision, layout.clone()));
                }
                layout
            }
        };
        Ok((programme, parts, layout))
    }

    /// The programme and its parts at `revision` (read fresh when memory holds another).
    async fn parts_at(&self, key: &Key, revision: i64) -> Result<(Arc<StoredProgramme>, Arc<BoardParts>), StoreError> {
        let cached = {
            let map = self.parts_cache.0.lock().expect("cache lock");
            map.get(key).filter(|(rev, _, _)| *rev == revision).map(|(_, p, parts)| (p.clone(), parts.clone()))
        };
        if let Some(hit) = cached {
            return Ok(hit);
        }
        let programme = Arc::new(self.programme_required(key).await?);
        let (stages, deliverables, units) =
            tokio::try_join!(self.stages(key), self.deliverables(key), self.board_units(key, None))?;
        // The parts were read after the revision; if they changed in between, the revision did
        // too, so only store them under the revision they were read at when it still holds.
        let parts = Arc::new(BoardParts::new(stages, deliverables, units)?);
        let now = self.programme_required(key).await?;
        if now.revision == programme.revision {
            let mut map = self.parts_cache.0.lock().expect("cache lock");
            map.insert(key.clone(), (programme.revision, programme.clone(), parts.clone()));
        }
        Ok((programme, parts))
    }

    /// How many times the programme's first submissions have changed (0 before the first).
    pub async fn filing_stamp(&self, key: &Key) -> Result<i64, StoreError> {
        let out = self
            .query(
                "SELECT VALUE filings FROM ONLY type::record('board_stamp', $p)",
                serde_json::json!({ "p": key.as_str() }),
            )
            .await?;
        Ok(out.into_iter().next().and_then(|v| v.as_i64()).unwrap_or(0))
    }

    /// The programme's first submissions (from memory while its filing stamp is unchanged).
    pub async fn board_filings(&self, key: &Key) -> Result<Arc<Filings>, StoreError> {
        let stamp = self.filing_stamp(key).await?;
        self.filings_at(key, stamp).await
    }

    /// The first submissions as of `stamp`, read before calling: whatever is read now is at
    /// least as new as it, so keeping it under `stamp` is safe (a write in between bumped the
    /// stamp, and the next request catches up again). Memory a little behind catches up by the
    /// changes in between (migration 0016), applied in order; a change is "remove the deadline
    /// the filing stood for, then set where it stands now", so applying one that the copy
    /// already holds changes nothing.
    async fn filings_at(&self, key: &Key, stamp: i64) -> Result<Arc<Filings>, StoreError> {
        let cached = {
            let map = self.filings_cache.0.lock().expect("cache lock");
            map.get(key).map(|c| (c.stamp, c.filings.clone()))
        };
        match cached {
            // Another request already caught up to this stamp or beyond: at least as new.
            Some((s, f)) if s >= stamp => return Ok(f),
            Some((s, f)) if stamp - s <= MAX_CATCH_UP => {
                drop(f);
                if let Some(changes) = self.board_changes(key, s, stamp).await? {
                    let mut map = self.filings_cache.0.lock().expect("cache lock");
                    let outcome = match map.get_mut(key) {
                        Some(FirstSubmissions { stamp: at, filings, layout, register }) if *at == s => {
                            match catch_up(&changes, filings, layout, register) {
                                Ok(()) => {
                                    *at = stamp;
                                    Some(Ok(filings.clone()))
                                }
                                Err(e) => Some(Err(e)),
                            }
                        }
                        Some(c) if c.stamp >= stamp => Some(Ok(c.filings.clone())),
                        // Replaced meanwhile by an older copy: read everything.
                        _ => None,
                    };
                    match outcome {
                        Some(Ok(f)) => return Ok(f),
                        // Half applied: forget the copy rather than keep it.
                        Some(Err(e)) => {
                            map.remove(key);
                            return Err(e);
                        }
                        None => {}
                    }
                }
            }
            _ => {}
        }
        let filings = Arc::new(self.filings(key).await?);
        let mut map = self.filings_cache.0.lock().expect("cache lock");
        // Another request may have stored a newer copy meanwhile: keep the newest.
        if map.get(key).is_none_or(|c| c.stamp <= stamp) {
            map.insert(key.clone(), FirstSubmissions { stamp, filings: filings.clone(), layout: None, register: None });
        }
        Ok(filings)
    }

    /// The programme's register of filings at its current filings counter: from memory, caught
    /// up by the changes since; read whole when memory holds none and `build` asks, then kept
    /// (with the board's first submissions taken from the same read when memory has none
    /// either). None when memory holds none and `build` is false: a few units' filings cost less
    /// read on their own than all of them.
    pub async fn filing_register(&self, key: &Key, build: bool) -> Result<Option<Arc<Register>>, StoreError> {
        let stamp = self.filing_stamp(key).await?;
        let held = self.filings_cache.0.lock().expect("cache lock").contains_key(key);
        if held {
            self.filings_at(key, stamp).await?;
            let map = self.filings_cache.0.lock().expect("cache lock");
            if let Some(c) = map.get(key)
                && c.stamp >= stamp
                && let Some(r) = &c.register
            {
                return Ok(Some(r.clone()));
            }
        }
        if !build {
            return Ok(None);
        }
        // Read after `stamp`, so at least as new as it; kept under the number memory holds once
        // the changes up to it are applied (replaying one the read already holds changes nothing).
        let mut register = Register::new(self.filing_briefs(key).await?);
        let mut at = stamp;
        for _ in 0..MAX_CATCH_UP_ROUNDS {
            let ahead = {
                let mut map = self.filings_cache.0.lock().expect("cache lock");
                match map.get_mut(key) {
                    Some(c) if c.stamp > at => Some(c.stamp),
                    Some(c) if c.stamp == at => {
                        // Moved, not copied (a national register is tens of MiB); another
                        // request's register kept meanwhile is as good.
                        let kept = c.register.get_or_insert_with(|| Arc::new(std::mem::take(&mut register)));
                        return Ok(Some(kept.clone()));
                    }
                    // None held, or an older copy: this read replaces it.
                    _ => {
                        let filings = register.first_submissions().map_err(|e| StoreError::corrupt("filing", e))?;
                        let register = Arc::new(register);
                        let copy = FirstSubmissions {
                            stamp: at,
                            filings: Arc::new(filings),
                            layout: None,
                            register: Some(register.clone()),
                        };
                        map.insert(key.clone(), copy);
                        return Ok(Some(register));
                    }
                }
            };
            let Some(upto) = ahead else { break };
            // A gap (a change not yet readable): served without being kept.
            let Some(changes) = self.board_changes(key, at, upto).await? else { break };
            changes.iter().try_for_each(|c| c.record(&mut register))?;
            at = upto;
        }
        Ok(Some(Arc::new(register)))
    }

    /// The changes numbered `after + 1 ..= upto`, in order; none when one is missing (written
    /// before migration 0016), and then the caller reads everything again.
    pub(crate) async fn board_changes(
        &self,
        key: &Key,
        after: i64,
        upto: i64,
    ) -> Result<Option<Vec<Change>>, StoreError> {
        let out = self
            .query(
                "SELECT record::id(id)[1] AS n, board, before, after FROM board_change:[$p, $from]..=[$p, $to]",
                serde_json::json!({ "p": key.as_str(), "from": after + 1, "to": upto }),
            )
            .await?;
        let list = out.into_iter().next().unwrap_or_default();
        let rows: Vec<Change> = serde_json::from_value(list).map_err(|e| StoreError::corrupt("board change", e))?;
        if rows.len() as i64 != upto - after || rows.iter().zip(after + 1..).any(|(r, n)| r.n != n) {
            return Ok(None);
        }
        Ok(Some(rows))
    }
}

/// How many changes behind a copy may be and still catch up by them (beyond, one read of all
/// is cheaper).
const MAX_CATCH_UP: i64 = 20_000;

/// How many times a register read whole chases the changes written while it was read before it
/// is served without being kept.
const MAX_CATCH_UP_ROUNDS: usize = 4;

/// Applies changes, in order, to a programme's copies in memory. The first submissions and their
/// layout change only for the changes that move a first submission, and are otherwise left the
/// very same `Arc`s: the board route keeps its rendered pages beside them, so a review or a
/// draft somewhere does not make every board render again. The register takes every change: it
/// is read after the migrations ran, so every change after it was written by 0022's event and
/// carries the key and state it needs.
fn catch_up(
    changes: &[Change],
    filings: &mut Arc<Filings>,
    layout: &mut Option<(i64, Arc<Layout>)>,
    register: &mut Option<Arc<Register>>,
) -> Result<(), StoreError> {
    let moves = |c: &&Change| c.board.unwrap_or(true);
    if changes.iter().any(|c| moves(&c)) {
        let f = Arc::make_mut(filings);
        let mut l = layout.as_mut().map(|(_, l)| Arc::make_mut(l));
        changes.iter().filter(moves).try_for_each(|c| c.apply(f, l.as_deref_mut()))?;
    }
    if let Some(r) = register {
        let r = Arc::make_mut(r);
        changes.iter().try_for_each(|c| c.record(r))?;
    }
    Ok(())
}

/// Where a filing stood or stands: its deadline, and its first submission once it has one;
/// where it stands, also its key and state (changes written since 0022).
#[derive(serde::Deserialize)]
struct Deadline {
    unit: String,
    deliverable: String,
    occurrence: String,
    #[serde(default)]
    first_submitted_at: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    state: Option<FilingState>,
}

/// One change to a programme's filings (migrations 0016 and 0022), under its number.
#[derive(serde::Deserialize)]
pub(crate) struct Change {
    n: i64,
    #[serde(default)]
    /// Whether it moves a first submission; none on changes written before 0022 (which were
    /// written only when one did).
    board: Option<bool>,
    #[serde(default)]
    before: Option<Deadline>,
    #[serde(default)]
    after: Option<Deadline>,
}

fn bad(e: crate::domain::DomainError) -> StoreError {
    StoreError::corrupt("board change", e)
}

impl Change {
    /// Applied to the register: the deadline it stood for loses its filing, the one it stands
    /// for now holds it.
    fn record(&self, register: &mut Register) -> Result<(), StoreError> {
        if let Some(b) = &self.before {
            register.remove(&RegionCode::parse(&b.unit).map_err(bad)?, &b.deliverable, &b.occurrence);
        }
        if let Some(a) = &self.after {
            let (Some(key), Some(state)) = (&a.key, a.state) else {
                return Err(StoreError::corrupt("board change", "a filing's change without its key and state"));
            };
            register.set(FilingBrief {
                key: key.clone(),
                unit: RegionCode::parse(&a.unit).map_err(bad)?,
                deliverable: Key::parse(&a.deliverable).map_err(bad)?,
                occurrence: a.occurrence.clone(),
                state,
                first_submitted_at: a.first_submitted_at.as_deref().map(super::rows::instant).transpose()?,
            });
        }
        Ok(())
    }

    /// Applied to the first submissions and, when there is one, to their layout.
    fn apply(&self, filings: &mut Filings, mut layout: Option<&mut Layout>) -> Result<(), StoreError> {
        if let Some(b) = &self.before {
            let unit = RegionCode::parse(&b.unit).map_err(bad)?;
            if let Some(list) = filings.get_mut(&unit) {
                list.retain(|(d, o, _)| !(d.as_str() == b.deliverable && *o == b.occurrence));
                if list.is_empty() {
                    filings.remove(&unit);
                }
            }
            if let Some(l) = layout.as_deref_mut() {
                l.set(&unit, &b.deliverable, &b.occurrence, None);
            }
        }
        if let Some(a) = &self.after
            && let Some(at) = &a.first_submitted_at
        {
            let unit = RegionCode::parse(&a.unit).map_err(bad)?;
            let deliverable = Key::parse(&a.deliverable).map_err(bad)?;
            let at = super::rows::instant(at)?;
            if let Some(l) = layout {
                l.set(&unit, &a.deliverable, &a.occurrence, Some(at));
            }
            let list = filings.entry(unit).or_default();
            list.retain(|(d, o, _)| !(d == &deliverable && *o == a.occurrence));
            list.push((deliverable, a.occurrence.clone(), at));
        }
        Ok(())
    }
}
