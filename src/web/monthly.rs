//! The monthly cycle on the pages: an evaluator enters a deduction or bonus with its reason and
//! evidence on a unit's page; the unit's lead appeals a line there; the level that adjudicates
//! upholds or overturns it (final); the programme's department publishes the month's ranking,
//! or a correction with its reason. Through `service::scoring`, as the API.

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use serde_json::{Value, json};

use super::fields::{Fields, posted_fields};
use super::{failed, message, redirect};
use crate::api::State;
use crate::domain::access::{Access, Principal};
use crate::domain::appeal::AppealStatus;
use crate::domain::scoring::{AdjustmentKind, Evidence, Points};
use crate::domain::{DomainError, Key, RegionCode, YearMonth};
use crate::service::error::ServiceError;
use crate::service::scoring::{self, NewAdjustment};

fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "未找到", "没有这个试点单位。")
}

fn month(f: &Fields) -> Result<YearMonth, ServiceError> {
    YearMonth::parse(f.get("period")).map_err(|e| DomainError::invalid("period", e.to_string()).into())
}

fn points(f: &Fields) -> Result<Points, ServiceError> {
    let v: f64 = f
        .get("points")
        .parse()
        .map_err(|_| DomainError::invalid("points", format!("`{}` is not a number", f.get("points"))))?;
    Ok(Points::from_f64(v).map_err(|e| DomainError::invalid("points", e.to_string()))?)
}

/// The evidence of a deduction: one of the unit's filings (chosen from a list), a document's
/// reference, or a note.
fn evidence(f: &Fields) -> Result<Option<Evidence>, ServiceError> {
    let kind = f.get("evidence_kind");
    let text = if kind == "filing" { f.get("evidence_filing") } else { f.get("evidence") };
    Ok(match (kind, text.is_empty()) {
        (_, true) => None,
        ("filing", false) => Some(Evidence::new(Evidence::Filing, text)?),
        ("document", false) => Some(Evidence::new(Evidence::Document, text)?),
        (_, false) => Some(Evidence::new(Evidence::Note, text)?),
    })
}

/// `POST /ui/p/:key/units/:region/:act` with `act` = `adjust` (a deduction or bonus),
/// `appeal` (the lead's appeal of one line) or `calendar` (a new subscription URL).
#[handler]
pub async fn unit_act(
    req: &Request,
    Data(state): Data<&State>,
    Path((k, region, act)): Path<(String, String, String)>,
    body: String,
) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let (Ok(key), Ok(unit)) = (Key::parse(&k), RegionCode::parse(&region)) else { return not_found() };
    let store = &state.store;
    let now = state.now();
    let done = match act.as_str() {
        "adjust" => {
            let made = async {
                let item = Key::parse(f.get("item"))?;
                let kind = if f.get("kind") == "bonus" { AdjustmentKind::Bonus } else { AdjustmentKind::Deduction };
                let new = NewAdjustment {
                    unit: &unit,
                    period: month(&f)?,
                    item: &item,
                    kind,
                    points: points(&f)?,
                    reason: f.get("reason"),
                    evidence: evidence(&f)?,
                };
                scoring::adjust(store, &p, &key, new, now).await.map(|a| a.period)
            };
            made.await.map(|m| format!("period={m}&done=adjusted"))
        }
        "appeal" => scoring::appeal(store, &p, &key, &unit, f.get("target"), f.get("reason"), now)
            .await
            .map(|a| format!("{}done=appealed", a.period.map(|m| format!("period={m}&")).unwrap_or_default())),
        "calendar" => return super::downloads::new_feed(req, state, &p, &key, &unit).await,
        _ => return super::work::unreadable(),
    };
    match done {
        Ok(q) => redirect(&format!("/ui/p/{key}/units/{unit}?{q}#scores")),
        Err(e) => failed(e),
    }
}

/// `POST /ui/appeals/:id/decide`: upheld or overturned, with the reason; final.
#[handler]
pub async fn decide(req: &Request, Data(state): Data<&State>, Path(id): Path<String>, body: String) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let overturn = match f.get("decision") {
        "overturn" => true,
        "uphold" => false,
        _ => return super::work::unreadable(),
    };
    match scoring::decide(&state.store, &p, &id, overturn, f.get("reason"), state.now()).await {
        Ok(a) => {
            let period = a.period.map(|m| format!("period={m}&")).unwrap_or_default();
            redirect(&format!("/ui/p/{}/units/{}?{period}done=decided#scores", a.programme, a.unit))
        }
        Err(e) => failed(e),
    }
}

