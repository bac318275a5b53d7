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
use crate::domain::access::{Access, Principal};
use crate::domain::bulletin::{RankLine, chinese_date};
use crate::domain::deadline::{YearMonth, local_day};
use crate::domain::{Key, RegionCode, Status};
use crate::render::{self, arrow, charts};
use crate::service::board::{Filter, deadline_board};
use crate::service::bulletins as bulletin_service;
use crate::service::filings::ServiceError;
use crate::service::scoring;

/// Rows on one page of the board.
const BOARD_ROWS: usize = 100;

/// The signed-in account as the header shows it, with the token its forms carry and its unread
/// messages (the header's count; a failed count is logged and shown as none, never a failed page).
pub(super) async fn user(state: &State, p: &Principal, req: &Request) -> Value {
    let unread = match state.store.unread_count(&p.username).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "unread count for the header");
            0
        }
    };
    json!({ "username": p.username, "name": p.display_name, "role": p.role.label(), "region": p.region.to_string(),
            "csrf": super::form_token(req), "reviews": p.is_reviewer(), "unread": unread,
            "audits": p.check(Access::ReadAudit).is_ok() })
}

/// Days left as a row says it: 剩3天, 今日到期, 逾期2天 (— once met).
pub(super) fn days_text(s: crate::domain::deadline::Standing) -> String {
    match s.status {
        Status::Done => "—".to_owned(),
        Status::Overdue => format!("逾期{}天", -s.days_left),
        _ if s.days_left == 0 => "今日到期".to_owned(),
        _ => format!("剩{}天", s.days_left),
    }
}

pub(super) fn light(s: Status) -> (&'static str, &'static str) {
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

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    region: Option<String>,
    status: Option<String>,
    deliverable: Option<String>,
    /// A day (2022-09-30): the board as it stood at that day's end.
    as_of: Option<String>,
    page: Option<usize>,
}

impl BoardQuery {
    /// This query with another page (or status), as a link keeps it.
    fn link(&self, key: &Key, page: usize, status: Option<&str>) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (name, v) in [("as_of", &self.as_of), ("region", &self.region), ("deliverable", &self.deliverable)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(name, v);
            }
        }
        if let Some(s) = status.filter(|s| !s.is_empty()) {
            q.append_pair("status", s);
        }
        if page > 1 {
            q.append_pair("page", &page.to_string());
        }
        let q = q.finish();
        if q.is_empty() { format!("/ui/p/{key}") } else { format!("/ui/p/{key}?{q}") }
    }
}

