//! Bulletins (通报) on the pages: the archive by number, a draft for a month or a stage about the
//! programme or one of its cities, the draft's title and remarks (工作要求) edited, the preview as
//! it will print, publishing under the next number, and the document in every format. Through
//! `service::bulletins`, as the API: the same permission checks and the same stale-revision
//! refusals.

use chrono::Datelike;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::fields::{Fields, posted_fields};
use super::pages::{page, user};
use super::{failed, html, message, redirect, signed_in};
use crate::api::State;
use crate::api::download::FileDownload;
use crate::domain::access::{Access, Principal};
use crate::domain::bulletin::{Bulletin, Edit, Kind, Period, Style, chinese_date};
use crate::domain::deadline::{YearMonth, local_day};
use crate::domain::{DomainError, Key, RegionCode};
use crate::render::{self, Format};
use crate::service::bulletins as service;
use crate::service::error::ServiceError;

fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "未找到", "没有这个试点项目。")
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

/// What a bulletin's period is called on the pages: 2019年5月, or the stage's name.
fn period_label(b: &Bulletin, stages: &[crate::domain::programme::Stage]) -> String {
    match &b.period {
        Period::Month(m) => m.chinese(),
        Period::Stage(k) => stages.iter().find(|s| &s.key == k).map(|s| s.name.clone()).unwrap_or(k.to_string()),
    }
}

/// `GET /ui/p/:key/bulletins`: the archive (published by number, newest first; drafts above),
/// and the form for a new draft to those who may write bulletins.
#[handler]
pub async fn archive(
    req: &Request,
    Data(state): Data<&State>,
    Path(k): Path<String>,
    Query(q): Query<Notice>,
) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(k) = Key::parse(&k) else { return not_found() };
    let mut list = match service::list(&state.store, &p, &k).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let (stored, parts) = match state.store.board_parts(&k).await {
        Ok(x) => x,
        Err(e) => return failed(e.into()),
    };
    let prog = &stored.programme;
    list.sort_by_key(|b| (b.published.as_ref().map(|p| std::cmp::Reverse(p.number)), std::cmp::Reverse(b.created_at)));
    let rows: Vec<Value> = list
        .iter()
        .map(|b| {
            json!({ "id": b.key, "title": b.title, "number": b.published.as_ref().map(|p| p.number),
                    "period": period_label(b, &parts.stages), "kind": if b.kind() == Kind::Monthly { "月度" } else { "阶段" },
                    "published_at": b.published.as_ref().map(|p| chinese_date(local_day(p.at))) })
        })
        .collect();
    let may_write = p.check(Access::WriteBulletin { region_path: &prog.scope.implied_path() }).is_ok();
    // The months of the programme up to this one (the last month first: a monthly bulletin is
    // drafted for the month just ended), its stages, and the cities that hold its units.
    let mut months = Vec::new();
    if may_write {
        let today = local_day(state.now());
        let (first, last) = (prog.period.first(), prog.period.last().min(today));
        let mut m = YearMonth { year: first.year(), month: first.month() };
        let end = YearMonth { year: last.year(), month: last.month() };
        while m <= end {
            months.push(m);
            m = m.next();
        }
        months.reverse();
    }
    let default_month = service::last_month(state.now());
    let mut cities: Vec<RegionCode> =
        parts.units.iter().filter_map(|u| u.path.get(prog.scope.implied_path().len()).cloned()).collect();
    cities.sort();
    cities.dedup();
    let names = match state.store.regions(&cities).await {
        Ok(r) => r,
        Err(e) => return failed(e.into()),
    };
    let scope_name = state.store.region(&prog.scope).await.ok().flatten().map(|r| r.name).unwrap_or_default();
    let style = match state.store.bulletin_style(&k).await {
        Ok(s) => s,
        Err(e) => return failed(e.into()),
    };
    page(
        "dashboard/bulletins.html",
        &json!({
            "user": user(state, &p, req).await, "key": k.as_str(), "title": prog.title, "bulletins": rows,
            "may_write": may_write,
            "style": {
                "number_pattern": style.number_pattern.as_ref().map(|p| p.as_str()),
                "example": style.number_pattern.as_ref().map(|p| p.format(local_day(state.now()).year(), crate::domain::bulletin::next_number(&list))),
                "addressee": style.addressee.clone().unwrap_or_default(),
                "default_addressee": crate::domain::bulletin::addressee(prog.unit_level),
                "copy_to": style.copy_to.clone().unwrap_or_default(),
            },
            "notice": (q.done.as_deref() == Some("style")).then_some("通报格式已保存，新起草的通报按此编排；已印发的通报不变。"),
            "months": months.iter().map(|m| json!({ "value": m.to_string(), "label": m.chinese(), "selected": *m == default_month })).collect::<Vec<_>>(),
            "stages": parts.stages.iter().map(|s| json!({ "key": s.key.as_str(), "name": s.name })).collect::<Vec<_>>(),
            "regions": std::iter::once(json!({ "code": "", "name": format!("{scope_name}（全项目）") }))
                .chain(names.iter().filter(|r| may_write_about(&p, &r.code)).map(|r| json!({ "code": r.code.to_string(), "name": r.name })))
                .collect::<Vec<_>>(),
        }),
    )
}

