//! A whole programme at once: the programme with its stages, catalogue, deliverables and units,
//! checked together as the `seed` command and the import endpoint receive it.

use std::collections::BTreeSet;

use super::programme::text;
use super::unit::admit;
use super::{
    DeadlineSpec, Deliverable, Direction, DomainError, PilotUnit, Placement, Programme, RegionTree, Rule, Stage,
};

/// A programme and everything it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub programme: Programme,
    pub stages: Vec<Stage>,
    pub directions: Vec<Direction>,
    pub deliverables: Vec<Deliverable>,
    pub units: Vec<PilotUnit>,
}

/// Checks the programme head on its own (titles, period, rules).
pub fn check_programme(p: &Programme, tree: &RegionTree) -> Result<(), DomainError> {
    text("title", &p.title, 200)?;
    text("issuer", &p.issuer, 100)?;
    if let Some(n) = &p.doc_number {
        text("doc_number", n, 64)?;
    }
    if p.period.first() > p.period.last() {
        return Err(DomainError::invalid("period", "the period ends before it starts"));
    }
    if tree.get(&p.scope).is_none() {
        return Err(DomainError::invalid("scope", format!("unknown region code `{}`", p.scope)));
    }
    p.rules.validate()?;
    for e in &p.rules.exceptions {
        if !tree.is_within(&e.region, &p.scope) {
            return Err(DomainError::invalid(
                "rules.exceptions",
                format!("exception region {} is outside the programme's region", e.region),
            ));
        }
    }
    Ok(())
}

/// Checks a stage against its programme.
pub fn check_stage(p: &Programme, s: &Stage) -> Result<(), DomainError> {
    text("name", &s.name, 100)?;
    if s.seq == 0 {
        return Err(DomainError::invalid("seq", "stages are numbered from 1"));
    }
    if s.window.first() > s.window.last() {
        return Err(DomainError::invalid("end", "the stage ends before it starts"));
    }
    p.check_within_period("stage start", &s.window.start)?;
    p.check_within_period("stage end", &s.window.end)
}

/// Checks a deliverable against its programme and stages.
pub fn check_deliverable(p: &Programme, stages: &[Stage], d: &Deliverable) -> Result<(), DomainError> {
    d.validate()?;
    if let Some(k) = &d.stage
        && !stages.iter().any(|s| &s.key == k)
    {
        return Err(DomainError::invalid("stage", format!("no stage `{k}` in this programme")));
    }
    if let DeadlineSpec::Fixed { due } = &d.deadline {
        p.check_within_period("deadline", due)?;
    }
    for o in d.deadline.occurrences(stages)? {
        if !p.period.contains(o.due_on) {
            return Err(DomainError::rule(
                Rule::WithinPeriod,
                format!("deadline {} lies outside the programme period {}", o.due_text, p.period.text()),
            ));
        }
    }
    Ok(())
}

/// Checks everything and places every unit; units are admitted in the order given, so a
/// quota-breaking unit is named.
pub fn check(bundle: &Bundle, tree: &RegionTree) -> Result<Vec<Placement>, DomainError> {
    let p = &bundle.programme;
    check_programme(p, tree)?;
    unique("stages", Rule::DuplicateStages, bundle.stages.iter().map(|s| s.key.to_string()))?;
    for s in &bundle.stages {
        check_stage(p, s)?;
    }
    unique("directions", Rule::DuplicateDirections, bundle.directions.iter().map(|d| d.number.to_string()))?;
    for d in &bundle.directions {
        d.validate()?;
    }
    unique("deliverables", Rule::DuplicateDeliverables, bundle.deliverables.iter().map(|d| d.key.to_string()))?;
    for d in &bundle.deliverables {
        check_deliverable(p, &bundle.stages, d)?;
    }
    let mut placements = Vec::with_capacity(bundle.units.len());
    for (i, u) in bundle.units.iter().enumerate() {
        placements.push(admit(p, tree, &bundle.directions, &bundle.units[..i], u)?);
    }
    Ok(placements)
}

fn unique(what: &str, rule: Rule, keys: impl Iterator<Item = String>) -> Result<(), DomainError> {
    let mut seen = BTreeSet::new();
    for k in keys {
        if !seen.insert(k.clone()) {
            return Err(DomainError::rule(rule, format!("{what}: `{k}` appears twice")));
        }
    }
    Ok(())
}
