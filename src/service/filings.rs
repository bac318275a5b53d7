//! Filing use-cases: draft, edit, attach, submit, review; and the compliance matrix. Each loads
//! what it needs, asks the access rules and the domain, and stores the change with its audit
//! record.

use sha2::{Digest, Sha256};

use crate::domain::access::{Access, Principal};
use crate::domain::compliance::{self, Matrix};
use crate::domain::filing::{Attachment, Review, Version};
use crate::domain::filing::{Decision, Filing};
use crate::domain::register::Register;
use crate::domain::{DomainError, Key, RegionCode, Rule};
use crate::service::accounts::actor;
use crate::store::filings::{Extra, Idempotency, Inserted};
use crate::store::{Store, StoreError};
use std::sync::Arc;

pub use super::error::ServiceError;
pub(crate) use super::error::gate;

/// A unit of a programme that the account may read, or a refusal. A region the account may not
/// read is "not found" whether or not it is a unit (no existence oracle); one it may read but
/// that is not a unit is a clear 422 naming both.
pub(crate) async fn unit_of(
    store: &Store,
    p: &Principal,
    programme: &Key,
    unit: &RegionCode,
) -> Result<crate::store::rows::StoredUnit, ServiceError> {
    match store.unit(programme, unit).await? {
        Some(u) => {
            gate(p, Access::ReadUnit { unit_path: &u.path }, "unit")?;
            Ok(u)
        }
        None => {
            gate(p, Access::ReadUnit { unit_path: &unit.implied_path() }, "unit")?;
            Err(DomainError::invalid("unit", format!("{unit} is not a unit of programme `{programme}`")).into())
        }
    }
}

/// As `unit_of`, for a change: a unit that withdrew is refused (its records stay as they are).
pub(crate) async fn active_unit_of(
    store: &Store,
    p: &Principal,
    programme: &Key,
    unit: &RegionCode,
) -> Result<crate::store::rows::StoredUnit, ServiceError> {
    let u = unit_of(store, p, programme, unit).await?;
    match &u.withdrawn {
        Some(w) => Err(w.refusal(&u.name).into()),
        None => Ok(u),
    }
}

/// What a new filing is for.
pub struct NewFiling<'a> {
    pub programme: &'a Key,
    pub unit: &'a RegionCode,
    pub deliverable: &'a Key,
    pub occurrence: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub idempotency_key: Option<&'a str>,
}

