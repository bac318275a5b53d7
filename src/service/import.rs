//! Loading fixture documents: regions and whole programmes, from a file, from the API, or from
//! the demo set compiled into the binary.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::document::{self, Document, ProgrammeDocument, RegionsDocument};
use crate::domain::{DomainError, Key, RegionTree, bundle};
use crate::store::audit::Actor;
use crate::store::programmes::BundleExtras;
use crate::store::{Store, StoreError, rows::StoredUnit};

/// The fixtures `serve --demo` loads, compiled in so the binary needs no working directory.
pub const DEMO_FIXTURES: &[(&str, &str)] = &[
    ("regions.yaml", include_str!("../../fixtures/regions.yaml")),
    ("calendar.yaml", include_str!("../../fixtures/calendar.yaml")),
    ("fujian-2022-reform-pilot.yaml", include_str!("../../fixtures/fujian-2022-reform-pilot.yaml")),
    ("guangdong-2022-safety-net.yaml", include_str!("../../fixtures/guangdong-2022-safety-net.yaml")),
    ("xixiu-2019-comprehensive-reform.yaml", include_str!("../../fixtures/xixiu-2019-comprehensive-reform.yaml")),
    ("fuzhou-2020-hardship-support.yaml", include_str!("../../fixtures/fuzhou-2020-hardship-support.yaml")),
    ("shizuishan-2024-service-assistance.yaml", include_str!("../../fixtures/shizuishan-2024-service-assistance.yaml")),
];

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    Regions(usize),
    CalendarYears(usize),
    Programme { key: Key, stages: usize, directions: usize, deliverables: usize, units: usize },
}

impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Regions(n) => write!(f, "{n} regions"),
            Self::CalendarYears(n) => write!(f, "{n} calendar years"),
            Self::Programme { key, stages, directions, deliverables, units } => write!(
                f,
                "programme {key}: {stages} stages, {directions} directions, {deliverables} deliverables, {units} units"
            ),
        }
    }
}

pub async fn import_regions(store: &Store, doc: RegionsDocument) -> Result<Imported, StoreError> {
    let regions = doc.into_regions()?;
    Ok(Imported::Regions(store.upsert_regions(&regions).await?))
}

/// Checks a whole programme document and stores it in one transaction; nothing is stored when
/// any part is refused.
pub async fn import_programme(store: &Store, doc: ProgrammeDocument, actor: &Actor) -> Result<Imported, StoreError> {
    let (bundle, scheme, system) = doc.into_bundle()?;
    let key = bundle.programme.key.clone();
    if store.programme(&key).await?.is_some() {
        return Err(crate::domain::programme::key_taken(&key).into());
    }
    let unit_regions: Vec<_> = bundle.units.iter().map(|u| u.region.clone()).collect();
    let tree = store.tree_for(&bundle.programme.scope, &unit_regions).await?;
    let placements = bundle::check(&bundle, &tree)?;
    let units = bundle
        .units
        .iter()
        .zip(placements)
        .map(|(u, placement)| stored_unit(&tree, u.clone(), placement))
        .collect::<Result<Vec<_>, _>>()?;
    let extras = BundleExtras { scheme: scheme.as_ref(), indicator_system: system.as_ref() };
    store.create_bundle(&bundle, &units, extras, "programme.import", actor).await?;
    Ok(Imported::Programme {
        key,
        stages: bundle.stages.len(),
        directions: bundle.directions.len(),
        deliverables: bundle.deliverables.len(),
        units: units.len(),
    })
}

/// A unit with the names and path the store keeps beside it.
pub fn stored_unit(
    tree: &RegionTree,
    unit: crate::domain::PilotUnit,
    placement: crate::domain::Placement,
) -> Result<StoredUnit, DomainError> {
    let region = tree
        .get(&unit.region)
        .ok_or_else(|| DomainError::invalid("region", format!("unknown region code `{}`", unit.region)))?;
    let mut path: Vec<_> = tree.ancestors(&unit.region).into_iter().map(|r| r.code.clone()).collect();
    path.reverse();
    path.push(unit.region.clone());
    Ok(StoredUnit { name: region.name.clone(), path, placement, unit, withdrawn: None })
}

