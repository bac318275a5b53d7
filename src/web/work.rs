//! The daily work in the browser: a lead opens the filing for a deadline, edits it, attaches
//! files and submits it; the level above finds it in its queue and approves (审定), files (备案)
//! or returns it (退回修改); everyone reads and clears their reminders. Every form carries the
//! session's form token and the filing's revision; every handler goes through the same services
//! and permission checks as the API and answers with a redirect (post/redirect/get) and a
//! one-time notice, or with a page saying what was refused and why.

use chrono::Utc;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Multipart, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::pages::{page, user};
use super::{failed, form_refused, message, redirect, signed_in};
use crate::api::State;
use crate::api::download::FileDownload;
use crate::domain::access::Access;
use crate::domain::bulletin::chinese_date;
use crate::domain::deadline::local_day;
use crate::domain::filing::{Decision, Filing};
use crate::domain::{Key, RegionCode, RouteAction};
use crate::service::filings::{self as service, NewFiling};

/// What a redirect after a change tells the next page (`?done=`), in the page's words.
fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "已创建草稿，请填写后提交。",
        "saved" => "已保存。",
        "attached" => "附件已上传。",
        "submitted" => "已提交，等待上级审核。",
        "approved" => "已审定通过。",
        "filed" => "已备案。",
        "returned" => "已退回修改，报送单位会看到退回理由。",
        "read" => "已标记为已读。",
        _ => return None,
    })
}

/// A form that carries the session's form token.
pub(super) trait Posted {
    fn csrf(&self) -> &str;
}

macro_rules! posted_forms {
    ($($form:ident),*) => {
        $(impl Posted for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })*
    };
}

pub(super) use posted_forms;

posted_forms!(OpenForm, EditForm, RevisionForm, ReviewForm, TokenForm);

/// The signed-in account and the form it posted, or the page to answer with instead: the login
/// page, a form that does not read, or one that no page of this server sent. Nothing is changed
/// in any of those cases.
pub(super) async fn posted<T: Posted>(
    req: &Request,
    state: &State,
    form: poem::Result<Form<T>>,
) -> Result<(crate::domain::access::Principal, T), Response> {
    let p = signed_in(req, state).await?;
    let Ok(Form(f)) = form else { return Err(unreadable()) };
    match form_refused(req, state, f.csrf()) {
        Some(page) => Err(page),
        None => Ok((p, f)),
    }
}

/// A form that does not read (fields missing, not a form): nothing is changed.
pub(super) fn unreadable() -> Response {
    message(StatusCode::BAD_REQUEST, "未能办理", "表单内容不完整，未作任何更改。请返回刷新页面后重新填写。")
}

fn day(t: chrono::DateTime<Utc>) -> String {
    chinese_date(local_day(t))
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct OpenForm {
    deliverable: String,
    occurrence: String,
    #[serde(default)]
    csrf: String,
}

/// Opens the filing of one deadline of a unit: the existing one, or a new draft.
#[handler]
pub async fn open_filing(
    req: &Request,
    Data(state): Data<&State>,
    Path((k, region)): Path<(String, String)>,
    f: poem::Result<Form<OpenForm>>,
) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let (Ok(k), Ok(unit), Ok(deliverable)) = (Key::parse(&k), RegionCode::parse(&region), Key::parse(&f.deliverable))
    else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这项截止事项。");
    };
    match state.store.filing_for(&k, &unit, &deliverable, &f.occurrence).await {
        Ok(Some(existing)) => {
            // Reading it checks the account may see it; the filing page shows what it may do.
            return match service::get(&state.store, &p, &existing.key).await {
                Ok(_) => redirect(&format!("/ui/filings/{}", existing.key)),
                Err(e) => failed(e),
            };
        }
        Ok(None) => {}
        Err(e) => return failed(e.into()),
    }
    let title = match state.store.deliverables(&k).await {
        Ok(all) => all.into_iter().find(|d| d.key == deliverable).map(|d| d.title).unwrap_or_default(),
        Err(e) => return failed(e.into()),
    };
    let new = NewFiling {
        programme: &k,
        unit: &unit,
        deliverable: &deliverable,
        occurrence: &f.occurrence,
        title: if title.is_empty() { "报送材料" } else { &title },
        body: "",
        idempotency_key: None,
    };
    match service::create(&state.store, &p, new, state.now()).await {
        Ok((created, _)) => redirect(&format!("/ui/filings/{}?done=created", created.key)),
        Err(e) => failed(e),
    }
}

/// The filing page: its text, attachments, route and history; the forms the viewer may use.
#[handler]
pub async fn filing(
    req: &Request,
    Data(state): Data<&State>,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = match service::get(&state.store, &p, &id).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    render_filing(req, state, &p, &f, notice(q.done.as_deref()), None).await
}

