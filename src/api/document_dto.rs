//! The fixture format (`pilotgov/programme@1`, `fixtures/README.md`) as a typed body for
//! `POST /api/v1/programmes/import`, so that the spec describes the whole document and a client
//! generated from it can build one. Its JSON is exactly the format's; it becomes the service's
//! `ProgrammeDocument` through that one serde shape (`scoring_dto::convert`), and the domain
//! checks it as it checks a seeded file.

use poem_openapi::{Enum, Object, Union};
use serde::{Deserialize, Serialize};

use super::common::Level;
use super::scoring_dto::{IndicatorSystemDto, SchemeDto};

/// A whole programme as a notice describes it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgrammeDocumentDto {
    /// `pilotgov/programme@1`.
    pub format: String,
    pub programme: ProgrammeHeadDto,
    /// Numbered in list order.
    #[serde(default)]
    #[oai(default)]
    pub stages: Vec<StageEntryDto>,
    /// The catalogue: directions to choose and tasks assigned to all.
    #[serde(default)]
    #[oai(default)]
    pub directions: Vec<DocDirection>,
    #[serde(default)]
    #[oai(default)]
    pub deliverables: Vec<DocDeliverable>,
    #[serde(default)]
    #[oai(default)]
    pub units: Vec<DocUnit>,
    /// The scoring scheme, if the programme scores its units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring: Option<SchemeDto>,
    /// The evaluation indicator system, if the programme evaluates its units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<IndicatorSystemDto>,
}

/// The programme's head: what, by whom, when, where.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgrammeHeadDto {
    /// URL key: a-z, 0-9 and `-`.
    pub key: String,
    pub title: String,
    /// 发文机关.
    pub issuer: String,
    /// 文号, when there is one (`闽民助〔2022〕98号`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// Document date as written (`2022年8月17日`).
    pub issued: String,
    pub period: SpanDto,
    /// The region code the programme covers.
    pub scope: String,
    pub unit_level: Level,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<SelectionRulesDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Two document dates (`2022年8月下旬`, `2023年11月底`).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct SpanDto {
    pub start: String,
    pub end: String,
}

/// At least `min`, at most `max` (none: no upper bound).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DocBounds {
    pub min: u32,
    pub max: Option<u32>,
}

/// A named exception to the selection rules (平潭综合实验区 pilots as a whole).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RuleExceptionDto {
    pub region: String,
    pub name: String,
    /// Counts as a group of its own for the quotas.
    pub own_group: bool,
    /// Files straight to the last step of the route.
    pub files_directly: bool,
    /// May be a unit although its level differs from the programme's unit level.
    pub any_level: bool,
    pub note: Option<String>,
}

/// How units and their directions are chosen (each bound checked when a unit is added).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct SelectionRulesDto {
    pub directions_per_unit: Option<DocBounds>,
    pub directions_per_group: Option<DocBounds>,
    pub units_per_group: Option<DocBounds>,
    /// The level whose regions form the quota groups (city for Fujian).
    pub group_level: Option<Level>,
    #[serde(default)]
    #[oai(default)]
    pub exceptions: Vec<RuleExceptionDto>,
}

/// A stage; its number is its place in the list.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct StageEntryDto {
    pub key: String,
    pub name: String,
    pub start: String,
    pub end: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DirectionKindDto {
    /// A direction a unit chooses.
    Choice,
    /// A task every unit carries out.
    Assigned,
}

/// A department responsible for a task (责任单位), with its region when known.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DocDepartment {
    pub name: String,
    pub region: Option<String>,
}