pub async fn import_text(store: &Store, text: &str, actor: &Actor) -> Result<Imported, StoreError> {
    match document::parse(text)? {
        Document::Regions(d) => import_regions(store, d).await,
        Document::Calendar(d) => {
            let (years, source) = d.into_years()?;
            for (year, y) in &years {
                store.upsert_calendar_year(*year, y, &source).await?;
            }
            Ok(Imported::CalendarYears(years.len()))
        }
        Document::Programme(d) => import_programme(store, *d, actor).await,
    }
}

pub async fn import_file(store: &Store, path: &Path, actor: &Actor) -> Result<Imported, StoreError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| DomainError::invalid("file", format!("{}: {e}", path.display())))?;
    import_text(store, &text, actor).await
}

/// Loads the demo set into an empty database; programmes already present are left alone.
pub async fn load_demo(store: &Store, now: DateTime<Utc>) -> Result<Vec<Imported>, StoreError> {
    let mut done = Vec::new();
    for (name, text) in DEMO_FIXTURES {
        match import_text(store, text, &Actor::system("demo", now)).await {
            Ok(i) => done.push(i),
            Err(StoreError::Refused(e)) if e.is(crate::domain::Rule::DuplicateProgramme) => {}
            Err(e) => return Err(StoreError::Internal(format!("demo fixture {name}: {e}"))),
        }
    }
    Ok(done)
}

/// What importing a programme document would store, and everything that stands in its way,
/// found without storing anything: the preview a department reads before it imports.
#[derive(Debug, Clone)]
pub struct ProgrammePreview {
    pub bundle: crate::domain::Bundle,
    pub problems: Vec<bundle::Problem>,
    pub quotas: Vec<bundle::QuotaLine>,
    /// Names of the regions the preview mentions (scope, units, quota groups).
    pub names: std::collections::HashMap<crate::domain::RegionCode, String>,
}

impl ProgrammePreview {
    pub fn importable(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads a programme document (YAML or JSON text) and previews it. A document that does not
/// even read is one problem at `document` (its message names the line and column).
pub fn parse_programme(text: &str) -> Result<ProgrammeDocument, bundle::Problem> {
    let problem = |e: DomainError| match e {
        DomainError::Invalid { field, message } => bundle::Problem { at: field, message, rule: None },
        DomainError::RuleViolated { rule, message } => {
            bundle::Problem { at: "document".into(), message, rule: Some(rule) }
        }
    };
    match document::parse(text).map_err(problem)? {
        Document::Programme(d) => Ok(*d),
        _ => Err(bundle::Problem {
            at: "format".into(),
            message: format!("expected a programme document (`format: {}`)", document::PROGRAMME_FORMAT),
            rule: None,
        }),
    }
}

/// Previews a programme document: every problem at its place, the quota standing by group.
pub async fn preview_programme(
    store: &Store,
    doc: ProgrammeDocument,
) -> Result<Result<ProgrammePreview, bundle::Problem>, StoreError> {
    let (bundle, _, _) = match doc.into_bundle() {
        Ok(b) => b,
        Err(DomainError::Invalid { field, message }) => {
            return Ok(Err(bundle::Problem { at: field, message, rule: None }));
        }
        Err(DomainError::RuleViolated { rule, message }) => {
            return Ok(Err(bundle::Problem { at: "document".into(), message, rule: Some(rule) }));
        }
    };
    let unit_regions: Vec<_> = bundle.units.iter().map(|u| u.region.clone()).collect();
    let tree = store.tree_for(&bundle.programme.scope, &unit_regions).await?;
    let (mut problems, quotas) = bundle::review(&bundle, &tree);
    if store.programme(&bundle.programme.key).await?.is_some() {
        let e = crate::domain::programme::key_taken(&bundle.programme.key);
        problems.insert(
            0,
            bundle::Problem {
                at: "programme.key".into(),
                message: e.to_string(),
                rule: Some(crate::domain::Rule::DuplicateProgramme),
            },
        );
    }
    let names = std::iter::once(&bundle.programme.scope)
        .chain(&unit_regions)
        .chain(quotas.iter().map(|q| &q.group))
        .filter_map(|c| tree.get(c).map(|r| (c.clone(), r.name.clone())))
        .collect();
    Ok(Ok(ProgrammePreview { bundle, problems, quotas, names }))
}
