//! A running programme changed in the browser: a unit's directions, demonstration flag and lead
//! changed, the unit withdrawn (退出试点) or taken back, on the unit's page; the programme's head
//! and rules, stages, directions and deliverables edited and added under 项目设置. Every change
//! goes through the services the API uses (`service::units`, `service::programme_edit`), so the
//! whole programme is checked as it would stand and a change that breaks a quota is refused with
//! the rule named.

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
use crate::domain::deadline::DeadlineSpec;
use crate::domain::deadline::local_day;
use crate::domain::programme::{Bounds, DirectionKind, Window};
use crate::domain::{Contact, Deliverable, Direction, DocDate, DomainError, Key, RegionCode, Stage};
use crate::service::error::ServiceError;
use crate::service::programme_edit::{self, Change, Mode};
use crate::service::units;

fn no_programme() -> Response {
    message(StatusCode::NOT_FOUND, "未找到", "没有这个试点项目。")
}

fn field_error(field: &str, e: impl std::fmt::Display) -> ServiceError {
    DomainError::invalid(field, e.to_string()).into()
}

/// A number typed in a form: blank is none.
fn number(f: &Fields, name: &str) -> Result<Option<u32>, ServiceError> {
    match f.get(name) {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| field_error(name, format!("`{v}` is not a whole number"))),
    }
}

fn bounds(f: &Fields, name: &str) -> Result<Option<Bounds>, ServiceError> {
    let (min, max) = (number(f, &format!("{name}_min"))?, number(f, &format!("{name}_max"))?);
    Ok(match (min, max) {
        (None, None) => None,
        (min, max) => Some(Bounds { min: min.unwrap_or(0), max }),
    })
}

// ---- the unit's page: change, withdraw, take back ----

/// `POST /ui/p/:key/units/:region/manage` with `action` = `change` | `withdraw` | `reinstate`.
#[handler]
pub async fn unit_action(
    req: &Request,
    Data(state): Data<&State>,
    Path((k, region)): Path<(String, String)>,
    body: String,
) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let (Ok(key), Ok(code)) = (Key::parse(&k), RegionCode::parse(&region)) else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这个试点单位。");
    };
    let store = &state.store;
    let now = state.now();
    let done = match f.get("action") {
        "withdraw" => units::withdraw(store, &p, &key, &code, f.get("reason"), now).await.map(|_| "withdrawn"),
        "reinstate" => units::reinstate(store, &p, &key, &code, now).await.map(|_| "reinstated"),
        "change" => change_unit(state, &p, &key, &code, &f).await.map(|_| "changed"),
        _ => return super::work::unreadable(),
    };
    match done {
        Ok(what) => redirect(&format!("/ui/p/{key}/units/{code}?done={what}")),
        Err(e) => failed(e),
    }
}

async fn change_unit(
    state: &State,
    p: &Principal,
    key: &Key,
    code: &RegionCode,
    f: &Fields,
) -> Result<(), ServiceError> {
    let mut directions = Vec::new();
    for v in f.all("direction") {
        directions.push(v.parse::<u32>().map_err(|_| field_error("directions", format!("`{v}` is not a number")))?);
    }
    let edit = |current: &crate::domain::PilotUnit| {
        let mut candidate = current.clone();
        candidate.directions = directions;
        candidate.demonstration = f.get("demonstration") == "on";
        candidate.lead = f.optional("lead_name").map(|name| Contact {
            name,
            title: current.lead.as_ref().and_then(|l| l.title.clone()),
            phone: f.optional("lead_phone"),
        });
        candidate
    };
    units::change(&state.store, p, key, code, edit, state.now()).await?;
    Ok(())
}

/// What the unit page adds for those who manage the unit (and the withdrawal everyone sees).
pub(super) async fn unit_context(
    state: &State,
    p: &Principal,
    programme: &crate::domain::Programme,
    unit: &crate::store::rows::StoredUnit,
) -> Value {
    // A person reads who recorded it by name (江西省民政厅社会救助处), not by username.
    let mut withdrawn = Value::Null;
    if let Some(w) = &unit.withdrawn {
        let by = match state.store.user(&w.by).await {
            Ok(Some(a)) => a.display_name,
            _ => w.by.clone(),
        };
        withdrawn = json!({ "day": chinese_date(local_day(w.at)), "by": by, "reason": w.reason });
    }
    let may =
        p.check(Access::ManageUnit { scope_path: &programme.scope.implied_path(), unit_path: &unit.path }).is_ok();
    if !may {
        return json!({ "withdrawn": withdrawn, "manage": null });
    }
    let catalogue = match state.store.directions(&programme.key).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "catalogue for the unit page");
            vec![]
        }
    };
    let choices: Vec<Value> = catalogue
        .iter()
        .filter(|d| d.kind == DirectionKind::Choice)
        .map(|d| json!({ "number": d.number, "title": d.title, "checked": unit.unit.directions.contains(&d.number) }))
        .collect();
    let rule = programme.rules.directions_per_unit.map(|b| b.text());
    json!({
        "withdrawn": withdrawn,
        "manage": {
            "choices": choices, "rule": rule, "demonstration": unit.unit.demonstration,
            "lead_name": unit.unit.lead.as_ref().map(|l| l.name.clone()),
            "lead_phone": unit.unit.lead.as_ref().and_then(|l| l.phone.clone()),
        }
    })
}

