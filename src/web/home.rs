//! The home page: what awaits the signed-in account. A unit lead sees the 督办单 awaiting its
//! answer, its returned filings, its next deadlines and drafts, and its latest score; a reviewer its queue at its level; reviewers,
//! administrators and leaders a roll-up of each running programme by the regions one level below
//! theirs (a province's cities, a city's counties). Every count links to the list behind it.

use std::collections::HashMap;

use poem::web::Data;
use poem::{Request, Response, handler};
use serde_json::{Value, json};

use super::pages::{days_text, light, page, user};
use super::{failed, signed_in};
use crate::api::State;
use crate::domain::access::{Access, Principal, Role};
use crate::domain::board::tally_by_group;
use crate::domain::bulletin::chinese_date;
use crate::domain::deadline::local_day;
use crate::domain::filing::FilingState;
use crate::domain::supervision::State as OrderState;
use crate::domain::{RegionCode, Status};
use crate::render::arrow;
use crate::service::board::{Board, Filter, deadline_board};
use crate::service::filings::{ServiceError, review_queue};
use crate::service::supervision;

/// At most this many items in "我的待办"; the unit page lists the rest.
const MINE: usize = 8;

#[handler]
pub async fn home(req: &Request, Data(state): Data<&State>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match build(state, &p).await {
        Ok(mut ctx) => {
            ctx["user"] = user(state, &p, req).await;
            page("dashboard/home.html", &ctx)
        }
        Err(e) => failed(e),
    }
}

async fn build(state: &State, p: &Principal) -> Result<Value, ServiceError> {
    let now = state.now();
    let today = local_day(now);
    let (all, _) = state.store.programmes(0, 1000).await?;
    let mut programmes = Vec::new();
    let mut mine: Vec<((u8, i64), Value)> = Vec::new();
    let mut scores = Vec::new();
    let mut rollups = Vec::new();
    for s in all {
        let prog = &s.programme;
        let reach = state.store.recent_reach(&prog.key).await?.unwrap_or_default();
        if p.check(Access::ReadProgramme { reach: &reach }).is_err() {
            continue;
        }
        let board = deadline_board(&state.store, &prog.key, now, &Filter::default(), p).await?;
        let own = board.parts.units.iter().find(|u| u.region == p.region);
        // A programme that has ended awaits nothing more of its deadlines; what was returned or
        // left as a draft still does.
        let running = prog.period.last() >= today;
        if let Some(u) = own {
            mine.extend(lead_items(state, p, &board, &u.region, &u.name, running).await?);
            if let Some(r) = state.store.latest_ranking(&prog.key).await?
                && let Some(e) = r.entries.iter().find(|e| e.unit == p.region)
            {
                let change = arrow(e.change.map(|c| c as i32));
                scores.push(json!({
                    "programme": prog.title, "key": prog.key.as_str(), "period": r.period.chinese(),
                    "rank": e.rank, "of": r.entries.len(), "score": e.score.to_string(), "change": change,
                    "up": change.starts_with('↑'), "down": change.starts_with('↓'),
                    "link": format!("/ui/p/{}/units/{}", prog.key, u.region),
                }));
            }
        }
        // The roll-up is for those who watch many units, and for programmes still running.
        if p.role != Role::UnitLead && running {
            rollups.push(rollup(state, &board, p, now).await?);
        }
        programmes.push(json!({
            "key": prog.key.as_str(), "title": prog.title, "issuer": prog.issuer,
            "period": format!("{} — {}", chinese_date(prog.period.first()), chinese_date(prog.period.last())),
            "units": board.parts.units.iter().filter(|u| p.can_read_unit(&u.path)).count(),
            "done": board.total(Status::Done), "green": board.total(Status::Upcoming),
            "yellow": board.total(Status::DueSoon), "red": board.total(Status::Overdue),
            "my_unit": own.map(|u| json!({ "code": u.region.to_string(), "name": u.name })),
        }));
    }
    mine.sort_by_key(|(k, _)| *k);
    let more = mine.len().saturating_sub(MINE);
    let mine: Vec<Value> = mine.into_iter().take(MINE).map(|(_, v)| v).collect();
    let queue = if p.is_reviewer() {
        let waiting = review_queue(&state.store, p).await?;
        let mut by_action: Vec<(&'static str, usize)> = Vec::new();
        for w in &waiting {
            let label = w.filing.pending().map(|(_, s)| s.action.label()).unwrap_or("待定");
            match by_action.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => by_action.push((label, 1)),
            }
        }
        let oldest = waiting.iter().filter_map(|w| w.filing.last_submitted_at).min().map(local_day);
        Some(json!({
            "total": waiting.len(),
            "by_action": by_action.iter().map(|(l, n)| json!({ "label": format!("待{l}"), "count": n })).collect::<Vec<_>>(),
            "oldest_days": oldest.map(|d| (today - d).num_days().max(0)),
        }))
    } else {
        None
    };
    Ok(json!({
        "programmes": programmes, "today": chinese_date(today), "queue": queue, "mine": mine, "more": more,
        "scores": scores, "rollups": rollups,
    }))
}

