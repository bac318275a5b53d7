//! `/programmes`: define, read, change and import pilot programmes.

use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::{Created, DocDateView, Level, WindowView, doc_date, key, page, region, window};
use super::document_dto::ProgrammeDocumentDto;
use super::error::ApiError;
use super::params::KeyParam;
use super::{ApiTags, State};
use crate::domain::access::Access;
use crate::domain::{Bounds, DomainError, Programme, RuleException, SelectionRules, bundle};
use crate::service::document::ProgrammeDocument;
use crate::service::import::{Imported, import_programme};
use crate::service::programme_edit;
use crate::store::programmes::StoredProgramme;

/// Inclusive bounds on a count.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BoundsDto {
    pub min: u32,
    /// Absent: no upper limit.
    pub max: Option<u32>,
}

/// A named exception to the selection rules.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ExceptionDto {
    /// Region code the exception is for (`350128` 平潭综合实验区).
    pub region: String,
    pub name: String,
    /// Counts as a group of its own for the per-group quotas.
    #[oai(default)]
    pub own_group: bool,
    /// Files straight to the last step of the route (skips city review).
    #[oai(default)]
    pub files_directly: bool,
    /// May be a unit whatever its level.
    #[oai(default)]
    pub any_level: bool,
    pub note: Option<String>,
}

/// How units and directions are chosen.
#[derive(Debug, Clone, Object, Default)]
#[oai(skip_serializing_if_is_none)]
pub struct RulesDto {
    /// Directions each unit chooses.
    pub directions_per_unit: Option<BoundsDto>,
    /// Distinct directions the units of one group choose together.
    pub directions_per_group: Option<BoundsDto>,
    /// Units one group may have.
    pub units_per_group: Option<BoundsDto>,
    /// The level whose regions form the groups (e.g. `city`).
    pub group_level: Option<Level>,
    #[oai(default)]
    pub exceptions: Vec<ExceptionDto>,
}

impl RulesDto {
    fn into_domain(self) -> Result<SelectionRules, DomainError> {
        let b = |b: Option<BoundsDto>| b.map(|b| Bounds { min: b.min, max: b.max });
        Ok(SelectionRules {
            directions_per_unit: b(self.directions_per_unit),
            directions_per_group: b(self.directions_per_group),
            units_per_group: b(self.units_per_group),
            group_level: self.group_level.map(Into::into),
            exceptions: self
                .exceptions
                .into_iter()
                .map(|e| {
                    Ok(RuleException {
                        region: region("rules.exceptions.region", &e.region)?,
                        name: e.name,
                        own_group: e.own_group,
                        files_directly: e.files_directly,
                        any_level: e.any_level,
                        note: e.note,
                    })
                })
                .collect::<Result<_, DomainError>>()?,
        })
    }

    fn from_domain(r: &SelectionRules) -> Self {
        let b = |b: &Option<Bounds>| b.map(|b| BoundsDto { min: b.min, max: b.max });
        Self {
            directions_per_unit: b(&r.directions_per_unit),
            directions_per_group: b(&r.directions_per_group),
            units_per_group: b(&r.units_per_group),
            group_level: r.group_level.map(Into::into),
            exceptions: r
                .exceptions
                .iter()
                .map(|e| ExceptionDto {
                    region: e.region.to_string(),
                    name: e.name.clone(),
                    own_group: e.own_group,
                    files_directly: e.files_directly,
                    any_level: e.any_level,
                    note: e.note.clone(),
                })
                .collect(),
        }
    }
}

/// A programme as written by a client.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgrammeInput {
    /// URL key: 2–64 of a-z, 0-9, `-`. Fixed once created.
    pub key: String,
    pub title: String,
    /// Issuing body (福建省民政厅).
    pub issuer: String,
    /// 文号, when the notice has one (榕政办〔2020〕46号).
    pub doc_number: Option<String>,
    /// Issue date as written (`2022年8月17日`).
    pub issued: String,
    /// Start of the period as written (`2022年8月17日`, `2019年1月`).
    pub period_start: String,
    /// End of the period as written (`2023年11月底`).
    pub period_end: String,
    /// Region code the programme covers.
    pub scope: String,
    /// Level pilot units sit at.
    pub unit_level: Level,
    #[oai(default)]
    pub rules: RulesDto,
    pub summary: Option<String>,
    /// Where the requirements come from.
    pub source: Option<String>,
}

impl ProgrammeInput {
    fn into_domain(self) -> Result<Programme, DomainError> {
        Ok(Programme {
            key: key("key", &self.key)?,
            title: self.title,
            issuer: self.issuer,
            doc_number: self.doc_number,
            issued: doc_date("issued", &self.issued)?,
            period: window("period_start", &self.period_start, "period_end", &self.period_end)?,
            scope: region("scope", &self.scope)?,
            unit_level: self.unit_level.into(),
            rules: self.rules.into_domain()?,
            summary: self.summary,
            source: self.source,
        })
    }
}

