//! 以奖代补: a fund split by annual scores, tiers or fixed grants, to the fen.

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, param::Path};

use crate::api::auth::Auth;
use crate::api::common::{Created, shanghai};
use crate::api::error::ApiError;
use crate::api::params::KeyParam;
use crate::api::scoring_dto::{RewardMethodDto, convert};
use crate::api::{ApiTags, State};
use crate::domain::RegionCode;
use crate::domain::reward::{Allocation, Method};
use crate::service::scoring::{self as service};

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RewardInput {
    /// A name for this allocation (`2019年度以奖代补`).
    pub label: String,
    /// The year whose annual scores decide the split.
    pub year: i32,
    /// The fund, in fen (分).
    pub fund: i64,
    /// Proportional above a threshold, tiers, or fixed grants; amounts in fen.
    pub method: RewardMethodDto,
    /// Most any one unit may get, in fen.
    pub cap: Option<i64>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ShareView {
    pub unit: String,
    /// Fen.
    pub amount: i64,
    pub explanation: String,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RewardView {
    pub key: String,
    pub label: String,
    pub fund: i64,
    /// How it was split.
    pub method: RewardMethodDto,
    pub cap: Option<i64>,
    pub shares: Vec<ShareView>,
    pub computed_at: chrono::DateTime<chrono::FixedOffset>,
}

impl RewardView {
    /// The allocation with the shares of the units `shown` accepts.
    fn of(r: &Allocation, shown: impl Fn(&RegionCode) -> bool) -> Result<Self, ApiError> {
        Ok(Self {
            key: r.key.clone(),
            label: r.label.clone(),
            fund: r.fund,
            method: convert("method", &r.method)?,
            cap: r.cap,
            shares: r
                .shares
                .iter()
                .filter(|s| shown(&s.unit))
                .map(|s| ShareView {
                    unit: s.unit.to_string(),
                    amount: s.amount,
                    explanation: s.explanation.to_string(),
                })
                .collect(),
            computed_at: shanghai(r.computed_at),
        })
    }
}

pub struct RewardsApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Scoring")]
impl RewardsApi {
    /// Split a reward fund (以奖代补) by annual scores, or by fixed grants; the shares add up to
    /// the fund to the fen.
    #[oai(path = "/programmes/:key/rewards", method = "post", operation_id = "allocateReward")]
    async fn allocate(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<RewardInput>,
    ) -> Result<Created<RewardView>, ApiError> {
        let k = key.0.0;
        let b = body.0;
        let method: Method = convert("method", &b.method)?;
        let allocation = service::allocate(
            &self.state.store,
            auth.principal(),
            &k,
            &b.label,
            b.year,
            b.fund,
            method,
            b.cap,
            self.state.now(),
        )
        .await?;
        Ok(Created::Created(Json(RewardView::of(&allocation, |_| true)?)))
    }

    /// Reward allocations made so far (their shares, for the units this account may see).
    #[oai(path = "/programmes/:key/rewards", method = "get", operation_id = "listRewards")]
    async fn rewards(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<RewardView>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let rows = self.state.store.rewards(&k).await?;
        let units = self.state.store.units(&k).await?;
        let shown =
            |c: &RegionCode| units.iter().any(|u| &u.unit.region == c && auth.principal().can_read_unit(&u.path));
        Ok(Json(rows.iter().map(|r| RewardView::of(r, shown)).collect::<Result<_, _>>()?))
    }
}
