//! The dashboard's pages. Each reads through the services (the same permission checks as the
//! API) and hands a plain JSON context to its template.

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{failed, html, message, signed_in};
use crate::api::State;
use crate::domain::access::{Access, Principal, Role};
use crate::domain::bulletin::{RankLine, chinese_date};
use crate::domain::deadline::{YearMonth, local_day};
use crate::domain::{Key, RegionCode, Status};
use crate::render::{self, Format, arrow, charts};
use crate::service::board::{Filter, deadline_board};
use crate::service::bulletins as bulletin_service;
use crate::service::filings::ServiceError;
use crate::service::scoring;

/// Rows shown on one board page; a national board is filtered by region instead.
const BOARD_ROWS: usize = 500;

/// The signed-in account as the header shows it, with the token its forms carry.
pub(super) fn user(p: &Principal, req: &Request) -> Value {
    json!({ "username": p.username, "name": p.display_name, "role": role_label(p.role), "region": p.region.to_string(),
            "csrf": super::form_token(req), "reviews": p.is_reviewer() })
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::ProvinceAdmin => "省级管理员",
        Role::CityReviewer => "市级审核员",
        Role::UnitLead => "试点单位负责人",
        Role::Evaluator => "评估人员",
        Role::Leader => "领导",
    }
}

/// Days left as a row says it: 剩3天, 今日到期, 逾期2天 (— once met).
fn days_text(s: crate::domain::deadline::Standing) -> String {
    match s.status {
        Status::Done => "—".to_owned(),
        Status::Overdue => format!("逾期{}天", -s.days_left),
        _ if s.days_left == 0 => "今日到期".to_owned(),
        _ => format!("剩{}天", s.days_left),
    }
}

fn light(s: Status) -> (&'static str, &'static str) {
    match s {
        Status::Done => ("done", "已完成"),
        Status::Upcoming => ("green", "绿"),
        Status::DueSoon => ("yellow", "黄"),
        Status::Overdue => ("red", "红"),
    }
}

pub(super) fn page(name: &str, ctx: &Value) -> Response {
    match render::page(name, ctx) {
        Ok(b) => html(StatusCode::OK, b),
        Err(e) => {
            tracing::error!(error = %e, "dashboard page failed to render");
            message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", "页面生成失败，已记录。")
        }
    }
}

/// The signed-in user and the programme key of the path, or the page to answer with instead.
async fn user_and_key(req: &Request, state: &State, k: &str) -> Result<(Principal, Key), Response> {
    let p = signed_in(req, state).await?;
    let k = Key::parse(k).map_err(|_| message(StatusCode::NOT_FOUND, "未找到", "没有这个试点项目。"))?;
    Ok((p, k))
}

fn now(state: &State) -> DateTime<Utc> {
    state.clock.now()
}