/// `POST /ui/p/:key/ranking/publish`: the month frozen as it stands (after a confirmation), or
/// a correction of a published month with its reason.
#[handler]
pub async fn publish(req: &Request, Data(state): Data<&State>, Path(k): Path<String>, body: String) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(key) = Key::parse(&k) else { return not_found() };
    let correction = f.optional("reason");
    if correction.is_none() && f.get("confirm") != "yes" {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "尚未确认", "发布后排名即冻结，请勾选确认后再发布。");
    }
    let done = async {
        let m = month(&f)?;
        scoring::publish(&state.store, &p, &key, m, correction.as_deref(), state.now()).await.map(|r| (m, r.version))
    };
    match done.await {
        Ok((m, v)) => redirect(&format!("/ui/p/{key}/ranking?period={m}&published={}", v.unwrap_or(1))),
        Err(e) => failed(e),
    }
}

/// What the unit page adds to its score section: the evaluator's form, the lead's appeal forms,
/// and the unit's appeals with the decisions the viewer may take.
pub(super) async fn unit_scores(
    state: &State,
    p: &Principal,
    key: &Key,
    unit: &crate::store::rows::StoredUnit,
    filings: &[crate::domain::filing::Filing],
) -> Value {
    let store = &state.store;
    let Ok(Some(scheme)) = store.scheme(key).await else { return Value::Null };
    let appeals: Vec<_> = match store.appeals(key).await {
        Ok(all) => all.into_iter().filter(|a| a.unit == unit.unit.region).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "appeals for the unit page");
            vec![]
        }
    };
    // An appeal names who made it as people know them (their display name, not the login).
    let mut names = std::collections::HashMap::new();
    for a in &appeals {
        if !names.contains_key(&a.filed_by) {
            let name = match store.user(&a.filed_by).await {
                Ok(Some(u)) => u.display_name,
                _ => a.filed_by.clone(),
            };
            names.insert(a.filed_by.clone(), name);
        }
    }
    let active = unit.withdrawn.is_none();
    let may_adjust = active && p.check(Access::Evaluate { unit_path: &unit.path }).is_ok();
    let may_appeal = active && p.check(Access::File { unit_path: &unit.path }).is_ok();
    let may_decide = p.check(Access::Adjudicate { unit_path: &unit.path }).is_ok();
    let label = |s: AppealStatus| match s {
        AppealStatus::Pending => "待复核",
        AppealStatus::Upheld => "维持原扣分（最终结论）",
        AppealStatus::Overturned => "撤销该扣分（最终结论）",
    };
    json!({
        "may_adjust": may_adjust, "may_appeal": may_appeal,
        "window_days": scheme.appeal_window_days,
        "items": scheme.items.iter().map(|i| json!({ "key": i.key.as_str(), "name": i.name, "full": i.full.to_string() })).collect::<Vec<_>>(),
        "filings": filings.iter().map(|f| json!({ "key": f.key, "title": f.title })).collect::<Vec<_>>(),
        "appealed": appeals.iter().map(|a| a.target.clone()).collect::<Vec<_>>(),
        "appeals": appeals.iter().map(|a| json!({
            "key": a.key, "target": a.target, "reason": a.reason, "by": names.get(&a.filed_by).unwrap_or(&a.filed_by),
            "month": a.period.map(|m| m.chinese()),
            "status": label(a.status), "pending": a.status == AppealStatus::Pending,
            "decision": a.decision.as_ref().map(|d| d.reason.clone()),
            "may_decide": may_decide && a.status == AppealStatus::Pending,
        })).collect::<Vec<_>>(),
    })
}

/// A month's published versions side by side: one row per unit (in the newest version's order),
/// each version's rank and score, a cell marked where it differs from the version before.
pub(super) fn versions_side_by_side(versions: &[scoring::Ranking]) -> Value {
    if versions.len() < 2 {
        return Value::Null;
    }
    let newest = versions.last().map(|v| v.entries.as_slice()).unwrap_or_default();
    let rows: Vec<Value> = newest
        .iter()
        .map(|e| {
            let mut before: Option<(u32, crate::domain::scoring::Points)> = None;
            let cells: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let at = v.entries.iter().find(|x| x.unit == e.unit).map(|x| (x.rank, x.score));
                    let changed = before.is_some() && at != before;
                    before = at;
                    match at {
                        Some((rank, score)) => json!({ "rank": rank, "score": score.to_string(), "changed": changed }),
                        None => json!({ "rank": "—", "score": "—", "changed": changed }),
                    }
                })
                .collect();
            let changed = cells.iter().any(|c| c["changed"] == true);
            json!({ "name": e.name, "cells": cells, "changed": changed })
        })
        .collect();
    json!({
        "heads": versions.iter().map(|v| json!({
            "version": v.version, "at": v.published_at.map(|t| crate::domain::bulletin::chinese_date(crate::domain::deadline::local_day(t))),
            "reason": v.reason,
        })).collect::<Vec<_>>(),
        "rows": rows,
    })
}
