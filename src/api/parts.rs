//! `/programmes/{key}/stages|directions|deliverables`: the parts a programme is made of.

use chrono::NaiveDate;
use poem_openapi::{Enum, Object, OpenApi, Union, param::Path, payload::Json};

use super::auth::Auth;
use super::common::Created;
use super::common::{Level, WindowView, key, region, window};
use super::error::ApiError;
use super::params::KeyParam;
use super::programmes::not_found;
use super::{ApiTags, State};
use crate::domain::access::Access;
use crate::domain::deadline::{Anchor, Every, LastDay, MonthDay};
use crate::domain::{
    Audience, DeadlineSpec, Deliverable, Department, Direction, DirectionKind, DomainError, Key, RouteAction,
    RouteStep, Stage, YearMonth,
};
use crate::service::programme_edit::{self, Change, Mode};

/// A stage as written by a client.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StageInput {
    pub key: String,
    /// 部署阶段, 实施阶段, ...
    pub name: String,
    /// Order in the plan, from 1.
    pub seq: u32,
    /// Start as written (`2022年8月下旬`).
    pub start: String,
    /// End as written (`2022年9月中旬`).
    pub end: String,
    pub description: Option<String>,
}

/// A stage with its window.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StageView {
    pub key: String,
    pub name: String,
    pub seq: u32,
    pub window: WindowView,
    pub description: Option<String>,
}

impl From<&Stage> for StageView {
    fn from(s: &Stage) -> Self {
        Self {
            key: s.key.to_string(),
            name: s.name.clone(),
            seq: s.seq,
            window: (&s.window).into(),
            description: s.description.clone(),
        }
    }
}

impl StageInput {
    fn into_domain(self) -> Result<Stage, DomainError> {
        Ok(Stage {
            key: key("key", &self.key)?,
            name: self.name,
            seq: self.seq,
            window: window("start", &self.start, "end", &self.end)?,
            description: self.description,
        })
    }
}

/// Chosen by units, or assigned to all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum Kind {
    Choice,
    Assigned,
}

/// A responsible department (责任单位): an organisation inside a region.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DepartmentDto {
    /// 市民政局, 各县(市)区人民政府.
    pub name: String,
    /// The region it belongs to.
    pub region: Option<String>,
}

/// A catalogue entry.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DirectionDto {
    /// Its number in the notice.
    pub number: u32,
    pub title: String,
    pub text: String,
    pub kind: Kind,
    /// The heading it stands under.
    pub group: Option<String>,
    #[oai(default)]
    pub responsible: Vec<DepartmentDto>,
}

impl DirectionDto {
    fn into_domain(self) -> Result<Direction, DomainError> {
        let d = Direction {
            number: self.number,
            title: self.title,
            text: self.text,
            kind: match self.kind {
                Kind::Choice => DirectionKind::Choice,
                Kind::Assigned => DirectionKind::Assigned,
            },
            group: self.group,
            responsible: self
                .responsible
                .into_iter()
                .map(|r| {
                    Ok(Department {
                        name: r.name,
                        region: r.region.as_deref().map(|c| region("responsible.region", c)).transpose()?,
                    })
                })
                .collect::<Result<_, DomainError>>()?,
        };
        d.validate()?;
        Ok(d)
    }
}

impl From<&Direction> for DirectionDto {
    fn from(d: &Direction) -> Self {
        Self {
            number: d.number,
            title: d.title.clone(),
            text: d.text.clone(),
            kind: match d.kind {
                DirectionKind::Choice => Kind::Choice,
                DirectionKind::Assigned => Kind::Assigned,
            },
            group: d.group.clone(),
            responsible: d
                .responsible
                .iter()
                .map(|r| DepartmentDto { name: r.name.clone(), region: r.region.as_ref().map(|c| c.to_string()) })
                .collect(),
        }
    }
}

/// Due on one day (a fuzzy date is due on its last day).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FixedDeadline {
    /// As written: `2022年9月20日前`, `2023年11月底前`.
    pub due: String,
}

/// Every month or quarter of a range.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringDeadline {
    pub every: Period,
    /// First month, `2019-04`.
    pub from: String,
    /// Last month, `2019-12`.
    pub to: String,
    /// Day the filing window opens (15 for "每月15日至20日").
    pub opens_day: Option<u32>,
    /// Day it is due: `1`–`31` (clamped to the month's end) or `last`.
    pub due_day: String,
    /// The document's words.
    pub text: Option<String>,
}

