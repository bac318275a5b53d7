//! A programme's units after admission: admitted or changed under the selection rules, withdrawn
//! (退出试点) with their records kept, and taken back under the same rules. The API and the pages
//! both come here.

use chrono::{DateTime, Utc};

use super::accounts::actor;
use super::error::{ServiceError, gate};
use super::import::stored_unit;
use crate::domain::access::{Access, Principal};
use crate::domain::{Key, PilotUnit, Programme, RegionCode, Withdrawal, unit};
use crate::store::Store;
use crate::store::rows::StoredUnit;
use crate::store::units::Admission;

/// The programme if this account may read it.
pub async fn programme(store: &Store, p: &Principal, key: &Key) -> Result<Programme, ServiceError> {
    let hidden = || ServiceError::Hidden(format!("programme `{key}`"));
    let stored = store.programme(key).await?.ok_or_else(hidden)?;
    let reach = store.recent_reach(key).await?.unwrap_or_default();
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    Ok(stored.programme)
}

/// Admits, changes or reinstates `candidate` under the programme's rules (quotas, scope, level,
/// duplicates), decided against the state at commit. The caller has checked `ManageUnit`.
pub async fn admit(
    store: &Store,
    p: &Principal,
    programme: &Programme,
    candidate: PilotUnit,
    admission: Admission<'_>,
    at: DateTime<Utc>,
) -> Result<StoredUnit, ServiceError> {
    let region = candidate.region.clone();
    let stored = store
        .admit_unit(&programme.key, admission, &region, &actor(p, at), |ctx| {
            let placement = unit::admit(ctx.programme, ctx.tree, ctx.catalogue, ctx.others, &candidate)?;
            stored_unit(ctx.tree, candidate.clone(), placement)
        })
        .await?;
    Ok(stored)
}

/// One unit the account may read (withdrawn or not) and may manage.
async fn managed_unit(
    store: &Store,
    p: &Principal,
    programme: &Programme,
    region: &RegionCode,
) -> Result<StoredUnit, ServiceError> {
    let hidden = || ServiceError::Hidden(format!("unit {region} of programme `{}`", programme.key));
    let u = store.unit(&programme.key, region).await?.ok_or_else(hidden)?;
    gate(p, Access::ReadUnit { unit_path: &u.path }, "unit")?;
    gate(p, Access::ManageUnit { scope_path: &programme.scope.implied_path(), unit_path: &u.path }, "unit")?;
    Ok(u)
}

/// Changes a unit the account manages: `edit` turns the unit as stored into the candidate, which
/// is admitted again under the rules (a withdrawn unit is refused).
pub async fn change(
    store: &Store,
    p: &Principal,
    key: &Key,
    region: &RegionCode,
    edit: impl FnOnce(&PilotUnit) -> PilotUnit,
    at: DateTime<Utc>,
) -> Result<StoredUnit, ServiceError> {
    let programme = programme(store, p, key).await?;
    let u = managed_unit(store, p, &programme, region).await?;
    let candidate = edit(&u.unit);
    admit(store, p, &programme, candidate, Admission::Change(&u.unit.region), at).await
}

/// Withdraws a unit from the programme: its filings, scores and reminders stay on record; nothing
/// more is due from it, it leaves the board and the ranking, and its quota place is free.
pub async fn withdraw(
    store: &Store,
    p: &Principal,
    key: &Key,
    region: &RegionCode,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<StoredUnit, ServiceError> {
    let programme = programme(store, p, key).await?;
    let u = managed_unit(store, p, &programme, region).await?;
    let withdrawal = Withdrawal::new(at, &p.username, reason)?;
    Ok(store.withdraw_unit(key, &u.unit.region, &withdrawal, &actor(p, at)).await?)
}

/// Takes a withdrawn unit back, checked against the selection rules as they stand (its place may
/// have gone to another unit meanwhile).
pub async fn reinstate(
    store: &Store,
    p: &Principal,
    key: &Key,
    region: &RegionCode,
    at: DateTime<Utc>,
) -> Result<StoredUnit, ServiceError> {
    let programme = programme(store, p, key).await?;
    let u = managed_unit(store, p, &programme, region).await?;
    admit(store, p, &programme, u.unit.clone(), Admission::Reinstate(&u.unit.region), at).await
}
