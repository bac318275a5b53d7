//! Appeals (申诉) against a deduction or an evaluation, decided once by the level above.

use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, param::Path};

use super::visible_views;
use crate::api::auth::Auth;
use crate::api::common::{Created, region, shanghai};
use crate::api::error::ApiError;
use crate::api::params::KeyParam;
use crate::api::{ApiTags, State};
use crate::domain::appeal::{Appeal, AppealStatus};
use crate::service::scoring::{self as service};

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AppealInput {
    pub unit: String,
    /// A deduction line id (from the scores) or an evaluation key.
    pub target: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum Verdict {
    /// The deduction or evaluation stands.
    Uphold,
    /// It is voided.
    Overturn,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DecideInput {
    pub decision: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AppealView {
    pub key: String,
    pub unit: String,
    pub target: String,
    pub period: Option<String>,
    pub reason: String,
    pub filed_by: String,
    pub filed_at: chrono::DateTime<chrono::FixedOffset>,
    /// Upheld and overturned are final.
    pub status: AppealStatusDto,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// Where an appeal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AppealStatusDto {
    Pending,
    /// The deduction or evaluation stands.
    Upheld,
    /// It is voided.
    Overturned,
}

impl From<AppealStatus> for AppealStatusDto {
    fn from(s: AppealStatus) -> Self {
        match s {
            AppealStatus::Pending => Self::Pending,
            AppealStatus::Upheld => Self::Upheld,
            AppealStatus::Overturned => Self::Overturned,
        }
    }
}

impl From<&Appeal> for AppealView {
    fn from(a: &Appeal) -> Self {
        Self {
            key: a.key.clone(),
            unit: a.unit.to_string(),
            target: a.target.clone(),
            period: a.period.map(|p| p.to_string()),
            reason: a.reason.clone(),
            filed_by: a.filed_by.clone(),
            filed_at: shanghai(a.filed_at),
            status: a.status.into(),
            decision_reason: a.decision.as_ref().map(|d| d.reason.clone()),
            decided_by: a.decision.as_ref().map(|d| d.by.clone()),
            decided_at: a.decision.as_ref().map(|d| shanghai(d.at)),
        }
    }
}

pub struct AppealsApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Scoring")]
impl AppealsApi {
    /// Appeal (申诉) a deduction or an evaluation of your unit, within the scheme's window.
    #[oai(path = "/programmes/:key/appeals", method = "post", operation_id = "createAppeal")]
    async fn appeal(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<AppealInput>,
    ) -> Result<Created<AppealView>, ApiError> {
        let k = key.0.0;
        let unit = region("unit", &body.0.unit)?;
        let a = service::appeal(
            &self.state.store,
            auth.principal(),
            &k,
            &unit,
            &body.0.target,
            &body.0.reason,
            self.state.now(),
        )
        .await?;
        Ok(Created::Created(Json((&a).into())))
    }

    /// Appeals about the units this account may see.
    #[oai(path = "/programmes/:key/appeals", method = "get", operation_id = "listAppeals")]
    async fn appeals(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<AppealView>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let rows = self.state.store.appeals(&k).await?;
        Ok(Json(visible_views(&auth, &rows, |r| &r.unit_path)))
    }

    /// Uphold or overturn an appeal; the decision is final. Overturning voids the deduction or
    /// evaluation; months not yet published change at once.
    #[oai(path = "/appeals/:id/decide", method = "post", operation_id = "decideAppeal")]
    async fn decide(
        &self,
        auth: Auth,
        id: Path<String>,
        body: Json<DecideInput>,
    ) -> Result<Json<AppealView>, ApiError> {
        let a = service::decide(
            &self.state.store,
            auth.principal(),
            &id.0,
            body.0.decision == Verdict::Overturn,
            &body.0.reason,
            self.state.now(),
        )
        .await?;
        Ok(Json((&a).into()))
    }
}
