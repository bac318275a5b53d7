//! The parts of a programme the deadline board reads on every request (stages, deliverables,
//! units), kept in memory per programme and reused while the programme's revision is unchanged.
//!
//! Every change to those parts bumps `programme.revision` in the same transaction, and each
//! request reads the revision from the database first, so a cached copy is never served after a
//! change — by this instance or any other sharing the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::programmes::StoredProgramme;
use super::{Store, StoreError};
use crate::domain::board::BoardUnit;
use crate::domain::{Deliverable, Key, Stage};

/// What the board needs besides filings.
#[derive(Debug)]
pub struct BoardParts {
    pub stages: Vec<Stage>,
    pub deliverables: Vec<Deliverable>,
    pub units: Vec<BoardUnit>,
}

/// Parts by programme, with the revision they were read at.
type ByProgramme = HashMap<Key, (i64, Arc<BoardParts>)>;

#[derive(Default, Clone)]
pub(super) struct PartsCache(Arc<Mutex<ByProgramme>>);

impl Store {
    /// The programme (read fresh) and its board parts (from memory when the revision matches).
    pub async fn board_parts(&self, key: &Key) -> Result<(StoredProgramme, Arc<BoardParts>), StoreError> {
        let programme = self.programme_required(key).await?;
        let cached = {
            let map = self.parts_cache.0.lock().expect("cache lock");
            map.get(key).filter(|(rev, _)| *rev == programme.revision).map(|(_, p)| p.clone())
        };
        if let Some(parts) = cached {
            return Ok((programme, parts));
        }
        let (stages, deliverables, units) =
            tokio::try_join!(self.stages(key), self.deliverables(key), self.board_units(key, None))?;
        // The parts were read after the revision; if they changed in between, the revision did
        // too, so only store them under the revision they were read at when it still holds.
        let parts = Arc::new(BoardParts { stages, deliverables, units });
        let now = self.programme_required(key).await?;
        if now.revision == programme.revision {
            let mut map = self.parts_cache.0.lock().expect("cache lock");
            map.insert(key.clone(), (programme.revision, parts.clone()));
        }
        Ok((programme, parts))
    }
}
