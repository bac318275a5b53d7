//! Project evaluations (石嘴山: 中期评估, 终期评估) on the pages: a panel scores each indicator of
//! the programme's system for one unit; the panel must be an odd number of at least three with an
//! accountant of intermediate or higher title, refused with the rule named otherwise; the
//! weighted total and its grade are shown. Through `service::scoring::evaluate`, as the API.

use std::collections::{BTreeMap, HashMap};

use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::fields::{Fields, posted_fields};
use super::pages::{page, user};
use super::{failed, message, redirect, signed_in};
use crate::api::State;
use crate::domain::access::{Access, Principal};
use crate::domain::bulletin::chinese_date;
use crate::domain::deadline::local_day;
use crate::domain::evaluation::{PanelMember, Phase, Title};
use crate::domain::scoring::Points;
use crate::domain::{DomainError, Key, RegionCode};
use crate::service::error::ServiceError;
use crate::service::scoring;

/// Rows for panel members on the form (a panel is usually 3, 5 or 7).
const PANEL_ROWS: usize = 7;

fn phase_label(p: Phase) -> &'static str {
    match p {
        Phase::MidTerm => "中期评估",
        Phase::Final => "终期评估",
    }
}

fn title_label(t: Title) -> &'static str {
    match t {
        Title::None => "无职称",
        Title::Junior => "初级",
        Title::Intermediate => "中级",
        Title::Senior => "高级",
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /ui/p/:key/evaluations`: the evaluations this account may read, and the form for the
/// units it may evaluate.
#[handler]
pub async fn evaluations(
    req: &Request,
    Data(state): Data<&State>,
    Path(k): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(key) = Key::parse(&k) else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这个试点项目。");
    };
    show(req, state, &p, &key, None, None, q.done.as_deref()).await
}

/// The evaluations page; with `posted` and `refused`, the form again as it was filled in and
/// why it was refused.
async fn show(
    req: &Request,
    state: &State,
    p: &Principal,
    key: &Key,
    posted: Option<&Fields>,
    refused: Option<String>,
    done: Option<&str>,
) -> Response {
    let value = |name: &str| posted.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let store = &state.store;
    if let Err(e) = scoring::programme_gate(store, p, key, false).await {
        return failed(e);
    }
    let (prog, system, recorded, units) = match tokio::try_join!(
        store.programme(key),
        store.indicator_system(key),
        store.evaluations(key),
        store.units(key)
    ) {
        Ok(x) => x,
        Err(e) => return failed(e.into()),
    };
    let title = prog.map(|s| s.programme.title).unwrap_or_default();
    let names: HashMap<&RegionCode, &str> = units.iter().map(|u| (&u.unit.region, u.name.as_str())).collect();
    let indicator_names: HashMap<&Key, &str> =
        system.iter().flat_map(|s| &s.groups).flat_map(|g| &g.indicators).map(|i| (&i.key, i.name.as_str())).collect();
    let list: Vec<Value> = recorded
        .iter()
        .rev()
        .filter(|e| p.can_read_unit(&e.unit_path))
        .map(|e| {
            json!({
                "id": e.key, "unit": names.get(&e.unit).copied().unwrap_or(e.unit.as_str()), "phase": phase_label(e.phase),
                "total": e.total.to_string(), "grade": e.grade, "voided": e.voided,
                "at": chinese_date(local_day(e.entered_at)), "by": e.entered_by,
                "panel": e.panel.iter().map(|m| format!("{}（{}{}）", m.name, if m.accountant { "财会，" } else { "" }, title_label(m.title))).collect::<Vec<_>>().join("、"),
                "scores": e.scores.iter().map(|(k, v)| format!("{} {v}", indicator_names.get(k).copied().unwrap_or(k.as_str()))).collect::<Vec<_>>().join("；"),
                "new": done == Some(e.key.as_str()),
            })
        })
        .collect();
    let evaluable: Vec<Value> = units
        .iter()
        .filter(|u| p.check(Access::Evaluate { unit_path: &u.path }).is_ok())
        .map(|u| json!({ "code": u.unit.region.to_string(), "name": u.name, "selected": value("unit") == u.unit.region.as_str() }))
        .collect();
    let rows: Vec<Value> = (1..=PANEL_ROWS)
        .map(|i| {
            json!({ "i": i, "name": value(&format!("name_{i}")), "accountant": value(&format!("accountant_{i}")) == "yes",
                    "title": value(&format!("title_{i}")) })
        })
        .collect();
    page(
        "dashboard/evaluations.html",
        &json!({
            "user": user(state, p, req).await, "key": key.as_str(), "title": title,
            "system": system.as_ref().map(|s| json!({
                "groups": s.groups.iter().map(|g| json!({ "name": g.name, "weight": g.weight,
                    "indicators": g.indicators.iter().map(|i| json!({ "key": i.key.as_str(), "name": i.name, "weight": i.weight,
                        "value": value(&format!("score_{}", i.key)) })).collect::<Vec<_>>() })).collect::<Vec<_>>(),
                "bands": s.bands.iter().map(|b| format!("{} ≥ {}", b.grade, b.min)).collect::<Vec<_>>().join("，"),
            })),
            "evaluations": list, "units": evaluable, "rows": rows, "final": value("phase") == "final",
            "notice": done.map(|_| "评估结果已记录。"), "refused": refused,
        }),
    )
}

/// The panel rows that were filled in.
fn panel(f: &Fields) -> Result<Vec<PanelMember>, DomainError> {
    let mut members = Vec::new();
    for i in 1..=PANEL_ROWS {
        let name = f.get(&format!("name_{i}"));
        if name.is_empty() {
            continue;
        }
        let title = match f.get(&format!("title_{i}")) {
            "senior" => Title::Senior,
            "intermediate" => Title::Intermediate,
            "junior" => Title::Junior,
            _ => Title::None,
        };
        members.push(PanelMember {
            name: crate::domain::programme::text("panel.name", name, 50)?,
            accountant: f.get(&format!("accountant_{i}")) == "yes",
            title,
        });
    }
    Ok(members)
}

/// `POST /ui/p/:key/evaluations`.
#[handler]
pub async fn evaluate(req: &Request, Data(state): Data<&State>, Path(k): Path<String>, body: String) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(key) = Key::parse(&k) else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这个试点项目。");
    };
    let store = &state.store;
    let made = async {
        let unit = RegionCode::parse(f.get("unit")).map_err(|e| DomainError::invalid("unit", e.to_string()))?;
        let phase = if f.get("phase") == "final" { Phase::Final } else { Phase::MidTerm };
        let system = store.indicator_system(&key).await?;
        let mut scores = BTreeMap::new();
        for i in system.iter().flat_map(|s| &s.groups).flat_map(|g| &g.indicators) {
            let text = f.get(&format!("score_{}", i.key));
            let v: f64 = text.parse().map_err(|_| {
                DomainError::invalid("scores", format!("{}: `{text}` is not a score from 0 to 100", i.name))
            })?;
            scores.insert(i.key.clone(), Points::from_f64(v)?);
        }
        scoring::evaluate(store, &p, &key, &unit, phase, panel(&f)?, scores, state.now()).await
    };
    let made: Result<_, ServiceError> = made.await;
    match made {
        Ok(e) => redirect(&format!("/ui/p/{key}/evaluations?done={}#e-{}", e.key, e.key)),
        // A rule or a field refused: the panel and the scores stay as typed, the reason above.
        Err(e) => match super::form_refusal(&e) {
            Some((status, why)) => {
                super::with_status(show(req, state, &p, &key, Some(&f), Some(why), None).await, status)
            }
            None => failed(e),
        },
    }
}
