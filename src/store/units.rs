//! Pilot units. Admission is decided by the domain inside a unit of work guarded by the
//! programme's revision, so two concurrent admissions cannot both squeeze under a quota: the
//! second finds the revision moved, and is retried against the new state.

use serde_json::json;

use super::audit::{AUDIT, Actor, head};
use super::rows::{StoredUnit, UnitRow, decode, encode};
use super::{Store, StoreError, rows};
use crate::domain::board::BoardUnit;
use crate::domain::{Direction, DomainError, Key, PilotUnit, Programme, RegionCode, RegionTree, Rule, Withdrawal};

#[derive(serde::Deserialize)]
struct BoardUnitRow {
    region: String,
    name: String,
    path: Vec<String>,
    demonstration: bool,
    files_directly: bool,
}

/// What an admission decision sees.
pub struct AdmissionContext<'a> {
    pub programme: &'a Programme,
    pub tree: &'a RegionTree,
    pub catalogue: &'a [Direction],
    /// The other units of the programme (the one being changed excluded).
    pub others: &'a [PilotUnit],
}

/// Moves the programme's revision from `$rev`, or throws `stale` (retried by `Store::retrying`):
/// the guard every change to a programme's units opens its transaction with.
const REVISION_GUARD: &str =
    "LET $bumped = UPDATE programme SET revision += 1 WHERE key = $p AND revision = $rev RETURN AFTER;
                 IF array::len($bumped) = 0 { THROW 'pilotgov:stale programme revision' };";

/// How a unit is admitted: a new one, a change to one, or a withdrawn one taken back.
#[derive(Debug, Clone, Copy)]
pub enum Admission<'a> {
    New,
    Change(&'a RegionCode),
    Reinstate(&'a RegionCode),
}

impl Admission<'_> {
    fn replacing(&self) -> Option<&RegionCode> {
        match self {
            Self::New => None,
            Self::Change(r) | Self::Reinstate(r) => Some(r),
        }
    }
}

impl Store {
    /// The programme's units taking part now (withdrawn ones left out: nothing is due from them,
    /// they are not ranked, and they hold no quota place).
    pub async fn units(&self, programme: &Key) -> Result<Vec<StoredUnit>, StoreError> {
        self.units_where(programme, "AND withdrawn_at = NONE").await
    }

    /// Every unit the programme ever admitted, withdrawn ones included (their records stay).
    pub async fn all_units(&self, programme: &Key) -> Result<Vec<StoredUnit>, StoreError> {
        self.units_where(programme, "").await
    }

    /// One unit, withdrawn or not.
    pub async fn unit(&self, programme: &Key, region: &RegionCode) -> Result<Option<StoredUnit>, StoreError> {
        let out = self
            .query(
                "SELECT * FROM unit WHERE programme = $p AND region = $r",
                json!({ "p": programme.as_str(), "r": region.as_str() }),
            )
            .await?;
        rows(out.into_iter().next().unwrap_or_default())
            .into_iter()
            .next()
            .map(|j| decode::<UnitRow>("unit", j)?.into_domain())
            .transpose()
    }

    async fn units_where(&self, programme: &Key, cond: &'static str) -> Result<Vec<StoredUnit>, StoreError> {
        let sql = format!("SELECT * FROM unit WHERE programme = $p {cond}");
        let out = self.query(&sql, json!({ "p": programme.as_str() })).await?;
        let mut v = rows(out.into_iter().next().unwrap_or_default())
            .into_iter()
            .map(|j| decode::<UnitRow>("unit", j)?.into_domain())
            .collect::<Result<Vec<_>, _>>()?;
        v.sort_by(|a, b| a.unit.region.cmp(&b.unit.region));
        Ok(v)
    }