/// The filing page, with a notice of what just happened or a refusal to show above the forms.
async fn render_filing(
    req: &Request,
    state: &State,
    p: &crate::domain::access::Principal,
    f: &Filing,
    notice: Option<&str>,
    refusal: Option<(&str, Option<&str>)>,
) -> Response {
    let store = &state.store;
    let loaded = tokio::try_join!(
        store.programme_required(&f.programme),
        store.deliverables(&f.programme),
        store.stages(&f.programme),
        store.units(&f.programme),
        store.filing_versions(&f.key),
        store.reviews(&f.key),
    );
    let (programme, deliverables, stages, units, versions, reviews) = match loaded {
        Ok(x) => x,
        Err(e) => return failed(e.into()),
    };
    let mut attachments = Vec::new();
    for a in &f.attachments {
        match store.attachment(a, false).await {
            Ok(Some((a, _))) => attachments.push(json!({
                "key": a.key, "filename": a.filename, "size": human_size(a.size as u64), "uploaded": day(a.uploaded_at),
            })),
            Ok(None) => {}
            Err(e) => return failed(e.into()),
        }
    }
    let d = deliverables.iter().find(|d| d.key == f.deliverable);
    let due = crate::domain::programme::due_on(&deliverables, &stages, f.deliverable.as_str(), &f.occurrence);
    let due_text = d
        .and_then(|d| d.deadline.occurrences(&stages).ok())
        .and_then(|os| os.into_iter().find(|o| o.key == f.occurrence))
        .map(|o| o.due_text)
        .unwrap_or_default();
    let unit_name = units.iter().find(|u| u.unit.region == f.unit).map(|u| u.name.clone()).unwrap_or_default();
    let may_file = p.check(Access::File { unit_path: &f.unit_path }).is_ok() && f.state.is_open();
    let pending = f.pending();
    let may_review =
        pending.is_some_and(|(_, s)| p.check(Access::Review { unit_path: &f.unit_path, level: s.level }).is_ok());
    let route: Vec<Value> = f
        .route
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({ "level": s.level.label(), "action": s.action.label(),
                    "current": pending.is_some_and(|(at, _)| at == i) })
        })
        .collect();
    let timeliness = due.map(|d| crate::domain::filing::timeliness(d, f.first_submitted_at, state.now()).label());
    let limit = state.site.attachment_limit;
    // People by the names their accounts carry (闽侯县民政局), the username only as a tooltip.
    let mut names: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for who in versions.iter().map(|v| v.submitted_by.as_str()).chain(reviews.iter().map(|r| r.reviewer.as_str())) {
        if !names.contains_key(who) {
            let name = match store.user(who).await {
                Ok(Some(u)) => u.display_name,
                Ok(None) => who.to_owned(),
                Err(e) => return failed(e.into()),
            };
            names.insert(who, name);
        }
    }
    let name = |who: &str| names.get(who).cloned().unwrap_or_else(|| who.to_owned());
    page(
        "dashboard/filing.html",
        &json!({
            "user": user(state, p, req).await, "key": f.programme.as_str(), "title": programme.programme.title,
            "notice": notice, "refusal": refusal.map(|r| r.0), "refusal_detail": refusal.and_then(|r| r.1),
            "filing": {
                "key": f.key, "title": f.title, "body": f.body, "state": f.state.label(),
                "state_class": match f.state {
                    crate::domain::filing::FilingState::Filed => "done",
                    crate::domain::filing::FilingState::Returned => "red",
                    crate::domain::filing::FilingState::Draft => "yellow",
                    _ => "green",
                },
                "revision": f.revision, "version": f.version, "returned_reason": f.returned_reason,
                "exemplary": f.exemplary_quote,
                "first_submitted": f.first_submitted_at.map(day), "last_submitted": f.last_submitted_at.map(day),
            },
            "unit": { "code": f.unit.to_string(), "name": unit_name },
            "deliverable": d.map(|d| d.title.clone()).unwrap_or_else(|| f.deliverable.to_string()),
            "due_text": due_text, "timeliness": timeliness,
            "route": route, "attachments": attachments,
            "versions": versions.iter().rev().map(|v| json!({
                "version": v.version, "title": v.title, "by": name(&v.submitted_by), "username": v.submitted_by,
                "at": day(v.submitted_at),
                "attachments": v.attachments.len(),
            })).collect::<Vec<_>>(),
            "reviews": reviews.iter().rev().map(|r| json!({
                "version": r.version, "level": r.level.label(), "decision": r.decision.label(),
                "reason": match &r.decision { Decision::Return(reason) => Some(reason.as_str()), _ => None },
                "by": name(&r.reviewer), "username": r.reviewer, "at": day(r.decided_at),
            })).collect::<Vec<_>>(),
            "may_file": may_file,
            "may_review": may_review,
            "accepts": match pending.map(|(_, s)| s.action) {
                Some(RouteAction::File) => json!({ "value": "file", "label": "备案" }),
                _ => json!({ "value": "approve", "label": "审定通过" }),
            },
            "limit": human_size(limit as u64),
            "accept": service::ALLOWED_TYPES.join(","),
        }),
    )
}

