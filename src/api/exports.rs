//! Spreadsheets and calendars: the ranking, the compliance matrix and a reward split as XLSX or
//! CSV (the same rows), and a unit's deadlines as an iCalendar feed at a secret URL.

use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::SheetFormat;
use super::download::{CSV, Download, FileDownload, XLSX};
use super::error::ApiError;
use super::params::{KeyParam, MonthParam, RegionParam};
use super::{ApiTags, State};
use crate::domain::feed::Feed;
use crate::render::table::Table;
use crate::service::exports as service;

fn sheet(t: &Table, format: Option<SheetFormat>, name: &str) -> Result<Download, ApiError> {
    Ok(Download::File(match format.unwrap_or(SheetFormat::Xlsx) {
        SheetFormat::Xlsx => FileDownload::attachment(
            t.to_xlsx().map_err(|e| ApiError::internal(&format!("xlsx: {e}")))?,
            XLSX,
            &format!("{name}.xlsx"),
        ),
        SheetFormat::Csv => FileDownload::attachment(t.to_csv().into_bytes(), CSV, &format!("{name}.csv")),
    }))
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FeedView {
    pub id: String,
    pub programme: String,
    pub unit: String,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub revoked: bool,
}

impl From<&Feed> for FeedView {
    fn from(f: &Feed) -> Self {
        Self {
            id: f.key.clone(),
            programme: f.programme.to_string(),
            unit: f.unit.to_string(),
            created_by: f.created_by.clone(),
            created_at: super::common::shanghai(f.created_at),
            revoked: f.revoked,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FeedCreatedView {
    #[oai(flatten)]
    pub feed: FeedView,
    /// The secret URL to subscribe to (shown once; keep it like a password), absolute: from the
    /// server's `public_url`, else from the host the request came to.
    pub url: String,
}

#[derive(ApiResponse)]
pub enum FeedCreated {
    #[oai(status = 201)]
    Created(Json<FeedCreatedView>),
}

#[derive(ApiResponse)]
pub enum IcsResponse {
    /// The unit's deadlines, one all-day event each.
    #[oai(status = 200, content_type = "text/calendar; charset=utf-8")]
    Ok(poem_openapi::payload::PlainText<String>),
}

pub struct ExportsApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Exports")]
impl ExportsApi {
    /// A month's ranking as a spreadsheet (published version, else the live one).
    #[oai(path = "/programmes/:key/rankings/:period/export", method = "get", operation_id = "exportRanking")]
    async fn ranking(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        period: Path<MonthParam>,
        format: Query<Option<SheetFormat>>,
    ) -> Result<Download, ApiError> {
        let k = key.0.0;
        let m = period.0.0;
        let t = service::ranking_table(&self.state.store, auth.principal(), &k, m, self.state.clock.now()).await?;
        sheet(&t, format.0, &format!("{k}-{m}-排名"))
    }

    /// The compliance matrix (units × deadlines) as a spreadsheet, for the units you may see.
    #[oai(path = "/programmes/:key/compliance/export", method = "get", operation_id = "exportCompliance")]
    async fn compliance(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        /// RFC 3339 instant, or a date meaning 00:00 that day in Asia/Shanghai; default now.
        as_of: Query<Option<String>>,
        /// Only units inside this region.
        region: Query<Option<RegionParam>>,
        format: Query<Option<SheetFormat>>,
    ) -> Result<Download, ApiError> {
        let k = key.0.0;
        let r = region.0.map(|r| r.0);
        let as_of = super::common::as_of(as_of.0.as_deref(), self.state.clock.now())?;
        let t = service::compliance_table(&self.state.store, auth.principal(), &k, r.as_ref(), as_of).await?;
        sheet(&t, format.0, &format!("{k}-报送情况"))
    }

    /// A reward allocation (以奖代补) as a spreadsheet, amounts in yuan.
    #[oai(path = "/programmes/:key/rewards/:id/export", method = "get", operation_id = "exportReward")]
    async fn reward(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        id: Path<String>,
        format: Query<Option<SheetFormat>>,
    ) -> Result<Download, ApiError> {
        let k = key.0.0;
        let t = service::reward_table(&self.state.store, auth.principal(), &k, &id.0).await?;
        sheet(&t, format.0, &format!("{k}-奖补资金分配"))
    }

    /// A secret calendar URL with the unit's deadlines, for Outlook or WPS (anyone who may read
    /// the unit, except leaders, who change nothing). The URL is shown once.
    #[oai(path = "/programmes/:key/units/:region/calendar-feeds", method = "post", operation_id = "createCalendarFeed")]
    async fn create_feed(
        &self,
        req: &poem::Request,
        auth: Auth,
        key: Path<KeyParam>,
        region: Path<RegionParam>,
    ) -> Result<FeedCreated, ApiError> {
        let k = key.0.0;
        let u = region.0.0.clone();
        let (f, token) =
            service::create_feed(&self.state.store, auth.principal(), &k, &u, self.state.clock.now()).await?;
        Ok(FeedCreated::Created(Json(FeedCreatedView {
            feed: (&f).into(),
            url: self.state.site.absolute(req.header(poem::http::header::HOST), &format!("/api/v1/feeds/{token}")),
        })))
    }

    /// The unit's calendar feeds (without their secrets).
    #[oai(path = "/programmes/:key/units/:region/calendar-feeds", method = "get", operation_id = "listCalendarFeeds")]
    async fn feeds(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        region: Path<RegionParam>,
    ) -> Result<Json<Vec<FeedView>>, ApiError> {
        let k = key.0.0;
        let u = region.0.0.clone();
        let all = service::feeds(&self.state.store, auth.principal(), &k, &u).await?;
        Ok(Json(all.iter().map(Into::into).collect()))
    }

    /// Revoke a calendar feed: its URL answers 404 from now on.
    #[oai(path = "/calendar-feeds/:id/revoke", method = "post", operation_id = "revokeCalendarFeed")]
    async fn revoke_feed(&self, auth: Auth, id: Path<String>) -> Result<Json<FeedView>, ApiError> {
        let f = service::revoke_feed(&self.state.store, auth.principal(), &id.0, self.state.clock.now()).await?;
        Ok(Json((&f).into()))
    }

    /// The calendar itself. No login: the secret in the URL is the key.
    #[oai(path = "/feeds/:token", method = "get", operation_id = "calendarFeed")]
    async fn feed(&self, token: Path<String>) -> Result<IcsResponse, ApiError> {
        match service::feed_by_token(&self.state.store, &token.0, self.state.clock.now()).await? {
            Some(ics) => Ok(IcsResponse::Ok(poem_openapi::payload::PlainText(ics))),
            None => Err(ApiError::not_found("no such calendar feed, or it was revoked")),
        }
    }
}