/// A filter the page cannot read: the board page again would only repeat it, so say which.
fn bad_filter(what: &str, value: &str) -> Response {
    message(StatusCode::BAD_REQUEST, "筛选条件有误", &format!("{what}“{value}”无法识别，请从页面上的选项中选择。"))
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
    let blank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    // The badges count every light; the status asked for only narrows the table.
    let want = match blank(&q.status).as_deref() {
        None => None,
        Some("red") => Some(Status::Overdue),
        Some("yellow") => Some(Status::DueSoon),
        Some("green") => Some(Status::Upcoming),
        Some("done") => Some(Status::Done),
        Some(other) => return bad_filter("状态", other),
    };
    let region = match blank(&q.region) {
        None => None,
        Some(r) => match RegionCode::parse(&r) {
            Ok(c) => Some(c),
            Err(_) => return bad_filter("地区", &r),
        },
    };
    let deliverable = match blank(&q.deliverable) {
        None => None,
        Some(d) => match Key::parse(&d) {
            Ok(k) => Some(k),
            Err(_) => return bad_filter("报送材料", &d),
        },
    };
    let as_of = match blank(&q.as_of) {
        None => now(state),
        Some(d) => match d.parse::<chrono::NaiveDate>() {
            // The end of that day in Beijing: what was due on it is not yet late.
            Ok(day) => crate::domain::deadline::due_instant(day) - chrono::Duration::seconds(1),
            Err(_) => return bad_filter("日期", &d),
        },
    };
    let filter = Filter { region: region.clone(), status: None, deliverable: deliverable.clone() };
    let board = match deadline_board(&state.store, &k, as_of, &filter, &p).await {
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
    // The review marks need the filings of the board's units only (a city's of a national year).
    let mut units: Vec<&RegionCode> = board.rows.iter().map(|r| &board.unit(r).region).collect();
    units.sort();
    units.dedup();
    let filings = match crate::service::filings::register_of(&state.store, &k, &units, board.parts.units.len()).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let pages = rows.len().div_ceil(BOARD_ROWS).max(1);
    let at = q.page.unwrap_or(1).clamp(1, pages);
    // Live supervision orders, marked on their deadline's row and counted by colour.
    let orders: Vec<crate::domain::supervision::Order> =
        match crate::service::supervision::list(&state.store, &p, &k, None).await {
            Ok(all) => all.into_iter().filter(|o| o.is_live()).collect(),
            Err(e) => return failed(e),
        };
    let order_of = |region: &RegionCode, d: &Key, occurrence: &str| {
        orders.iter().find(|o| &o.unit == region && &o.item.deliverable == d && o.item.occurrence == occurrence)
    };
    let shown: Vec<Value> = rows
        .iter()
        .skip((at - 1) * BOARD_ROWS)
        .take(BOARD_ROWS)
        .map(|r| {
            let (u, d, o) = (board.unit(r), board.deliverable(r), board.occurrence(r));
            let filed = filings.find(&u.region, d.key.as_str(), &o.key).map(|f| f.state);
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
                "order": order_of(&u.region, &d.key, &o.key).map(|x| json!({
                    "number": x.number, "colour": x.colour.label(), "class": x.colour.as_str(), "state": x.state.label(),
                })),
            })
        })
        .collect();
    let count = |c: crate::domain::supervision::Colour| orders.iter().filter(|o| o.colour == c).count();
    // The picker offers the regions one and two levels below the viewer's own (a province's
    // cities and counties, a city's counties and townships) that hold units it may read, in code
    // order (a parent's code sorts before its children's), and the region asked for. Deeper ones
    // are reached from there: a national programme's 38,000 townships are not one list.
    let mut within: std::collections::BTreeMap<RegionCode, usize> = std::collections::BTreeMap::new();
    for u in board.parts.units.iter().filter(|u| p.can_read_unit(&u.path)) {
        let from = u.path.iter().position(|r| *r == p.region).map_or(0, |i| i + 1);
        for (below, r) in u.path[from..].iter().enumerate().take(2) {
            within.entry(r.clone()).or_insert(below);
        }
    }
    if let Some(r) = &region {
        within.entry(r.clone()).or_insert(0);
    }
    let codes: Vec<RegionCode> = within.keys().cloned().collect();
    let names: std::collections::HashMap<RegionCode, String> = match state.store.regions(&codes).await {
        Ok(rs) => rs.into_iter().map(|r| (r.code, r.name)).collect(),
        Err(e) => return failed(e.into()),
    };
    let regions: Vec<Value> = within
        .iter()
        .map(|(c, below)| {
            let name = names.get(c).cloned().unwrap_or_else(|| c.to_string());
            json!({ "code": c.to_string(), "name": format!("{}{name}", "\u{3000}".repeat(*below)),
                    "selected": region.as_ref() == Some(c) })
        })
        .collect();
    let deliverables: Vec<Value> = board
        .parts
        .deliverables
        .iter()
        .map(|d| json!({ "key": d.key.as_str(), "title": d.title, "selected": deliverable.as_ref() == Some(&d.key) }))
        .collect();
    let statuses = [("red", "红（逾期）"), ("yellow", "黄（临近）"), ("green", "绿（未到期）"), ("done", "已报送")]
        .map(|(value, label)| json!({ "value": value, "label": label }));
    let prog = &board.programme.programme;
    let status = blank(&q.status);
    let links = json!({
        "red": q.link(&k, 1, Some("red")), "yellow": q.link(&k, 1, Some("yellow")), "green": q.link(&k, 1, Some("green")),
        "done": q.link(&k, 1, Some("done")), "all": q.link(&k, 1, None),
        "prev": (at > 1).then(|| q.link(&k, at - 1, status.as_deref())),
        "next": (at < pages).then(|| q.link(&k, at + 1, status.as_deref())),
    });
    page(
        "dashboard/programme.html",
        &json!({
            "user": user(state, &p, req).await, "key": k.as_str(), "title": prog.title, "issuer": prog.issuer,
            "summary": prog.summary, "as_of": chinese_date(local_day(board.as_of)),
            "as_of_value": local_day(board.as_of).to_string(),
            "done": board.total(Status::Done), "green": board.total(Status::Upcoming),
            "yellow": board.total(Status::DueSoon), "red": board.total(Status::Overdue),
            "rows": shown, "count": rows.len(), "page": at, "pages": pages, "links": links,
            "units": board.parts.units.len(),
            "status": status, "filtered": region.is_some() || deliverable.is_some() || want.is_some(),
            "region_value": region.as_ref().map(|r| r.to_string()).unwrap_or_default(),
            "regions": regions, "deliverables": deliverables,
            "statuses": statuses,
            "may_define": p.check(Access::DefineProgramme { scope_path: &prog.scope.implied_path() }).is_ok(),
            "orders": { "live": orders.len(), "red": count(crate::domain::supervision::Colour::Red),
                        "yellow": count(crate::domain::supervision::Colour::Yellow), "blue": count(crate::domain::supervision::Colour::Blue) },
        }),
    )
}

