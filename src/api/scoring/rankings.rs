//! Monthly rankings in descending order (降幂排列): live until published, then frozen; corrections as new versions; CSV.

use poem::Response;
use poem::http::header;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::MetaSchemaRef;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query};

use crate::api::auth::Auth;
use crate::api::common::{Created, shanghai};
use crate::api::error::ApiError;
use crate::api::params::{KeyParam, MonthParam};
use crate::api::rendered::Rendered;
use crate::api::{ApiTags, State};
use crate::service::scoring::{self as service, RankEntry, Ranking};

// Also `Serialize`, for `Rendered`: the same fields, `None` left out.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RankView {
    pub rank: u32,
    pub unit: String,
    pub name: String,
    pub score: f64,
    /// Places gained since last month (negative: lost); none for the first ranked month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
}

// Also `Serialize`, for `Rendered`: the same fields, `None` left out.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RankingView {
    pub period: String,
    /// The published version shown; none while the month is a live draft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// When this version was published (Asia/Shanghai).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "rfc3339")]
    pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Why this version corrects the one before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub entries: Vec<RankView>,
    /// Units ranked in all (`entries` may be one page of them).
    pub total: u64,
}

/// As poem-openapi writes a date-time (`to_rfc3339`), so both renderings agree.
fn rfc3339<S: serde::Serializer>(t: &Option<chrono::DateTime<chrono::FixedOffset>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

fn ranking_view(r: &Ranking) -> RankingView {
    RankingView {
        period: r.period.to_string(),
        version: r.version,
        published_at: r.published_at.map(shanghai),
        reason: r.reason.clone(),
        entries: r.entries.iter().map(rank_view).collect(),
        total: r.entries.len() as u64,
    }
}

/// A stored RFC 3339 instant, shown in Asia/Shanghai.
pub(in crate::api) fn rank_view(e: &RankEntry) -> RankView {
    RankView { rank: e.rank, unit: e.unit.to_string(), name: e.name.clone(), score: e.score.as_f64(), change: e.change }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PublishInput {
    /// Required to publish a new version of a month already published.
    pub correction_reason: Option<String>,
}

/// A ranking as CSV (UTF-8 with BOM, so Excel and WPS open it in Chinese).
pub struct Csv(String);

impl Payload for Csv {
    const CONTENT_TYPE: &'static str = "text/csv; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        <poem_openapi::payload::PlainText<String> as Payload>::schema_ref()
    }
}

impl poem::IntoResponse for Csv {
    fn into_response(self) -> Response {
        // The writer puts the BOM in (so Excel and WPS open it in Chinese).
        Response::builder().header(header::CONTENT_TYPE, Self::CONTENT_TYPE).body(self.0)
    }
}

#[derive(ApiResponse)]
pub enum CsvResponse {
    /// The ranking, one unit a line.
    #[oai(status = 200)]
    Ok(Csv),
}

pub struct RankingsApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Scoring")]
impl RankingsApi {
    /// A month's ranking, in descending order: the latest published version, or the live draft
    /// while unpublished. Rankings are public to everyone who may read the programme. The whole
    /// ranking unless `limit` asks for a page (`total` counts every unit ranked).
    #[oai(path = "/programmes/:key/rankings/:period", method = "get", operation_id = "getRanking")]
    async fn ranking(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        period: Path<MonthParam>,
        /// Lines to skip (a page's start).
        offset: Query<Option<u64>>,
        /// Lines to return (1–500); all when absent.
        limit: Query<Option<u64>>,
    ) -> Result<Rendered<RankingView>, ApiError> {
        let k = key.0.0;
        let limit = limit.0.map(|l| crate::api::common::page(None, Some(l)).map(|(_, l)| l as usize)).transpose()?;
        let offset = usize::try_from(offset.0.unwrap_or(0)).unwrap_or(usize::MAX);
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let page = service::ranking_page(&self.state.store, &k, period.0.0, self.state.now(), offset, limit).await?;
        if let Some((published, window)) = page.published() {
            let period = page.period.to_string();
            return Ok(Rendered::from_bytes(self.state.ranking_json.page(k.as_str(), &period, published, window)));
        }
        Ok(Rendered::of(&RankingView {
            period: page.period.to_string(),
            version: page.version,
            published_at: page.published_at.map(shanghai),
            reason: page.reason.clone(),
            entries: page.entries().iter().map(rank_view).collect(),
            total: page.total() as u64,
        }))
    }

    /// Every published version of a month's ranking, oldest first.
    #[oai(path = "/programmes/:key/rankings/:period/versions", method = "get", operation_id = "listRankingVersions")]
    async fn versions(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        period: Path<MonthParam>,
    ) -> Result<Json<Vec<RankingView>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let v = service::ranking_versions(&self.state.store, &k, period.0.0).await?;
        Ok(Json(v.iter().map(ranking_view).collect()))
    }

    /// Publish (freeze) a month's ranking; a month already published takes a correction with a
    /// reason, as a new version.
    #[oai(path = "/programmes/:key/rankings/:period/publish", method = "post", operation_id = "publishRanking")]
    async fn publish(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        period: Path<MonthParam>,
        body: Json<PublishInput>,
    ) -> Result<Created<RankingView>, ApiError> {
        let k = key.0.0;
        let r = service::publish(
            &self.state.store,
            auth.principal(),
            &k,
            period.0.0,
            body.0.correction_reason.as_deref(),
            self.state.now(),
        )
        .await?;
        Ok(Created::Created(Json(ranking_view(&r))))
    }

    /// A month's ranking as CSV.
    #[oai(path = "/programmes/:key/rankings/:period/csv", method = "get", operation_id = "rankingCsv")]
    async fn csv(&self, auth: Auth, key: Path<KeyParam>, period: Path<MonthParam>) -> Result<CsvResponse, ApiError> {
        let k = key.0.0;
        // The same table as the ranking export, through the one CSV writer.
        let t = crate::service::exports::ranking_table(
            &self.state.store,
            auth.principal(),
            &k,
            period.0.0,
            self.state.now(),
        )
        .await?;
        Ok(CsvResponse::Ok(Csv(t.to_csv())))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;

    /// The ranking route renders with serde (`Rendered`); the spec and every other route use
    /// poem-openapi's rendering. They must be the same JSON, with and without the optional fields.
    #[test]
    fn serde_and_openapi_render_a_ranking_alike() {
        let line = |change| RankView { rank: 1, unit: "350103".into(), name: "台江区".into(), score: 98.5, change };
        let published = RankingView {
            period: "2022-09".into(),
            version: Some(2),
            published_at: Some("2022-10-08T09:30:00.123+08:00".parse().unwrap()),
            reason: Some("补录".into()),
            entries: vec![line(Some(-1)), line(None)],
            total: 84,
        };
        let live = RankingView { version: None, published_at: None, reason: None, ..published.clone() };
        for view in [published, live] {
            let by_serde: serde_json::Value = serde_json::from_slice(&serde_json::to_vec(&view).unwrap()).unwrap();
            assert_eq!(by_serde, view.to_json().unwrap());
        }
    }
}
