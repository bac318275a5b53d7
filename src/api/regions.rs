//! `/regions`: the administrative division tree (GB/T 2260), read-only over HTTP and readable by
//! every account (it is reference data); it is loaded from `fixtures/regions.yaml`.

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
}

impl From<&Region> for RegionView {
    fn from(r: &Region) -> Self {
        Self {
            code: r.code.to_string(),
            name: r.name.clone(),
            level: r.level.into(),
            parent: r.parent.as_ref().map(|p| p.to_string()),
        }
    }
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

    /// One region.
    #[oai(path = "/:code", method = "get", operation_id = "getRegion")]
    async fn get(&self, _auth: Auth, code: Path<RegionParam>) -> Result<Json<RegionView>, ApiError> {
        let missing = || ApiError::not_found(format!("region {} does not exist", code.0));
        let c = code.0.0.clone();
        let r = self.state.store.region(&c).await?.ok_or_else(missing)?;
        Ok(Json((&r).into()))
    }
}
