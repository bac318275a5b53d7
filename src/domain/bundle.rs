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

/// One thing wrong with a programme document, at the place to correct it
/// (`stages[2].end`, `deliverables[0].deadline`, `units[5]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub message: String,
    /// The rule it breaks, when it breaks one (quotas, periods, duplicates).
    pub rule: Option<Rule>,
}

impl Problem {
    fn new(at: String, e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => {
                let at = if field.is_empty() { at } else { format!("{at}.{field}") };
                Self { at, message, rule: None }
            }
            DomainError::RuleViolated { rule, message } => Self { at, message, rule: Some(rule) },
        }
    }
}

/// How a group of units stands against the programme's quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaLine {
    /// The region whose quota the units count against.
    pub group: super::RegionCode,
    pub units: u32,
    pub units_bounds: Option<super::programme::Bounds>,
    /// Distinct directions the group's units chose.
    pub directions: u32,
    pub directions_bounds: Option<super::programme::Bounds>,
}

/// Everything [`check`] would refuse, each at its place, instead of only the first; and the
/// quota standing of every group of the units it could place. Nothing is stored by looking.
pub fn review(bundle: &Bundle, tree: &RegionTree) -> (Vec<Problem>, Vec<QuotaLine>) {
    let p = &bundle.programme;
    let mut problems = Vec::new();
    if let Err(e) = check_programme(p, tree) {
        problems.push(Problem::new("programme".into(), e));
    }
    for (what, rule, keys) in [
        ("stages", Rule::DuplicateStages, bundle.stages.iter().map(|s| s.key.to_string()).collect::<Vec<_>>()),
        ("directions", Rule::DuplicateDirections, bundle.directions.iter().map(|d| d.number.to_string()).collect()),
        ("deliverables", Rule::DuplicateDeliverables, bundle.deliverables.iter().map(|d| d.key.to_string()).collect()),
    ] {
        let mut seen = BTreeSet::new();
        for (i, k) in keys.iter().enumerate() {
            if !seen.insert(k.clone()) {
                let e = DomainError::rule(rule, format!("{what}: `{k}` appears twice"));
                problems.push(Problem::new(format!("{what}[{i}]"), e));
            }
        }
    }
    for (i, s) in bundle.stages.iter().enumerate() {
        if let Err(e) = check_stage(p, s) {
            problems.push(Problem::new(format!("stages[{i}]"), e));
        }
    }
    for (i, d) in bundle.directions.iter().enumerate() {
        if let Err(e) = d.validate() {
            problems.push(Problem::new(format!("directions[{i}]"), e));
        }
    }
    for (i, d) in bundle.deliverables.iter().enumerate() {
        if let Err(e) = check_deliverable(p, &bundle.stages, d) {
            problems.push(Problem::new(format!("deliverables[{i}]"), e));
        }
    }
    // Units in the order given, each against those admitted before it (as an import admits them).
    let mut admitted: Vec<PilotUnit> = Vec::new();
    let mut placed: Vec<(Placement, &PilotUnit)> = Vec::new();
    for (i, u) in bundle.units.iter().enumerate() {
        match admit(p, tree, &bundle.directions, &admitted, u) {
            Ok(place) => {
                admitted.push(u.clone());
                placed.push((place, u));
            }
            Err(e) => problems.push(Problem::new(format!("units[{i}]"), e)),
        }
    }
    let rules = &p.rules;
    let mut groups: std::collections::BTreeMap<super::RegionCode, (u32, BTreeSet<u32>)> = Default::default();
    for (place, u) in &placed {
        let g = groups.entry(place.group.clone()).or_default();
        g.0 += 1;
        g.1.extend(u.directions.iter().copied());
    }
    let quotas = groups
        .into_iter()
        .map(|(group, (units, directions))| QuotaLine {
            group,
            units,
            units_bounds: rules.units_per_group,
            directions: directions.len() as u32,
            directions_bounds: rules.directions_per_group,
        })
        .collect();
    (problems, quotas)
}

/// Where a count stands against its bounds: above the maximum is refused already; below the
/// minimum only says that selection is not complete yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaStanding {
    Within,
    AboveMax,
    BelowMin,
}

impl QuotaStanding {
    pub fn of(n: u32, bounds: Option<super::programme::Bounds>) -> Self {
        match bounds {
            Some(b) if b.max.is_some_and(|m| n > m) => Self::AboveMax,
            Some(b) if n < b.min => Self::BelowMin,
            _ => Self::Within,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Within => "符合",
            Self::AboveMax => "超出上限",
            Self::BelowMin => "未达下限（待补充）",
        }
    }
}
