//! Programmes and their parts: stages, directions, deliverables.

use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::regions::count;
use super::rows::{DeliverableRow, DirectionRow, ProgrammeRow, StageRow, StoredUnit, UnitRow, decode, encode};
use super::{Store, StoreError, rows};
use std::sync::Arc;

use crate::domain::access::Reach;
use crate::domain::{Bundle, Deliverable, Direction, Key, Programme, RegionCode, Stage};

/// A region's chain from the root as its code implies it (audit records of a programme are
/// filed under its scope).
pub(super) fn implied_path(code: &RegionCode) -> Vec<String> {
    code.implied_path().iter().map(|c| c.to_string()).collect()
}

/// Optional parts stored with a bundle, in the same transaction.
#[derive(Default, Clone, Copy)]
pub struct BundleExtras<'a> {
    pub scheme: Option<&'a crate::domain::scoring::Scheme>,
    pub indicator_system: Option<&'a crate::domain::evaluation::IndicatorSystem>,
}

/// A programme as stored, with its revision (bumped by every change to it or its parts).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProgramme {
    pub programme: Programme,
    pub revision: i64,
}

/// The catalogue tables that hang off a programme, with their natural key field.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    Stage,
    Direction,
    Deliverable,
}

impl Part {
    fn table(self) -> &'static str {
        match self {
            Self::Stage => "stage",
            Self::Direction => "direction",
            Self::Deliverable => "deliverable",
        }
    }

    fn key_field(self) -> &'static str {
        match self {
            Self::Stage | Self::Deliverable => "key",
            Self::Direction => "number",
        }
    }
}

