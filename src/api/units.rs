//! `/programmes/{key}/units`: pilot units and their direction choices, admitted under the
//! programme's selection rules.

use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::Created;
use super::common::{page, region};
use super::error::ApiError;
use super::params::{KeyParam, RegionParam};
use super::programmes::not_found;
use super::{ApiTags, State};
use crate::domain::access::Access;
use crate::domain::{Contact, DomainError, Key, PilotUnit, Programme};
use crate::service::units;
use crate::store::rows::StoredUnit;
use crate::store::units::Admission;

/// Who leads the pilot in the unit.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ContactDto {
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
}

/// A unit as written by a client.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UnitInput {
    /// GB/T 2260 code of the region (`350103` 台江区, `520402109` 旧州镇).
    pub region: String,
    /// Catalogue numbers of the chosen directions.
    #[oai(default)]
    pub directions: Vec<u32>,
    /// A demonstration unit (示范).
    #[oai(default)]
    pub demonstration: bool,
    pub lead: Option<ContactDto>,
    pub note: Option<String>,
}

impl UnitInput {
    fn into_domain(self) -> Result<PilotUnit, DomainError> {
        Ok(PilotUnit {
            region: region("region", &self.region)?,
            directions: self.directions,
            demonstration: self.demonstration,
            lead: self.lead.map(|c| Contact { name: c.name, title: c.title, phone: c.phone }),
            note: self.note,
        })
    }
}

/// A unit as stored.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UnitView {
    pub region: String,
    pub name: String,
    /// The region and its ancestors, root first.
    pub path: Vec<String>,
    pub directions: Vec<u32>,
    pub demonstration: bool,
    pub lead: Option<ContactDto>,
    pub note: Option<String>,
    /// The region whose quota the unit counts against.
    pub quota_group: String,
    /// Files straight to the last step of each route.
    pub files_directly: bool,
    /// Set once the unit withdrew from the programme; its filings stay.
    pub withdrawn: Option<WithdrawalView>,
}

/// A unit's withdrawal (退出试点).
#[derive(Debug, Clone, Object)]
pub struct WithdrawalView {
    pub at: chrono::DateTime<chrono::Utc>,
    /// The account that recorded it.
    pub by: String,
    pub reason: String,
}

/// Why a unit withdraws.
#[derive(Debug, Clone, Object)]
pub struct WithdrawInput {
    /// As the department's decision says, e.g. 撤并至旧州镇 (1–200 characters).
    pub reason: String,
}

impl From<&StoredUnit> for UnitView {
    fn from(s: &StoredUnit) -> Self {
        Self {
            region: s.unit.region.to_string(),
            name: s.name.clone(),
            path: s.path.iter().map(|c| c.to_string()).collect(),
            directions: s.unit.directions.clone(),
            demonstration: s.unit.demonstration,
            lead: s.unit.lead.as_ref().map(|c| ContactDto {
                name: c.name.clone(),
                title: c.title.clone(),
                phone: c.phone.clone(),
            }),
            note: s.unit.note.clone(),
            quota_group: s.placement.group.to_string(),
            files_directly: s.placement.files_directly,
            withdrawn: s.withdrawn.as_ref().map(|w| WithdrawalView {
                at: w.at,
                by: w.by.clone(),
                reason: w.reason.clone(),
            }),
        }
    }
}

/// One page of units.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UnitPage {
    pub items: Vec<UnitView>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

pub struct UnitsApi {
    pub state: State,
}

impl UnitsApi {
    /// The programme, if this account may read it.
    async fn programme(&self, auth: &Auth, key: &Key) -> Result<Programme, ApiError> {
        let p = self.state.store.programme(key).await?.ok_or_else(|| not_found(key.as_str()))?.programme;
        let reach = self.state.store.recent_reach(key).await?.unwrap_or_default();
        auth.may(Access::ReadProgramme { reach: &reach })?;
        Ok(p)
    }

    async fn admit(
        &self,
        auth: &Auth,
        programme: &Programme,
        candidate: PilotUnit,
        admission: Admission<'_>,
    ) -> Result<StoredUnit, ApiError> {
        auth.may_create(Access::ManageUnit {
            scope_path: &programme.scope.implied_path(),
            unit_path: &candidate.region.implied_path(),
        })?;
        let now = self.state.now();
        Ok(units::admit(&self.state.store, auth.principal(), programme, candidate, admission, now).await?)
    }
}

