//! `/programmes/{key}/bulletins` and `/bulletins/{id}`: progress bulletins (通报), drafted from
//! the record, annotated, published under the next number, rendered as HTML, Markdown or text.

use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::{region, shanghai};
use super::download::{Download, FileDownload};
use super::error::ApiError;
use super::params::KeyParam;
use super::{ApiTags, State};
use crate::domain::bulletin::{self as domain, Bulletin, Edit, Kind, Period};
use crate::render::{self, Format};
use crate::service::bulletins::{self as service, Request};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum BulletinKind {
    /// 月度进展通报 (period: `2019-05`).
    Monthly,
    /// 阶段通报 (period: a stage key).
    Stage,
}

impl From<BulletinKind> for Kind {
    fn from(k: BulletinKind) -> Self {
        match k {
            BulletinKind::Monthly => Self::Monthly,
            BulletinKind::Stage => Self::Stage,
        }
    }
}

impl From<Kind> for BulletinKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Monthly => Self::Monthly,
            Kind::Stage => Self::Stage,
        }
    }
}

/// Whether a bulletin can still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum BulletinStatus {
    Draft,
    /// Numbered and frozen.
    Published,
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
    /// 工作要求: the department's own words, printed as the last section (one paragraph per line).
    pub remarks: Option<String>,
    /// 主送: whom this bulletin is addressed to (empty: none printed).
    pub addressee: Option<String>,
    /// 抄送: printed in the 版记 (empty: none).
    pub copy_to: Option<String>,
}

/// How a programme's bulletins are headed as official documents.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BulletinStyleView {
    /// 发文字号 pattern with `{year}` and `{n}` (the issue number): `西民通〔{year}〕{n}号`.
    /// Absent: bulletins print 第N期.
    pub number_pattern: Option<String>,
    /// 主送 new drafts take; absent: the pilot units' departments at the programme's unit level.
    pub addressee: Option<String>,
    /// 抄送 printed in the 版记.
    pub copy_to: Option<String>,
}

impl From<&domain::Style> for BulletinStyleView {
    fn from(s: &domain::Style) -> Self {
        Self {
            number_pattern: s.number_pattern.as_ref().map(|p| p.as_str().to_owned()),
            addressee: s.addressee.clone(),
            copy_to: s.copy_to.clone(),
        }
    }
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
    pub kind: BulletinKind,
    pub period: String,
    pub status: BulletinStatus,
    /// 第N期, once published.
    pub number: Option<u32>,
    /// 发文字号, when the programme has a pattern (given at publication).
    pub doc_number: Option<String>,
    /// 主送.
    pub addressee: Option<String>,
    /// 抄送.
    pub copy_to: Option<String>,
    pub title: String,
    pub remarks: Option<String>,
    pub revision: u32,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub created_by: String,
    pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub published_by: Option<String>,
    /// The figures as taken: summary, ranking, units named, good practice, what falls due next.
    pub content: ContentView,
}

impl From<&Bulletin> for BulletinView {
    fn from(b: &Bulletin) -> Self {
        Self {
            id: b.key.clone(),
            programme: b.programme.to_string(),
            region: b.region.to_string(),
            kind: b.kind().into(),
            period: b.period.to_string(),
            status: if b.is_published() { BulletinStatus::Published } else { BulletinStatus::Draft },
            number: b.published.as_ref().map(|p| p.number),
            doc_number: b.content.doc_number.clone(),
            addressee: Some(b.content.addressee.clone()).filter(|a| !a.is_empty()),
            copy_to: b.content.copy_to.clone(),
            title: b.title.clone(),
            remarks: b.remarks.clone(),
            revision: b.revision,
            created_at: shanghai(b.created_at),
            created_by: b.created_by.clone(),
            published_at: b.published.as_ref().map(|p| shanghai(p.at)),
            published_by: b.published.as_ref().map(|p| p.by.clone()),
            content: (&b.content).into(),
        }
    }
}

/// Counts over the deadlines a bulletin covers.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SummaryView {
    pub units: u32,
    /// Deadlines (unit × deliverable) due in the period.
    pub due: u32,
    pub on_time: u32,
    pub late: u32,
    pub missing: u32,
    /// First submitted on time, in per mille of `due` (absent when nothing was due).
    pub on_time_permille: Option<u32>,
    /// Change of the on-time rate since the last published bulletin of the same kind and
    /// region, in per mille points.
    pub change_permille: Option<i32>,
}

/// One line of the ranking a bulletin prints.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RankLineView {
    pub rank: u32,
    pub unit: String,
    pub name: String,
    /// Two decimals, as published.
    pub score: String,
    /// Places gained (+) or lost (−) since last month.
    pub change: Option<i32>,
}

/// A unit named for a missed or late deadline (点名通报).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NamedView {
    pub unit: String,
    pub name: String,
    pub deliverable: String,
    pub due_on: chrono::NaiveDate,
    pub due_text: String,
    /// Days late; absent: not filed at all.
    pub days_late: Option<i64>,
}

