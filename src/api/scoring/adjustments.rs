//! Deductions and bonuses (扣分、加分) with their evidence, and the itemised monthly scores they make.

use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Union, param::Path, param::Query};

use super::{points, visible_views};
use crate::api::auth::Auth;
use crate::api::common::{Created, region, shanghai};
use crate::api::error::ApiError;
use crate::api::params::{KeyParam, MonthParam, RegionParam};
use crate::api::{ApiTags, State};
use crate::domain::scoring::{Adjustment, AdjustmentKind, Evidence, UnitScore};
use crate::domain::{DomainError, Key};
use crate::service::scoring::{self as service, NewAdjustment};

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

pub struct AdjustmentsApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Scoring")]
impl AdjustmentsApi {
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
                period: crate::domain::YearMonth::parse(&b.period)
                    .map_err(|e| DomainError::invalid("period", e.to_string()))?,
                item: &item,
                kind: b.kind.into(),
                points: points("points", b.points)?,
                reason: &b.reason,
                evidence: b.evidence.map(EvidenceInput::into_domain).transpose()?,
            },
            self.state.now(),
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
        let asked = rows.iter().filter(|a| {
            period.0.as_ref().is_none_or(|p| a.period == p.0) && unit.0.as_ref().is_none_or(|u| a.unit == u.0)
        });
        Ok(Json(visible_views(&auth, asked, |a| &a.unit_path)))
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
        let (_, scores) = service::month_scores(&self.state.store, &k, m, self.state.now()).await?;
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
}
