//! Scoring (考评): schemes, deductions and bonuses, itemised monthly scores, rankings (live,
//! published, corrected; CSV), appeals (申诉), evaluations (评估), annual scores and 以奖代补.
//!
//! Schemes, indicator systems and reward methods are sent in the fixture format's JSON shape
//! (`fixtures/README.md`).

use std::collections::BTreeMap;

use poem::Response;
use poem::http::header;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::MetaSchemaRef;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Union, param::Path, param::Query};

use super::auth::Auth;
use super::common::{Created, region, shanghai};
use super::error::ApiError;
use super::params::{KeyParam, MonthParam, RegionParam};
use super::rendered::Rendered;
use super::scoring_dto::{IndicatorSystemDto, RewardMethodDto, SchemeDto, convert};
use super::{ApiTags, State};
use crate::domain::access::Access;
use crate::domain::appeal::{Appeal, AppealStatus};
use crate::domain::deadline::YearMonth;
use crate::domain::evaluation::{Evaluation, IndicatorSystem, PanelMember, Phase, Title};
use crate::domain::reward::{Allocation, Method};
use crate::domain::scoring::{Adjustment, AdjustmentKind, Evidence, Points, Scheme, UnitScore};
use crate::domain::{DomainError, Key, RegionCode};
use crate::service::scoring::{self as service, NewAdjustment, RankEntry, Ranking};

fn month(s: &str) -> Result<YearMonth, ApiError> {
    YearMonth::parse(s).map_err(|e| ApiError::from(DomainError::invalid("period", e.to_string())))
}

