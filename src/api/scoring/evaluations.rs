//! Mid-term and final evaluations (评估) by a panel, and annual scores.

use std::collections::BTreeMap;

use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, param::Path, param::Query};

use super::{points, visible_views};
use crate::api::auth::Auth;
use crate::api::common::{Created, region};
use crate::api::error::ApiError;
use crate::api::params::KeyParam;
use crate::api::{ApiTags, State};
use crate::domain::evaluation::{Evaluation, PanelMember, Phase, Title};
use crate::domain::scoring::Points;
use crate::domain::{DomainError, Key, RegionCode};
use crate::service::scoring::{self as service};

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

pub struct EvaluationsApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Scoring")]
impl EvaluationsApi {
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
            service::evaluate(&self.state.store, auth.principal(), &k, &unit, phase, panel, scores, self.state.now())
                .await?;
        Ok(Created::Created(Json((&e).into())))
    }

    /// Evaluations of the units this account may see.
    #[oai(path = "/programmes/:key/evaluations", method = "get", operation_id = "listEvaluations")]
    async fn evaluations(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<EvaluationView>>, ApiError> {
        let k = key.0.0;
        service::programme_gate(&self.state.store, auth.principal(), &k, false).await?;
        let rows = self.state.store.evaluations(&k).await?;
        Ok(Json(visible_views(&auth, &rows, |r| &r.unit_path)))
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
        let v = service::annual_scores(&self.state.store, &k, year.0, self.state.now()).await?;
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
}
