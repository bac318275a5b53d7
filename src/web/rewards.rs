//! 以奖代补 on the pages: the department chooses how the fund is split (in proportion to the
//! annual score above a threshold, by tiers, or fixed grants; a cap per unit), previews every
//! unit's share with its explanation, allocates, and downloads the split. Through
//! `service::scoring`, as the API; the domain (`reward::allocate`) decides every fen.

use std::collections::HashMap;

use chrono::Datelike;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::fields::{Fields, posted_fields};
use super::pages::{page, user};
use super::{failed, message, redirect, signed_in};
use crate::api::State;
use crate::domain::access::Principal;
use crate::domain::deadline::local_day;
use crate::domain::reward::{Grant, Method, Share, Tier, parse_yuan};
use crate::domain::scoring::Points;
use crate::domain::{DomainError, Key, RegionCode};
use crate::render::table::Value as Cell;
use crate::service::error::ServiceError;
use crate::service::scoring;

fn yuan(fen: i64) -> String {
    Cell::fen_text(fen)
}

/// How a method reads on the page.
fn method_text(m: &Method, cap: Option<i64>) -> String {
    let how = match m {
        Method::Proportional { threshold } => format!("年度得分不低于{threshold}分的单位按得分比例分配"),
        Method::Tiers { tiers } => format!(
            "分档奖励：{}",
            tiers
                .iter()
                .map(|t| format!("{}{}个，每个{}元", t.name, t.count, yuan(t.amount)))
                .collect::<Vec<_>>()
                .join("；")
        ),
        Method::Fixed { grants } => format!("专项补助{}个单位", grants.len()),
    };
    match cap {
        Some(c) => format!("{how}；每个单位不超过{}元", yuan(c)),
        None => how,
    }
}

/// The form as posted (or its defaults), shown back with a preview or a refusal.
fn form_values(f: Option<&Fields>, year: i32) -> Value {
    let get = |name: &str, default: &str| {
        f.map(|f| f.get(name).to_owned()).filter(|v| !v.is_empty()).unwrap_or(default.to_owned())
    };
    json!({
        "label": get("label", &format!("{year}年度以奖代补")), "year": get("year", &year.to_string()),
        "fund": get("fund", ""), "method": get("method", "proportional"), "threshold": get("threshold", "60"),
        "tiers": get("tiers", "一等奖 2 50000\n二等奖 3 30000"), "grants": get("grants", ""), "cap": get("cap", ""),
    })
}

