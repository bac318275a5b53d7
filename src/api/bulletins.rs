//! `/programmes/{key}/bulletins` and `/bulletins/{id}`: progress bulletins (通报), drafted from
//! the record, annotated, published under the next number, rendered as HTML, Markdown or text.

use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::{key, region};
use super::download::{Download, FileDownload};
use super::error::ApiError;
use super::{ApiTags, State};
use crate::domain::bulletin::Kind;
use crate::render::{self, Format};
use crate::service::bulletins::{self as service, Request};
use crate::store::bulletins::{BulletinRow, content};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum BulletinKind {
    /// 月度进展通报 (period: `2019-05`).
    Monthly,
    /// 阶段通报 (period: a stage key).
    Stage,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BulletinInput {
    pub kind: BulletinKind,
    /// `2019-05` for a monthly bulletin; a stage key for a stage bulletin.
    pub period: String,
    /// A region inside the programme (a city's own bulletin); default: the programme's region.
    pub region: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BulletinEdit {
    /// The revision you edited; a newer one means someone changed it first (409 `stale`).
    pub revision: u32,
    pub title: Option<String>,
    /// 工作要求: the department's own words, printed as the last section.
    pub remarks: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BulletinPublish {
    pub revision: u32,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BulletinView {
    pub id: String,
    pub programme: String,
    pub region: String,
    pub kind: String,
    pub period: String,
    /// `draft` or `published`.
    pub status: String,
    /// 第N期, once published.
    pub number: Option<u32>,
    pub title: String,
    pub remarks: Option<String>,
    pub revision: u32,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub created_by: String,
    pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub published_by: Option<String>,
    /// The figures as taken: summary, ranking, units named, good practice, what falls due next.
    pub content: serde_json::Value,
}

impl From<&BulletinRow> for BulletinView {
    fn from(b: &BulletinRow) -> Self {
        Self {
            id: b.key.clone(),
            programme: b.programme.clone(),
            region: b.region.clone(),
            kind: b.kind.clone(),
            period: b.period.clone(),
            status: b.status.clone(),
            number: b.number,
            title: b.title.clone(),
            remarks: b.remarks.clone(),
            revision: b.revision,
            created_at: super::common::stamp(&b.created_at),
            created_by: b.created_by.clone(),
            published_at: super::common::stamp_opt(b.published_at.as_deref()),
            published_by: b.published_by.clone(),
            content: b.content.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum BulletinFormat {
    /// A4, official look, with charts.
    Html,
    Markdown,
    /// Short, for a WeCom or DingTalk message.
    Text,
}

#[derive(ApiResponse)]
pub enum BulletinCreated {
    /// The draft, new or recomputed.
    #[oai(status = 201)]
    Created(Json<BulletinView>),
}

pub struct BulletinsApi {
    pub state: State,
}

/// Renders a bulletin in a format.
pub fn rendered(b: &BulletinRow, format: Format) -> Result<String, ApiError> {
    let c = content(b)?;
    render::bulletin(b, &c, format).map_err(|e| ApiError::internal(&e))
}

#[OpenApi(tag = "ApiTags::Bulletins")]
impl BulletinsApi {
    /// Draft a bulletin from the record as it stands (or recompute the open draft of the same
    /// period and region, keeping its remarks). A monthly bulletin of a scored programme needs
    /// the month's published ranking (409 `ranking_not_published`).
    #[oai(path = "/programmes/:key/bulletins", method = "post", operation_id = "draftBulletin")]
    async fn draft(
        &self,
        auth: Auth,
        key: Path<String>,
        body: Json<BulletinInput>,
    ) -> Result<BulletinCreated, ApiError> {
        let k = self::key("key", &key.0)?;
        let req = Request {
            kind: match body.0.kind {
                BulletinKind::Monthly => Kind::Monthly,
                BulletinKind::Stage => Kind::Stage,
            },
            period: body.0.period.trim().to_owned(),
            region: body.0.region.as_deref().map(|r| region("region", r)).transpose()?,
        };
        let b = service::draft(&self.state.store, Some(auth.principal()), &k, &req, self.state.clock.now()).await?;
        Ok(BulletinCreated::Created(Json((&b).into())))
    }

    /// The programme's bulletins you may read: published ones for your region's line of the
    /// tree, drafts only if you may publish them.
    #[oai(path = "/programmes/:key/bulletins", method = "get", operation_id = "listBulletins")]
    async fn list(&self, auth: Auth, key: Path<String>) -> Result<Json<Vec<BulletinView>>, ApiError> {
        let k = self::key("key", &key.0)?;
        let all = service::list(&self.state.store, auth.principal(), &k).await?;
        Ok(Json(all.iter().map(Into::into).collect()))
    }

    /// One bulletin.
    #[oai(path = "/bulletins/:id", method = "get", operation_id = "getBulletin")]
    async fn get(&self, auth: Auth, id: Path<String>) -> Result<Json<BulletinView>, ApiError> {
        let b = service::get(&self.state.store, auth.principal(), &id.0).await?;
        Ok(Json((&b).into()))
    }

    /// Change a draft's title or remarks. A published bulletin is never changed (409 `published`).
    #[oai(path = "/bulletins/:id", method = "put", operation_id = "updateBulletin")]
    async fn update(
        &self,
        auth: Auth,
        id: Path<String>,
        body: Json<BulletinEdit>,
    ) -> Result<Json<BulletinView>, ApiError> {
        let b = service::edit(
            &self.state.store,
            auth.principal(),
            &id.0,
            body.0.revision,
            body.0.title.as_deref(),
            body.0.remarks.as_deref(),
            self.state.clock.now(),
        )
        .await?;
        Ok(Json((&b).into()))
    }

    /// Publish a draft: it takes the programme's next number (第N期) and is frozen.
    #[oai(path = "/bulletins/:id/publish", method = "post", operation_id = "publishBulletin")]
    async fn publish(
        &self,
        auth: Auth,
        id: Path<String>,
        body: Json<BulletinPublish>,
    ) -> Result<Json<BulletinView>, ApiError> {
        let b = service::publish(&self.state.store, auth.principal(), &id.0, body.0.revision, self.state.clock.now())
            .await?;
        Ok(Json((&b).into()))
    }

    /// The bulletin as a document: `html` (A4, print-ready, charts), `markdown` or `text`.
    #[oai(path = "/bulletins/:id/document", method = "get", operation_id = "bulletinDocument")]
    async fn document(
        &self,
        auth: Auth,
        id: Path<String>,
        format: Query<Option<BulletinFormat>>,
    ) -> Result<Download, ApiError> {
        let b = service::get(&self.state.store, auth.principal(), &id.0).await?;
        let (format, ctype, ext) = match format.0.unwrap_or(BulletinFormat::Html) {
            BulletinFormat::Html => (Format::Html, "text/html; charset=utf-8", "html"),
            BulletinFormat::Markdown => (Format::Markdown, "text/markdown; charset=utf-8", "md"),
            BulletinFormat::Text => (Format::Text, "text/plain; charset=utf-8", "txt"),
        };
        let text = rendered(&b, format)?;
        let name = match b.number {
            Some(n) => format!("{}-第{n}期.{ext}", b.programme),
            None => format!("{}-{}-草稿.{ext}", b.programme, b.period),
        };
        Ok(Download::File(FileDownload::inline(text.into_bytes(), ctype, &name)))
    }
}