fn human_size(n: u64) -> String {
    match n {
        n if n >= 1024 * 1024 => format!("{:.1} MB", n as f64 / (1024.0 * 1024.0)),
        n if n >= 1024 => format!("{} KB", n.div_ceil(1024)),
        n => format!("{n} 字节"),
    }
}

/// What a refused change answers: the filing page as it is now, with the refusal above it (the
/// person's text is not lost: a stale edit shows what they typed beside the current version).
async fn refused(
    req: &Request,
    state: &State,
    p: &crate::domain::access::Principal,
    id: &str,
    e: service::ServiceError,
    typed: Option<(&str, &str)>,
) -> Response {
    use crate::store::StoreError;
    let (status, text, detail) = match &e {
        service::ServiceError::Store(StoreError::Outdated(_)) => (
            StatusCode::CONFLICT,
            "这份材料在您打开之后已被修改（或已被他人办理）。下面是它现在的内容，请核对后重新办理。".to_owned(),
            None,
        ),
        service::ServiceError::Store(StoreError::Refused(d)) => {
            let (status, text) = super::refusal(d);
            (status, format!("未能办理：{text}"), Some(d.to_string()))
        }
        _ => return failed(e),
    };
    let f = match service::get(&state.store, p, id).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let text = match typed {
        Some((title, body)) => format!("{text}\n\n您刚才填写的内容（未保存）：\n标题：{title}\n{body}"),
        None => text,
    };
    let mut r = render_filing(req, state, p, &f, None, Some((&text, detail.as_deref()))).await;
    r.set_status(status);
    r
}

#[derive(Deserialize)]
pub struct EditForm {
    title: String,
    body: String,
    revision: u32,
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn edit(
    req: &Request,
    Data(state): Data<&State>,
    Path(id): Path<String>,
    f: poem::Result<Form<EditForm>>,
) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    match service::edit(&state.store, &p, &id, f.revision, &f.title, &f.body, state.now()).await {
        Ok(_) => redirect(&format!("/ui/filings/{id}?done=saved")),
        Err(e) => refused(req, state, &p, &id, e, Some((&f.title, &f.body))).await,
    }
}

#[handler]
pub async fn attach(req: &Request, Data(state): Data<&State>, Path(id): Path<String>, mut form: Multipart) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (mut csrf, mut revision, mut file) = (String::new(), None, None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("revision") => revision = field.text().await.ok().and_then(|t| t.trim().parse::<u32>().ok()),
                Some("file") => {
                    let name = field.file_name().unwrap_or("附件").to_owned();
                    let ctype = field.content_type().unwrap_or("application/octet-stream").to_owned();
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, ctype, bytes)),
                        Err(_) => return too_large(state),
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return too_large(state),
        }
    }
    if let Some(page) = form_refused(req, state, &csrf) {
        return page;
    }
    let (Some(revision), Some((name, ctype, bytes))) = (revision, file) else {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "未能上传", "请选择要上传的文件。");
    };
    if bytes.is_empty() {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "未能上传", "请选择要上传的文件（所选文件为空）。");
    }
    let limit = state.site.attachment_limit;
    match service::attach(&state.store, &p, &id, revision, &name, &ctype, &bytes, limit, state.now()).await {
        Ok(_) => redirect(&format!("/ui/filings/{id}?done=attached")),
        Err(e) => refused(req, state, &p, &id, e, None).await,
    }
}

fn too_large(state: &State) -> Response {
    message(
        StatusCode::PAYLOAD_TOO_LARGE,
        "未能上传",
        &format!(
            "文件超过了上传上限（{}），或上传中断。请压缩或拆分后重试。",
            human_size(state.site.attachment_limit as u64)
        ),
    )
}

