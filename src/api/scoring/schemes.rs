//! Scoring schemes (考评细则) and indicator systems (评估指标体系), in the fixture format's shape
//! (`fixtures/README.md`).

use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, param::Path};

use crate::api::auth::Auth;
use crate::api::error::ApiError;
use crate::api::params::KeyParam;
use crate::api::scoring_dto::{IndicatorSystemDto, SchemeDto, convert};
use crate::api::{ApiTags, State};
use crate::domain::evaluation::IndicatorSystem;
use crate::domain::scoring::Scheme;
use crate::service::scoring::{self as service};

pub struct SchemesApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Scoring")]
impl SchemesApi {
    /// The programme's scoring scheme.
    #[oai(path = "/programmes/:key/scheme", method = "get", operation_id = "getScheme")]
    async fn get_scheme(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<SchemeDto>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let s = service::scheme_required(&self.state.store, &k).await?;
        Ok(Json(convert("scheme", &s)?))
    }

    /// Set the scoring scheme: items with full marks, automatic deduction rules, bonus cap,
    /// ranking months, appeal window, annual weights.
    #[oai(path = "/programmes/:key/scheme", method = "put", operation_id = "putScheme")]
    async fn put_scheme(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<SchemeDto>,
    ) -> Result<Json<SchemeDto>, ApiError> {
        let k = key.0.0;
        let path = service::programme_gate(&self.state.store, auth.principal(), &k, true).await?;
        let scheme: Scheme = convert("scheme", &body.0)?;
        scheme.validate()?;
        self.state.store.put_scheme(&k, &scheme, path, &auth.actor(&self.state)).await?;
        Ok(Json(convert("scheme", &scheme)?))
    }

    /// The programme's evaluation indicator system.
    #[oai(path = "/programmes/:key/indicator-system", method = "get", operation_id = "getIndicatorSystem")]
    async fn get_system(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<IndicatorSystemDto>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let s = self
            .state
            .store
            .indicator_system(&k)
            .await?
            .ok_or_else(|| ApiError::not_found("this programme has no indicator system"))?;
        Ok(Json(convert("indicator_system", &s)?))
    }

    /// Set the indicator system: groups and indicators with weights (each adding up to 100) and
    /// grade bands.
    #[oai(path = "/programmes/:key/indicator-system", method = "put", operation_id = "putIndicatorSystem")]
    async fn put_system(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<IndicatorSystemDto>,
    ) -> Result<Json<IndicatorSystemDto>, ApiError> {
        let k = key.0.0;
        let path = service::programme_gate(&self.state.store, auth.principal(), &k, true).await?;
        let s: IndicatorSystem = convert("indicator_system", &body.0)?;
        s.validate()?;
        self.state.store.put_indicator_system(&k, &s, path, &auth.actor(&self.state)).await?;
        Ok(Json(convert("indicator_system", &s)?))
    }
}
