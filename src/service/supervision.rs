//! Supervision order use-cases (督办单): issue for an overdue deadline, answer, close (销号),
//! escalate. The API, the pages and the reminder job come here; `domain::access` decides who
//! acts (`Supervise` for departments, `File` for the unit's answer), `domain::supervision` what
//! may happen next.

use chrono::{DateTime, NaiveDate, Utc};

use super::accounts::actor;
use super::error::{ServiceError, gate};
use crate::domain::access::{Access, Principal};
use crate::domain::deadline::local_day;
use crate::domain::filing::Timeliness;
use crate::domain::supervision::{Issue, Item, Order, default_requirement};
use crate::domain::{DomainError, Key, RegionCode, Rule};
use crate::store::{Store, StoreError};

/// What a department asks for when it issues an order.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub unit: RegionCode,
    pub deliverable: Key,
    pub occurrence: String,
    pub respond_by: NaiveDate,
    /// None or empty: the standard wording.
    pub requirement: Option<String>,
}

/// Issues a blue order for a deadline the unit has missed (past due, nothing submitted), at the
/// issuing department's own level.
pub async fn issue(
    store: &Store,
    p: &Principal,
    key: &Key,
    req: &IssueRequest,
    now: DateTime<Utc>,
) -> Result<Order, ServiceError> {
    let (_, parts) = store.board_parts(key).await.map_err(|e| match e {
        StoreError::NotFound(w) => ServiceError::Hidden(w),
        e => ServiceError::Store(e),
    })?;
    let unit = parts
        .units
        .iter()
        .find(|u| u.region == req.unit)
        .ok_or_else(|| ServiceError::Hidden(format!("unit {} of `{key}`", req.unit)))?;
    gate(p, Access::Supervise { unit_path: &unit.path, level_path: &p.region_path }, "unit")?;
    let matrix = super::filings::compliance(store, p, key, Some(&req.unit), now).await?;
    let line = matrix.lines.iter().find(|l| l.unit == req.unit);
    let found = matrix
        .columns
        .iter()
        .enumerate()
        .find(|(_, c)| c.deliverable == req.deliverable && c.occurrence == req.occurrence);
    let (i, column) = found.ok_or_else(|| {
        DomainError::invalid(
            "deliverable",
            format!("`{}` ({}) is not a deadline of this unit", req.deliverable, req.occurrence),
        )
    })?;
    match line.and_then(|l| l.cells[i].as_ref()).map(|(c, _)| c.timeliness) {
        Some(Timeliness::Missing) => {}
        Some(_) | None => {
            return Err(DomainError::rule(
                Rule::NotOverdue,
                format!(
                    "{} ({}) is not overdue for {}: nothing to supervise",
                    column.title, column.due_text, unit.name
                ),
            )
            .into());
        }
    }
    let item = Item {
        deliverable: column.deliverable.clone(),
        occurrence: column.occurrence.clone(),
        title: column.title.clone(),
        due_on: column.due_on,
        due_text: column.due_text.clone(),
    };
    let requirement =
        req.requirement.clone().filter(|r| !r.trim().is_empty()).unwrap_or_else(|| default_requirement(&item));
    let open = store.orders(key).await?;
    let order = Order::issue(
        uuid::Uuid::new_v4().simple().to_string(),
        key.clone(),
        0,
        (unit.region.clone(), unit.name.clone(), unit.path.clone()),
        item,
        (p.region.clone(), p.region_path.clone()),
        Issue { requirement, respond_by: req.respond_by },
        &open,
        (&p.username, now, local_day(now)),
    )?;
    let number = store.issue_order(&order, &actor(p, now)).await?;
    Ok(Order { number, ..order })
}

/// An order this account may read (the unit's lead, or a department over the unit).
pub async fn get(store: &Store, p: &Principal, id: &str) -> Result<Order, ServiceError> {
    let o = store.order(id).await?.ok_or_else(|| ServiceError::Hidden(format!("supervision order {id}")))?;
    gate(p, Access::ReadUnit { unit_path: &o.unit_path }, &format!("supervision order {id}"))?;
    Ok(o)
}

/// The programme's orders this account may read, optionally one unit's, newest first.
pub async fn list(
    store: &Store,
    p: &Principal,
    key: &Key,
    unit: Option<&RegionCode>,
) -> Result<Vec<Order>, ServiceError> {
    let reach = store.recent_reach(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    Ok(store
        .orders(key)
        .await?
        .into_iter()
        .filter(|o| unit.is_none_or(|u| &o.unit == u) && p.can_read_unit(&o.unit_path))
        .collect())
}

/// The unit's answer: its account (情况说明) and the day it promises.
pub async fn answer(
    store: &Store,
    p: &Principal,
    id: &str,
    revision: u32,
    text: &str,
    promised: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Order, ServiceError> {
    let o = get(store, p, id).await?;
    gate(p, Access::File { unit_path: &o.unit_path }, "supervision order")?;
    let next = Order { revision, ..o }.answered(text, promised, (&p.username, now, local_day(now)))?;
    store.save_order(&next, revision, "supervision_order.answer", &actor(p, now)).await?;
    Ok(next)
}

/// 销号, by the department the order stands with (or one above).
pub async fn close(
    store: &Store,
    p: &Principal,
    id: &str,
    revision: u32,
    remark: &str,
    now: DateTime<Utc>,
) -> Result<Order, ServiceError> {
    let o = get(store, p, id).await?;
    gate(p, Access::Supervise { unit_path: &o.unit_path, level_path: &o.level_path }, "supervision order")?;
    let next = Order { revision, ..o }.closed(remark, (&p.username, now))?;
    store.save_order(&next, revision, "supervision_order.close", &actor(p, now)).await?;
    Ok(next)
}

/// The next colour at the level above, with a new date to answer by; by the department the
/// order stands with (handing it up) or one above (taking it over).
pub async fn escalate(
    store: &Store,
    p: &Principal,
    id: &str,
    revision: u32,
    reason: &str,
    respond_by: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Order, ServiceError> {
    let o = get(store, p, id).await?;
    gate(p, Access::Supervise { unit_path: &o.unit_path, level_path: &o.level_path }, "supervision order")?;
    let next = Order { revision, ..o }.escalated(reason, respond_by, (&p.username, now, local_day(now)))?;
    store.save_order(&next, revision, "supervision_order.escalate", &actor(p, now)).await?;
    Ok(next)
}

/// May this account act on the order as a department (close, escalate)?
pub fn may_supervise(p: &Principal, o: &Order) -> bool {
    p.check(Access::Supervise { unit_path: &o.unit_path, level_path: &o.level_path }).is_ok()
}

/// The department the order stands with, as its documents name it (西秀区民政局; the
/// programme's issuer when the order stands at the programme's own region).
pub async fn issuer(store: &Store, o: &Order) -> Result<String, ServiceError> {
    let stored = store
        .programme(&o.programme)
        .await?
        .ok_or_else(|| ServiceError::Hidden(format!("programme `{}`", o.programme)))?;
    let name = store.region(&o.level).await?.map(|r| r.name).unwrap_or_default();
    Ok(crate::domain::bulletin::issuer(&stored.programme, &o.level, &name))
}