    /// The units as the deadline board needs them (only the fields it reads), optionally only
    /// those inside `region`.
    pub async fn board_units(
        &self,
        programme: &Key,
        region: Option<&RegionCode>,
    ) -> Result<Vec<BoardUnit>, StoreError> {
        let sql = if region.is_some() {
            "SELECT region, name, path, demonstration, files_directly FROM unit WHERE programme = $p AND withdrawn_at = NONE AND $r IN path"
        } else {
            "SELECT region, name, path, demonstration, files_directly FROM unit WHERE programme = $p AND withdrawn_at = NONE"
        };
        let out = self.query(sql, json!({ "p": programme.as_str(), "r": region.map(|r| r.as_str()) })).await?;
        let mut v = rows(out.into_iter().next().unwrap_or_default())
            .into_iter()
            .map(|j| {
                let r: BoardUnitRow = decode("unit", j)?;
                let code = |s: &str| RegionCode::parse(s).map_err(|e| StoreError::corrupt("unit", e));
                Ok(BoardUnit {
                    region: code(&r.region)?,
                    name: r.name,
                    path: r.path.iter().map(|p| code(p)).collect::<Result<_, _>>()?,
                    demonstration: r.demonstration,
                    files_directly: r.files_directly,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        v.sort_by(|a, b| a.region.cmp(&b.region));
        Ok(v)
    }

    /// Adds, changes or reinstates a unit after `decide` accepts it against the current state.
    /// `decide` is the domain's admission rule; it may be called more than once. A withdrawn unit
    /// is only reinstated, never changed; a reinstated one is checked like a new one.
    pub async fn admit_unit(
        &self,
        programme: &Key,
        admission: Admission<'_>,
        candidate: &RegionCode,
        actor: &Actor,
        decide: impl Fn(&AdmissionContext<'_>) -> Result<StoredUnit, DomainError>,
    ) -> Result<StoredUnit, StoreError> {
        let done = self.retrying(|| async {
            let stored = self.programme_required(programme).await?;
            let tree = self.tree_for(&stored.programme.scope, std::slice::from_ref(candidate)).await?;
            let catalogue = self.directions(programme).await?;
            let replacing = admission.replacing();
            if let Some(r) = replacing {
                let old = self
                    .unit(programme, r)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("unit {r} of programme `{programme}`")))?;
                match (&old.withdrawn, admission) {
                    (Some(w), Admission::Change(_)) => return Err(w.refusal(&old.name).into()),
                    (None, Admission::Reinstate(_)) => {
                        return Err(DomainError::rule(
                            Rule::DuplicateUnit,
                            format!("{}（{r}）has not withdrawn; it is a unit of this programme", old.name),
                        )
                        .into());
                    }
                    _ => {}
                }
            }
            let others: Vec<PilotUnit> = self
                .units(programme)
                .await?
                .into_iter()
                .filter(|u| Some(&u.unit.region) != replacing)
                .map(|u| u.unit)
                .collect();
            let ctx = AdmissionContext {
                programme: &stored.programme,
                tree: &tree,
                catalogue: &catalogue,
                others: &others,
            };
            let unit = decide(&ctx)?;
            let row = encode(&UnitRow::from_domain(programme, &unit));
            let change = if replacing.is_some() {
                "UPDATE unit CONTENT $row WHERE programme = $p AND region = $old;"
            } else {
                "CREATE unit CONTENT $row;"
            };
            let sql = format!(
                "BEGIN TRANSACTION;
                 {REVISION_GUARD}
                 LET $before = (SELECT * OMIT id FROM unit WHERE programme = $p AND region = $new)[0];
                 {change}
                 LET $after = (SELECT * OMIT id FROM unit WHERE programme = $p AND region = $new)[0];
                 {AUDIT}
                 COMMIT TRANSACTION;"
            );
            let action = match admission {
                Admission::New => "unit.create",
                Admission::Change(_) => "unit.update",
                Admission::Reinstate(_) => "unit.reinstate",
            };
            self.query(
                &sql,
                json!({
                    "p": programme.as_str(),
                    "rev": stored.revision,
                    "row": row,
                    "old": replacing.map(|r| r.as_str()),
                    "new": unit.unit.region.as_str(),
                    "audit": head(actor, action, &format!("unit:{programme}/{}", unit.unit.region), Some(programme.as_str()),
                        Some(unit.path.iter().map(|c| c.to_string()).collect())),
                }),
            )
            .await?;
            Ok(unit)
        })
        .await;
        // Who may read the programme changed with its units (a lead's own programme).
        self.forget_reach(programme);
        done
    }

    /// Admits several units at once, all or none: `decide` sees the programme as it stands and
    /// places every candidate (each against those before it); one transaction creates them all,
    /// with one audit record each.
    pub async fn admit_units(
        &self,
        programme: &Key,
        candidates: &[RegionCode],
        actor: &Actor,
        decide: impl Fn(&AdmissionContext<'_>) -> Result<Vec<StoredUnit>, DomainError>,
    ) -> Result<Vec<StoredUnit>, StoreError> {
        let done = self.retrying(|| async {
            let stored = self.programme_required(programme).await?;
            let tree = self.tree_for(&stored.programme.scope, candidates).await?;
            let catalogue = self.directions(programme).await?;
            let others: Vec<PilotUnit> = self.units(programme).await?.into_iter().map(|u| u.unit).collect();
            let ctx = AdmissionContext { programme: &stored.programme, tree: &tree, catalogue: &catalogue, others: &others };
            let units = decide(&ctx)?;
            let mut sql = format!("BEGIN TRANSACTION;\n{REVISION_GUARD}\n");
            let mut vars = serde_json::Map::new();
            vars.insert("p".into(), json!(programme.as_str()));
            vars.insert("rev".into(), json!(stored.revision));
            for (i, unit) in units.iter().enumerate() {
                sql.push_str(&format!(
                    "LET $before = NONE; CREATE unit CONTENT $row{i}; LET $after = $row{i}; LET $audit = $audit{i};\n{AUDIT}\n"
                ));
                vars.insert(format!("row{i}"), encode(&UnitRow::from_domain(programme, unit)));
                let entity = format!("unit:{programme}/{}", unit.unit.region);
                let path = Some(unit.path.iter().map(|c| c.to_string()).collect());
                vars.insert(format!("audit{i}"), head(actor, "unit.create", &entity, Some(programme.as_str()), path));
            }
            sql.push_str("COMMIT TRANSACTION;");
            self.query(&sql, serde_json::Value::Object(vars)).await?;
            Ok(units)
        })
        .await;
        self.forget_reach(programme);
        done
    }

    /// Withdraws a unit (退出试点): it keeps its row and every record; the programme's revision
    /// moves in the same transaction, so the cached board drops it at once.
    pub async fn withdraw_unit(
        &self,
        programme: &Key,
        region: &RegionCode,
        withdrawal: &Withdrawal,
        actor: &Actor,
    ) -> Result<StoredUnit, StoreError> {
        let done = self
            .retrying(|| async {
                let stored = self.programme_required(programme).await?;
                let mut unit = self
                    .unit(programme, region)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("unit {region} of programme `{programme}`")))?;
                if let Some(w) = &unit.withdrawn {
                    return Err(w.refusal(&unit.name).into());
                }
                unit.withdrawn = Some(withdrawal.clone());
                let sql = format!(
                    "BEGIN TRANSACTION;
                     {REVISION_GUARD}
                     LET $before = (SELECT * OMIT id FROM unit WHERE programme = $p AND region = $r)[0];
                     UPDATE unit SET withdrawn_at = <datetime> $at, withdrawn_by = $by, withdrawn_reason = $reason
                         WHERE programme = $p AND region = $r AND withdrawn_at = NONE;
                     LET $after = (SELECT * OMIT id FROM unit WHERE programme = $p AND region = $r)[0];
                     {AUDIT}
                     COMMIT TRANSACTION;"
                );
                self.query(
                    &sql,
                    json!({
                        "p": programme.as_str(), "r": region.as_str(), "rev": stored.revision,
                        "at": withdrawal.at.to_rfc3339(), "by": withdrawal.by, "reason": withdrawal.reason,
                        "audit": head(actor, "unit.withdraw", &format!("unit:{programme}/{region}"), Some(programme.as_str()),
                            Some(unit.path.iter().map(|c| c.to_string()).collect())),
                    }),
                )
                .await?;
                Ok(unit)
            })
            .await;
        self.forget_reach(programme);
        done
    }
}
