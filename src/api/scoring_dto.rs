//! The scoring documents as typed bodies, so that the spec describes them field by field: a
//! programme's scheme, its indicator system, and a reward method. Their JSON is the fixture
//! format's (`fixtures/README.md`, `scoring:` and `evaluation:`); they are turned into domain
//! values through that one serde shape, and the domain validates them.

use poem_openapi::{Object, Union};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::domain::DomainError;

/// Moves a value between its API form and its domain form through their shared JSON shape.
pub fn convert<T: Serialize, U: DeserializeOwned>(field: &str, value: &T) -> Result<U, DomainError> {
    let json = serde_json::to_value(value).map_err(|e| DomainError::invalid(field, e.to_string()))?;
    serde_json::from_value(json).map_err(|e| DomainError::invalid(field, e.to_string()))
}

/// A scored item and its full marks.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct SchemeItem {
    pub key: String,
    pub name: String,
    /// Full marks (up to two decimals).
    pub full: f64,
}

/// A late first submission: `per_day` points for each day late, at most `cap`.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct LateRule {
    /// The scheme item the points come off.
    pub item: String,
    /// Only this deliverable (all, when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliverable: Option<String>,
    pub per_day: f64,
    pub cap: f64,
}

/// Nothing submitted by the deadline: `points` off the item.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct MissingRule {
    pub item: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliverable: Option<String>,
    pub points: f64,
}

/// A filing returned for revision (退回修改): `points` off the item, once per return.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ReturnedRule {
    pub item: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliverable: Option<String>,
    pub points: f64,
}

/// What the record deducts by itself; `kind` tells which.
#[derive(Debug, Clone, Union, Serialize, Deserialize)]
#[oai(discriminator_name = "kind")]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AutoRuleDto {
    #[oai(mapping = "late")]
    Late(LateRule),
    #[oai(mapping = "missing")]
    Missing(MissingRule),
    #[oai(mapping = "returned")]
    Returned(ReturnedRule),
}

/// The annual score's weights, in percent (they add up to 100).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct AnnualWeightsDto {
    /// Weight of the average monthly score.
    pub monthly: u32,
    /// Weight of the final evaluation.
    pub final_evaluation: u32,
}

/// A programme's scoring scheme (项目满分扣减): items with full marks, automatic deductions,
/// the bonus cap, the months ranked, the appeal window and the annual weights.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct SchemeDto {
    pub items: Vec<SchemeItem>,
    /// The most bonus points a unit can gain in one month.
    pub bonus_cap: f64,
    #[serde(default)]
    #[oai(default)]
    pub auto_rules: Vec<AutoRuleDto>,
    /// First month ranked, `2019-04`.
    pub ranking_from: String,
    /// Last month ranked, `2019-12`.
    pub ranking_to: String,
    /// Days after a deduction is known within which the unit may appeal.
    pub appeal_window_days: u32,
    pub annual: AnnualWeightsDto,
    /// Region codes in the order the document lists the units, for ties (else by code).
    #[serde(default)]
    #[oai(default)]
    pub tie_order: Vec<String>,
}

/// An indicator and its weight within its group (percent).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct IndicatorDto {
    pub key: String,
    pub name: String,
    pub weight: u32,
}

/// A group of indicators and its weight in the whole (percent).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct IndicatorGroupDto {
    pub key: String,
    pub name: String,
    pub weight: u32,
    pub indicators: Vec<IndicatorDto>,
}

/// A grade and the least total that earns it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct BandDto {
    pub grade: String,
    pub min: f64,
}

/// An evaluation indicator system (石嘴山 附件3): weighted groups of indicators and grade bands.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct IndicatorSystemDto {
    pub groups: Vec<IndicatorGroupDto>,
    pub bands: Vec<BandDto>,
}

/// Units scoring at least `threshold` share in proportion to their scores.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct ProportionalMethod {
    pub threshold: f64,
}

/// One tier: `count` units at `amount` fen each.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TierDto {
    /// 一等奖, 二等奖, …
    pub name: String,
    /// Places in this tier (at most 4,294,967,295; more is refused with the field named).
    pub count: u64,
    /// Per unit, in fen.
    pub amount: i64,
}

/// The best units in order take the tiers' amounts; the tiers add up to the fund, and a tier
/// never ends between units with equal scores (409 `rule.reward_tie`).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TiersMethod {
    pub tiers: Vec<TierDto>,
}

/// An earmarked grant to a unit, in fen.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct GrantDto {
    pub unit: String,
    pub amount: i64,
}

/// Fixed grants (Fuzhou: 台江区 100万, 永泰县 200万); they add up to the fund.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct FixedMethod {
    pub grants: Vec<GrantDto>,
}

/// How a reward fund is split; `kind` tells which.
#[derive(Debug, Clone, Union, Serialize, Deserialize)]
#[oai(discriminator_name = "kind")]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RewardMethodDto {
    #[oai(mapping = "proportional")]
    Proportional(ProportionalMethod),
    #[oai(mapping = "tiers")]
    Tiers(TiersMethod),
    #[oai(mapping = "fixed")]
    Fixed(FixedMethod),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::evaluation::IndicatorSystem;
    use crate::domain::reward::Method;
    use crate::domain::scoring::Scheme;

    /// Every seed fixture's scheme and indicator system goes through the typed body and back
    /// unchanged: the API's shape is the fixture format's.
    #[test]
    fn the_seed_documents_round_trip_through_the_typed_bodies() {
        let mut seen = (0, 0);
        for (name, text) in crate::service::import::DEMO_FIXTURES {
            let Ok(doc) = serde_yaml_ng::from_str::<crate::service::document::ProgrammeDocument>(text) else {
                continue;
            };
            if let Some(s) = doc.scoring {
                let dto: SchemeDto = convert("scheme", &s).unwrap_or_else(|e| panic!("{name}: {e}"));
                let back: Scheme = convert("scheme", &dto).unwrap();
                assert_eq!(back, s, "{name}");
                seen.0 += 1;
            }
            if let Some(s) = doc.evaluation {
                let dto: IndicatorSystemDto = convert("indicator_system", &s).unwrap();
                let back: IndicatorSystem = convert("indicator_system", &dto).unwrap();
                assert_eq!(back, s, "{name}");
                seen.1 += 1;
            }
        }
        assert!(seen.0 >= 1 && seen.1 >= 1, "{seen:?}");
        for m in [
            serde_json::json!({"kind": "proportional", "threshold": 60.0}),
            serde_json::json!({"kind": "tiers", "tiers": [{"name": "一等奖", "count": 2, "amount": 5_000_000}]}),
            serde_json::json!({"kind": "fixed", "grants": [{"unit": "350103", "amount": 100_000_000}]}),
        ] {
            let dto: RewardMethodDto = serde_json::from_value(m.clone()).unwrap();
            let method: Method = convert("method", &dto).unwrap();
            assert_eq!(serde_json::to_value(&method).unwrap(), m);
        }
    }
}