// ---- 项目设置 ----

#[derive(Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
}

/// `GET /ui/p/:key/settings`: the programme's head, rules, stages, directions and deliverables,
/// each in its own form, for the department that defines it.
#[handler]
pub async fn settings(
    req: &Request,
    Data(state): Data<&State>,
    Path(k): Path<String>,
    Query(q): Query<SettingsQuery>,
) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(key) = Key::parse(&k) else { return no_programme() };
    let store = &state.store;
    let programme = match programme_edit::definable(store, &p, &key).await {
        Ok(x) => x,
        Err(ServiceError::Forbidden(_)) => {
            return message(StatusCode::FORBIDDEN, "无权访问", "项目设置由制定该试点工作的省级管理员办理。");
        }
        Err(e) => return failed(e),
    };
    let b = match programme_edit::current(store, &key).await {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    let r = &programme.rules;
    let pair = |b: Option<Bounds>| json!({ "min": b.map(|b| b.min), "max": b.and_then(|b| b.max) });
    let stages: Vec<Value> = b
        .stages
        .iter()
        .map(|s| {
            json!({ "key": s.key.as_str(), "seq": s.seq, "name": s.name, "start": s.window.start.text(),
                    "end": s.window.end.text(), "description": s.description })
        })
        .collect();
    let directions: Vec<Value> = b
        .directions
        .iter()
        .map(|d| {
            json!({ "number": d.number, "title": d.title, "text": d.text,
                    "choice": d.kind == DirectionKind::Choice, "group": d.group })
        })
        .collect();
    let mut routes: Vec<(String, Vec<crate::domain::programme::RouteStep>)> = Vec::new();
    let deliverables: Vec<Value> = b
        .deliverables
        .iter()
        .map(|d| {
            let route = route_text(&d.route);
            if !routes.iter().any(|(t, _)| t == &route) {
                routes.push((route.clone(), d.route.clone()));
            }
            let due = match &d.deadline {
                DeadlineSpec::Fixed { due } => Some(due.text().to_owned()),
                _ => None,
            };
            let stage = d.stage.as_ref().map(|k| k.to_string());
            json!({ "key": d.key.as_str(), "title": d.title, "description": d.description, "due": due,
                    "stage": stage, "route": route })
        })
        .collect();
    let notice = q.done.as_deref().map(|d| match d {
        "head" => "项目信息和遴选规则已保存。",
        "stage" => "阶段已保存。",
        "direction" => "试点方向已保存。",
        _ => "报送材料已保存。",
    });
    let ctx = json!({
        "user": user(state, &p, req).await, "key": key.as_str(), "title": programme.title,
        "doc_number": programme.doc_number, "summary": programme.summary, "notice": notice,
        "units": b.units.len(),
        "rules": { "directions_per_unit": pair(r.directions_per_unit), "units_per_group": pair(r.units_per_group),
                   "directions_per_group": pair(r.directions_per_group),
                   "group": r.group_level.map(|l| l.label()) },
        "stages": stages, "directions": directions, "deliverables": deliverables,
        "routes": routes.iter().map(|(t, _)| t).collect::<Vec<_>>(),
    });
    page("dashboard/settings.html", &ctx)
}

/// A route as a page says it: 市级审定 → 省级备案, or 提交即完成.
fn route_text(route: &[crate::domain::programme::RouteStep]) -> String {
    if route.is_empty() {
        return "提交即完成".to_owned();
    }
    route.iter().map(|s| format!("{}{}", s.level.label(), s.action.label())).collect::<Vec<_>>().join(" → ")
}

