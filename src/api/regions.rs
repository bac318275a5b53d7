//! `/regions`: the administrative division tree (GB/T 2260) — the national table down to the
//! townships, loaded at start-up — readable by every account (it is reference data): children,
//! search by name, and renames by a province admin.

use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::{Level, page};
use super::error::ApiError;
use super::params::RegionParam;
use super::{ApiTags, State};
use crate::domain::{Region, RegionCode};

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegionView {
    /// GB/T 2260 code; 9 digits for townships; `000000` is the national root.
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
    /// The code that replaced this region (撤并 or a new code); absent while it is current.
    pub successor: Option<String>,
}

impl From<&Region> for RegionView {
    fn from(r: &Region) -> Self {
        Self {
            code: r.code.to_string(),
            name: r.name.clone(),
            level: r.level.into(),
            parent: r.parent.as_ref().map(|p| p.to_string()),
            successor: r.successor.as_ref().map(|p| p.to_string()),
        }
    }
}

/// A region found by name, with the names above it to tell namesakes apart.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegionHit {
    #[oai(flatten)]
    pub region: RegionView,
    /// From the province down to the region: 贵州省 安顺市 西秀区 旧州镇.
    pub full_name: String,
}

#[derive(Debug, Clone, Object)]
pub struct RegionSearch {
    pub items: Vec<RegionHit>,
}

/// A region's new name (更名).
#[derive(Debug, Clone, Object)]
pub struct RegionRename {
    pub name: String,
}

/// Another code for a region: an existing region it merges into (撤并), or a new code (撤县设区
/// and the like) under which its subordinates take the new prefix.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegionRecode {
    /// The code that replaces the region.
    pub code: String,
    /// The name under the new code (a new code only; default: the current name).
    pub name: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegionPage {
    pub items: Vec<RegionView>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

pub struct RegionsApi {
    pub state: State,
}

#[OpenApi(prefix_path = "/regions", tag = "ApiTags::Regions")]
impl RegionsApi {
    /// Children of a region, by code (the provinces when `parent` is absent).
    #[oai(path = "/", method = "get", operation_id = "listRegions")]
    async fn list(
        &self,
        _auth: Auth,
        /// Parent region code.
        parent: Query<Option<RegionParam>>,
        offset: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<RegionPage>, ApiError> {
        let (offset, limit) = page(offset.0, limit.0)?;
        let parent: Option<RegionCode> = parent.0.map(|p| p.0);
        let (list, total) = self.state.store.child_regions(parent.as_ref(), offset, limit).await?;
        Ok(Json(RegionPage { items: list.iter().map(Into::into).collect(), total, offset, limit }))
    }

    /// Regions whose name contains `q` (1–32 characters), by code, at most `limit` (default 50);
    /// inside `under` when given. Each hit carries its full name to tell namesakes apart.
    #[oai(path = "/search", method = "get", operation_id = "searchRegions")]
    async fn search(
        &self,
        _auth: Auth,
        q: Query<String>,
        under: Query<Option<RegionParam>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<RegionSearch>, ApiError> {
        let (_, limit) = page(None, limit.0)?;
        let under: Option<RegionCode> = under.0.map(|u| u.0);
        let found = crate::service::regions::search(&self.state.store, &q.0, under.as_ref(), limit).await?;
        Ok(Json(RegionSearch {
            items: found
                .iter()
                .map(|f| RegionHit { region: (&f.region).into(), full_name: f.path_names.join(" ") })
                .collect(),
        }))
    }

    /// Rename a region (更名), by the province admin whose province contains it; audited. Units
    /// standing for the region take the new name; their code, and so their filings, stay.
    #[oai(path = "/:code", method = "put", operation_id = "renameRegion")]
    async fn rename(
        &self,
        auth: Auth,
        code: Path<RegionParam>,
        body: Json<RegionRename>,
    ) -> Result<Json<RegionView>, ApiError> {
        let r = crate::service::regions::rename(
            &self.state.store,
            auth.principal(),
            &code.0.0,
            &body.0.name,
            self.state.now(),
        )
        .await?;
        Ok(Json((&r).into()))
    }

    /// Give a region another code (撤并 into an existing region, or a new code), by the province
    /// admin whose province holds both; audited. Its subordinates take the new prefix; units,
    /// accounts and their filings, scores and reminders follow, so old filings stay with their
    /// unit. The old code stays readable with `successor` set; it is no longer listed or admitted.
    /// Answers the old region as it now reads.
    #[oai(path = "/:code/recode", method = "post", operation_id = "recodeRegion")]
    async fn recode(
        &self,
        auth: Auth,
        code: Path<RegionParam>,
        body: Json<RegionRecode>,
    ) -> Result<Json<RegionView>, ApiError> {
        let new_code = super::common::region("code", &body.0.code)?;
        let r = crate::service::regions::recode(
            &self.state.store,
            auth.principal(),
            &code.0.0,
            &new_code,
            body.0.name.as_deref().unwrap_or(""),
            self.state.now(),
        )
        .await?;
        Ok(Json((&r).into()))
    }

    /// One region.
    #[oai(path = "/:code", method = "get", operation_id = "getRegion")]
    async fn get(&self, _auth: Auth, code: Path<RegionParam>) -> Result<Json<RegionView>, ApiError> {
        let missing = || ApiError::not_found(format!("region {} does not exist", code.0));
        let c = code.0.0.clone();
        let r = self.state.store.region(&c).await?.ok_or_else(missing)?;
        Ok(Json((&r).into()))
    }
}