#[handler]
pub async fn home(req: &Request, Data(state): Data<&State>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (all, _) = match state.store.programmes(0, 1000).await {
        Ok(x) => x,
        Err(e) => return failed(e.into()),
    };
    let mut programmes = Vec::new();
    let mut mine = Vec::new();
    for s in all {
        let prog = &s.programme;
        let reach = match state.store.recent_reach(&prog.key).await {
            Ok(r) => r.unwrap_or_default(),
            Err(e) => return failed(e.into()),
        };
        if p.check(Access::ReadProgramme { reach: &reach }).is_err() {
            continue;
        }
        let board = match deadline_board(&state.store, &prog.key, now(state), &Filter::default(), &p).await {
            Ok(b) => b,
            Err(e) => return failed(e.into()),
        };
        // A lead's own unit: its open deadlines (due soon first, then the overdue, then the
        // rest), and its filings sent back or not yet submitted.
        if let Some(u) = board.parts.units.iter().find(|u| u.region == p.region) {
            let unit_page = format!("/ui/p/{}/units/{}", prog.key, u.region);
            let mut open: Vec<_> = board
                .rows
                .iter()
                .filter(|r| board.unit(r).region == u.region && r.standing.status != Status::Done)
                .collect();
            let order = |s: Status| match s {
                Status::DueSoon => 0,
                Status::Overdue => 1,
                _ => 2,
            };
            open.sort_by_key(|r| (order(r.standing.status), r.standing.days_left.abs()));
            for r in open.into_iter().take(5) {
                let (class, light) = light(r.standing.status);
                mine.push(json!({
                    "class": class, "light": light, "what": board.deliverable(r).title,
                    "due": board.occurrence(r).due_text, "days": days_text(r.standing), "unit": u.name,
                    "link": unit_page,
                }));
            }
            let filings = match state.store.programme_filings(&prog.key).await {
                Ok(f) => f,
                Err(e) => return failed(e.into()),
            };
            for f in filings.iter().filter(|f| f.unit == u.region && f.state.is_open()) {
                mine.push(json!({
                    "class": if f.returned_reason.is_some() { "red" } else { "yellow" }, "light": f.state.label(),
                    "what": f.title, "due": f.returned_reason.as_ref().map(|r| format!("退回理由：{r}")),
                    "days": "", "unit": u.name, "link": format!("/ui/filings/{}", f.key),
                }));
            }
        }
        programmes.push(json!({
            "key": prog.key.as_str(), "title": prog.title, "issuer": prog.issuer,
            "period": format!("{} — {}", chinese_date(prog.period.first()), chinese_date(prog.period.last())),
            "units": board.parts.units.iter().filter(|u| p.can_read_unit(&u.path)).count(),
            "done": board.total(Status::Done), "green": board.total(Status::Upcoming),
            "yellow": board.total(Status::DueSoon), "red": board.total(Status::Overdue),
            // A lead's own unit in this programme: its page is where it files.
            "my_unit": board.parts.units.iter().find(|u| u.region == p.region).map(|u| json!({
                "code": u.region.to_string(), "name": u.name,
            })),
        }));
    }
    // What awaits the account: its review queue, its unread reminders.
    let waiting = if p.is_reviewer() {
        match crate::service::filings::review_queue(&state.store, &p).await {
            Ok(q) => Some(q.len()),
            Err(e) => return failed(e),
        }
    } else {
        None
    };
    let unread = match state.store.inbox(&p.username).await {
        Ok(all) => all.iter().filter(|r| !r.is_read_by(&p.username)).count(),
        Err(e) => return failed(e.into()),
    };
    page(
        "dashboard/home.html",
        &json!({ "user": user(&p, req), "programmes": programmes, "today": chinese_date(local_day(now(state))),
                 "waiting": waiting, "unread": unread, "mine": mine }),
    )
}

#[derive(Deserialize)]
pub struct BoardQuery {
    region: Option<String>,
    status: Option<String>,
}