/// Starts a draft for one deadline of the lead's own unit. Returns the filing and whether it was
/// created now (false: the same idempotency key was seen before).
pub async fn create(
    store: &Store,
    p: &Principal,
    new: NewFiling<'_>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(Filing, bool), ServiceError> {
    let reach = store
        .recent_reach(new.programme)
        .await?
        .ok_or_else(|| ServiceError::Hidden(format!("programme `{}`", new.programme)))?;
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    let unit = active_unit_of(store, p, new.programme, new.unit).await?;
    gate(p, Access::File { unit_path: &unit.path }, "unit")?;
    let deliverables = store.deliverables(new.programme).await?;
    let d = deliverables.iter().find(|d| &d.key == new.deliverable).ok_or_else(|| {
        DomainError::invalid(
            "deliverable",
            format!("programme `{}` has no deliverable `{}`", new.programme, new.deliverable),
        )
    })?;
    let stages = store.stages(new.programme).await?;
    if !d.deadline.occurrences(&stages)?.iter().any(|o| o.key == new.occurrence) {
        return Err(DomainError::invalid(
            "occurrence",
            format!("deliverable `{}` has no occurrence `{}`", d.key, new.occurrence),
        )
        .into());
    }
    if d.audience == crate::domain::Audience::Demonstration && !unit.unit.demonstration {
        return Err(
            DomainError::invalid("deliverable", format!("`{}` is asked of demonstration units only", d.key)).into()
        );
    }
    let filing = Filing::draft(
        uuid::Uuid::new_v4().simple().to_string(),
        new.programme.clone(),
        new.unit.clone(),
        unit.path.clone(),
        new.deliverable.clone(),
        new.occurrence.to_owned(),
        d.route_for(unit.placement.files_directly),
        new.title,
        new.body,
        &p.username,
    )?;
    let actor = actor(p, at);
    // What the request asked for, so that a repeat of its key can be told from a different
    // request that reuses the key.
    let request_hash = crate::service::accounts::token_hash(
        &serde_json::json!([
            new.programme.as_str(),
            new.unit.as_str(),
            new.deliverable.as_str(),
            new.occurrence,
            new.title,
            new.body
        ])
        .to_string(),
    );
    let idempotency = new.idempotency_key.map(|key| Idempotency { key, request_hash: &request_hash });
    match store.insert_filing(&filing, idempotency, &actor).await {
        Ok(Inserted::Created(f)) => Ok((f, true)),
        Ok(Inserted::Seen { filing, request_hash: seen }) => match seen {
            Some(h) if h != request_hash => Err(ServiceError::IdempotencyKeyReused),
            _ => Ok((filing, false)),
        },
        Err(e) if e.is_duplicate_in("filing_deadline") => {
            let existing = store.filing_for(new.programme, new.unit, new.deliverable, new.occurrence).await?;
            Err(DomainError::rule(
                Rule::DuplicateFiling,
                format!(
                    "this deadline already has a filing{}; edit or resubmit it instead",
                    existing.map(|f| format!(" ({})", f.key)).unwrap_or_default()
                ),
            )
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads a filing this account may see.
pub async fn get(store: &Store, p: &Principal, key: &str) -> Result<Filing, ServiceError> {
    let f = store.filing(key).await?.ok_or_else(|| ServiceError::Hidden(format!("filing `{key}`")))?;
    gate(p, Access::ReadUnit { unit_path: &f.unit_path }, "filing")?;
    Ok(f)
}

async fn for_lead(store: &Store, p: &Principal, key: &str) -> Result<Filing, ServiceError> {
    let f = get(store, p, key).await?;
    gate(p, Access::File { unit_path: &f.unit_path }, "filing")?;
    if let Some(u) = store.unit(&f.programme, &f.unit).await?
        && let Some(w) = &u.withdrawn
    {
        return Err(w.refusal(&u.name).into());
    }
    Ok(f)
}

pub async fn edit(
    store: &Store,
    p: &Principal,
    key: &str,
    revision: u32,
    title: &str,
    body: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Filing, ServiceError> {
    let mut f = for_lead(store, p, key).await?;
    f.edit(title, body)?;
    store.save_filing(&f, revision, vec![], "filing.update", &actor(p, at)).await?;
    Ok(f)
}

/// What may be attached: the documents and images counties send, by declared type.
pub const ALLOWED_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.ms-works",
    "application/wps-office.docx",
    "application/zip",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/tiff",
    "text/plain",
    "text/csv",
];

/// Attaches a file to a draft or returned filing.
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    store: &Store,
    p: &Principal,
    key: &str,
    revision: u32,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
    limit: usize,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(Filing, Attachment), ServiceError> {
    let mut f = for_lead(store, p, key).await?;
    let filename = crate::domain::programme::text("filename", filename, 200)?;
    if filename.contains(['/', '\\']) {
        return Err(DomainError::invalid("filename", "a file name, not a path").into());
    }
    let content_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if !ALLOWED_TYPES.contains(&content_type.as_str()) {
        return Err(DomainError::rule(
            Rule::ContentType,
            format!("`{content_type}` is not accepted; send PDF, Word, Excel, PowerPoint, images, text or ZIP"),
        )
        .into());
    }
    if bytes.len() > limit {
        return Err(DomainError::rule(
            Rule::AttachmentSize,
            format!("{} bytes is over the limit of {limit}", bytes.len()),
        )
        .into());
    }
    let attachment = Attachment {
        key: uuid::Uuid::new_v4().simple().to_string(),
        filing: f.key.clone(),
        filename,
        content_type,
        size: bytes.len() as i64,
        sha256: Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
        uploaded_by: p.username.clone(),
        uploaded_at: at,
    };
    f.attach(attachment.key.clone())?;
    let extra = Extra::Attachment(attachment.clone(), bytes);
    store.save_filing(&f, revision, vec![extra], "filing.attach", &actor(p, at)).await?;
    Ok((f, attachment))
}

/// Reads an attachment (with its bytes) of a filing this account may see.
pub async fn attachment(store: &Store, p: &Principal, key: &str) -> Result<(Attachment, Vec<u8>), ServiceError> {
    let (a, bytes) =
        store.attachment(key, true).await?.ok_or_else(|| ServiceError::Hidden(format!("attachment `{key}`")))?;
    get(store, p, &a.filing).await.map_err(|e| match e {
        ServiceError::Hidden(_) => ServiceError::Hidden(format!("attachment `{key}`")),
        other => other,
    })?;
    Ok((a, bytes))
}

pub async fn submit(
    store: &Store,
    p: &Principal,
    key: &str,
    revision: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Filing, ServiceError> {
    let mut f = for_lead(store, p, key).await?;
    let version = f.submit(at)?;
    let row = Version {
        filing: f.key.clone(),
        version,
        title: f.title.clone(),
        body: f.body.clone(),
        attachments: f.attachments.clone(),
        submitted_by: p.username.clone(),
        submitted_at: at,
    };
    store.save_filing(&f, revision, vec![Extra::Version(row)], "filing.submit", &actor(p, at)).await?;
    Ok(f)
}

/// Applies a reviewer's decision at the pending step; the reviewer must sit at its level.
pub async fn review(
    store: &Store,
    p: &Principal,
    key: &str,
    revision: u32,
    decision: Decision,
    exemplary: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Filing, ServiceError> {
    let mut f = get(store, p, key).await?;
    // A decision made on an older state is refused as such before anything else is judged: the
    // reviewer has to see what changed (someone else may already have acted at this step).
    if f.revision != revision {
        return Err(StoreError::Outdated(format!("filing {key} is at revision {}, not {revision}", f.revision)).into());
    }
    let level = match f.pending() {
        Some((_, step)) => step.level,
        None => {
            return Err(DomainError::rule(
                Rule::FilingState,
                format!("a {} filing is not awaiting review", f.state.as_str()),
            )
            .into());
        }
    };
    gate(p, Access::Review { unit_path: &f.unit_path, level }, "filing")?;
    if let Some(quote) = exemplary {
        f.mark_exemplary(&decision, quote)?;
    }
    let (step, s) = f.review(&decision)?;
    let action = format!("filing.review.{}", decision.code());
    let row = Review {
        filing: f.key.clone(),
        version: f.version,
        step: step as u32,
        level: s.level,
        decision,
        reviewer: p.username.clone(),
        decided_at: at,
    };
    store.save_filing(&f, revision, vec![Extra::Review(row)], &action, &actor(p, at)).await?;
    Ok(f)
}

/// A filing waiting for a decision at the account's level.
pub struct Waiting {
    pub programme: crate::domain::Programme,
    pub unit_name: String,
    pub deliverable: String,
    pub filing: Filing,
}

/// The filings awaiting a decision at this account's level inside its region (its review queue),
/// longest waiting first.
pub async fn review_queue(store: &Store, p: &Principal) -> Result<Vec<Waiting>, ServiceError> {
    let (programmes, _) = store.programmes(0, 10_000).await?;
    let mut queue = Vec::new();
    for stored in programmes {
        let key = &stored.programme.key;
        let reach = store.recent_reach(key).await?.unwrap_or_default();
        if p.check(Access::ReadProgramme { reach: &reach }).is_err() {
            continue;
        }
        let waiting: Vec<Filing> = store
            .pending_filings(key)
            .await?
            .into_iter()
            .filter(|f| {
                f.pending().is_some_and(|(_, step)| {
                    p.check(Access::Review { unit_path: &f.unit_path, level: step.level }).is_ok()
                })
            })
            .collect();
        if waiting.is_empty() {
            continue;
        }
        // The board's parts, kept in memory: the units (withdrawn ones left out) and deliverables
        // without reading a national programme's 38,600 unit rows for three filings.
        let (_, parts) = store.board_parts(key).await?;
        let names: std::collections::HashMap<&RegionCode, &str> =
            parts.units.iter().map(|u| (&u.region, u.name.as_str())).collect();
        for f in waiting {
            // A withdrawn unit's pending filing is no longer awaited; it stays readable.
            let Some(unit_name) = names.get(&f.unit).map(|n| (*n).to_owned()) else {
                continue;
            };
            let deliverable =
                parts.deliverables.iter().find(|d| d.key == f.deliverable).map(|d| d.title.clone()).unwrap_or_default();
            queue.push(Waiting { programme: stored.programme.clone(), unit_name, deliverable, filing: f });
        }
    }
    queue.sort_by_key(|w| (w.filing.last_submitted_at, w.filing.key.clone()));
    Ok(queue)
}

/// The register of the filings of some of a programme's `of` units (what judging a deadline
/// reads). The programme's register in memory serves any region; without one, a region's share
/// (a city's in a national year: a few thousand filings of half a million) is read unit by unit,
/// and from a quarter of the programme on the whole register is read once and kept (caught up by
/// the changes to filings from then on).
pub async fn register_of(
    store: &Store,
    programme: &Key,
    units: &[&RegionCode],
    of: usize,
) -> Result<Arc<Register>, ServiceError> {
    Ok(match store.filing_register(programme, units.len() * 4 >= of).await? {
        Some(r) => r,
        None => Arc::new(Register::new(store.unit_filing_briefs(programme, units).await?)),
    })
}

/// The compliance matrix at `now`, over the units this account may read (inside `region`).
pub async fn compliance(
    store: &Store,
    p: &Principal,
    programme: &Key,
    region: Option<&RegionCode>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Matrix, ServiceError> {
    let (_, parts) = store.board_parts(programme).await.map_err(|e| match e {
        StoreError::NotFound(w) => ServiceError::Hidden(w),
        e => ServiceError::Store(e),
    })?;
    let reach = store.recent_reach(programme).await?.unwrap_or_default();
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    let shown =
        |u: &crate::domain::board::BoardUnit| p.can_read_unit(&u.path) && region.is_none_or(|r| u.path.contains(r));
    let units: Vec<&RegionCode> = parts.units.iter().filter(|u| shown(u)).map(|u| &u.region).collect();
    let filings = register_of(store, programme, &units, parts.units.len()).await?;
    Ok(compliance::matrix(&parts.stages, &parts.deliverables, &parts.units, &filings, shown, now)?)
}
