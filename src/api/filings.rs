//! Filings (报送) and their review (审定, 备案, 退回修改), and their attachments.

use chrono::{DateTime, FixedOffset, NaiveDate};
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Enum, Multipart, Object, OpenApi, param::Header, param::Path, param::Query};

use super::auth::Auth;
use super::common::{key as parse_key, page, region, shanghai};
use super::download::{Download, FileDownload};
use super::error::ApiError;
use super::params::{KeyParam, RegionParam};
use super::parts::RouteStepDto;
use super::programmes::not_found;
use super::{ApiTags, State};
use crate::domain::access::Access;
use crate::domain::filing::Attachment;
use crate::domain::filing::{Decision, Filing, FilingState, Timeliness, timeliness};
use crate::domain::programme::due_on;
use crate::domain::{DomainError, Rule};
use crate::service::filings::{self as service, NewFiling};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum StateDto {
    Draft,
    Submitted,
    Approved,
    Filed,
    Returned,
}

impl From<FilingState> for StateDto {
    fn from(s: FilingState) -> Self {
        match s {
            FilingState::Draft => Self::Draft,
            FilingState::Submitted => Self::Submitted,
            FilingState::Approved => Self::Approved,
            FilingState::Filed => Self::Filed,
            FilingState::Returned => Self::Returned,
        }
    }
}

/// A new filing (a draft) for one deadline of the lead's unit.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FilingInput {
    /// Region code of the unit.
    pub unit: String,
    pub deliverable: String,
    /// `once`, or the month/quarter of a recurring deadline; default `once`.
    pub occurrence: Option<String>,
    pub title: String,
    /// Markdown.
    #[oai(default)]
    pub body: String,
}