/// Days from a stage's start or end.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RelativeDeadline {
    pub stage: String,
    pub anchor: AnchorDto,
    /// Days after (positive) or before (negative).
    pub offset_days: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum Period {
    Month,
    Quarter,
    /// Once a year, in the month of `from`.
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AnchorDto {
    Start,
    End,
}

/// When a deliverable is due; `kind` tells which.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "kind")]
pub enum DeadlineDto {
    #[oai(mapping = "fixed")]
    Fixed(FixedDeadline),
    #[oai(mapping = "recurring")]
    Recurring(RecurringDeadline),
    #[oai(mapping = "relative_to_stage")]
    RelativeToStage(RelativeDeadline),
}

impl DeadlineDto {
    fn into_domain(self) -> Result<DeadlineSpec, DomainError> {
        let month = |field: &str, s: &str| YearMonth::parse(s).map_err(|e| DomainError::invalid(field, e.to_string()));
        Ok(match self {
            Self::Fixed(f) => DeadlineSpec::Fixed { due: super::common::doc_date("deadline.due", &f.due)? },
            Self::Recurring(r) => {
                DeadlineSpec::Recurring {
                    every: match r.every {
                        Period::Month => Every::Month,
                        Period::Quarter => Every::Quarter,
                        Period::Year => Every::Year,
                    },
                    from: month("deadline.from", &r.from)?,
                    to: month("deadline.to", &r.to)?,
                    opens_day: r.opens_day,
                    due_day: match r.due_day.as_str() {
                        "last" => MonthDay::Last(LastDay::Last),
                        d => MonthDay::Day(d.parse().map_err(|_| {
                            DomainError::invalid("deadline.due_day", "a day of the month 1–31, or `last`")
                        })?),
                    },
                    text: r.text,
                }
            }
            Self::RelativeToStage(r) => DeadlineSpec::RelativeToStage {
                stage: key("deadline.stage", &r.stage)?,
                anchor: match r.anchor {
                    AnchorDto::Start => Anchor::Start,
                    AnchorDto::End => Anchor::End,
                },
                offset_days: r.offset_days,
            },
        })
    }

    fn from_domain(d: &DeadlineSpec) -> Self {
        match d {
            DeadlineSpec::Fixed { due } => Self::Fixed(FixedDeadline { due: due.text().to_owned() }),
            DeadlineSpec::Recurring { every, from, to, opens_day, due_day, text } => {
                Self::Recurring(RecurringDeadline {
                    every: match every {
                        Every::Month => Period::Month,
                        Every::Quarter => Period::Quarter,
                        Every::Year => Period::Year,
                    },
                    from: from.to_string(),
                    to: to.to_string(),
                    opens_day: *opens_day,
                    due_day: match due_day {
                        MonthDay::Day(d) => d.to_string(),
                        MonthDay::Last(_) => "last".to_owned(),
                    },
                    text: text.clone(),
                })
            }
            DeadlineSpec::RelativeToStage { stage, anchor, offset_days } => Self::RelativeToStage(RelativeDeadline {
                stage: stage.to_string(),
                anchor: match anchor {
                    Anchor::Start => AnchorDto::Start,
                    Anchor::End => AnchorDto::End,
                },
                offset_days: *offset_days,
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 审定.
    Review,
    /// 备案.
    File,
}

/// A step of a filing's route above the unit.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RouteStepDto {
    pub level: Level,
    pub action: Action,
}

impl From<&RouteStep> for RouteStepDto {
    fn from(s: &RouteStep) -> Self {
        Self {
            level: s.level.into(),
            action: match s.action {
                RouteAction::Review => Action::Review,
                RouteAction::File => Action::File,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
#[oai(rename_all = "snake_case")]
pub enum AudienceDto {
    /// Every unit.
    #[default]
    All,
    /// Demonstration units only.
    Demonstration,
}

/// Something units must file.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeliverableDto {
    pub key: String,
    pub title: String,
    pub description: Option<String>,
    /// The stage it belongs to.
    pub stage: Option<String>,
    pub deadline: DeadlineDto,
    /// Steps above the unit, in order (city review, province filing).
    #[oai(default)]
    pub route: Vec<RouteStepDto>,
    #[oai(default)]
    pub audience: AudienceDto,
}

impl DeliverableDto {
    fn into_domain(self) -> Result<Deliverable, DomainError> {
        Ok(Deliverable {
            key: key("key", &self.key)?,
            title: self.title,
            description: self.description,
            stage: self.stage.as_deref().map(|s| key("stage", s)).transpose()?,
            deadline: self.deadline.into_domain()?,
            route: self
                .route
                .into_iter()
                .map(|s| RouteStep {
                    level: s.level.into(),
                    action: match s.action {
                        Action::Review => RouteAction::Review,
                        Action::File => RouteAction::File,
                    },
                })
                .collect(),
            audience: match self.audience {
                AudienceDto::All => Audience::All,
                AudienceDto::Demonstration => Audience::Demonstration,
            },
        })
    }
}

impl From<&Deliverable> for DeliverableDto {
    fn from(d: &Deliverable) -> Self {
        Self {
            key: d.key.to_string(),
            title: d.title.clone(),
            description: d.description.clone(),
            stage: d.stage.as_ref().map(|s| s.to_string()),
            deadline: DeadlineDto::from_domain(&d.deadline),
            route: d.route.iter().map(Into::into).collect(),
            audience: match d.audience {
                Audience::All => AudienceDto::All,
                Audience::Demonstration => AudienceDto::Demonstration,
            },
        }
    }
}

/// One dated instance of a deliverable's deadline.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OccurrenceView {
    /// `once`, `2019-04`, `2020-Q2`.
    pub key: String,
    pub opens_on: Option<NaiveDate>,
    /// Due on this day, inclusive (Asia/Shanghai).
    pub due_on: NaiveDate,
    /// As the document would write it.
    pub due_text: String,
}

pub struct PartsApi {
    pub state: State,
}

impl PartsApi {
    /// The programme, if this account may read it (`define`: and change its parts).
    async fn programme(&self, auth: &Auth, key: &Key, define: bool) -> Result<crate::domain::Programme, ApiError> {
        let p = self.state.store.programme(key).await?.ok_or_else(|| not_found(key.as_str()))?.programme;
        let reach = self.state.store.recent_reach(key).await?.unwrap_or_default();
        auth.may(Access::ReadProgramme { reach: &reach })?;
        if define {
            auth.may(Access::DefineProgramme { scope_path: &reach.scope_path })?;
        }
        Ok(p)
    }

    /// A part added or replaced, checked with the whole programme as it would then stand.
    async fn change(&self, auth: &Auth, key: &Key, change: Change, mode: Mode) -> Result<(), ApiError> {
        let now = self.state.now();
        programme_edit::change(&self.state.store, auth.principal(), key, change, mode, now).await?;
        Ok(())
    }
}

#[OpenApi(prefix_path = "/programmes", tag = "ApiTags::Parts")]
impl PartsApi {
    /// List a programme's stages in plan order.
    #[oai(path = "/:key/stages", method = "get", operation_id = "listStages")]
    async fn list_stages(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<StageView>>, ApiError> {
        let p = self.programme(&auth, &key.0, false).await?;
        Ok(Json(self.state.store.stages(&p.key).await?.iter().map(Into::into).collect()))
    }

    /// Add a stage; its window must lie inside the programme period.
    #[oai(path = "/:key/stages", method = "post", operation_id = "createStage")]
    async fn create_stage(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<StageInput>,
    ) -> Result<Created<StageView>, ApiError> {
        let s = body.0.into_domain()?;
        self.change(&auth, &key.0, Change::Stage(s.clone()), Mode::Add).await?;
        Ok(Created::Created(Json((&s).into())))
    }

    /// Read one stage.
    #[oai(path = "/:key/stages/:stage", method = "get", operation_id = "getStage")]
    async fn get_stage(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        stage: Path<KeyParam>,
    ) -> Result<Json<StageView>, ApiError> {
        let p = self.programme(&auth, &key.0, false).await?;
        let stages = self.state.store.stages(&p.key).await?;
        let s = stages.iter().find(|s| s.key == stage.0.0).ok_or_else(|| {
            ApiError::not_found(format!("stage `{}` of programme `{}` does not exist", stage.0, key.0))
        })?;
        Ok(Json(s.into()))
    }

    /// Replace a stage. The key in the body must match the path.
    #[oai(path = "/:key/stages/:stage", method = "put", operation_id = "updateStage")]
    async fn update_stage(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        stage: Path<KeyParam>,
        body: Json<StageInput>,
    ) -> Result<Json<StageView>, ApiError> {
        self.programme(&auth, &key.0, true).await?;
        let s = body.0.into_domain()?;
        if s.key != stage.0.0 {
            return Err(DomainError::invalid("key", "a stage's key cannot change").into());
        }
        self.change(&auth, &key.0, Change::Stage(s.clone()), Mode::Replace).await?;
        Ok(Json((&s).into()))
    }

    /// List the direction catalogue (directions to choose and assigned tasks) by number.
    #[oai(path = "/:key/directions", method = "get", operation_id = "listDirections")]
    async fn list_directions(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<DirectionDto>>, ApiError> {
        let p = self.programme(&auth, &key.0, false).await?;
        Ok(Json(self.state.store.directions(&p.key).await?.iter().map(Into::into).collect()))
    }

    /// Add a catalogue entry.
    #[oai(path = "/:key/directions", method = "post", operation_id = "createDirection")]
    async fn create_direction(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<DirectionDto>,
    ) -> Result<Created<DirectionDto>, ApiError> {
        let d = body.0.into_domain()?;
        self.change(&auth, &key.0, Change::Direction(d.clone()), Mode::Add).await?;
        Ok(Created::Created(Json((&d).into())))
    }

    /// Read one catalogue entry by its number.
    #[oai(path = "/:key/directions/:number", method = "get", operation_id = "getDirection")]
    async fn get_direction(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        number: Path<u32>,
    ) -> Result<Json<DirectionDto>, ApiError> {
        let p = self.programme(&auth, &key.0, false).await?;
        let all = self.state.store.directions(&p.key).await?;
        let d = all.iter().find(|d| d.number == number.0).ok_or_else(|| {
            ApiError::not_found(format!("direction {} of programme `{}` does not exist", number.0, key.0))
        })?;
        Ok(Json(d.into()))
    }

    /// Replace a catalogue entry. The number in the body must match the path.
    #[oai(path = "/:key/directions/:number", method = "put", operation_id = "updateDirection")]
    async fn update_direction(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        number: Path<u32>,
        body: Json<DirectionDto>,
    ) -> Result<Json<DirectionDto>, ApiError> {
        self.programme(&auth, &key.0, true).await?;
        let d = body.0.into_domain()?;
        if d.number != number.0 {
            return Err(DomainError::invalid("number", "a direction's number cannot change").into());
        }
        self.change(&auth, &key.0, Change::Direction(d.clone()), Mode::Replace).await?;
        Ok(Json((&d).into()))
    }

    /// List deliverables by key.
    #[oai(path = "/:key/deliverables", method = "get", operation_id = "listDeliverables")]
    async fn list_deliverables(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<DeliverableDto>>, ApiError> {
        let p = self.programme(&auth, &key.0, false).await?;
        Ok(Json(self.state.store.deliverables(&p.key).await?.iter().map(Into::into).collect()))
    }

    /// Add a deliverable; all its deadlines must fall inside the programme period.
    #[oai(path = "/:key/deliverables", method = "post", operation_id = "createDeliverable")]
    async fn create_deliverable(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<DeliverableDto>,
    ) -> Result<Created<DeliverableDto>, ApiError> {
        let d = body.0.into_domain()?;
        self.change(&auth, &key.0, Change::Deliverable(d.clone()), Mode::Add).await?;
        Ok(Created::Created(Json((&d).into())))
    }

    /// Read one deliverable.
    #[oai(path = "/:key/deliverables/:deliverable", method = "get", operation_id = "getDeliverable")]
    async fn get_deliverable(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        deliverable: Path<KeyParam>,
    ) -> Result<Json<DeliverableDto>, ApiError> {
        let p = self.programme(&auth, &key.0, false).await?;
        let all = self.state.store.deliverables(&p.key).await?;
        let d = find_deliverable(&all, &key.0, &deliverable.0)?;
        Ok(Json(d.into()))
    }

    /// Replace a deliverable. The key in the body must match the path.
    #[oai(path = "/:key/deliverables/:deliverable", method = "put", operation_id = "updateDeliverable")]
    async fn update_deliverable(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        deliverable: Path<KeyParam>,
        body: Json<DeliverableDto>,
    ) -> Result<Json<DeliverableDto>, ApiError> {
        self.programme(&auth, &key.0, true).await?;
        let d = body.0.into_domain()?;
        if d.key != deliverable.0.0 {
            return Err(DomainError::invalid("key", "a deliverable's key cannot change").into());
        }
        self.change(&auth, &key.0, Change::Deliverable(d.clone()), Mode::Replace).await?;
        Ok(Json((&d).into()))
    }

    /// The concrete dated occurrences of a deliverable's deadline.
    #[oai(path = "/:key/deliverables/:deliverable/occurrences", method = "get", operation_id = "listOccurrences")]
    async fn occurrences(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        deliverable: Path<KeyParam>,
    ) -> Result<Json<Vec<OccurrenceView>>, ApiError> {
        let p = self.programme(&auth, &key.0, false).await?;
        let all = self.state.store.deliverables(&p.key).await?;
        let d = find_deliverable(&all, &key.0, &deliverable.0)?;
        let stages = self.state.store.stages(&p.key).await?;
        let occ = d.deadline.occurrences(&stages)?;
        Ok(Json(
            occ.into_iter()
                .map(|o| OccurrenceView { key: o.key, opens_on: o.opens_on, due_on: o.due_on, due_text: o.due_text })
                .collect(),
        ))
    }
}

fn find_deliverable<'a>(all: &'a [Deliverable], programme: &Key, k: &Key) -> Result<&'a Deliverable, ApiError> {
    all.iter()
        .find(|d| &d.key == k)
        .ok_or_else(|| ApiError::not_found(format!("deliverable `{k}` of programme `{programme}` does not exist")))
}