fn may_write_about(p: &Principal, region: &RegionCode) -> bool {
    p.check(Access::WriteBulletin { region_path: &region.implied_path() }).is_ok()
}

/// `POST /ui/p/:key/bulletins`: a draft for the month or stage chosen (an open draft for the same
/// period and region is recomputed, keeping its remarks).
#[handler]
pub async fn draft(req: &Request, Data(state): Data<&State>, Path(k): Path<String>, body: String) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(key) = Key::parse(&k) else { return not_found() };
    let made = async {
        let period = match f.get("kind") {
            "stage" => Period::new(Kind::Stage, f.get("stage"))?,
            _ => Period::new(Kind::Monthly, f.get("month"))?,
        };
        let region = match f.optional("region") {
            None => None,
            Some(r) => Some(RegionCode::parse(&r).map_err(|e| DomainError::invalid("region", e.to_string()))?),
        };
        service::draft(&state.store, Some(&p), &key, &service::Request { period, region }, state.now()).await
    };
    match made.await {
        Ok(b) => redirect(&format!("/ui/bulletins/{}?done=drafted", b.key)),
        Err(e) => failed(e),
    }
}

/// The signed-in account and the bulletin it may read, or the page to answer with instead.
async fn readable(req: &Request, state: &State, id: &str) -> Result<(Principal, Bulletin), Response> {
    let p = signed_in(req, state).await?;
    let b = service::get(&state.store, &p, id).await.map_err(failed)?;
    Ok((p, b))
}

/// `GET /ui/bulletins/:id`: the bulletin's page — the print preview, the downloads, and for a
/// draft the edit and publish forms.
#[handler]
pub async fn bulletin(
    req: &Request,
    Data(state): Data<&State>,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> Response {
    let (p, b) = match readable(req, state, &id).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let stages = match state.store.board_parts(&b.programme).await {
        Ok((_, parts)) => parts.stages.clone(),
        Err(e) => return failed(e.into()),
    };
    let title = state.store.programme(&b.programme).await.ok().flatten().map(|s| s.programme.title).unwrap_or_default();
    let may_write = b.published.is_none() && p.check(Access::WriteBulletin { region_path: &b.region_path }).is_ok();
    // The number it will take: one more than the programme's last.
    let next = match state.store.bulletins(&b.programme).await {
        Ok(all) => crate::domain::bulletin::next_number(&all),
        Err(e) => return failed(e.into()),
    };
    let mut r = page(
        "dashboard/bulletin.html",
        &json!({
            "user": user(state, &p, req).await, "key": b.programme.as_str(), "title": title,
            "id": b.key, "bulletin_title": b.title, "remarks": b.remarks, "revision": b.revision,
            "addressee": b.content.addressee, "copy_to": b.content.copy_to, "doc_number": b.content.doc_number,
            "period": period_label(&b, &stages), "number": b.published.as_ref().map(|p| p.number), "next": next,
            "published_at": b.published.as_ref().map(|p| chinese_date(local_day(p.at))),
            "drafted_at": chinese_date(local_day(b.created_at)),
            "may_write": may_write, "ranked": !b.content.ranking.is_empty(),
            "notice": match q.done.as_deref() {
                Some("drafted") => Some("草稿已生成。可修改标题、填写工作要求，预览无误后发布。".to_owned()),
                Some("edited") => Some("草稿已保存。".to_owned()),
                Some("published") => b.published.as_ref().map(|p| format!("已印发，编为第{}期。", p.number)),
                _ => None,
            },
        }),
    );
    // The page frames its own print preview (and nothing else).
    r.headers_mut().insert(
        "Content-Security-Policy",
        header::HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    r
}

/// `POST /ui/bulletins/:id/:act`: `edit` (title and remarks) or `publish` (after a confirmation),
/// each on the revision the page showed.
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
    let done = match act.as_str() {
        "edit" => edit(state, &p, &id, revision, &f).await.map(|_| "edited"),
        "publish" if f.get("confirm") != "yes" => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "尚未确认",
                "印发后通报即编号并冻结，请勾选确认后再发布。",
            );
        }
        "publish" => service::publish(&state.store, &p, &id, revision, state.now()).await.map(|_| "published"),
        _ => return super::work::unreadable(),
    };
    match done {
        Ok(d) => redirect(&format!("/ui/bulletins/{id}?done={d}")),
        Err(e) => failed(e),
    }
}