/// A programme as stored.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgrammeView {
    pub key: String,
    pub title: String,
    pub issuer: String,
    pub doc_number: Option<String>,
    pub issued: DocDateView,
    pub period: WindowView,
    pub scope: String,
    pub unit_level: Level,
    pub rules: RulesDto,
    pub summary: Option<String>,
    pub source: Option<String>,
    /// Bumped by every change to the programme or its parts.
    pub revision: i64,
}

impl From<&StoredProgramme> for ProgrammeView {
    fn from(s: &StoredProgramme) -> Self {
        let p = &s.programme;
        Self {
            key: p.key.to_string(),
            title: p.title.clone(),
            issuer: p.issuer.clone(),
            doc_number: p.doc_number.clone(),
            issued: (&p.issued).into(),
            period: (&p.period).into(),
            scope: p.scope.to_string(),
            unit_level: p.unit_level.into(),
            rules: RulesDto::from_domain(&p.rules),
            summary: p.summary.clone(),
            source: p.source.clone(),
            revision: s.revision,
        }
    }
}

/// One page of programmes.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgrammePage {
    pub items: Vec<ProgrammeView>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

/// What an import stored.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportSummary {
    pub key: String,
    pub stages: u64,
    pub directions: u64,
    pub deliverables: u64,
    pub units: u64,
}

/// One thing a preview found wrong, at the place to correct it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProblemView {
    /// Where: `programme.scope`, `stages[2].end`, `deliverables[0]`, `units[5]`, or `document`
    /// when the document does not even read.
    pub place: String,
    pub message: String,
    /// The rule it breaks (`rule.<name>` as in error codes), when it breaks one.
    pub rule: Option<String>,
}

impl From<&crate::domain::bundle::Problem> for ProblemView {
    fn from(p: &crate::domain::bundle::Problem) -> Self {
        Self { place: p.at.clone(), message: p.message.clone(), rule: p.rule.map(|r| format!("rule.{}", r.code())) }
    }
}

/// A deliverable with every deadline it makes.
#[derive(Debug, Clone, Object)]
pub struct PreviewDeliverable {
    pub key: String,
    pub title: String,
    /// Each deadline as the document writes it and as a day.
    pub deadlines: Vec<PreviewDeadline>,
}

#[derive(Debug, Clone, Object)]
pub struct PreviewDeadline {
    pub occurrence: String,
    pub text: String,
    pub due_on: chrono::NaiveDate,
}

/// A group of units against the programme's quotas.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PreviewQuota {
    pub group: String,
    pub units: u64,
    pub units_max: Option<u64>,
    pub units_min: Option<u64>,
    pub directions: u64,
    pub directions_max: Option<u64>,
}

/// What importing the document would store, and every problem in its way; nothing is stored.
#[derive(Debug, Clone, Object)]
pub struct ProgrammePreviewView {
    pub importable: bool,
    pub problems: Vec<ProblemView>,
    pub deliverables: Vec<PreviewDeliverable>,
    pub quotas: Vec<PreviewQuota>,
    pub stages: u64,
    pub units: u64,
}

pub struct ProgrammesApi {
    pub state: State,
}

#[OpenApi(prefix_path = "/programmes", tag = "ApiTags::Programmes")]
impl ProgrammesApi {
    /// List the programmes this account may see, ordered by key.
    #[oai(path = "/", method = "get", operation_id = "listProgrammes")]
    async fn list(
        &self,
        auth: Auth,
        /// Rows to skip.
        offset: Query<Option<u64>>,
        /// Rows to return (1–500, default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<ProgrammePage>, ApiError> {
        let (offset, limit) = page(offset.0, limit.0)?;
        // Programmes are few; filter to those this account may see, then page.
        let (all, _) = self.state.store.programmes(0, 10_000).await?;
        let mut visible = Vec::new();
        for p in &all {
            let reach = self.state.store.recent_reach(&p.programme.key).await?.unwrap_or_default();
            if auth.may(Access::ReadProgramme { reach: &reach }).is_ok() {
                visible.push(p);
            }
        }
        Ok(Json(ProgrammePage {
            total: visible.len() as u64,
            items: visible.iter().skip(offset as usize).take(limit as usize).map(|p| (*p).into()).collect(),
            offset,
            limit,
        }))
    }

    /// Define a programme (its head; add stages, directions, deliverables and units after).
    #[oai(path = "/", method = "post", operation_id = "createProgramme")]
    async fn create(&self, auth: Auth, body: Json<ProgrammeInput>) -> Result<Created<ProgrammeView>, ApiError> {
        let programme = body.0.into_domain()?;
        auth.may_create(Access::DefineProgramme { scope_path: &programme.scope.implied_path() })?;
        let store = &self.state.store;
        let tree = store.tree_for(&programme.scope, &[]).await?;
        bundle::check_programme(&programme, &tree)?;
        if store.programme(&programme.key).await?.is_some() {
            return Err(crate::domain::programme::key_taken(&programme.key).into());
        }
        let b = crate::domain::Bundle {
            programme,
            stages: vec![],
            directions: vec![],
            deliverables: vec![],
            units: vec![],
        };
        store.create_bundle(&b, &[], Default::default(), "programme.create", &auth.actor(&self.state)).await?;
        let stored = store.programme_required(&b.programme.key).await?;
        Ok(Created::Created(Json((&stored).into())))
    }