/// Good practice (典型经验) quoted from a filing.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PracticeView {
    pub unit: String,
    pub name: String,
    pub deliverable: String,
    pub quote: String,
}

/// A deadline falling due in the two months after the period.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UpcomingView {
    pub deliverable: String,
    pub due_on: chrono::NaiveDate,
    pub due_text: String,
    /// Units that still owe it.
    pub units: u32,
}

/// One city's on-time rate.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CityRateView {
    pub city: String,
    pub name: String,
    pub due: u32,
    pub on_time_permille: Option<u32>,
}

/// One month of a unit's published scores.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TrendPointView {
    pub period: String,
    pub score: f64,
}

/// A unit's published scores month by month.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TrendView {
    pub name: String,
    pub points: Vec<TrendPointView>,
}

/// Everything a bulletin says.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ContentView {
    pub programme_title: String,
    pub issuer: String,
    /// 2019年5月, or the stage's name.
    pub period_label: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub region_name: String,
    /// The day the figures were taken (Asia/Shanghai).
    pub as_of: chrono::NaiveDate,
    pub summary: SummaryView,
    pub ranking: Vec<RankLineView>,
    /// The published version of the ranking printed.
    pub ranking_version: Option<u32>,
    pub named: Vec<NamedView>,
    pub practice: Vec<PracticeView>,
    pub upcoming: Vec<UpcomingView>,
    pub city_rates: Vec<CityRateView>,
    /// Top and bottom units' scores over the months published so far.
    pub trends: Vec<TrendView>,
    /// Supervision orders (督办单) not closed when the figures were taken.
    pub orders: Vec<OrderLineView>,
}

/// An open supervision order, as a bulletin names it.
#[derive(Debug, Clone, Object)]
pub struct OrderLineView {
    pub number: u32,
    pub unit: String,
    pub name: String,
    pub deliverable: String,
    pub due_text: String,
    /// 蓝色 / 黄色 / 红色.
    pub colour: String,
    /// 待反馈 / 已反馈.
    pub state: String,
    pub respond_by: chrono::NaiveDate,
}

