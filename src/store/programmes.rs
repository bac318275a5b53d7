//! Programmes and their parts: stages, directions, deliverables.

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};

use super::regions::count;
use super::rows::{
    DeliverableRow, DirectionRow, ProgrammeRow, StageRow, StoredUnit, UnitRow, decode, encode,
};
use super::{Store, StoreError, rows};
use crate::domain::{Bundle, Deliverable, Direction, Key, Programme, Stage};

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
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = &bundle.programme.key;
        let vars = json!({
            "p": encode(&ProgrammeRow::from_domain(&bundle.programme, 1, at)),
            "stages": bundle.stages.iter().map(|s| encode(&StageRow::from_domain(key, s))).collect::<Vec<_>>(),
            "directions": bundle.directions.iter().map(|d| encode(&DirectionRow::from_domain(key, d))).collect::<Vec<_>>(),
            "deliverables": bundle.deliverables.iter().map(|d| encode(&DeliverableRow::from_domain(key, d))).collect::<Vec<_>>(),
            "units": units.iter().map(|u| encode(&UnitRow::from_domain(key, u))).collect::<Vec<_>>(),
        });
        self.retrying(|| {
            self.query(
                "BEGIN TRANSACTION;
                 CREATE programme CONTENT $p;
                 FOR $r IN $stages { CREATE stage CONTENT $r; };
                 FOR $r IN $directions { CREATE direction CONTENT $r; };
                 FOR $r IN $deliverables { CREATE deliverable CONTENT $r; };
                 INSERT INTO unit $units;
                 COMMIT TRANSACTION;",
                vars.clone(),
            )
        })
        .await?;
        Ok(())
    }

    pub async fn programme(&self, key: &Key) -> Result<Option<StoredProgramme>, StoreError> {
        let out = self
            .query(
                "SELECT * FROM programme WHERE key = $k",
                json!({ "k": key.as_str() }),
            )
            .await?;
        match out
            .into_iter()
            .next()
            .map(rows)
            .and_then(|r| r.into_iter().next())
        {
            Some(v) => {
                let (programme, revision) =
                    decode::<ProgrammeRow>("programme", v)?.into_domain()?;
                Ok(Some(StoredProgramme {
                    programme,
                    revision,
                }))
            }
            None => Ok(None),
        }
    }

    /// Like [`Store::programme`], but absence is an error.
    pub async fn programme_required(&self, key: &Key) -> Result<StoredProgramme, StoreError> {
        self.programme(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("programme `{key}`")))
    }

    pub async fn programmes(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<StoredProgramme>, u64), StoreError> {
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
                let (programme, revision) =
                    decode::<ProgrammeRow>("programme", v)?.into_domain()?;
                Ok(StoredProgramme {
                    programme,
                    revision,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((list, count(it.next())))
    }

    /// Replaces the programme head (not its parts), bumping the revision.
    pub async fn update_programme(
        &self,
        p: &Programme,
        at: DateTime<Utc>,
    ) -> Result<StoredProgramme, StoreError> {
        let mut row = encode(&ProgrammeRow::from_domain(p, 1, at));
        if let Some(o) = row.as_object_mut() {
            // The creation instant and revision are the store's, not the caller's.
            o.remove("created_at");
            o.remove("revision");
        }
        let out = self
            .retrying(|| {
                self.query(
                    "BEGIN TRANSACTION;
                     UPDATE programme MERGE $p WHERE key = $k;
                     UPDATE programme SET revision += 1 WHERE key = $k RETURN AFTER;
                     COMMIT TRANSACTION;",
                    json!({ "p": row, "k": p.key.as_str() }),
                )
            })
            .await?;
        // The last statement's rows are the programme after both updates.
        match out
            .into_iter()
            .rev()
            .find_map(|v| rows(v).into_iter().next())
        {
            Some(v) => {
                let (programme, revision) =
                    decode::<ProgrammeRow>("programme", v)?.into_domain()?;
                Ok(StoredProgramme {
                    programme,
                    revision,
                })
            }
            None => Err(StoreError::NotFound(format!("programme `{}`", p.key))),
        }
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

    pub async fn put_stage(
        &self,
        programme: &Key,
        s: &Stage,
        create: bool,
    ) -> Result<(), StoreError> {
        let row = encode(&StageRow::from_domain(programme, s));
        self.put_part(Part::Stage, programme, json!(s.key.as_str()), row, create)
            .await
    }

    pub async fn put_direction(
        &self,
        programme: &Key,
        d: &Direction,
        create: bool,
    ) -> Result<(), StoreError> {
        let row = encode(&DirectionRow::from_domain(programme, d));
        self.put_part(Part::Direction, programme, json!(d.number), row, create)
            .await
    }

    pub async fn put_deliverable(
        &self,
        programme: &Key,
        d: &Deliverable,
        create: bool,
    ) -> Result<(), StoreError> {
        let row = encode(&DeliverableRow::from_domain(programme, d));
        self.put_part(
            Part::Deliverable,
            programme,
            json!(d.key.as_str()),
            row,
            create,
        )
        .await
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
    async fn put_part(
        &self,
        part: Part,
        programme: &Key,
        key: Json,
        row: Json,
        create: bool,
    ) -> Result<(), StoreError> {
        let sql = if create {
            "BEGIN TRANSACTION;
             LET $bumped = UPDATE programme SET revision += 1 WHERE key = $p RETURN AFTER;
             IF array::len($bumped) = 0 { THROW 'pilotgov:missing programme' };
             CREATE type::table($t) CONTENT $row;
             COMMIT TRANSACTION;"
        } else {
            "BEGIN TRANSACTION;
             LET $bumped = UPDATE programme SET revision += 1 WHERE key = $p RETURN AFTER;
             IF array::len($bumped) = 0 { THROW 'pilotgov:missing programme' };
             LET $done = UPDATE type::table($t) CONTENT $row WHERE programme = $p AND type::field($kf) = $k RETURN AFTER;
             IF array::len($done) = 0 { THROW 'pilotgov:missing part' };
             COMMIT TRANSACTION;"
        };
        let vars = json!({
            "t": part.table(), "p": programme.as_str(), "row": row, "kf": part.key_field(), "k": key,
        });
        match self.retrying(|| self.query(sql, vars.clone())).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound(_)) => Err(StoreError::NotFound(format!(
                "{} {key} of programme `{programme}`",
                part.table()
            ))),
            Err(e) => Err(e),
        }
    }
}