    /// Import a whole programme in the fixture format (`pilotgov/programme@1`, see
    /// `fixtures/README.md`): head, stages, catalogue, deliverables and units, all or nothing.
    #[oai(path = "/import", method = "post", operation_id = "importProgramme")]
    async fn import(&self, auth: Auth, body: Json<ProgrammeDocumentDto>) -> Result<Created<ImportSummary>, ApiError> {
        let doc: ProgrammeDocument = super::scoring_dto::convert("document", &body.0)?;
        auth.may_create(Access::DefineProgramme { scope_path: &doc.programme.scope.implied_path() })?;
        match import_programme(&self.state.store, doc, &auth.actor(&self.state)).await? {
            Imported::Programme { key, stages, directions, deliverables, units } => {
                Ok(Created::Created(Json(ImportSummary {
                    key: key.to_string(),
                    stages: stages as u64,
                    directions: directions as u64,
                    deliverables: deliverables as u64,
                    units: units as u64,
                })))
            }
            Imported::Regions(_) | Imported::CalendarYears(_) => {
                Err(ApiError::bad_request("expected a programme document"))
            }
        }
    }

    /// Preview a programme document without storing anything: every problem at its place
    /// (`at`), every deliverable's deadlines, the quota standing of every group of units.
    #[oai(path = "/import/preview", method = "post", operation_id = "previewProgrammeImport")]
    async fn preview(
        &self,
        auth: Auth,
        body: Json<ProgrammeDocumentDto>,
    ) -> Result<Json<ProgrammePreviewView>, ApiError> {
        let doc: ProgrammeDocument = super::scoring_dto::convert("document", &body.0)?;
        auth.may_create(Access::DefineProgramme { scope_path: &doc.programme.scope.implied_path() })?;
        let pv = match crate::service::import::preview_programme(&self.state.store, doc).await? {
            Ok(pv) => pv,
            Err(problem) => {
                return Ok(Json(ProgrammePreviewView {
                    importable: false,
                    problems: vec![(&problem).into()],
                    deliverables: vec![],
                    quotas: vec![],
                    stages: 0,
                    units: 0,
                }));
            }
        };
        let b = &pv.bundle;
        Ok(Json(ProgrammePreviewView {
            importable: pv.importable(),
            problems: pv.problems.iter().map(Into::into).collect(),
            deliverables: b
                .deliverables
                .iter()
                .map(|d| PreviewDeliverable {
                    key: d.key.to_string(),
                    title: d.title.clone(),
                    deadlines: d
                        .deadline
                        .occurrences(&b.stages)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|o| PreviewDeadline { occurrence: o.key, text: o.due_text, due_on: o.due_on })
                        .collect(),
                })
                .collect(),
            quotas: pv
                .quotas
                .iter()
                .map(|q| PreviewQuota {
                    group: q.group.to_string(),
                    units: q.units.into(),
                    units_max: q.units_bounds.and_then(|b| b.max).map(Into::into),
                    units_min: q.units_bounds.map(|b| b.min.into()),
                    directions: q.directions.into(),
                    directions_max: q.directions_bounds.and_then(|b| b.max).map(Into::into),
                })
                .collect(),
            stages: b.stages.len() as u64,
            units: b.units.len() as u64,
        }))
    }

    /// Read one programme.
    #[oai(path = "/:key", method = "get", operation_id = "getProgramme")]
    async fn get(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<ProgrammeView>, ApiError> {
        let k = key.0.0.clone();
        let reach = self.state.store.recent_reach(&k).await?.ok_or_else(|| not_found(key.0.as_str()))?;
        auth.may(Access::ReadProgramme { reach: &reach })?;
        let stored = self.state.store.programme(&k).await?.ok_or_else(|| not_found(key.0.as_str()))?;
        Ok(Json((&stored).into()))
    }

    /// Replace a programme's head. The key in the body must match the path.
    #[oai(path = "/:key", method = "put", operation_id = "updateProgramme")]
    async fn update(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<ProgrammeInput>,
    ) -> Result<Json<ProgrammeView>, ApiError> {
        let k = key.0.0.clone();
        let store = &self.state.store;
        let current = store.programme(&k).await?.ok_or_else(|| not_found(key.0.as_str()))?;
        auth.may(Access::DefineProgramme { scope_path: &current.programme.scope.implied_path() })?;
        let programme = body.0.into_domain()?;
        if programme.key != key.0.0 {
            return Err(DomainError::invalid("key", "a programme's key cannot change").into());
        }
        auth.may_create(Access::DefineProgramme { scope_path: &programme.scope.implied_path() })?;
        let now = self.state.now();
        let change = programme_edit::Change::Head(programme);
        let mode = programme_edit::Mode::Replace;
        programme_edit::change(store, auth.principal(), &k, change, mode, now).await?;
        let stored = store.programme_required(&k).await?;
        Ok(Json((&stored).into()))
    }
}

pub fn not_found(key: &str) -> ApiError {
    ApiError::not_found(format!("programme `{key}` does not exist"))
}