fn points(field: &str, v: f64) -> Result<Points, ApiError> {
    Points::from_f64(v).map_err(|e| DomainError::invalid(field, e.to_string()).into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KindDto {
    Deduction,
    Bonus,
}

impl From<KindDto> for AdjustmentKind {
    fn from(k: KindDto) -> Self {
        match k {
            KindDto::Deduction => Self::Deduction,
            KindDto::Bonus => Self::Bonus,
        }
    }
}

impl From<AdjustmentKind> for KindDto {
    fn from(k: AdjustmentKind) -> Self {
        match k {
            AdjustmentKind::Deduction => Self::Deduction,
            AdjustmentKind::Bonus => Self::Bonus,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AdjustmentInput {
    pub unit: String,
    /// The month it counts in, `2019-05`.
    pub period: String,
    /// The scheme item.
    pub item: String,
    pub kind: KindDto,
    /// Points (up to two decimals); a deduction at most the item's full marks, a bonus at most
    /// the bonus cap.
    pub points: f64,
    pub reason: String,
    /// What backs it: `{"filing": key}` (a filing of this unit), `{"document": reference}`,
    /// `{"note": text}`, or plain text (taken as a note).
    pub evidence: Option<EvidenceInput>,
}

/// A filing of the unit as evidence.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct FilingEvidence {
    /// The filing's key.
    pub filing: String,
}

/// A document as evidence: its number or title (`省民政厅2025年4月督导检查记录第3号`).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct DocumentEvidence {
    pub document: String,
}

/// A note as evidence.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NoteEvidence {
    pub note: String,
}

/// Evidence as given: one of the three objects, or plain text (a note).
#[derive(Debug, Clone, Union)]
pub enum EvidenceInput {
    Filing(FilingEvidence),
    Document(DocumentEvidence),
    Note(NoteEvidence),
    Text(String),
}

/// Evidence as shown: always one of the three objects.
#[derive(Debug, Clone, Union)]
pub enum EvidenceView {
    Filing(FilingEvidence),
    Document(DocumentEvidence),
    Note(NoteEvidence),
}

impl EvidenceInput {
    fn into_domain(self) -> Result<Evidence, DomainError> {
        match self {
            Self::Filing(f) => Evidence::new(Evidence::Filing, &f.filing),
            Self::Document(d) => Evidence::new(Evidence::Document, &d.document),
            Self::Note(n) => Evidence::new(Evidence::Note, &n.note),
            Self::Text(t) => Evidence::new(Evidence::Note, &t),
        }
    }
}

impl From<Evidence> for EvidenceView {
    fn from(e: Evidence) -> Self {
        match e {
            Evidence::Filing(filing) => Self::Filing(FilingEvidence { filing }),
            Evidence::Document(document) => Self::Document(DocumentEvidence { document }),
            Evidence::Note(note) => Self::Note(NoteEvidence { note }),
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AdjustmentView {
    pub key: String,
    pub unit: String,
    pub period: String,
    pub item: String,
    pub kind: KindDto,
    pub points: f64,
    pub reason: String,
    pub evidence: Option<EvidenceView>,
    pub entered_by: String,
    pub entered_at: chrono::DateTime<chrono::FixedOffset>,
    /// Overturned on appeal.
    pub voided: bool,
}

impl From<&Adjustment> for AdjustmentView {
    fn from(a: &Adjustment) -> Self {
        Self {
            key: a.key.clone(),
            unit: a.unit.to_string(),
            period: a.period.to_string(),
            item: a.item.to_string(),
            kind: a.kind.into(),
            points: a.points.as_f64(),
            reason: a.reason.clone(),
            evidence: a.evidence.clone().map(Into::into),
            entered_by: a.entered_by.clone(),
            entered_at: shanghai(a.entered_at),
            voided: a.voided,
        }
    }
}

/// One deduction or bonus in a score.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LineView {
    /// `auto:late:e-data:2019-05` for automatic deductions; the adjustment key otherwise. Appeal
    /// by this id.
    pub id: String,
    pub item: String,
    pub kind: KindDto,
    pub points: f64,
    pub reason: String,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ItemView {
    pub item: String,
    pub full: f64,
    pub deducted: f64,
    pub score: f64,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ScoreView {
    pub unit: String,
    pub name: String,
    pub total: f64,
    pub items: Vec<ItemView>,
    pub bonus: f64,
    pub lines: Vec<LineView>,
}

fn score_view(s: &UnitScore, name: &str) -> ScoreView {
    ScoreView {
        unit: s.unit.to_string(),
        name: name.to_owned(),
        total: s.total.as_f64(),
        items: s
            .items
            .iter()
            .map(|(k, full, d, score)| ItemView {
                item: k.to_string(),
                full: full.as_f64(),
                deducted: d.as_f64(),
                score: score.as_f64(),
            })
            .collect(),
        bonus: s.bonus.as_f64(),
        lines: s
            .lines
            .iter()
            .map(|l| LineView {
                id: l.id.clone(),
                item: l.item.to_string(),
                kind: l.kind.into(),
                points: l.points.as_f64(),
                reason: l.reason.clone(),
            })
            .collect(),
    }
}

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
pub(super) fn rank_view(e: &RankEntry) -> RankView {
    RankView { rank: e.rank, unit: e.unit.to_string(), name: e.name.clone(), score: e.score.as_f64(), change: e.change }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PublishInput {
    /// Required to publish a new version of a month already published.
    pub correction_reason: Option<String>,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum PhaseDto {
    MidTerm,
    Final,
}

impl From<Phase> for PhaseDto {
    fn from(p: Phase) -> Self {
        match p {
            Phase::MidTerm => Self::MidTerm,
            Phase::Final => Self::Final,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TitleDto {
    None,
    Junior,
    Intermediate,
    Senior,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PanelMemberDto {
    pub name: String,
    /// A financial accountant (财会人员).
    #[oai(default)]
    pub accountant: bool,
    pub title: TitleDto,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EvaluationInput {
    pub unit: String,
    pub phase: PhaseDto,
    /// An odd number of members, at least 3, with at least one accountant of intermediate or
    /// higher title.
    pub panel: Vec<PanelMemberDto>,
    /// Indicator key → score 0–100.
    pub scores: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EvaluationView {
    pub key: String,
    pub unit: String,
    pub phase: PhaseDto,
    pub total: f64,
    pub grade: String,
    pub entered_by: String,
    pub voided: bool,
}

impl From<&Evaluation> for EvaluationView {
    fn from(e: &Evaluation) -> Self {
        Self {
            key: e.key.clone(),
            unit: e.unit.to_string(),
            phase: e.phase.into(),
            total: e.total.as_f64(),
            grade: e.grade.clone(),
            entered_by: e.entered_by.clone(),
            voided: e.voided,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AnnualScore {
    pub unit: String,
    pub name: String,
    pub average_monthly: Option<f64>,
    pub final_evaluation: Option<f64>,
    pub annual: Option<f64>,
}

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

pub struct ScoringApi {
    pub state: State,
}

impl ScoringApi {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.clock.now()
    }
}

#[OpenApi(tag = "ApiTags::Scoring")]
impl ScoringApi {
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

    /// Enter a deduction or bonus for a unit and month (evaluators and reviewing departments).
    #[oai(path = "/programmes/:key/adjustments", method = "post", operation_id = "createAdjustment")]
    async fn create_adjustment(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<AdjustmentInput>,
    ) -> Result<Created<AdjustmentView>, ApiError> {
        let k = key.0.0;
        let b = body.0;
        let unit = region("unit", &b.unit)?;
        let item = Key::parse(&b.item).map_err(|e| ApiError::from(DomainError::invalid("item", e.to_string())))?;
        let row = service::adjust(
            &self.state.store,
            auth.principal(),
            &k,
            NewAdjustment {
                unit: &unit,
                period: month(&b.period)?,
                item: &item,
                kind: b.kind.into(),
                points: points("points", b.points)?,
                reason: &b.reason,
                evidence: b.evidence.map(EvidenceInput::into_domain).transpose()?,
            },
            self.now(),
        )
        .await?;
        Ok(Created::Created(Json((&row).into())))
    }

    /// Deductions and bonuses entered for the units this account may see.
    #[oai(path = "/programmes/:key/adjustments", method = "get", operation_id = "listAdjustments")]
    async fn list_adjustments(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        period: Query<Option<MonthParam>>,
        unit: Query<Option<RegionParam>>,
    ) -> Result<Json<Vec<AdjustmentView>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let rows = self.state.store.adjustments(&k).await?;
        Ok(Json(
            rows.iter()
                .filter(|a| visible(&auth, &a.unit_path))
                .filter(|a| period.0.as_ref().is_none_or(|p| a.period == p.0))
                .filter(|a| unit.0.as_ref().is_none_or(|u| a.unit == u.0))
                .map(Into::into)
                .collect(),
        ))
    }

    /// Itemised scores of a month for the units this account may see (live from the record).
    #[oai(path = "/programmes/:key/scores/:period", method = "get", operation_id = "monthScores")]
    async fn scores(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        period: Path<MonthParam>,
        unit: Query<Option<RegionParam>>,
    ) -> Result<Json<Vec<ScoreView>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let m = period.0.0;
        let (_, scores) = service::month_scores(&self.state.store, &k, m, self.now()).await?;
        let units = self.state.store.units(&k).await?;
        Ok(Json(
            scores
                .iter()
                .filter(|(s, _)| {
                    units.iter().any(|u| u.unit.region == s.unit && auth.principal().can_read_unit(&u.path))
                })
                .filter(|(s, _)| unit.0.as_ref().is_none_or(|x| s.unit == x.0))
                .map(|(s, n)| score_view(s, n))
                .collect(),
        ))
    }

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
        let limit = limit.0.map(|l| super::common::page(None, Some(l)).map(|(_, l)| l as usize)).transpose()?;
        let offset = usize::try_from(offset.0.unwrap_or(0)).unwrap_or(usize::MAX);
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let page = service::ranking_page(&self.state.store, &k, period.0.0, self.now(), offset, limit).await?;
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
            self.now(),
        )
        .await?;
        Ok(Created::Created(Json(ranking_view(&r))))
    }

    /// A month's ranking as CSV.
    #[oai(path = "/programmes/:key/rankings/:period/csv", method = "get", operation_id = "rankingCsv")]
    async fn csv(&self, auth: Auth, key: Path<KeyParam>, period: Path<MonthParam>) -> Result<CsvResponse, ApiError> {
        let k = key.0.0;
        // The same table as the ranking export, through the one CSV writer.
        let t = crate::service::exports::ranking_table(&self.state.store, auth.principal(), &k, period.0.0, self.now())
            .await?;
        Ok(CsvResponse::Ok(Csv(t.to_csv())))
    }

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
        let a =
            service::appeal(&self.state.store, auth.principal(), &k, &unit, &body.0.target, &body.0.reason, self.now())
                .await?;
        Ok(Created::Created(Json((&a).into())))
    }

    /// Appeals about the units this account may see.
    #[oai(path = "/programmes/:key/appeals", method = "get", operation_id = "listAppeals")]
    async fn appeals(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<AppealView>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let rows = self.state.store.appeals(&k).await?;
        Ok(Json(rows.iter().filter(|a| visible(&auth, &a.unit_path)).map(Into::into).collect()))
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
            self.now(),
        )
        .await?;
        Ok(Json((&a).into()))
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

    /// Record a mid-term or final evaluation of a unit by a valid panel.
    #[oai(path = "/programmes/:key/evaluations", method = "post", operation_id = "createEvaluation")]
    async fn evaluate(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<EvaluationInput>,
    ) -> Result<Created<EvaluationView>, ApiError> {
        let k = key.0.0;
        let b = body.0;
        let unit = region("unit", &b.unit)?;
        let panel = b
            .panel
            .into_iter()
            .map(|m| PanelMember {
                name: m.name,
                accountant: m.accountant,
                title: match m.title {
                    TitleDto::None => Title::None,
                    TitleDto::Junior => Title::Junior,
                    TitleDto::Intermediate => Title::Intermediate,
                    TitleDto::Senior => Title::Senior,
                },
            })
            .collect();
        let mut scores = BTreeMap::new();
        for (k2, v) in b.scores {
            let ik = Key::parse(&k2).map_err(|e| ApiError::from(DomainError::invalid("scores", e.to_string())))?;
            scores.insert(ik, points("scores", v)?);
        }
        let phase = match b.phase {
            PhaseDto::MidTerm => Phase::MidTerm,
            PhaseDto::Final => Phase::Final,
        };
        let e =
            service::evaluate(&self.state.store, auth.principal(), &k, &unit, phase, panel, scores, self.now()).await?;
        Ok(Created::Created(Json((&e).into())))
    }

    /// Evaluations of the units this account may see.
    #[oai(path = "/programmes/:key/evaluations", method = "get", operation_id = "listEvaluations")]
    async fn evaluations(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<EvaluationView>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let rows = self.state.store.evaluations(&k).await?;
        Ok(Json(rows.iter().filter(|e| visible(&auth, &e.unit_path)).map(Into::into).collect()))
    }

    /// Annual scores: average monthly score and final evaluation, weighted by the scheme.
    #[oai(path = "/programmes/:key/annual-scores", method = "get", operation_id = "annualScores")]
    async fn annual(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        year: Query<i32>,
    ) -> Result<Json<Vec<AnnualScore>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let v = service::annual_scores(&self.state.store, &k, year.0, self.now()).await?;
        // The same read rule as /evaluations: a lead sees its own unit's line only.
        let units = self.state.store.units(&k).await?;
        let readable =
            |u: &RegionCode| units.iter().any(|x| &x.unit.region == u && auth.principal().can_read_unit(&x.path));
        Ok(Json(
            v.into_iter()
                .filter(|(u, ..)| readable(u))
                .map(|(u, name, avg, fin, annual)| AnnualScore {
                    unit: u.to_string(),
                    name,
                    average_monthly: avg.map(Points::as_f64),
                    final_evaluation: fin.map(Points::as_f64),
                    annual: annual.map(Points::as_f64),
                })
                .collect(),
        ))
    }

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
            self.now(),
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

fn visible(auth: &Auth, path: &[RegionCode]) -> bool {
    auth.may(Access::ReadUnit { unit_path: path }).is_ok()
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
            published_at: Some(crate::api::common::stamp("2022-10-08T01:30:00.123+00:00")),
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