#[derive(Deserialize)]
pub struct RankingQuery {
    period: Option<String>,
    /// The unit page's one-time notice after a change (post/redirect/get).
    done: Option<String>,
    /// The ranking page's: the version just published.
    published: Option<u32>,
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
    let (title, scope) = match state.store.programme(&k).await {
        Ok(Some(s)) => (s.programme.title, s.programme.scope),
        Ok(None) => return failed(ServiceError::Hidden(k.to_string())),
        Err(e) => return failed(e.into()),
    };
    let scheme = match state.store.scheme(&k).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return page(
                "dashboard/ranking.html",
                &json!({ "user": user(state, &p, req).await, "key": k.as_str(), "title": title, "unscored": true }),
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
    let versions = match scoring::ranking_versions(&state.store, &k, month).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let lines: Vec<RankLine> = r.entries.iter().map(RankLine::from).collect();
    let trend = match bulletin_service::score_trends(&state.store, &k, scheme.ranking_from, month, &lines).await {
        Ok(t) => charts::score_trend(&t),
        Err(e) => return failed(e),
    };
    let rows: Vec<Value> = lines
        .iter()
        .zip(&r.entries)
        .map(|(l, e)| {
            let a = arrow(l.change);
            // Each item's score in the scheme's order (a deducted item marked), then the bonus.
            let items: Vec<Value> = scheme
                .items
                .iter()
                .map(|i| match e.score_detail.items.iter().find(|(k, ..)| k == &i.key) {
                    Some((_, _, deducted, got)) => json!({ "score": got.to_string(), "deducted": deducted.0 > 0 }),
                    None => json!({ "score": "—", "deducted": false }),
                })
                .collect();
            json!({ "rank": l.rank, "unit": l.unit, "name": l.name, "score": l.score,
                    "change": a, "up": a.starts_with('↑'), "down": a.starts_with('↓'),
                    "items": items, "bonus": e.score_detail.bonus.to_string() })
        })
        .collect();
    page(
        "dashboard/ranking.html",
        &json!({
            "user": user(state, &p, req).await, "key": k.as_str(), "title": title, "unscored": false,
            "period": month.to_string(), "label": month.chinese(),
            "version": r.version, "published_at": r.published_at.map(crate::api::common::shanghai),
            "months": months.iter().map(|m| json!({ "period": m.to_string(), "label": m.chinese(), "published": published.contains(m) })).collect::<Vec<_>>(),
            "rows": rows, "trend_svg": trend,
            "items": scheme.items.iter().map(|i| json!({ "name": i.name, "full": i.full.to_string() })).collect::<Vec<_>>(), "versions": super::monthly::versions_side_by_side(&versions),
            "may_publish": p.check(Access::DefineProgramme { scope_path: &scope.implied_path() }).is_ok(),
            "notice": q.published.map(|v| if v > 1 { format!("已发布更正版（第{v}版）。") } else { "已发布，排名已冻结。".to_owned() }),
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
    let mine: Vec<crate::domain::filing::Filing> = match state.store.unit_filings(&k, &[&code]).await {
        Ok(mine) => mine,
        Err(e) => return failed(e.into()),
    };
    let may_file = u.withdrawn.is_none() && p.check(Access::File { unit_path: &u.path }).is_ok();
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
    // Overdue and not submitted: what a supervision order may be issued for.
    let overdue: Vec<(String, String, String, String)> = board
        .rows
        .iter()
        .filter(|r| r.standing.status == Status::Overdue)
        .map(|r| {
            let (d, o) = (board.deliverable(r), board.occurrence(r));
            (d.key.to_string(), o.key.clone(), d.title.clone(), o.due_text.clone())
        })
        .collect();
    let orders = match super::supervision::unit_orders(state, &p, &k, &code, &u.path, &overdue).await {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
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
            // Where each line comes from: a manual line's evidence; an automatic line's filing
            // (a late one; a missing one has none).
            let adjustments = match state.store.adjustments(&k).await {
                Ok(a) => a,
                Err(e) => return failed(e.into()),
            };
            let source = |id: &str| -> Value {
                use crate::domain::scoring::{AutoLineId, Evidence};
                if let Some(auto) = AutoLineId::parse(id) {
                    return match mine
                        .iter()
                        .find(|f| f.deliverable.as_str() == auto.deliverable && f.occurrence == auto.occurrence)
                    {
                        Some(f) => json!({ "filing": f.key, "text": f.title }),
                        None => Value::Null,
                    };
                }
                match adjustments.iter().find(|a| a.key == id).and_then(|a| a.evidence.as_ref()) {
                    Some(Evidence::Filing(key)) => json!({
                        "filing": key,
                        "text": mine.iter().find(|f| &f.key == key).map_or(key.clone(), |f| f.title.clone()),
                    }),
                    Some(Evidence::Document(d)) => json!({ "text": format!("依据：{d}") }),
                    Some(Evidence::Note(n)) => json!({ "text": format!("说明：{n}") }),
                    None => Value::Null,
                }
            };
            score = json!({
                "period": month.to_string(), "label": month.chinese(), "rank": e.rank, "total": e.score.to_string(),
                "bonus": e.score_detail.bonus.to_string(),
                "items": e.score_detail.items.iter().map(|(item, full, deducted, got)| json!({
                    "name": name(item), "full": full.to_string(), "deducted": deducted.to_string(), "score": got.to_string(),
                })).collect::<Vec<_>>(),
                "lines": e.score_detail.lines.iter().map(|l| json!({
                    "id": l.id, "item": name(&l.item), "kind": l.kind.label(), "points": l.points.to_string(), "reason": l.reason,
                    "source": source(&l.id),
                    "deduction": l.kind == crate::domain::scoring::AdjustmentKind::Deduction,
                })).collect::<Vec<_>>(),
            });
        }
    }
    page(
        "dashboard/unit.html",
        &json!({
            "user": user(state, &p, req).await, "key": k.as_str(), "title": board.programme.programme.title,
            "unit": code.to_string(), "name": u.name, "deadlines": deadlines, "filings": filings, "score": score,
            "may_file": may_file, "admin": super::manage::unit_context(state, &p, &board.programme.programme, &u).await,
            "monthly": super::monthly::unit_scores(state, &p, &k, &u, &mine).await,
            "calendar": super::downloads::unit_calendar(state, &p, &k, &u).await,
            "orders": orders,
            "notice": match q.done.as_deref() {
                Some("order_issued") => Some("督办单已发出，单位负责人将收到提醒。"),
                Some("order_answer") => Some("办理情况已反馈，等待督办单位销号。"),
                Some("order_close") => Some("督办单已销号。"),
                Some("order_escalate") => Some("督办单已升级，转由上一级督办。"),
                Some("withdrawn") => Some("已办理退出试点。该单位的报送材料和记录均保留。"),
                Some("reinstated") => Some("已恢复为试点单位。"),
                Some("changed") => Some("试点单位信息已保存。"),
                Some("adjusted") => Some("加减分已记入，得分已更新。"),
                Some("appealed") => Some("申诉已提交，等待复核。"),
                Some("decided") => Some("复核结论已作出，为最终结论；得分已按结论更新。"),
                Some("feed_revoked") => Some("该订阅链接已停用，订阅了它的日历将不再更新。"),
                _ => None,
            },
        }),
    )
}