#[OpenApi(prefix_path = "/programmes", tag = "ApiTags::Units")]
impl UnitsApi {
    /// List a programme's pilot units visible to this account, by region code, optionally only
    /// those inside a region.
    #[oai(path = "/:key/units", method = "get", operation_id = "listUnits")]
    async fn list(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        /// Only units inside this region (a city's code gives its counties).
        region: Query<Option<RegionParam>>,
        /// `true`: only the units that withdrew; `false` (default): those taking part.
        withdrawn: Query<Option<bool>>,
        offset: Query<Option<u64>>,
        /// Rows to return (1–500, default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<UnitPage>, ApiError> {
        let p = self.programme(&auth, &key.0).await?;
        let (offset, limit) = page(offset.0, limit.0)?;
        let within = region.0.map(|r| r.0);
        let units = if withdrawn.0.unwrap_or(false) {
            self.state.store.all_units(&p.key).await?.into_iter().filter(|u| u.withdrawn.is_some()).collect()
        } else {
            self.state.store.units(&p.key).await?
        };
        let units: Vec<_> = units
            .into_iter()
            .filter(|u| within.as_ref().is_none_or(|r| u.path.contains(r)))
            .filter(|u| auth.principal().can_read_unit(&u.path))
            .collect();
        Ok(Json(UnitPage {
            total: units.len() as u64,
            items: units.iter().skip(offset as usize).take(limit as usize).map(Into::into).collect(),
            offset,
            limit,
        }))
    }

    /// Add a pilot unit with its chosen directions. Refused, naming the rule, when it breaks the
    /// programme's selection rules (quotas per unit and per city, scope, level, duplicates).
    #[oai(path = "/:key/units", method = "post", operation_id = "createUnit")]
    async fn create(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<UnitInput>,
    ) -> Result<Created<UnitView>, ApiError> {
        let p = self.programme(&auth, &key.0).await?;
        let candidate = body.0.into_domain()?;
        let stored = self.admit(&auth, &p, candidate, Admission::New).await?;
        Ok(Created::Created(Json((&stored).into())))
    }

    /// Read one unit, withdrawn or not.
    #[oai(path = "/:key/units/:region", method = "get", operation_id = "getUnit")]
    async fn get(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        region: Path<RegionParam>,
    ) -> Result<Json<UnitView>, ApiError> {
        let p = self.programme(&auth, &key.0).await?;
        let missing = || ApiError::not_found(format!("unit {} of programme `{}` does not exist", region.0, key.0));
        let u = self.state.store.unit(&p.key, &region.0.0).await?.ok_or_else(missing)?;
        auth.may(Access::ReadUnit { unit_path: &u.path })?;
        Ok(Json((&u).into()))
    }

    /// Change a unit's directions, lead or flags; the rules are checked again.
    #[oai(path = "/:key/units/:region", method = "put", operation_id = "updateUnit")]
    async fn update(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        region: Path<RegionParam>,
        body: Json<UnitInput>,
    ) -> Result<Json<UnitView>, ApiError> {
        let p = self.programme(&auth, &key.0).await?;
        let code = region.0.0.clone();
        auth.may(Access::ReadUnit { unit_path: &code.implied_path() })?;
        let candidate = body.0.into_domain()?;
        if candidate.region != code {
            return Err(DomainError::invalid("region", "a unit's region cannot change").into());
        }
        let stored = self.admit(&auth, &p, candidate, Admission::Change(&code)).await?;
        Ok(Json((&stored).into()))
    }

    /// Withdraw a unit from the programme (退出试点), by a province admin or city reviewer whose
    /// region contains it. Its filings, scores and reminders stay on record; nothing more is due
    /// from it, it leaves the deadline board and the ranking, and its quota place is free. Filing
    /// for it or changing it afterwards is refused (409 `rule.unit_withdrawn`).
    #[oai(path = "/:key/units/:region/withdraw", method = "post", operation_id = "withdrawUnit")]
    async fn withdraw(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        region: Path<RegionParam>,
        body: Json<WithdrawInput>,
    ) -> Result<Json<UnitView>, ApiError> {
        let now = self.state.now();
        let u =
            units::withdraw(&self.state.store, auth.principal(), &key.0.0, &region.0.0, &body.0.reason, now).await?;
        Ok(Json((&u).into()))
    }

    /// Take a withdrawn unit back, checked against the selection rules as they stand.
    #[oai(path = "/:key/units/:region/reinstate", method = "post", operation_id = "reinstateUnit")]
    async fn reinstate(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        region: Path<RegionParam>,
    ) -> Result<Json<UnitView>, ApiError> {
        let now = self.state.now();
        let u = units::reinstate(&self.state.store, auth.principal(), &key.0.0, &region.0.0, now).await?;
        Ok(Json((&u).into()))
    }
}