#[handler]
pub async fn programme(
    req: &Request,
    Data(state): Data<&State>,
    Path(k): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Response {
    let (p, k) = match user_and_key(req, state, &k).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    // The badges count every light; the status asked for only narrows the table.
    let want = match q.status.as_deref() {
        Some("red") => Some(Status::Overdue),
        Some("yellow") => Some(Status::DueSoon),
        Some("green") => Some(Status::Upcoming),
        Some("done") => Some(Status::Done),
        _ => None,
    };
    let filter =
        Filter { region: q.region.as_deref().and_then(|r| RegionCode::parse(r).ok()), status: None, deliverable: None };
    let board = match deadline_board(&state.store, &k, now(state), &filter, &p).await {
        Ok(b) => b,
        Err(e) => return failed(e.into()),
    };
    // Red first, then yellow, green, done; nearest due day first within each.
    let mut rows: Vec<_> = board.rows.iter().filter(|r| want.is_none_or(|w| r.standing.status == w)).collect();
    let order = |s: Status| match s {
        Status::Overdue => 0,
        Status::DueSoon => 1,
        Status::Upcoming => 2,
        Status::Done => 3,
    };
    rows.sort_by_key(|r| (order(r.standing.status), r.standing.days_left.abs(), board.unit(r).region.clone()));
    // A submitted deadline is met on the board; the page says where its filing stands
    // (审核中 until it is filed), so a filing waiting in review is not read as finished.
    let filings = match state.store.programme_filings(&k).await {
        Ok(f) => f,
        Err(e) => return failed(e.into()),
    };
    let standing: std::collections::HashMap<(&RegionCode, &Key, &str), crate::domain::filing::FilingState> =
        filings.iter().map(|f| ((&f.unit, &f.deliverable, f.occurrence.as_str()), f.state)).collect();
    let shown: Vec<Value> = rows
        .iter()
        .take(BOARD_ROWS)
        .map(|r| {
            let (u, d, o) = (board.unit(r), board.deliverable(r), board.occurrence(r));
            let filed = standing.get(&(&u.region, &d.key, o.key.as_str())).copied();
            let (class, label) = match (r.standing.status, filed) {
                (Status::Done, Some(state)) if state != crate::domain::filing::FilingState::Filed => {
                    ("done", state.label())
                }
                (status, _) => light(status),
            };
            json!({
                "class": class, "light": label, "unit": u.region.to_string(), "unit_name": u.name,
                "deliverable": d.title, "due_text": o.due_text, "due_on": o.due_on.to_string(),
                "holiday": !board.calendar.is_working_day(o.due_on),
                "days": days_text(r.standing),
            })
        })
        .collect();
    let prog = &board.programme.programme;
    page(
        "dashboard/programme.html",
        &json!({
            "user": user(&p, req), "key": k.as_str(), "title": prog.title, "issuer": prog.issuer,
            "summary": prog.summary, "as_of": chinese_date(local_day(board.as_of)),
            "done": board.total(Status::Done), "green": board.total(Status::Upcoming),
            "yellow": board.total(Status::DueSoon), "red": board.total(Status::Overdue),
            "rows": shown, "more": rows.len().saturating_sub(BOARD_ROWS),
            "status": q.status, "region": q.region,
        }),
    )
}

#[derive(Deserialize)]
pub struct RankingQuery {
    period: Option<String>,
}

#[handler]
pub async fn ranking(
    req: &Request,
    Data(state): Data<&State>,
    Path(k): Path<String>,
    Query(q): Query<RankingQuery>,
) -> Response {
    let (p, k) = match user_and_key(req, state, &k).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(e) = scoring::programme_gate(&state.store, &p, &k, false).await {
        return failed(e);
    }
    let title = match state.store.programme(&k).await {
        Ok(Some(s)) => s.programme.title,
        Ok(None) => return failed(ServiceError::Hidden(k.to_string())),
        Err(e) => return failed(e.into()),
    };
    let scheme = match state.store.scheme(&k).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return page(
                "dashboard/ranking.html",
                &json!({ "user": user(&p, req), "key": k.as_str(), "title": title, "unscored": true }),
            );
        }
        Err(e) => return failed(e.into()),
    };
    // The month asked for; else the latest published; else the first ranked month.
    let mut months = Vec::new();
    let mut m = scheme.ranking_from;
    while m <= scheme.ranking_to {
        months.push(m);
        m = m.next();
    }
    let mut published = Vec::new();
    for m in &months {
        match state.store.rankings(&k, *m).await {
            Ok(v) if !v.is_empty() => published.push(*m),
            Ok(_) => {}
            Err(e) => return failed(e.into()),
        }
    }
    let month = q
        .period
        .as_deref()
        .and_then(|s| YearMonth::parse(s).ok())
        .or(published.last().copied())
        .unwrap_or(scheme.ranking_from);
    let r = match scoring::ranking(&state.store, &k, month, now(state)).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let lines: Vec<RankLine> = r.entries.iter().map(RankLine::from).collect();
    let trend = match bulletin_service::score_trends(&state.store, &k, scheme.ranking_from, month, &lines).await {
        Ok(t) => charts::score_trend(&t),
        Err(e) => return failed(e),
    };
    let rows: Vec<Value> = lines
        .iter()
        .map(|l| {
            let a = arrow(l.change);
            json!({ "rank": l.rank, "unit": l.unit, "name": l.name, "score": l.score,
                    "change": a, "up": a.starts_with('↑'), "down": a.starts_with('↓') })
        })
        .collect();
    page(
        "dashboard/ranking.html",
        &json!({
            "user": user(&p, req), "key": k.as_str(), "title": title, "unscored": false,
            "period": month.to_string(), "label": format!("{}年{}月", month.year, month.month),
            "version": r.version, "published_at": r.published_at.map(crate::api::common::shanghai),
            "months": months.iter().map(|m| json!({ "period": m.to_string(), "label": format!("{}年{}月", m.year, m.month), "published": published.contains(m) })).collect::<Vec<_>>(),
            "rows": rows, "trend_svg": trend,
        }),
    )
}