async fn edit(state: &State, p: &Principal, id: &str, revision: u32, f: &Fields) -> Result<Bulletin, ServiceError> {
    let edit = Edit {
        title: Some(f.get("title")),
        remarks: Some(f.get("remarks")),
        addressee: Some(f.get("addressee")),
        copy_to: Some(f.get("copy_to")),
    };
    service::edit(&state.store, p, id, revision, &edit, state.now()).await
}

#[derive(Deserialize)]
pub struct DocumentQuery {
    format: Option<String>,
    download: Option<String>,
}

/// `GET /ui/bulletins/:id/document`: the bulletin as it prints (A4 HTML; the bulletin page
/// frames it), or as Markdown or plain text to download.
#[handler]
pub async fn document(
    req: &Request,
    Data(state): Data<&State>,
    Path(id): Path<String>,
    Query(q): Query<DocumentQuery>,
) -> Response {
    let (_, b) = match readable(req, state, &id).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let (format, ctype, ext) = match q.format.as_deref().unwrap_or("html") {
        "html" => (Format::Html, "text/html; charset=utf-8", "html"),
        "markdown" => (Format::Markdown, "text/markdown; charset=utf-8", "md"),
        "text" => (Format::Text, "text/plain; charset=utf-8", "txt"),
        "docx" => {
            return match render::bulletin_docx(&b) {
                Ok(bytes) => download(bytes, render::docx::CONTENT_TYPE, &b.file_name("docx")),
                Err(e) => rendering_failed(&e),
            };
        }
        other => {
            return message(
                StatusCode::BAD_REQUEST,
                "格式有误",
                &format!("没有“{other}”这种格式，可选 html、docx、markdown、text。"),
            );
        }
    };
    let text = match render::bulletin(&b, format) {
        Ok(t) => t,
        Err(e) => return rendering_failed(&e),
    };
    if format == Format::Html && q.download.is_none() {
        // Shown in the bulletin page's frame, or on its own to print.
        let mut r = html(StatusCode::OK, text);
        let h = r.headers_mut();
        h.insert(
            "Content-Security-Policy",
            header::HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
            ),
        );
        h.insert("X-Frame-Options", header::HeaderValue::from_static("SAMEORIGIN"));
        return r;
    }
    download(text.into_bytes(), ctype, &b.file_name(ext))
}

fn rendering_failed(e: &str) -> Response {
    tracing::error!(error = %e, "bulletin failed to render");
    message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", "通报生成失败，已记录。")
}

/// A file to save, never cached (a draft changes).
fn download(bytes: Vec<u8>, ctype: &str, name: &str) -> Response {
    let mut r = FileDownload::attachment(bytes, ctype, name).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r
}

/// `POST /ui/p/:key/bulletin-style`: how the programme's bulletins are headed (发文字号 pattern,
/// 主送, 抄送). A refused pattern comes back in the form with the reason.
#[handler]
pub async fn set_style(req: &Request, Data(state): Data<&State>, Path(k): Path<String>, body: String) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(key) = Key::parse(&k) else { return not_found() };
    let set = async {
        let style = Style::parse(f.get("number_pattern"), f.get("addressee"), f.get("copy_to"))?;
        service::set_style(&state.store, &p, &key, &style, state.now()).await
    };
    match set.await {
        Ok(_) => redirect(&format!("/ui/p/{key}/bulletins?done=style")),
        Err(e) => failed(e),
    }
}