/// Each non-empty line split on spaces, commas or tabs.
fn lines(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .map(|l| {
            l.split(|c: char| c.is_whitespace() || c == ',' || c == '，').filter(|w| !w.is_empty()).collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The method the form describes.
fn method(f: &Fields) -> Result<Method, DomainError> {
    match f.get("method") {
        "tiers" => {
            let tiers = lines(f.get("tiers"))
                .into_iter()
                .map(|w| match w.as_slice() {
                    [name, count, amount] => Ok(Tier {
                        name: (*name).to_owned(),
                        count: count
                            .parse()
                            .map_err(|_| DomainError::invalid("tiers", format!("`{count}` is not a count of units")))?,
                        amount: parse_yuan("tiers", amount)?,
                    }),
                    _ => Err(DomainError::invalid(
                        "tiers",
                        format!("`{}`: a tier is a name, a count and an amount", w.join(" ")),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Method::Tiers { tiers })
        }
        "fixed" => {
            let grants = lines(f.get("grants"))
                .into_iter()
                .map(|w| match w.as_slice() {
                    [unit, amount] => Ok(Grant {
                        unit: RegionCode::parse(unit).map_err(|e| DomainError::invalid("grants", e.to_string()))?,
                        amount: parse_yuan("grants", amount)?,
                    }),
                    _ => Err(DomainError::invalid(
                        "grants",
                        format!("`{}`: a grant is a region code and an amount", w.join(" ")),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Method::Fixed { grants })
        }
        _ => {
            let t = f.get("threshold");
            let v: f64 = t.parse().map_err(|_| DomainError::invalid("threshold", format!("`{t}` is not a score")))?;
            Ok(Method::Proportional { threshold: Points::from_f64(v)? })
        }
    }
}

struct Asked {
    label: String,
    year: i32,
    fund: i64,
    method: Method,
    cap: Option<i64>,
}

fn asked(f: &Fields) -> Result<Asked, DomainError> {
    let year = f
        .get("year")
        .parse()
        .map_err(|_| DomainError::invalid("year", format!("`{}` is not a year", f.get("year"))))?;
    let cap = match f.optional("cap") {
        None => None,
        Some(c) => Some(parse_yuan("cap", &c)?),
    };
    Ok(Asked {
        label: f.get("label").to_owned(),
        year,
        fund: parse_yuan("fund", f.get("fund"))?,
        method: method(f)?,
        cap,
    })
}

fn shares_view(
    shares: &[Share],
    names: &HashMap<RegionCode, String>,
    p: &Principal,
    paths: &HashMap<RegionCode, Vec<RegionCode>>,
) -> Vec<Value> {
    shares
        .iter()
        .filter(|s| paths.get(&s.unit).is_none_or(|path| p.can_read_unit(path)))
        .map(|s| {
            json!({ "unit": s.unit.to_string(), "name": names.get(&s.unit).cloned().unwrap_or(s.unit.to_string()),
                    "amount": yuan(s.amount), "explanation": s.explanation.to_string() })
        })
        .collect()
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /ui/p/:key/rewards`.
#[handler]
pub async fn rewards(
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
    show(req, state, &p, &key, Form { posted: None, preview: None, refused: None }, q.done.as_deref()).await
}

/// What the form shows besides the record: what was posted, its preview, or why it was refused.
struct Form<'a> {
    posted: Option<&'a Fields>,
    preview: Option<Vec<Share>>,
    refused: Option<String>,
}

/// The rewards page: the allocations made, and to those who may allocate, the form (with the
/// preview of what was posted, if any).
async fn show(req: &Request, state: &State, p: &Principal, key: &Key, form: Form<'_>, done: Option<&str>) -> Response {
    let Form { posted, preview, refused } = form;
    let store = &state.store;
    if let Err(e) = scoring::programme_gate(store, p, key, false).await {
        return failed(e);
    }
    let may_allocate = scoring::programme_gate(store, p, key, true).await.is_ok();
    let (title, allocations, units) =
        match tokio::try_join!(store.programme(key), store.rewards(key), store.all_units(key)) {
            Ok((prog, r, u)) => (prog.map(|s| s.programme.title).unwrap_or_default(), r, u),
            Err(e) => return failed(e.into()),
        };
    let names: HashMap<RegionCode, String> = units.iter().map(|u| (u.unit.region.clone(), u.name.clone())).collect();
    let paths: HashMap<RegionCode, Vec<RegionCode>> =
        units.iter().map(|u| (u.unit.region.clone(), u.path.clone())).collect();
    let year = local_day(state.now()).year();
    let list: Vec<Value> = allocations
        .iter()
        .rev()
        .map(|a| {
            json!({ "id": a.key, "label": a.label, "fund": yuan(a.fund), "method": method_text(&a.method, a.cap),
                    "at": crate::domain::bulletin::chinese_date(local_day(a.computed_at)), "by": a.computed_by,
                    "shares": shares_view(&a.shares, &names, p, &paths), "new": done == Some(a.key.as_str()) })
        })
        .collect();
    let scored = matches!(store.scheme(key).await, Ok(Some(_)));
    page(
        "dashboard/rewards.html",
        &json!({
            "user": user(state, p, req).await, "key": key.as_str(), "title": title, "scored": scored,
            "allocations": list, "may_allocate": may_allocate, "form": form_values(posted, year),
            "preview": preview.map(|s| {
                let total: i64 = s.iter().map(|x| x.amount).sum();
                json!({ "shares": shares_view(&s, &names, p, &paths), "total": yuan(total) })
            }),
            "notice": done.map(|_| "已分配并记录。分配表可下载报财政部门。"),
            "refused": refused,
        }),
    )
}

/// `POST /ui/p/:key/rewards`: `step` = `preview` (nothing recorded) or `allocate` (after a
/// confirmation; recorded and audited).
#[handler]
pub async fn allocate(req: &Request, Data(state): Data<&State>, Path(k): Path<String>, body: String) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(key) = Key::parse(&k) else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这个试点项目。");
    };
    let store = &state.store;
    let done: Result<Response, ServiceError> = async {
        let a = asked(&f)?;
        match f.get("step") {
            "allocate" if f.get("confirm") != "yes" => Ok(message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "尚未确认",
                "分配结果将记录在案，请先预览并勾选确认后再分配。",
            )),
            "allocate" => {
                let r =
                    scoring::allocate(store, &p, &key, &a.label, a.year, a.fund, a.method, a.cap, state.now()).await?;
                Ok(redirect(&format!("/ui/p/{key}/rewards?done={}#r-{}", r.key, r.key)))
            }
            _ => {
                let shares =
                    scoring::preview_allocation(store, &p, &key, a.year, a.fund, &a.method, a.cap, state.now()).await?;
                let form = Form { posted: Some(&f), preview: Some(shares), refused: None };
                Ok(show(req, state, &p, &key, form, None).await)
            }
        }
    }
    .await;
    match done {
        Ok(r) => r,
        // A rule or a field refused: the form again as it was filled in, with the reason above it.
        Err(e) => match super::form_refusal(&e) {
            Some((status, why)) => {
                let form = Form { posted: Some(&f), preview: None, refused: Some(why) };
                super::with_status(show(req, state, &p, &key, form, None).await, status)
            }
            None => failed(e),
        },
    }
}