#[handler]
pub async fn unit(
    req: &Request,
    Data(state): Data<&State>,
    Path((k, region)): Path<(String, String)>,
    Query(q): Query<RankingQuery>,
) -> Response {
    let (p, k) = match user_and_key(req, state, &k).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(code) = RegionCode::parse(&region) else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这个试点单位。");
    };
    let u = match crate::service::filings::unit_of(&state.store, &p, &k, &code).await {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    let filter = Filter { region: Some(code.clone()), ..Filter::default() };
    let board = match deadline_board(&state.store, &k, now(state), &filter, &p).await {
        Ok(b) => b,
        Err(e) => return failed(e.into()),
    };
    let mine: Vec<crate::domain::filing::Filing> = match state.store.programme_filings(&k).await {
        Ok(all) => all.into_iter().filter(|f| f.unit == code).collect(),
        Err(e) => return failed(e.into()),
    };
    let may_file = p.check(Access::File { unit_path: &u.path }).is_ok();
    let deadlines: Vec<Value> = board
        .rows
        .iter()
        .map(|r| {
            let (class, label) = light(r.standing.status);
            let (d, o) = (board.deliverable(r), board.occurrence(r));
            let filing = mine.iter().find(|f| f.deliverable == d.key && f.occurrence == o.key);
            json!({ "class": class, "light": label, "deliverable": d.title, "due_text": o.due_text,
                    "deliverable_key": d.key.as_str(), "occurrence": o.key,
                    "filing": filing.map(|f| &f.key), "state": filing.map(|f| f.state.label()),
                    "filed_at": r.filed_at.map(|t| chinese_date(local_day(t))) })
        })
        .collect();
    let filings: Vec<Value> = mine
        .iter()
        .map(|f| {
            json!({ "key": f.key, "title": f.title, "state": f.state.label(), "version": f.version,
                    "submitted": f.first_submitted_at.map(|t| chinese_date(local_day(t))),
                    "exemplary": f.exemplary_quote })
        })
        .collect();
    // The score breakdown of the month asked for, or of this month if it is ranked.
    let mut score = Value::Null;
    if let Ok(Some(scheme)) = state.store.scheme(&k).await {
        let month = q
            .period
            .as_deref()
            .and_then(|s| YearMonth::parse(s).ok())
            .unwrap_or_else(|| {
                let today = local_day(now(state));
                YearMonth::parse(&today.format("%Y-%m").to_string()).unwrap_or(scheme.ranking_to)
            })
            .clamp(scheme.ranking_from, scheme.ranking_to);
        if let Ok(r) = scoring::ranking(&state.store, &k, month, now(state)).await
            && let Some(e) = r.entries.iter().find(|e| e.unit == code)
        {
            let name = |item: &Key| {
                scheme.items.iter().find(|i| &i.key == item).map(|i| i.name.clone()).unwrap_or(item.to_string())
            };
            score = json!({
                "period": month.to_string(), "rank": e.rank, "total": e.score.to_string(),
                "bonus": e.score_detail.bonus.to_string(),
                "items": e.score_detail.items.iter().map(|(item, full, deducted, got)| json!({
                    "name": name(item), "full": full.to_string(), "deducted": deducted.to_string(), "score": got.to_string(),
                })).collect::<Vec<_>>(),
                "lines": e.score_detail.lines.iter().map(|l| json!({
                    "item": name(&l.item), "kind": l.kind.label(), "points": l.points.to_string(), "reason": l.reason,
                })).collect::<Vec<_>>(),
            });
        }
    }
    page(
        "dashboard/unit.html",
        &json!({
            "user": user(&p, req), "key": k.as_str(), "title": board.programme.programme.title,
            "unit": code.to_string(), "name": u.name, "deadlines": deadlines, "filings": filings, "score": score,
            "may_file": may_file,
        }),
    )
}

#[handler]
pub async fn bulletins(req: &Request, Data(state): Data<&State>, Path(k): Path<String>) -> Response {
    let (p, k) = match user_and_key(req, state, &k).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let list = match bulletin_service::list(&state.store, &p, &k).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let title = state.store.programme(&k).await.ok().flatten().map(|s| s.programme.title).unwrap_or_default();
    let rows: Vec<Value> = list
        .iter()
        .map(|b| {
            json!({ "id": b.key, "title": b.title, "number": b.published.as_ref().map(|p| p.number),
                    "status": if b.is_published() { "published" } else { "draft" },
                    "period": b.period.to_string(), "published_at": b.published.as_ref().map(|p| chinese_date(local_day(p.at))) })
        })
        .collect();
    page(
        "dashboard/bulletins.html",
        &json!({ "user": user(&p, req), "key": k.as_str(), "title": title, "bulletins": rows }),
    )
}

#[handler]
pub async fn bulletin(req: &Request, Data(state): Data<&State>, Path(id): Path<String>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let b = match bulletin_service::get(&state.store, &p, &id).await {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    match render::bulletin(&b, Format::Html) {
        Ok(body) => html(StatusCode::OK, body),
        Err(e) => {
            tracing::error!(error = %e, "bulletin failed to render");
            message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", "通报生成失败，已记录。")
        }
    }
}