/// `POST /ui/p/:key/settings/:part` with `part` = `head` | `stage` | `direction` | `deliverable`;
/// a part is added when the form says `mode=add`, else the one named is replaced.
#[handler]
pub async fn save(
    req: &Request,
    Data(state): Data<&State>,
    Path((k, part)): Path<(String, String)>,
    body: String,
) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(key) = Key::parse(&k) else { return no_programme() };
    let mode = if f.get("mode") == "add" { Mode::Add } else { Mode::Replace };
    let store = &state.store;
    let change = async {
        let b = programme_edit::current(store, &key).await?;
        let change = match part.as_str() {
            "head" => head(&b.programme, &f)?,
            "stage" => stage(&b.stages, &f, mode)?,
            "direction" => direction(&b.directions, &f, mode)?,
            "deliverable" => deliverable(&b.deliverables, &f, mode)?,
            _ => return Err(ServiceError::Hidden(format!("settings part `{part}`"))),
        };
        programme_edit::change(store, &p, &key, change, mode, state.now()).await
    };
    match change.await {
        Ok(_) => redirect(&format!("/ui/p/{key}/settings?done={part}")),
        Err(e) => failed(e),
    }
}

fn head(current: &crate::domain::Programme, f: &Fields) -> Result<Change, ServiceError> {
    let mut p = current.clone();
    p.title = f.get("title").to_owned();
    p.doc_number = f.optional("doc_number");
    p.summary = f.optional("summary");
    p.rules.directions_per_unit = bounds(f, "directions_per_unit")?;
    p.rules.units_per_group = bounds(f, "units_per_group")?;
    p.rules.directions_per_group = bounds(f, "directions_per_group")?;
    Ok(Change::Head(p))
}

fn window(f: &Fields) -> Result<Window, ServiceError> {
    let start = DocDate::parse(f.get("start"))?;
    let end = DocDate::parse(f.get("end"))?;
    Ok(Window::new(start, end)?)
}

fn stage(stages: &[Stage], f: &Fields, mode: Mode) -> Result<Change, ServiceError> {
    let key = Key::parse(f.get("key"))?;
    let seq = match (mode, stages.iter().find(|s| s.key == key)) {
        (Mode::Replace, Some(s)) => s.seq,
        _ => stages.iter().map(|s| s.seq).max().unwrap_or(0) + 1,
    };
    Ok(Change::Stage(Stage {
        key,
        name: f.get("name").to_owned(),
        seq,
        window: window(f)?,
        description: f.optional("description"),
    }))
}

fn direction(directions: &[Direction], f: &Fields, mode: Mode) -> Result<Change, ServiceError> {
    let number = number(f, "number")?.ok_or_else(|| field_error("number", "give the catalogue number"))?;
    let current = directions.iter().find(|d| d.number == number);
    let kind = if f.get("kind") == "assigned" { DirectionKind::Assigned } else { DirectionKind::Choice };
    let d = Direction {
        number,
        title: f.get("title").to_owned(),
        text: f.get("text").to_owned(),
        kind,
        group: match mode {
            Mode::Replace => current.and_then(|d| d.group.clone()),
            Mode::Add => f.optional("group"),
        },
        responsible: current.map(|d| d.responsible.clone()).unwrap_or_default(),
    };
    d.validate()?;
    Ok(Change::Direction(d))
}

fn deliverable(all: &[Deliverable], f: &Fields, mode: Mode) -> Result<Change, ServiceError> {
    let key = Key::parse(f.get("key"))?;
    let mut d = match (mode, all.iter().find(|d| d.key == key)) {
        (Mode::Replace, Some(d)) => d.clone(),
        (Mode::Replace, None) => return Err(field_error("key", format!("no deliverable `{key}`"))),
        (Mode::Add, _) => {
            // A new deliverable takes the route of an existing one, as the form offers them.
            let route =
                all.iter().map(|d| &d.route).find(|r| route_text(r) == f.get("route")).cloned().unwrap_or_default();
            Deliverable {
                key,
                title: String::new(),
                description: None,
                stage: None,
                deadline: DeadlineSpec::Fixed { due: DocDate::parse(f.get("due"))? },
                route,
                audience: Default::default(),
            }
        }
    };
    d.title = f.get("title").to_owned();
    d.description = f.optional("description");
    if mode == Mode::Add {
        d.stage = f.optional("stage").map(|s| Key::parse(&s)).transpose()?;
    }
    if let DeadlineSpec::Fixed { .. } = d.deadline
        && !f.get("due").is_empty()
    {
        d.deadline = DeadlineSpec::Fixed { due: DocDate::parse(f.get("due"))? };
    }
    Ok(Change::Deliverable(d))
}