impl Store {
    /// Stores a whole checked bundle (programme, parts and units) in one transaction.
    pub async fn create_bundle(
        &self,
        bundle: &Bundle,
        units: &[StoredUnit],
        extras: BundleExtras<'_>,
        action: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let key = &bundle.programme.key;
        let row = encode(&ProgrammeRow::from_domain(&bundle.programme, 1, actor.at));
        let mut after = row.clone();
        after["parts"] = json!({
            "stages": bundle.stages.len(), "directions": bundle.directions.len(),
            "deliverables": bundle.deliverables.len(), "units": units.len(),
        });
        let vars = json!({
            "after": after,
            "audit": head(actor, action, &format!("programme:{key}"), Some(key.as_str()), Some(implied_path(&bundle.programme.scope))),
            "p": row,
            "stages": bundle.stages.iter().map(|s| encode(&StageRow::from_domain(key, s))).collect::<Vec<_>>(),
            "directions": bundle.directions.iter().map(|d| encode(&DirectionRow::from_domain(key, d))).collect::<Vec<_>>(),
            "deliverables": bundle.deliverables.iter().map(|d| encode(&DeliverableRow::from_domain(key, d))).collect::<Vec<_>>(),
            "units": units.iter().map(|u| encode(&UnitRow::from_domain(key, u))).collect::<Vec<_>>(),
            "scheme": extras.scheme.map(encode),
            "system": extras.indicator_system.map(encode),
        });
        let sql = format!(
            "BEGIN TRANSACTION;
             CREATE programme CONTENT $p;
             FOR $r IN $stages {{ CREATE stage CONTENT $r; }};
             FOR $r IN $directions {{ CREATE direction CONTENT $r; }};
             FOR $r IN $deliverables {{ CREATE deliverable CONTENT $r; }};
             INSERT INTO unit $units;
             IF $scheme != NONE {{ CREATE scheme CONTENT {{ programme: $p.key, scheme: $scheme, updated_at: $p.created_at }} }};
             IF $system != NONE {{ CREATE indicator_system CONTENT {{ programme: $p.key, system: $system }} }};
             LET $before = NONE;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        self.query(&sql, vars).await?;
        Ok(())
    }

    pub async fn programme(&self, key: &Key) -> Result<Option<StoredProgramme>, StoreError> {
        let out = self.query("SELECT * FROM programme WHERE key = $k", json!({ "k": key.as_str() })).await?;
        out.into_iter().next().map(rows).and_then(|r| r.into_iter().next()).map(stored_programme).transpose()
    }

    /// Like [`Store::programme`], but absence is an error.
    pub async fn programme_required(&self, key: &Key) -> Result<StoredProgramme, StoreError> {
        self.programme(key).await?.ok_or_else(|| StoreError::NotFound(format!("programme `{key}`")))
    }

    pub async fn programmes(&self, offset: u64, limit: u64) -> Result<(Vec<StoredProgramme>, u64), StoreError> {
        let out = self
            .query(
                "SELECT * FROM programme ORDER BY key LIMIT $l START $o;
                 SELECT count() AS n FROM programme GROUP ALL;",
                json!({ "l": limit, "o": offset }),
            )
            .await?;
        let mut it = out.into_iter();
        let list = rows(it.next().unwrap_or_default())
            .into_iter()
            .map(|v| {
                let (programme, revision) = decode::<ProgrammeRow>("programme", v)?.into_domain()?;
                Ok(StoredProgramme { programme, revision })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((list, count(it.next())))
    }

    /// Replaces the programme head (not its parts), bumping the revision.
    pub async fn update_programme(&self, p: &Programme, actor: &Actor) -> Result<StoredProgramme, StoreError> {
        let mut row = encode(&ProgrammeRow::from_domain(p, 1, actor.at));
        if let Some(o) = row.as_object_mut() {
            // The creation instant and revision are the store's, not the caller's.
            o.remove("created_at");
            o.remove("revision");
        }
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT * OMIT id FROM programme WHERE key = $k)[0];
             IF $before = NONE {{ THROW 'pilotgov:missing programme' }};
             UPDATE programme MERGE $p WHERE key = $k;
             UPDATE programme SET revision += 1 WHERE key = $k;
             LET $after = (SELECT * OMIT id FROM programme WHERE key = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "p": row, "k": p.key.as_str(),
            "audit": head(actor, "programme.update", &format!("programme:{}", p.key), Some(p.key.as_str()), Some(implied_path(&p.scope))),
        });
        let done = self.query(&sql, vars).await;
        self.recent.reach.forget(&p.key);
        done?;
        self.programme_required(&p.key).await
    }

    /// Whom a programme concerns (its scope's path and its units' regions), as of at most
    /// `StoreConfig::recent` ago (see `recent.rs`): the access check of every programme request.
    ///
    /// Every change to a programme or its units bumps its revision in the same transaction, and
    /// the board stamp carries that revision (migration 0014). So an expired copy is kept after
    /// one read by id that finds the revision it was read at: a national programme's 38,600
    /// unit regions are read again only when they may have changed, not once per `recent_ms`
    /// by whichever request finds the copy expired.
    pub async fn recent_reach(&self, key: &Key) -> Result<Option<Arc<Reach>>, StoreError> {
        let reach = self
            .recent
            .reach
            .revalidate(key, |expired| async move {
                let revision = self.stamped_revision(key).await?;
                if let Some(old) = expired.filter(|(at, _)| revision != 0 && *at == revision) {
                    return Ok(Some(old));
                }
                // Read after the revision: if the units change meanwhile, the copy is kept under
                // the older revision and the next check reads it again.
                let Some(p) = self.programme(key).await? else { return Ok(None) };
                #[derive(serde::Deserialize)]
                struct R {
                    region: String,
                }
                let units: Vec<R> = self
                    .select("SELECT region FROM unit WHERE programme = $p", json!({ "p": key.as_str() }), "unit")
                    .await?;
                let units = units
                    .into_iter()
                    .map(|u| RegionCode::parse(&u.region).map_err(|e| StoreError::corrupt("unit", e)))
                    .collect::<Result<_, _>>()?;
                let reach = Reach { scope_path: p.programme.scope.implied_path(), units };
                Ok(Some((revision, Arc::new(reach))))
            })
            .await?;
        Ok(reach.map(|(_, r)| r))
    }

    /// The programme's revision as its board stamp carries it (one read by record id); 0 when
    /// the stamp has none (a programme not written since migration 0014, or none at all).
    pub(super) async fn stamped_revision(&self, key: &Key) -> Result<i64, StoreError> {
        let out = self
            .query("SELECT VALUE revision FROM ONLY type::record('board_stamp', $k)", json!({ "k": key.as_str() }))
            .await?;
        Ok(out.into_iter().next().and_then(|v| v.as_i64()).unwrap_or(0))
    }

    /// Forgets a programme's remembered reach (its units changed).
    pub(super) fn forget_reach(&self, key: &Key) {
        self.recent.reach.forget(key);
    }

    pub async fn stages(&self, programme: &Key) -> Result<Vec<Stage>, StoreError> {
        let mut v: Vec<Stage> = self
            .parts(Part::Stage, programme)
            .await?
            .into_iter()
            .map(|j| decode::<StageRow>("stage", j)?.into_domain())
            .collect::<Result<_, _>>()?;
        v.sort_by(|a, b| (a.seq, &a.key).cmp(&(b.seq, &b.key)));
        Ok(v)
    }

    pub async fn directions(&self, programme: &Key) -> Result<Vec<Direction>, StoreError> {
        let mut v: Vec<Direction> = self
            .parts(Part::Direction, programme)
            .await?
            .into_iter()
            .map(|j| decode::<DirectionRow>("direction", j)?.into_domain())
            .collect::<Result<_, _>>()?;
        v.sort_by_key(|d| d.number);
        Ok(v)
    }

    pub async fn deliverables(&self, programme: &Key) -> Result<Vec<Deliverable>, StoreError> {
        let mut v: Vec<Deliverable> = self
            .parts(Part::Deliverable, programme)
            .await?
            .into_iter()
            .map(|j| decode::<DeliverableRow>("deliverable", j)?.into_domain())
            .collect::<Result<_, _>>()?;
        v.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(v)
    }

    pub async fn put_stage(&self, programme: &Key, s: &Stage, create: bool, actor: &Actor) -> Result<(), StoreError> {
        let row = encode(&StageRow::from_domain(programme, s));
        self.put_part(Part::Stage, programme, json!(s.key.as_str()), row, create, actor).await
    }

    pub async fn put_direction(
        &self,
        programme: &Key,
        d: &Direction,
        create: bool,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let row = encode(&DirectionRow::from_domain(programme, d));
        self.put_part(Part::Direction, programme, json!(d.number), row, create, actor).await
    }

    pub async fn put_deliverable(
        &self,
        programme: &Key,
        d: &Deliverable,
        create: bool,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let row = encode(&DeliverableRow::from_domain(programme, d));
        self.put_part(Part::Deliverable, programme, json!(d.key.as_str()), row, create, actor).await
    }

    async fn parts(&self, part: Part, programme: &Key) -> Result<Vec<Json>, StoreError> {
        let out = self
            .query(
                "SELECT * FROM type::table($t) WHERE programme = $p",
                json!({ "t": part.table(), "p": programme.as_str() }),
            )
            .await?;
        Ok(rows(out.into_iter().next().unwrap_or_default()))
    }

    /// Creates (`create`) or replaces a part, and bumps the programme's revision in the same
    /// transaction. A duplicate key on create is a conflict; a missing one on replace not found.
    #[allow(clippy::too_many_arguments)]
    async fn put_part(
        &self,
        part: Part,
        programme: &Key,
        key: Json,
        row: Json,
        create: bool,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let change = if create {
            "IF $before != NONE { THROW 'pilotgov:duplicate part' };
             CREATE type::table($t) CONTENT $row;"
        } else {
            "IF $before = NONE { THROW 'pilotgov:missing part' };
             UPDATE type::table($t) CONTENT $row WHERE programme = $p AND type::field($kf) = $k;"
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $bumped = UPDATE programme SET revision += 1 WHERE key = $p RETURN AFTER;
             IF array::len($bumped) = 0 {{ THROW 'pilotgov:missing programme' }};
             LET $before = (SELECT * OMIT id FROM type::table($t) WHERE programme = $p AND type::field($kf) = $k)[0];
             {change}
             LET $after = (SELECT * OMIT id FROM type::table($t) WHERE programme = $p AND type::field($kf) = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let scope = self.programme_required(programme).await?.programme.scope;
        let entity = format!(
            "{}:{programme}/{}",
            part.table(),
            key.as_str().map(str::to_owned).unwrap_or_else(|| key.to_string())
        );
        let action = format!("{}.{}", part.table(), if create { "create" } else { "update" });
        let vars = json!({
            "t": part.table(), "p": programme.as_str(), "row": row, "kf": part.key_field(), "k": key,
            "audit": head(actor, &action, &entity, Some(programme.as_str()), Some(implied_path(&scope))),
        });
        match self.query(&sql, vars).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound(_)) => {
                Err(StoreError::NotFound(format!("{} {key} of programme `{programme}`", part.table())))
            }
            Err(e) => Err(e),
        }
    }
}

/// A programme row as read.
pub(super) fn stored_programme(v: Json) -> Result<StoredProgramme, StoreError> {
    let (programme, revision) = decode::<ProgrammeRow>("programme", v)?.into_domain()?;
    Ok(StoredProgramme { programme, revision })
}