/// A numbered catalogue entry.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DocDirection {
    pub number: u32,
    pub title: String,
    pub text: String,
    pub kind: DirectionKindDto,
    /// The heading it stands under.
    pub group: Option<String>,
    #[serde(default)]
    #[oai(default)]
    pub responsible: Vec<DocDepartment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EveryDto {
    /// 每月.
    Month,
    /// 每季度: due in the quarter's last month.
    Quarter,
    /// 每年: once a year, in the month of `from`.
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LastDayDto {
    Last,
}

/// A day of the month (clamped to the month's end) or `last`.
#[derive(Debug, Clone, Union, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DueDayDto {
    Day(u32),
    Last(LastDayDto),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DocAnchor {
    Start,
    End,
}

/// Due on a document date (`2022年9月20日前`).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct FixedDue {
    pub due: String,
}

/// Due every month, quarter or year from `from` to `to` (`2019-04`), on `due_day`, opening on
/// `opens_day` (Xixiu: electronic data 15th–20th).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringDue {
    pub every: EveryDto,
    pub from: String,
    pub to: String,
    pub opens_day: Option<u32>,
    pub due_day: DueDayDto,
    /// As the notice says it (`每月25日前`).
    pub text: Option<String>,
}

/// Due `offset_days` after a stage's start or end.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RelativeDue {
    pub stage: String,
    pub anchor: DocAnchor,
    pub offset_days: i32,
}

/// When a deliverable is due; `kind` tells which.
#[derive(Debug, Clone, Union, Serialize, Deserialize)]
#[oai(discriminator_name = "kind")]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DocDeadline {
    #[oai(mapping = "fixed")]
    Fixed(FixedDue),
    #[oai(mapping = "recurring")]
    Recurring(RecurringDue),
    #[oai(mapping = "relative_to_stage")]
    RelativeToStage(RelativeDue),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ActionDto {
    /// 审定.
    Review,
    /// 备案.
    File,
}

/// A step of a filing's route above the unit.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct DocRouteStep {
    pub level: Level,
    pub action: ActionDto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DocAudience {
    /// Every unit files it.
    All,
    /// Only demonstration units (示范) file it.
    Demonstration,
}

/// Something units must file, when, and along which route.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DocDeliverable {
    pub key: String,
    pub title: String,
    pub description: Option<String>,
    /// The stage it belongs to.
    pub stage: Option<String>,
    pub deadline: DocDeadline,
    /// Review and filing steps above the unit, in order; empty: final when submitted.
    #[serde(default)]
    #[oai(default)]
    pub route: Vec<DocRouteStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<DocAudience>,
}

/// Who leads the pilot in a unit.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DocContact {
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
}

/// A pilot unit with its chosen directions.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DocUnit {
    pub region: String,
    #[serde(default)]
    #[oai(default)]
    pub directions: Vec<u32>,
    #[serde(default)]
    #[oai(default)]
    pub demonstration: bool,
    pub lead: Option<DocContact>,
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::scoring_dto::convert;
    use crate::service::document::ProgrammeDocument;

    /// Every seed programme goes through the typed body into the same bundle, scheme and
    /// indicator system as the file itself gives: the API's import is the fixture format.
    #[test]
    fn every_seed_programme_imports_through_the_typed_body() {
        let mut n = 0;
        for (name, text) in crate::service::import::DEMO_FIXTURES {
            let Ok(doc) = serde_yaml_ng::from_str::<ProgrammeDocument>(text) else { continue };
            let dto: ProgrammeDocumentDto = convert("document", &doc).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Through the API's own JSON parsing, as a client's body would arrive.
            let json = serde_json::to_value(&dto).unwrap();
            let parsed = <ProgrammeDocumentDto as poem_openapi::types::ParseFromJSON>::parse_from_json(Some(json))
                .unwrap_or_else(|e| panic!("{name}: {}", e.into_message()));
            let back: ProgrammeDocument = convert("document", &parsed).unwrap_or_else(|e| panic!("{name}: {e}"));
            let (a, b) = (doc.into_bundle().unwrap(), back.into_bundle().unwrap());
            assert_eq!(a.0, b.0, "{name}");
            assert_eq!(a.1, b.1, "{name}");
            assert_eq!(a.2, b.2, "{name}");
            n += 1;
        }
        assert_eq!(n, 5, "the five seed programmes");
    }
}
