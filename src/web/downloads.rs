//! What people take away from the pages: the spreadsheets (the buttons on the board, ranking and
//! reward pages: the same tables as the API's exports, XLSX or CSV, behind the session) and a
//! unit's calendar subscription (a secret URL for Outlook, WPS or a phone's calendar).

use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{failed, message, signed_in};
use crate::api::State;
use crate::api::download::{CSV, FileDownload, XLSX};
use crate::domain::access::{Access, Principal};
use crate::domain::bulletin::chinese_date;
use crate::domain::deadline::local_day;
use crate::domain::{Key, RegionCode, YearMonth};
use crate::render::table::Table;
use crate::service::exports;
use crate::store::rows::StoredUnit;

#[derive(Deserialize)]
pub struct ExportQuery {
    /// `xlsx` (the default) or `csv`.
    format: Option<String>,
    /// The ranking's month.
    period: Option<String>,
    /// The compliance table narrowed to a region.
    region: Option<String>,
    /// The reward allocation.
    id: Option<String>,
}

fn bad(what: &str, value: &str) -> Response {
    message(StatusCode::BAD_REQUEST, "下载条件有误", &format!("{what}“{value}”无法识别，请从页面上的按钮下载。"))
}

/// `GET /ui/p/:key/export/:what` with `what` = `ranking`, `compliance` or `reward`.
#[handler]
pub async fn export(
    req: &Request,
    Data(state): Data<&State>,
    Path((k, what)): Path<(String, String)>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(key) = Key::parse(&k) else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这个试点项目。");
    };
    let csv = match q.format.as_deref() {
        None | Some("xlsx") => false,
        Some("csv") => true,
        Some(other) => return bad("格式", other),
    };
    let store = &state.store;
    let (table, name) = match what.as_str() {
        "ranking" => {
            let text = q.period.as_deref().unwrap_or_default();
            let Ok(m) = YearMonth::parse(text) else { return bad("月份", text) };
            (exports::ranking_table(store, &p, &key, m, state.now()).await, format!("{key}-{m}-排名"))
        }
        "compliance" => {
            let region = match q.region.as_deref().filter(|r| !r.is_empty()) {
                None => None,
                Some(r) => match RegionCode::parse(r) {
                    Ok(c) => Some(c),
                    Err(_) => return bad("地区", r),
                },
            };
            (exports::compliance_table(store, &p, &key, region.as_ref(), state.now()).await, format!("{key}-报送情况"))
        }
        "reward" => {
            let id = q.id.as_deref().unwrap_or_default();
            (exports::reward_table(store, &p, &key, id).await, format!("{key}-奖补资金分配"))
        }
        _ => return message(StatusCode::NOT_FOUND, "未找到", "没有这个页面。"),
    };
    match table {
        Ok(t) => sheet(&t, csv, &name),
        Err(e) => failed(e),
    }
}

fn sheet(t: &Table, csv: bool, name: &str) -> Response {
    let file = if csv {
        FileDownload::attachment(t.to_csv().into_bytes(), CSV, &format!("{name}.csv"))
    } else {
        match t.to_xlsx() {
            Ok(bytes) => FileDownload::attachment(bytes, XLSX, &format!("{name}.xlsx")),
            Err(e) => {
                tracing::error!(error = %e, "xlsx for a page's download");
                return message(StatusCode::INTERNAL_SERVER_ERROR, "下载失败", "表格生成失败，已记录。");
            }
        }
    };
    let mut r = file.into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r
}

/// The unit page's calendar section: the feeds made (without their secrets) and whether this
/// account may make or revoke them.
pub(super) async fn unit_calendar(state: &State, p: &Principal, key: &Key, unit: &StoredUnit) -> Value {
    let may = unit.withdrawn.is_none() && p.check(Access::ManageFeed { unit_path: &unit.path }).is_ok();
    let feeds = match exports::feeds(&state.store, p, key, &unit.unit.region).await {
        Ok(f) => f,
        Err(_) => return Value::Null,
    };
    json!({
        "may": may,
        "feeds": feeds.iter().map(|f| json!({
            "id": f.key, "by": f.created_by, "at": chinese_date(local_day(f.created_at)), "revoked": f.revoked,
        })).collect::<Vec<_>>(),
    })
}

/// `POST /ui/p/:key/units/:region/calendar`: a new secret subscription URL for the unit's
/// deadlines, shown once on the page that answers (only its hash is kept).
pub(super) async fn new_feed(req: &Request, state: &State, p: &Principal, key: &Key, unit: &RegionCode) -> Response {
    match exports::create_feed(&state.store, p, key, unit, state.now()).await {
        Ok((_, token)) => {
            let url = state.site.absolute(req.header(header::HOST), &format!("/api/v1/feeds/{token}"));
            let name = state.store.unit(key, unit).await.ok().flatten().map(|u| u.name).unwrap_or_default();
            super::pages::page(
                "dashboard/calendar.html",
                &json!({ "user": super::pages::user(state, p, req).await, "key": key.as_str(),
                         "unit": unit.to_string(), "name": name, "url": url }),
            )
        }
        Err(e) => failed(e),
    }
}

/// `POST /ui/calendar-feeds/:id/revoke`: the URL answers 404 from now on.
#[handler]
pub async fn revoke(req: &Request, Data(state): Data<&State>, Path(id): Path<String>, body: String) -> Response {
    let (p, _) = match super::fields::posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    match exports::revoke_feed(&state.store, &p, &id, state.now()).await {
        Ok(f) => super::redirect(&format!("/ui/p/{}/units/{}?done=feed_revoked#calendar", f.programme, f.unit)),
        Err(e) => failed(e),
    }
}