/// A lead's own unit in one programme: the supervision orders awaiting its answer, what was
/// returned to it, its open deadlines (while the programme runs) and its drafts, each with the
/// key it is ordered by (orders first, soonest answer date first; then returned, due soon,
/// drafts, overdue, the rest).
async fn lead_items(
    state: &State,
    p: &Principal,
    board: &Board,
    unit: &RegionCode,
    name: &str,
    running: bool,
) -> Result<Vec<((u8, i64), Value)>, ServiceError> {
    let key = &board.programme.programme.key;
    let unit_page = format!("/ui/p/{key}/units/{unit}");
    let filings = state.store.unit_filings(key, &[unit]).await?;
    let filings: Vec<_> = filings.iter().collect();
    let mut out = Vec::new();
    let today = local_day(state.now());
    for o in supervision::list(&state.store, p, key, Some(unit)).await? {
        if o.state != OrderState::Open {
            continue;
        }
        let left = (o.respond_by - today).num_days();
        out.push((
            (0, left),
            json!({ "class": super::supervision::colour_class(o.colour), "light": format!("{}督办", o.colour.label()),
                    "what": format!("督办单第{}号：{}", o.number, o.item.title), "unit": name,
                    "programme": board.programme.programme.title,
                    "due": format!("请于{}前反馈办理情况", chinese_date(o.respond_by)),
                    "days": if left >= 0 { format!("还有{left}天") } else { format!("已超期{}天", -left) },
                    "link": format!("{unit_page}#order-{}", o.number) }),
        ));
    }
    let open =
        board.rows.iter().filter(|r| running && &board.unit(r).region == unit && r.standing.status != Status::Done);
    for r in open {
        let (d, o) = (board.deliverable(r), board.occurrence(r));
        // A deadline with an open filing is listed once, as that filing.
        if filings.iter().any(|f| f.deliverable == d.key && f.occurrence == o.key) {
            continue;
        }
        let (class, label) = light(r.standing.status);
        let order = match r.standing.status {
            Status::DueSoon => 2,
            Status::Overdue => 4,
            _ => 5,
        };
        out.push((
            (order, r.standing.days_left.abs()),
            json!({ "class": class, "light": label, "what": d.title, "unit": name, "programme": board.programme.programme.title,
                    "due": o.due_text, "days": days_text(r.standing), "link": format!("{unit_page}#d-{}-{}", d.key, o.key) }),
        ));
    }
    for f in filings.into_iter().filter(|f| f.state.is_open()) {
        let returned = f.state == FilingState::Returned;
        out.push((
            (if returned { 1 } else { 3 }, 0),
            json!({ "class": if returned { "red" } else { "yellow" }, "light": f.state.label(), "what": f.title,
                    "unit": name, "programme": board.programme.programme.title,
                    "due": f.returned_reason.as_ref().map(|r| format!("退回理由：{r}")),
                    "days": "", "link": format!("/ui/filings/{}", f.key) }),
        ));
    }
    Ok(out)
}

/// One running programme's board by the regions one level below the viewer's, with links to the
/// board narrowed to each.
async fn rollup(
    state: &State,
    board: &Board,
    p: &Principal,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, ServiceError> {
    let key = &board.programme.programme.key;
    let groups = tally_by_group(&board.rows, &board.parts.units, &board.expanded, &p.region, now);
    let codes: Vec<RegionCode> = groups.iter().map(|g| g.region.clone()).collect();
    let names: HashMap<RegionCode, String> =
        state.store.regions(&codes).await?.into_iter().map(|r| (r.code, r.name)).collect();
    let rows: Vec<Value> = groups
        .iter()
        .map(|g| {
            let board_of = format!("/ui/p/{key}?region={}", g.region);
            json!({
                "name": names.get(&g.region).cloned().unwrap_or_else(|| g.region.to_string()),
                "units": g.units, "units_overdue": g.units_overdue, "red": g.red, "yellow": g.yellow,
                "rate": g.on_time_permille().map(|m| format!("{}.{}%", m / 10, m % 10)),
                "all": board_of, "red_link": format!("{board_of}&status=red"), "yellow_link": format!("{board_of}&status=yellow"),
            })
        })
        .collect();
    Ok(json!({ "key": key.as_str(), "title": board.programme.programme.title, "groups": rows }))
}
