//! Project evaluation (石嘴山 附件3): weighted indicators in groups, a panel that must be valid,
//! mid-term and final evaluations, and grades from score bands.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::scoring::Points;
use super::{DomainError, Key, RegionCode, Rule};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub key: Key,
    pub name: String,
    /// Percent of its group.
    pub weight: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub key: Key,
    pub name: String,
    /// Percent of the whole.
    pub weight: u32,
    pub indicators: Vec<Indicator>,
}

/// A grade and the least score that earns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub grade: String,
    pub min: Points,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorSystem {
    pub groups: Vec<Group>,
    /// Highest first.
    pub bands: Vec<Band>,
}

impl IndicatorSystem {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.groups.iter().map(|g| g.weight).sum::<u32>() != 100 {
            return Err(DomainError::invalid("groups.weight", "group weights add up to 100"));
        }
        for g in &self.groups {
            if g.indicators.is_empty() || g.indicators.iter().map(|i| i.weight).sum::<u32>() != 100 {
                return Err(DomainError::invalid(
                    "indicators.weight",
                    format!("the indicators of {} add up to 100", g.name),
                ));
            }
        }
        if self.bands.windows(2).any(|w| w[0].min <= w[1].min) || self.bands.is_empty() {
            return Err(DomainError::invalid("bands", "bands from the highest minimum down"));
        }
        Ok(())
    }

    /// The weighted total of indicator scores (each 0–100) and its grade.
    pub fn evaluate(&self, scores: &BTreeMap<Key, Points>) -> Result<(Points, String), DomainError> {
        let mut total: i128 = 0;
        for g in &self.groups {
            for i in &g.indicators {
                let s = scores.get(&i.key).ok_or_else(|| {
                    DomainError::invalid("scores", format!("indicator {}（{}）has no score", i.key, i.name))
                })?;
                if s.0 < 0 || s.0 > 10_000 {
                    return Err(DomainError::invalid("scores", format!("{} is scored 0–100", i.name)));
                }
                total += i128::from(s.0) * i128::from(g.weight) * i128::from(i.weight);
            }
        }
        let known = self.groups.iter().flat_map(|g| &g.indicators).count();
        if scores.len() != known {
            return Err(DomainError::invalid("scores", "a score for an indicator the system does not have"));
        }
        let total = Points(super::scoring::round_half_up(total, 10_000));
        let grade =
            self.bands.iter().find(|b| total >= b.min).map(|b| b.grade.clone()).unwrap_or_else(|| "不合格".into());
        Ok((total, grade))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Title {
    None,
    Junior,
    Intermediate,
    Senior,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelMember {
    pub name: String,
    /// A financial accountant (财会人员).
    pub accountant: bool,
    pub title: Title,
}

/// 评估小组应由不少于3人的单数组成，其中具有中级及以上专业技术职称的财会人员不少于1人.
pub fn check_panel(members: &[PanelMember]) -> Result<(), DomainError> {
    let n = members.len();
    if n < 3 || n % 2 == 0 {
        return Err(DomainError::rule(
            Rule::PanelSize,
            format!("an evaluation panel has an odd number of members, at least 3; this one has {n}"),
        ));
    }
    if !members.iter().any(|m| m.accountant && m.title >= Title::Intermediate) {
        return Err(DomainError::rule(
            Rule::PanelAccountant,
            "an evaluation panel includes an accountant with an intermediate or higher title",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    MidTerm,
    Final,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MidTerm => "mid_term",
            Self::Final => "final",
        }
    }
}

/// A mid-term or final evaluation of one unit by a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub key: String,
    pub programme: Key,
    pub unit: RegionCode,
    /// The unit's region path, root first.
    pub unit_path: Vec<RegionCode>,
    pub phase: Phase,
    pub panel: Vec<PanelMember>,
    /// Per indicator.
    pub scores: BTreeMap<Key, Points>,
    pub total: Points,
    pub grade: String,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
    /// Overturned on appeal.
    pub voided: bool,
}

/// The total of the unit's latest final evaluation that stands (evaluations oldest first).
pub fn latest_final(evaluations: &[Evaluation], unit: &RegionCode) -> Option<Points> {
    evaluations.iter().rev().find(|e| &e.unit == unit && e.phase == Phase::Final && !e.voided).map(|e| e.total)
}