impl From<&domain::Content> for ContentView {
    fn from(c: &domain::Content) -> Self {
        let s = &c.summary;
        Self {
            programme_title: c.programme_title.clone(),
            issuer: c.issuer.clone(),
            period_label: c.period_label.clone(),
            from: c.from,
            to: c.to,
            region_name: c.region_name.clone(),
            as_of: c.as_of,
            summary: SummaryView {
                units: s.units,
                due: s.due,
                on_time: s.on_time,
                late: s.late,
                missing: s.missing,
                on_time_permille: s.on_time_permille,
                change_permille: s.change_permille,
            },
            ranking: c
                .ranking
                .iter()
                .map(|r| RankLineView {
                    rank: r.rank,
                    unit: r.unit.clone(),
                    name: r.name.clone(),
                    score: r.score.clone(),
                    change: r.change,
                })
                .collect(),
            ranking_version: c.ranking_version,
            named: c
                .named
                .iter()
                .map(|n| NamedView {
                    unit: n.unit.clone(),
                    name: n.name.clone(),
                    deliverable: n.deliverable.clone(),
                    due_on: n.due_on,
                    due_text: n.due_text.clone(),
                    days_late: n.days_late,
                })
                .collect(),
            practice: c
                .practice
                .iter()
                .map(|p| PracticeView {
                    unit: p.unit.clone(),
                    name: p.name.clone(),
                    deliverable: p.deliverable.clone(),
                    quote: p.quote.clone(),
                })
                .collect(),
            upcoming: c
                .upcoming
                .iter()
                .map(|u| UpcomingView {
                    deliverable: u.deliverable.clone(),
                    due_on: u.due_on,
                    due_text: u.due_text.clone(),
                    units: u.units,
                })
                .collect(),
            city_rates: c
                .city_rates
                .iter()
                .map(|r| CityRateView {
                    city: r.city.clone(),
                    name: r.name.clone(),
                    due: r.due,
                    on_time_permille: r.on_time_permille,
                })
                .collect(),
            trends: c
                .trends
                .iter()
                .map(|t| TrendView {
                    name: t.name.clone(),
                    points: t
                        .points
                        .iter()
                        .map(|(period, score)| TrendPointView { period: period.clone(), score: *score })
                        .collect(),
                })
                .collect(),
            orders: c
                .orders
                .iter()
                .map(|o| OrderLineView {
                    number: o.number,
                    unit: o.unit.clone(),
                    name: o.name.clone(),
                    deliverable: o.deliverable.clone(),
                    due_text: o.due_text.clone(),
                    colour: o.colour.clone(),
                    state: o.state.clone(),
                    respond_by: o.respond_by,
                })
                .collect(),
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
    /// Word (GB/T 9704 layout), to finish and circulate in WPS or Word.
    Docx,
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
pub fn rendered(b: &Bulletin, format: Format) -> Result<String, ApiError> {
    render::bulletin(b, format).map_err(|e| ApiError::internal(&e))
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
        key: Path<KeyParam>,
        body: Json<BulletinInput>,
    ) -> Result<BulletinCreated, ApiError> {
        let k = key.0.0;
        let req = Request {
            period: Period::new(body.0.kind.into(), &body.0.period)?,
            region: body.0.region.as_deref().map(|r| region("region", r)).transpose()?,
        };
        let b = service::draft(&self.state.store, Some(auth.principal()), &k, &req, self.state.clock.now()).await?;
        Ok(BulletinCreated::Created(Json((&b).into())))
    }

    /// The programme's bulletins you may read: published ones for your region's line of the
    /// tree, drafts only if you may publish them.
    #[oai(path = "/programmes/:key/bulletins", method = "get", operation_id = "listBulletins")]
    async fn list(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<BulletinView>>, ApiError> {
        let k = key.0.0;
        let all = service::list(&self.state.store, auth.principal(), &k).await?;
        Ok(Json(all.iter().map(Into::into).collect()))
    }

    /// One bulletin.
    #[oai(path = "/bulletins/:id", method = "get", operation_id = "getBulletin")]
    async fn get(&self, auth: Auth, id: Path<String>) -> Result<Json<BulletinView>, ApiError> {
        let b = service::get(&self.state.store, auth.principal(), &id.0).await?;
        Ok(Json((&b).into()))
    }

    /// Change a draft's title, remarks, 主送 or 抄送. A published bulletin is never changed (409 `published`).
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
            &Edit {
                title: body.0.title.as_deref(),
                remarks: body.0.remarks.as_deref(),
                addressee: body.0.addressee.as_deref(),
                copy_to: body.0.copy_to.as_deref(),
            },
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

    /// The bulletin as a document: `html` (A4, print-ready, charts), `markdown`, `text`, or
    /// `docx` (Word, GB/T 9704: 发文字号, 主送, 署名, 成文日期, 版记, page numbers).
    #[oai(path = "/bulletins/:id/document", method = "get", operation_id = "bulletinDocument")]
    async fn document(
        &self,
        auth: Auth,
        id: Path<String>,
        format: Query<Option<BulletinFormat>>,
    ) -> Result<Download, ApiError> {
        let b = service::get(&self.state.store, auth.principal(), &id.0).await?;
        let format = format.0.unwrap_or(BulletinFormat::Html);
        let (ctype, ext) = match format {
            BulletinFormat::Html => ("text/html; charset=utf-8", "html"),
            BulletinFormat::Markdown => ("text/markdown; charset=utf-8", "md"),
            BulletinFormat::Text => ("text/plain; charset=utf-8", "txt"),
            BulletinFormat::Docx => (render::docx::CONTENT_TYPE, "docx"),
        };
        let name = b.file_name(ext);
        Ok(Download::File(match format {
            BulletinFormat::Docx => FileDownload::attachment(docx(&b)?, ctype, &name),
            BulletinFormat::Html => FileDownload::inline(rendered(&b, Format::Html)?.into_bytes(), ctype, &name),
            BulletinFormat::Markdown => {
                FileDownload::inline(rendered(&b, Format::Markdown)?.into_bytes(), ctype, &name)
            }
            BulletinFormat::Text => FileDownload::inline(rendered(&b, Format::Text)?.into_bytes(), ctype, &name),
        }))
    }

    /// How the programme's bulletins are headed: 发文字号 pattern, 主送 and 抄送.
    #[oai(path = "/programmes/:key/bulletin-style", method = "get", operation_id = "getBulletinStyle")]
    async fn style(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<BulletinStyleView>, ApiError> {
        let s = service::style(&self.state.store, auth.principal(), &key.0.0).await?;
        Ok(Json((&s).into()))
    }

    /// Set how the programme's bulletins are headed (for those who publish its bulletins). The
    /// pattern needs `{n}` once (`西民通〔{year}〕{n}号`); bulletins already published keep theirs.
    #[oai(path = "/programmes/:key/bulletin-style", method = "put", operation_id = "setBulletinStyle")]
    async fn set_style(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<BulletinStyleView>,
    ) -> Result<Json<BulletinStyleView>, ApiError> {
        let b = body.0;
        let style = domain::Style::parse(
            b.number_pattern.as_deref().unwrap_or(""),
            b.addressee.as_deref().unwrap_or(""),
            b.copy_to.as_deref().unwrap_or(""),
        )?;
        let s =
            service::set_style(&self.state.store, auth.principal(), &key.0.0, &style, self.state.clock.now()).await?;
        Ok(Json((&s).into()))
    }
}

/// A bulletin as Word.
pub fn docx(b: &Bulletin) -> Result<Vec<u8>, ApiError> {
    render::bulletin_docx(b).map_err(|e| ApiError::internal(&e))
}
