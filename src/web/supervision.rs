//! Supervision orders (督办单) on the unit page: the unit's orders with their colour, what is
//! asked and by when; the lead's answer form; the department's forms to issue an order for an
//! overdue deadline, to close one (销号) or escalate it; each order as a Word file. Through
//! `service::supervision`, as the API: the same checks, the same refusals.

use chrono::{Days, NaiveDate};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};
use serde_json::{Value, json};

use super::fields::{Fields, posted_fields};
use super::{failed, message, redirect, signed_in};
use crate::api::State;
use crate::api::download::FileDownload;
use crate::domain::access::{Access, Principal};
use crate::domain::bulletin::chinese_date;
use crate::domain::deadline::local_day;
use crate::domain::supervision::{Colour, Order};
use crate::domain::{DomainError, Key, RegionCode};
use crate::service::error::ServiceError;
use crate::service::supervision as service;

fn day(f: &Fields, name: &str) -> Result<NaiveDate, ServiceError> {
    f.get(name).trim().parse().map_err(|_| DomainError::invalid(name, "选择一个日期").into())
}

pub(super) fn colour_class(c: Colour) -> &'static str {
    match c {
        Colour::Blue => "blue",
        Colour::Yellow => "yellow",
        Colour::Red => "red",
    }
}

/// What the unit page shows about orders: the unit's orders, what the viewer may do with each,
/// and, for a department that may issue, the overdue deadlines it may issue one for.
pub async fn unit_orders(
    state: &State,
    p: &Principal,
    key: &Key,
    unit: &RegionCode,
    unit_path: &[RegionCode],
    overdue: &[(String, String, String, String)],
) -> Result<Value, ServiceError> {
    let orders = service::list(&state.store, p, key, Some(unit)).await?;
    let today = local_day(state.now());
    let may_answer = p.check(Access::File { unit_path }).is_ok();
    let live: Vec<&Order> = orders.iter().filter(|o| o.is_live()).collect();
    let rows: Vec<Value> = orders
        .iter()
        .map(|o| {
            let department = service::may_supervise(p, o) && o.is_live();
            json!({
                "id": o.key, "number": o.number, "colour": o.colour.label(), "class": colour_class(o.colour),
                "title": o.item.title, "due_text": o.item.due_text, "respond_by": chinese_date(o.respond_by),
                "state": o.state.label(), "live": o.is_live(), "revision": o.revision,
                "requirement": o.requirement,
                "answer": o.answer.as_ref().map(|a| json!({ "text": a.text, "promised": chinese_date(a.promised) })),
                "may_answer": may_answer && o.is_live(),
                "may_close": department && o.may_close(),
                "may_escalate": department && o.may_escalate(),
                "next_colour": o.colour.next().map(Colour::label),
            })
        })
        .collect();
    let may_issue = p.check(Access::Supervise { unit_path, level_path: &p.region_path }).is_ok();
    // Deadlines with no live order yet (一事一单).
    let open_items: Vec<Value> = overdue
        .iter()
        .filter(|(d, o, _, _)| !live.iter().any(|x| x.item.deliverable.as_str() == d && &x.item.occurrence == o))
        .map(|(d, o, title, due)| json!({ "value": format!("{d}|{o}"), "label": format!("{title}（{due}）") }))
        .collect();
    Ok(json!({
        "orders": rows,
        "may_issue": may_issue && !open_items.is_empty(),
        "overdue": open_items,
        "min_day": today.checked_add_days(Days::new(1)).map(|d| d.to_string()),
        "default_day": today.checked_add_days(Days::new(3)).map(|d| d.to_string()),
        "today": today.to_string(),
    }))
}

/// `POST /ui/p/:key/units/:region/orders`: issue an order for the overdue deadline chosen.
#[handler]
pub async fn issue(
    req: &Request,
    Data(state): Data<&State>,
    Path((k, region)): Path<(String, String)>,
    body: String,
) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let (Ok(key), Ok(unit)) = (Key::parse(&k), RegionCode::parse(&region)) else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这个试点单位。");
    };
    let made = async {
        let (deliverable, occurrence) = f
            .get("item")
            .split_once('|')
            .ok_or_else(|| ServiceError::from(DomainError::invalid("item", "选择一项逾期事项")))?;
        let req = service::IssueRequest {
            unit: unit.clone(),
            deliverable: Key::parse(deliverable).map_err(|e| DomainError::invalid("item", e.to_string()))?,
            occurrence: occurrence.to_owned(),
            respond_by: day(&f, "respond_by")?,
            requirement: f.optional("requirement"),
        };
        service::issue(&state.store, &p, &key, &req, state.now()).await
    };
    match made.await {
        Ok(o) => redirect(&format!("/ui/p/{key}/units/{unit}?done=order_issued#order-{}", o.number)),
        Err(e) => failed(e),
    }
}

/// `POST /ui/supervision-orders/:id/:act`: `answer` (the unit), `close` or `escalate` (the
/// department), each on the revision the page showed.
#[handler]
pub async fn act(
    req: &Request,
    Data(state): Data<&State>,
    Path((id, act)): Path<(String, String)>,
    body: String,
) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(revision) = f.get("revision").parse::<u32>() else { return super::work::unreadable() };
    let (store, now) = (&state.store, state.now());
    let done = match act.as_str() {
        "answer" => match day(&f, "promised") {
            Ok(promised) => service::answer(store, &p, &id, revision, f.get("text"), promised, now).await,
            Err(e) => Err(e),
        },
        "close" => service::close(store, &p, &id, revision, f.get("remark"), now).await,
        "escalate" => match day(&f, "respond_by") {
            Ok(by) => service::escalate(store, &p, &id, revision, f.get("reason"), by, now).await,
            Err(e) => Err(e),
        },
        _ => return super::work::unreadable(),
    };
    match done {
        Ok(o) => redirect(&format!("/ui/p/{}/units/{}?done=order_{act}#order-{}", o.programme, o.unit, o.number)),
        Err(e) => failed(e),
    }
}

/// `GET /ui/supervision-orders/:id/document`: the order as Word.
#[handler]
pub async fn document(req: &Request, Data(state): Data<&State>, Path(id): Path<String>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let o = match service::get(&state.store, &p, &id).await {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    match crate::api::supervision::docx(state, &o).await {
        Ok(bytes) => {
            let name = crate::api::supervision::file_name(&o);
            let mut r = FileDownload::attachment(bytes, crate::render::docx::CONTENT_TYPE, &name).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            r
        }
        Err(_) => message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", "督办单生成失败，已记录。"),
    }
}