#[derive(Deserialize)]
pub struct RevisionForm {
    revision: u32,
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn submit(
    req: &Request,
    Data(state): Data<&State>,
    Path(id): Path<String>,
    f: poem::Result<Form<RevisionForm>>,
) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    match service::submit(&state.store, &p, &id, f.revision, state.now()).await {
        Ok(_) => redirect(&format!("/ui/filings/{id}?done=submitted")),
        Err(e) => refused(req, state, &p, &id, e, None).await,
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    exemplary: String,
    revision: u32,
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn review(
    req: &Request,
    Data(state): Data<&State>,
    Path(id): Path<String>,
    f: poem::Result<Form<ReviewForm>>,
) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let decision = match f.decision.as_str() {
        "approve" => Decision::Approve,
        "file" => Decision::File,
        "return" => Decision::Return(f.reason.clone()),
        _ => return message(StatusCode::UNPROCESSABLE_ENTITY, "未能办理", "请选择审核意见。"),
    };
    let done = match &decision {
        Decision::Approve => "approved",
        Decision::File => "filed",
        Decision::Return(_) => "returned",
    };
    let exemplary = Some(f.exemplary.trim()).filter(|q| !q.is_empty());
    match service::review(&state.store, &p, &id, f.revision, decision, exemplary, state.now()).await {
        // The queue shows the next item.
        Ok(_) => redirect(&format!("/ui/queue?done={done}")),
        Err(e) => refused(req, state, &p, &id, e, None).await,
    }
}

/// An attachment of a filing the account may read, as a download.
#[handler]
pub async fn download(req: &Request, Data(state): Data<&State>, Path(id): Path<String>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match service::attachment(&state.store, &p, &id).await {
        Ok((a, bytes)) => {
            // The API's file response: its RFC 6266 name, its type, nosniff.
            let mut r = FileDownload::attachment(bytes, &a.content_type, &a.filename).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, poem::http::HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => failed(e),
    }
}

/// The review queue: what waits for a decision at the account's level, longest waiting first.
#[handler]
pub async fn queue(req: &Request, Data(state): Data<&State>, Query(q): Query<Done>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let waiting = match service::review_queue(&state.store, &p).await {
        Ok(w) => w,
        Err(e) => return failed(e),
    };
    let today = local_day(state.now());
    let items: Vec<Value> = waiting
        .iter()
        .map(|w| {
            let since = w.filing.last_submitted_at.map(local_day);
            json!({
                "key": w.filing.key, "programme": w.programme.title, "unit": w.unit_name,
                "deliverable": w.deliverable, "title": w.filing.title, "state": w.filing.state.label(),
                "action": w.filing.pending().map(|(_, s)| s.action.label()),
                "since": since.map(chinese_date), "days": since.map(|d| (today - d).num_days().max(0)),
            })
        })
        .collect();
    // The appeals this level decides, beside the filings: the unit page holds the decision form.
    let appeals: Vec<Value> = match crate::service::scoring::appeals_awaiting(&state.store, &p).await {
        Ok(list) => list
            .iter()
            .map(|(a, programme, unit)| {
                let since = local_day(a.filed_at);
                let period = a.period.map(|m| format!("?period={m}")).unwrap_or_default();
                json!({
                    "link": format!("/ui/p/{}/units/{}{period}#appeal-{}", a.programme, a.unit, a.key),
                    "programme": programme, "unit": unit, "reason": a.reason,
                    "month": a.period.map(|m| m.chinese()), "since": chinese_date(since),
                    "days": (today - since).num_days().max(0),
                })
            })
            .collect(),
        Err(e) => return failed(e),
    };
    page(
        "dashboard/queue.html",
        &json!({ "user": user(state, &p, req).await, "items": items, "appeals": appeals, "notice": notice(q.done.as_deref()) }),
    )
}

/// The reminders inbox, newest first.
#[handler]
pub async fn inbox(req: &Request, Data(state): Data<&State>, Query(q): Query<Done>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let all = match state.store.inbox(&p.username).await {
        Ok(a) => a,
        Err(e) => return failed(e.into()),
    };
    let items: Vec<Value> = all
        .iter()
        .map(|r| {
            json!({ "id": r.identity, "message": r.message, "date": chinese_date(r.send_date),
                    "read": r.is_read_by(&p.username) })
        })
        .collect();
    let unread = all.iter().filter(|r| !r.is_read_by(&p.username)).count();
    page(
        "dashboard/inbox.html",
        &json!({ "user": user(state, &p, req).await, "items": items, "unread": unread, "notice": notice(q.done.as_deref()) }),
    )
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn mark_read(
    req: &Request,
    Data(state): Data<&State>,
    Path(id): Path<String>,
    f: poem::Result<Form<TokenForm>>,
) -> Response {
    let (p, _) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    match state.store.mark_read(&id, &crate::service::accounts::actor(&p, state.now())).await {
        Ok(()) => redirect("/ui/inbox?done=read"),
        Err(e) => failed(e.into()),
    }
}
