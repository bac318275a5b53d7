//! Pilot units (试点单位) and the selection rules that decide whether a region may become one with
//! the directions it chose.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Direction, DirectionKind, DomainError, Programme, RegionCode, RegionTree, Rule};

/// Who leads the pilot in a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
}

/// A region taking part in a programme, with its chosen directions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PilotUnit {
    pub region: RegionCode,
    /// Catalogue numbers of the chosen directions.
    #[serde(default)]
    pub directions: Vec<u32>,
    /// A demonstration unit (示范), as Xixiu's 旧州镇 and 东街办.
    #[serde(default)]
    pub demonstration: bool,
    #[serde(default)]
    pub lead: Option<Contact>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A unit's withdrawal from a programme (退出试点). Its filings, scores and the record of what it
/// did stay; from then on nothing is due from it, it is not ranked, and it frees its quota place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub at: chrono::DateTime<chrono::Utc>,
    /// The account that recorded it.
    pub by: String,
    /// Why, as the department's decision says (e.g. 撤并 into another township).
    pub reason: String,
}

impl Withdrawal {
    pub fn new(at: chrono::DateTime<chrono::Utc>, by: &str, reason: &str) -> Result<Self, DomainError> {
        Ok(Self { at, by: by.to_owned(), reason: super::programme::text("reason", reason, 200)? })
    }

    /// The refusal every change to a withdrawn unit gets.
    pub fn refusal(&self, name: &str) -> DomainError {
        let day = self.at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d");
        DomainError::rule(Rule::UnitWithdrawn, format!("{name} withdrew from the programme on {day}: {}", self.reason))
    }
}

/// Where a unit sits for the quotas and how it files, derived from the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The region whose quota the unit counts against (its city, or itself by exception).
    pub group: RegionCode,
    pub files_directly: bool,
}

/// Checks a unit against the programme's rules and the units already in it (`others` must not
/// contain the candidate itself). On success, says where the unit sits.
pub fn admit(
    programme: &Programme,
    tree: &RegionTree,
    catalogue: &[Direction],
    others: &[PilotUnit],
    candidate: &PilotUnit,
) -> Result<Placement, DomainError> {
    let rules = &programme.rules;
    let code = &candidate.region;
    let region =
        tree.get(code).ok_or_else(|| DomainError::invalid("region", format!("unknown region code `{code}`")))?;
    if !tree.is_within(code, &programme.scope) {
        return Err(DomainError::rule(
            Rule::Scope,
            format!("{}（{code}）is outside the programme's region {}", region.name, programme.scope),
        ));
    }
    let exception = rules.exception_for(code);
    if region.level != programme.unit_level && !exception.is_some_and(|e| e.any_level) {
        return Err(DomainError::rule(
            Rule::UnitLevel,
            format!(
                "{}（{code}）is a {} region; units of this programme are {} regions",
                region.name,
                region.level.as_str(),
                programme.unit_level.as_str()
            ),
        ));
    }
    if others.iter().any(|u| &u.region == code) {
        return Err(DomainError::rule(
            Rule::DuplicateUnit,
            format!("{}（{code}）is already a unit of this programme", region.name),
        ));
    }

    let chosen: BTreeSet<u32> = candidate.directions.iter().copied().collect();
    if chosen.len() != candidate.directions.len() {
        return Err(DomainError::invalid("directions", "a direction is listed twice"));
    }
    for n in &chosen {
        match catalogue.iter().find(|d| d.number == *n) {
            None => {
                return Err(DomainError::invalid(
                    "directions",
                    format!("direction {n} is not in the programme's catalogue"),
                ));
            }
            Some(d) if d.kind == DirectionKind::Assigned => {
                return Err(DomainError::invalid(
                    "directions",
                    format!("{n} is an assigned task, not a direction to choose"),
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(b) = rules.directions_per_unit {
        let n = chosen.len() as u32;
        if n < b.min || b.max.is_some_and(|m| n > m) {
            return Err(DomainError::rule(
                Rule::DirectionsPerUnit,
                format!("{} chose {n} directions; each unit chooses {}", region.name, b.text()),
            ));
        }
    }

    let group = match (exception, rules.group_level) {
        (Some(e), _) if e.own_group => code.clone(),
        (_, Some(level)) => tree
            .ancestor_at(code, level)
            .map(|r| r.code.clone())
            .ok_or_else(|| DomainError::invalid("region", format!("{code} has no {} above it", level.as_str())))?,
        (_, None) => code.clone(),
    };
    let group_name = tree.get(&group).map(|r| r.name.clone()).unwrap_or_else(|| group.to_string());
    let peers: Vec<&PilotUnit> =
        others.iter().filter(|u| group_of(programme, tree, &u.region).as_ref() == Some(&group)).collect();
    if let Some(b) = rules.units_per_group
        && let Some(max) = b.max
        && peers.len() as u32 + 1 > max
    {
        return Err(DomainError::rule(
            Rule::UnitsPerGroup,
            format!(
                "{group_name} would have {} pilot units; the rule allows {} per {}",
                peers.len() + 1,
                b.text(),
                rules.group_level.map(|l| l.as_str()).unwrap_or("group")
            ),
        ));
    }
    if let Some(b) = rules.directions_per_group
        && let Some(max) = b.max
    {
        let mut all: BTreeSet<u32> = peers.iter().flat_map(|u| u.directions.iter().copied()).collect();
        all.extend(chosen.iter().copied());
        if all.len() as u32 > max {
            return Err(DomainError::rule(
                Rule::DirectionsPerGroup,
                format!(
                    "{group_name} would pilot {} directions ({}); the rule allows {} per {}",
                    all.len(),
                    all.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("、"),
                    b.text(),
                    rules.group_level.map(|l| l.as_str()).unwrap_or("group")
                ),
            ));
        }
    }
    Ok(Placement { group, files_directly: exception.is_some_and(|e| e.files_directly) })
}

/// The quota group of a region already admitted (None if the tree cannot place it).
pub fn group_of(programme: &Programme, tree: &RegionTree, code: &RegionCode) -> Option<RegionCode> {
    let rules = &programme.rules;
    match (rules.exception_for(code), rules.group_level) {
        (Some(e), _) if e.own_group => Some(code.clone()),
        (_, Some(level)) => tree.ancestor_at(code, level).map(|r| r.code.clone()),
        (_, None) => Some(code.clone()),
    }
}