/// New content for a draft or returned filing.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FilingEdit {
    pub title: String,
    #[oai(default)]
    pub body: String,
    /// The revision this edit was made against (from the filing you read).
    pub revision: u32,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SubmitInput {
    /// The revision you are submitting.
    pub revision: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DecisionDto {
    /// 审定: accept at a review step.
    Approve,
    /// 备案: accept at a filing step.
    File,
    /// 退回修改: send back with a reason.
    Return,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewInput {
    pub decision: DecisionDto,
    /// Required when returning.
    pub reason: Option<String>,
    /// The revision you decided on; a newer one means someone acted first (409 `stale`).
    pub revision: u32,
    /// Mark the filing as good practice (典型经验): the passage bulletins quote (≤ 500 characters).
    pub exemplary: Option<String>,
}

#[derive(Debug, Multipart)]
pub struct UploadForm {
    /// The file (PDF, Word, Excel, PowerPoint, images, text, ZIP).
    pub file: Upload,
    /// The filing revision the upload is made against.
    pub revision: u32,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AttachmentView {
    pub key: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> Self {
        Self {
            key: a.key.clone(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            uploaded_by: a.uploaded_by.clone(),
            uploaded_at: shanghai(a.uploaded_at),
        }
    }
}

/// Whether the deadline was met, judged on the first submission.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TimelinessDto {
    pub status: TimelinessStatus,
    /// For a late filing.
    pub days_late: Option<i64>,
}

/// Met or not, judged on the first submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TimelinessStatus {
    OnTime,
    Late,
    /// Past due with nothing submitted.
    Missing,
    NotDue,
}

impl From<Timeliness> for TimelinessDto {
    fn from(t: Timeliness) -> Self {
        let (status, days_late) = match t {
            Timeliness::OnTime => (TimelinessStatus::OnTime, None),
            Timeliness::Late(d) => (TimelinessStatus::Late, Some(d)),
            Timeliness::Missing => (TimelinessStatus::Missing, None),
            Timeliness::NotDue => (TimelinessStatus::NotDue, None),
        };
        Self { status, days_late }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FilingView {
    pub key: String,
    pub programme: String,
    pub unit: String,
    pub deliverable: String,
    pub occurrence: String,
    pub title: String,
    pub body: String,
    pub attachments: Vec<String>,
    pub state: StateDto,
    /// The step awaiting action, while in review.
    pub pending_step: Option<RouteStepDto>,
    pub route: Vec<RouteStepDto>,
    /// Submissions so far.
    pub version: u32,
    /// Send back with edits, submissions and reviews.
    pub revision: u32,
    pub first_submitted_at: Option<DateTime<FixedOffset>>,
    pub last_submitted_at: Option<DateTime<FixedOffset>>,
    pub returned_reason: Option<String>,
    /// The good-practice passage (典型经验) a reviewer marked, if any.
    pub exemplary: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub timeliness: Option<TimelinessDto>,
    pub created_by: String,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VersionView {
    pub version: u32,
    pub title: String,
    pub body: String,
    pub attachments: Vec<String>,
    pub submitted_by: String,
    pub submitted_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewView {
    pub version: u32,
    /// The step of the route decided at (0 first).
    pub step: u32,
    pub level: super::common::Level,
    pub decision: DecisionDto,
    pub reason: Option<String>,
    pub reviewer: String,
    pub decided_at: chrono::DateTime<chrono::FixedOffset>,
}

/// A filing with its history.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FilingDetail {
    pub filing: FilingView,
    /// Every submitted version, oldest first.
    pub versions: Vec<VersionView>,
    /// Every review decision, oldest first.
    pub reviews: Vec<ReviewView>,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FilingPage {
    pub items: Vec<FilingView>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

#[derive(ApiResponse)]
pub enum FilingCreated {
    /// The draft was created.
    #[oai(status = 201)]
    Created(Json<FilingView>),
    /// A repeat of an earlier request with the same `Idempotency-Key`: the filing it created.
    #[oai(status = 200)]
    Replayed(Json<FilingView>),
}

pub struct FilingsApi {
    pub state: State,
    pub attachment_limit: usize,
}

impl FilingsApi {
    /// The view of a filing, with its deadline's day and timeliness worked out.
    async fn view(&self, f: &Filing) -> Result<FilingView, ApiError> {
        let store = &self.state.store;
        let (stages, deliverables) = tokio::try_join!(store.stages(&f.programme), store.deliverables(&f.programme))?;
        let due_on = due_on(&deliverables, &stages, f.deliverable.as_str(), &f.occurrence);
        Ok(view(f, due_on, self.state.clock.now()))
    }

    async fn detail(&self, f: &Filing) -> Result<FilingDetail, ApiError> {
        let store = &self.state.store;
        let (versions, reviews) = tokio::try_join!(store.filing_versions(&f.key), store.reviews(&f.key))?;
        let mut attachments = Vec::new();
        for k in &f.attachments {
            if let Some((a, _)) = store.attachment(k, false).await? {
                attachments.push((&a).into());
            }
        }
        Ok(FilingDetail {
            filing: self.view(f).await?,
            versions: versions
                .into_iter()
                .map(|v| VersionView {
                    version: v.version,
                    title: v.title,
                    body: v.body,
                    attachments: v.attachments,
                    submitted_by: v.submitted_by,
                    submitted_at: shanghai(v.submitted_at),
                })
                .collect(),
            reviews: reviews
                .into_iter()
                .map(|r| ReviewView {
                    version: r.version,
                    step: r.step,
                    level: r.level.into(),
                    decision: match &r.decision {
                        Decision::Approve => DecisionDto::Approve,
                        Decision::File => DecisionDto::File,
                        Decision::Return(_) => DecisionDto::Return,
                    },
                    reason: match r.decision {
                        Decision::Return(reason) => Some(reason),
                        _ => None,
                    },
                    reviewer: r.reviewer,
                    decided_at: shanghai(r.decided_at),
                })
                .collect(),
            attachments,
        })
    }
}

fn view(f: &Filing, due_on: Option<NaiveDate>, now: chrono::DateTime<chrono::Utc>) -> FilingView {
    FilingView {
        key: f.key.clone(),
        programme: f.programme.to_string(),
        unit: f.unit.to_string(),
        deliverable: f.deliverable.to_string(),
        occurrence: f.occurrence.clone(),
        title: f.title.clone(),
        body: f.body.clone(),
        attachments: f.attachments.clone(),
        state: f.state.into(),
        pending_step: f.pending().map(|(_, s)| (&s).into()),
        route: f.route.iter().map(Into::into).collect(),
        version: f.version,
        revision: f.revision,
        first_submitted_at: f.first_submitted_at.map(shanghai),
        last_submitted_at: f.last_submitted_at.map(shanghai),
        returned_reason: f.returned_reason.clone(),
        exemplary: f.exemplary_quote.clone(),
        due_on,
        timeliness: due_on.map(|d| timeliness(d, f.first_submitted_at, now).into()),
        created_by: f.created_by.clone(),
    }
}

#[OpenApi(tag = "ApiTags::Filings")]
impl FilingsApi {
    /// Start a filing (a draft) for one deadline of your unit. Send an `Idempotency-Key` header:
    /// a retried request with the same key returns the filing the first one created.
    #[oai(path = "/programmes/:key/filings", method = "post", operation_id = "createFiling")]
    async fn create(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<FilingInput>,
    ) -> Result<FilingCreated, ApiError> {
        let programme = key.0.0.clone();
        let unit = region("unit", &body.0.unit)?;
        let deliverable = parse_key("deliverable", &body.0.deliverable)?;
        let occurrence = body.0.occurrence.clone().unwrap_or_else(|| "once".into());
        if let Some(k) = &idempotency_key.0
            && (k.is_empty() || k.len() > 200)
        {
            return Err(DomainError::invalid("Idempotency-Key", "1–200 characters").into());
        }
        let (f, created) = service::create(
            &self.state.store,
            auth.principal(),
            NewFiling {
                programme: &programme,
                unit: &unit,
                deliverable: &deliverable,
                occurrence: &occurrence,
                title: &body.0.title,
                body: &body.0.body,
                idempotency_key: idempotency_key.0.as_deref(),
            },
            self.state.clock.now(),
        )
        .await?;
        let v = self.view(&f).await?;
        Ok(if created { FilingCreated::Created(Json(v)) } else { FilingCreated::Replayed(Json(v)) })
    }

    /// Filings of a programme that this account may see, by unit then deliverable.
    #[oai(path = "/programmes/:key/filings", method = "get", operation_id = "listFilings")]
    async fn list(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        /// Only this unit.
        unit: Query<Option<RegionParam>>,
        /// Only this deliverable.
        deliverable: Query<Option<KeyParam>>,
        /// Only filings in this state.
        state: Query<Option<StateDto>>,
        offset: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<FilingPage>, ApiError> {
        let programme = key.0.0.clone();
        let (offset, limit) = page(offset.0, limit.0)?;
        let reach = self.state.store.recent_reach(&programme).await?.ok_or_else(|| not_found(key.0.as_str()))?;
        auth.may(Access::ReadProgramme { reach: &reach })?;
        let (stages, deliverables) =
            tokio::try_join!(self.state.store.stages(&programme), self.state.store.deliverables(&programme))?;
        let now = self.state.clock.now();
        // One unit's filings are one read through the (programme, unit, …) index; a national
        // year's programme holds half a million.
        let read = match &unit.0 {
            Some(u) => self.state.store.unit_filings(&programme, &[&u.0]).await?,
            None => self.state.store.programme_filings(&programme).await?,
        };
        let filings: Vec<_> = read
            .into_iter()
            .filter(|f| auth.principal().can_read_unit(&f.unit_path))
            .filter(|f| unit.0.as_ref().is_none_or(|u| f.unit == u.0))
            .filter(|f| deliverable.0.as_ref().is_none_or(|d| f.deliverable == d.0))
            .filter(|f| state.0.is_none_or(|s| StateDto::from(f.state) == s))
            .collect();
        let due = |f: &Filing| due_on(&deliverables, &stages, f.deliverable.as_str(), &f.occurrence);
        Ok(Json(FilingPage {
            total: filings.len() as u64,
            items: filings.iter().skip(offset as usize).take(limit as usize).map(|f| view(f, due(f), now)).collect(),
            offset,
            limit,
        }))
    }

    /// One filing with all its versions, review decisions and attachments.
    #[oai(path = "/filings/:id", method = "get", operation_id = "getFiling")]
    async fn get(&self, auth: Auth, id: Path<String>) -> Result<Json<FilingDetail>, ApiError> {
        let f = service::get(&self.state.store, auth.principal(), &id.0).await?;
        Ok(Json(self.detail(&f).await?))
    }

    /// Change the title and body of a draft or returned filing (the unit's lead only).
    #[oai(path = "/filings/:id", method = "put", operation_id = "updateFiling")]
    async fn update(&self, auth: Auth, id: Path<String>, body: Json<FilingEdit>) -> Result<Json<FilingView>, ApiError> {
        let f = service::edit(
            &self.state.store,
            auth.principal(),
            &id.0,
            body.0.revision,
            &body.0.title,
            &body.0.body,
            self.state.clock.now(),
        )
        .await?;
        Ok(Json(self.view(&f).await?))
    }

    /// Attach a file to a draft or returned filing (multipart: `file`, `revision`).
    #[oai(path = "/filings/:id/attachments", method = "post", operation_id = "uploadAttachment")]
    async fn upload(&self, auth: Auth, id: Path<String>, form: UploadForm) -> Result<Json<AttachmentView>, ApiError> {
        let filename = form.file.file_name().unwrap_or("file").to_owned();
        let content_type = form.file.content_type().unwrap_or("application/octet-stream").to_owned();
        if form.file.size() > self.attachment_limit {
            return Err(DomainError::rule(
                Rule::AttachmentSize,
                format!("{} bytes is over the limit of {}", form.file.size(), self.attachment_limit),
            )
            .into());
        }
        let bytes =
            form.file.into_vec().await.map_err(|e| ApiError::bad_request(format!("reading the upload: {e}")))?;
        let (_, a) = service::attach(
            &self.state.store,
            auth.principal(),
            &id.0,
            form.revision,
            &filename,
            &content_type,
            &bytes,
            self.attachment_limit,
            self.state.clock.now(),
        )
        .await?;
        Ok(Json((&a).into()))
    }

    /// Download an attachment, with its content type and file name.
    #[oai(path = "/attachments/:id", method = "get", operation_id = "downloadAttachment")]
    async fn download(&self, auth: Auth, id: Path<String>) -> Result<Download, ApiError> {
        let (a, bytes) = service::attachment(&self.state.store, auth.principal(), &id.0).await?;
        Ok(Download::File(FileDownload::attachment(bytes, &a.content_type, &a.filename)))
    }

    /// Submit the current content as a new version; it goes to the first step of its route.
    #[oai(path = "/filings/:id/submit", method = "post", operation_id = "submitFiling")]
    async fn submit(
        &self,
        auth: Auth,
        id: Path<String>,
        body: Json<SubmitInput>,
    ) -> Result<Json<FilingView>, ApiError> {
        let f = service::submit(&self.state.store, auth.principal(), &id.0, body.0.revision, self.state.clock.now())
            .await?;
        Ok(Json(self.view(&f).await?))
    }

    /// Decide at the pending step: `approve` (审定), `file` (备案) or `return` (退回修改, with a
    /// reason). Only a reviewer at that step's level whose region contains the unit may decide.
    #[oai(path = "/filings/:id/review", method = "post", operation_id = "reviewFiling")]
    async fn review(
        &self,
        auth: Auth,
        id: Path<String>,
        body: Json<ReviewInput>,
    ) -> Result<Json<FilingView>, ApiError> {
        let decision = match body.0.decision {
            DecisionDto::Approve => Decision::Approve,
            DecisionDto::File => Decision::File,
            DecisionDto::Return => Decision::Return(
                body.0.reason.clone().ok_or_else(|| DomainError::invalid("reason", "a return needs a reason"))?,
            ),
        };
        let f = service::review(
            &self.state.store,
            auth.principal(),
            &id.0,
            body.0.revision,
            decision,
            body.0.exemplary.as_deref(),
            self.state.clock.now(),
        )
        .await?;
        Ok(Json(self.view(&f).await?))
    }
}
