//! The leaders' dashboard (`/ui`): server-rendered pages (tera), usable without JavaScript, in
//! Chinese. Login uses the API's accounts; the session token sits in an HttpOnly, SameSite=Strict
//! cookie. Every page reads through the same services and permission checks as the API, so a
//! user sees exactly their region's share.

mod admin;
mod bulletins;
mod downloads;
mod evaluations;
mod fields;
mod home;
mod manage;
mod monthly;
mod notice;
mod pages;
mod programme_form;
mod regions;
mod rewards;
mod setup;
mod supervision;
mod work;

use chrono::Duration;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form};
use poem::{Request, Response, Route, get, handler, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::State;
use crate::domain::DomainError;
use crate::domain::access::Principal;
use crate::service::accounts;
use crate::service::error::ServiceError;
use crate::store::StoreError;

pub const COOKIE: &str = "pilotgov_session";

/// How long a dashboard login lasts.
#[derive(Clone, Copy)]
pub struct SessionTtl(pub Duration);

pub fn routes() -> Route {
    Route::new()
        .at("/", get(home::home))
        .at("/login", get(login_form).post(login))
        .at("/logout", post(logout))
        .at("/p/:key", get(pages::programme))
        .at("/p/:key/ranking", get(pages::ranking))
        .at("/p/:key/units/:region", get(pages::unit))
        .at("/p/:key/bulletins", get(bulletins::archive).post(bulletins::draft))
        .at("/p/:key/bulletin-style", post(bulletins::set_style))
        .at("/bulletins/:id", get(bulletins::bulletin))
        .at("/bulletins/:id/document", get(bulletins::document))
        .at("/bulletins/:id/:act", post(bulletins::act))
        .at("/p/:key/export/:what", get(downloads::export))
        .at("/calendar-feeds/:id/revoke", post(downloads::revoke))
        .at("/p/:key/rewards", get(rewards::rewards).post(rewards::allocate))
        .at("/p/:key/evaluations", get(evaluations::evaluations).post(evaluations::evaluate))
        .at("/queue", get(work::queue))
        .at("/inbox", get(work::inbox))
        .at("/inbox/:id/read", post(work::mark_read))
        .at("/p/:key/units/:region/filings", post(work::open_filing))
        .at("/p/:key/units/:region/orders", post(supervision::issue))
        .at("/supervision-orders/:id/document", get(supervision::document))
        .at("/supervision-orders/:id/:act", post(supervision::act))
        .at("/filings/:id", get(work::filing))
        .at("/filings/:id/edit", post(work::edit))
        // Ends in `/attachments`: the body limit for uploads applies (see `api::limit`).
        .at("/filings/:id/attachments", post(work::attach))
        .at("/filings/:id/submit", post(work::submit))
        .at("/filings/:id/review", post(work::review))
        .at("/attachments/:id", get(work::download))
        .at("/accounts", get(admin::account_list).post(admin::create))
        .at("/accounts/import", get(admin::import_form).post(admin::import))
        .at("/accounts/import/preview", post(admin::import_preview))
        .at("/accounts/import/result.xlsx", post(admin::result_xlsx))
        .at("/accounts/:username/:action", post(admin::act))
        .at("/audit", get(admin::audit))
        .at("/regions", get(regions::list))
        .at("/regions/:code/:action", post(regions::change))
        .at("/channels", get(admin::channel_list).post(admin::create_channel))
        .at("/channels/:key/:action", post(admin::channel_action))
        .at("/password", get(admin::password_form).post(admin::change_password))
        .at("/programmes/new", get(setup::new_form).post(setup::import))
        .at("/programmes/new/preview", post(setup::preview_document))
        .at("/programmes/new/notice", post(notice::read))
        .at("/programmes/new/build", post(programme_form::build))
        .at("/p/:key/admit", get(setup::admit_form).post(setup::admit_import))
        .at("/p/:key/admit/preview", post(setup::admit_preview))
        .at("/p/:key/units/:region/manage", post(manage::unit_action))
        // `adjust` or `appeal` (the static routes above take precedence).
        .at("/p/:key/units/:region/:act", post(monthly::unit_act))
        .at("/appeals/:id/decide", post(monthly::decide))
        .at("/p/:key/ranking/publish", post(monthly::publish))
        .at("/p/:key/settings", get(manage::settings))
        .at("/p/:key/settings/:part", post(manage::save))
}

/// Any other `/ui/...` address: a page, not the API's JSON.
pub async fn unknown_page(_: poem::error::NotFoundError) -> Response {
    message(StatusCode::NOT_FOUND, "未找到", "没有这个页面。")
}

/// The token every form on a signed-in page carries: derived from the session, which a page of
/// another site cannot read, so it cannot make the token. Checked on every POST with the Origin.
pub fn form_token(req: &Request) -> String {
    session_token(req).map(|s| accounts::token_hash(&format!("form:{s}"))).unwrap_or_default()
}

/// The page refusing a POST that a page of this server did not send (another origin, or not the
/// session's form token); none when it may go on. Nothing is changed by a refused post.
pub fn form_refused(req: &Request, state: &State, posted: &str) -> Option<Response> {
    let expected = form_token(req);
    let sent_here =
        same_origin(req, state) && !expected.is_empty() && constant_time_eq(expected.as_bytes(), posted.as_bytes());
    (!sent_here).then(|| {
        message(
            StatusCode::FORBIDDEN,
            "页面已过期",
            "这个表单已过期，或不是从本系统的页面发出的，未作任何更改。请返回刷新页面后再办理。",
        )
    })
}

/// An HTML response with the headers every page carries.
pub fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
        )
        .header("X-Frame-Options", "DENY")
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "same-origin")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

pub(crate) fn redirect(to: &str) -> Response {
    Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to).finish()
}

/// A page showing a message (errors, refusals).
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    explained(status, title, text, None)
}

/// A message page with the exact wording of a refusal folded away under 详细说明.
fn explained(status: StatusCode, title: &str, text: &str, detail: Option<&str>) -> Response {
    let ctx = json!({ "title": title, "text": text, "detail": detail, "user": null });
    match crate::render::page("dashboard/error.html", &ctx) {
        Ok(b) => html(status, b),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            html(status, format!("<h1>{title}</h1>"))
        }
    }
}

/// A service error as a page — the dashboard's one mapping. Hidden things are simply not there;
/// a refusal says why in the domain's words with the status the API would give.
pub fn failed(e: ServiceError) -> Response {
    match e {
        ServiceError::Hidden(_) | ServiceError::Store(StoreError::NotFound(_)) => {
            message(StatusCode::NOT_FOUND, "未找到", "没有这项内容，或您无权查看。")
        }
        ServiceError::Forbidden(_) => message(StatusCode::FORBIDDEN, "无权访问", "您的账号无权进行此操作。"),
        ServiceError::IdempotencyKeyReused => {
            message(StatusCode::UNPROCESSABLE_ENTITY, "重复提交", "这次提交与先前的提交内容不同，请刷新后重试。")
        }
        ServiceError::BadCredentials => message(StatusCode::UNAUTHORIZED, "登录失败", "用户名或密码错误。"),
        ServiceError::Throttled { retry_after_secs } => message(
            StatusCode::TOO_MANY_REQUESTS,
            "登录尝试过多",
            &format!("该账号或本机登录失败次数过多，请{}分钟后再试。", (retry_after_secs + 59) / 60),
        ),
        ServiceError::Busy => message(StatusCode::SERVICE_UNAVAILABLE, "系统繁忙", "登录的人较多，请稍后再试。"),
        ServiceError::Store(StoreError::Refused(d)) => {
            let (status, text) = refusal(&d);
            explained(status, "未能办理", &text, Some(&d.to_string()))
        }
        ServiceError::Store(StoreError::Outdated(_)) => {
            message(StatusCode::CONFLICT, "内容已变化", "这项内容在您打开后被他人修改，请刷新后再办理。")
        }
        ServiceError::Store(StoreError::Unavailable(_)) => {
            message(StatusCode::SERVICE_UNAVAILABLE, "暂时无法访问", "数据库暂时不可用，请稍后再试。")
        }
        ServiceError::Store(e) => {
            tracing::error!(error = %e, "dashboard page failed");
            message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", "页面生成失败，已记录。")
        }
    }
}

/// A refusal the form's own page can show above the form as it was filled in (the rule's words
/// or the field to correct, with its status); none for anything else, which `failed` answers.
pub(crate) fn form_refusal(e: &ServiceError) -> Option<(StatusCode, String)> {
    match e {
        ServiceError::Store(StoreError::Refused(d)) => Some(refusal(d)),
        _ => None,
    }
}

/// A form's page shown again after a refusal, with the refusal's status (a page that failed to
/// build keeps its own).
pub(crate) fn with_status(mut page: Response, status: StatusCode) -> Response {
    if page.status() == StatusCode::OK {
        page.set_status(status);
    }
    page
}

/// A domain refusal as a page says it, with the status the API gives it: the rule's own words,
/// or which field to correct. (The exact wording, in English, goes under 详细说明.)
pub(crate) fn refusal(d: &DomainError) -> (StatusCode, String) {
    match d {
        DomainError::RuleViolated { rule, .. } => {
            let status = if rule.is_conflict() { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            (status, rule.label().to_owned())
        }
        DomainError::Invalid { field, .. } => {
            let label = match field.split('.').next().unwrap_or_default() {
                "reason" => "理由",
                "title" => "标题",
                "body" => "正文",
                "filename" => "文件名",
                "remarks" => "工作要求",
                "exemplary" => "典型经验",
                "evidence" => "依据",
                "period" => "期间",
                "unit" => "单位",
                "region" => "地区",
                "deliverable" => "报送材料",
                "occurrence" => "截止事项",
                "points" => "分值",
                "item" => "评分项目",
                "fund" => "资金总额",
                "cap" => "单个单位上限",
                "threshold" => "门槛分",
                "tiers" => "档次",
                "grants" => "专项补助",
                "year" => "年度",
                "label" => "名称",
                "scores" => "指标得分",
                "panel" => "评估小组",
                _ => "填写的内容",
            };
            (StatusCode::UNPROCESSABLE_ENTITY, format!("“{label}”填写有误，请修改后再办理"))
        }
    }
}

/// The page where one changes one's password (as the nested route sees it, or in full).
fn password_page(req: &Request) -> bool {
    ["/password", "/ui/password"].contains(&req.uri().path()) || req.original_uri().path() == "/ui/password"
}

/// What an upload form posted: its form token, the chosen file (name and bytes) and any text
/// pasted beside it. A part that does not read is left empty.
pub(crate) struct Upload {
    pub csrf: String,
    pub file: Option<(String, Vec<u8>)>,
    pub text: String,
}

pub(crate) async fn upload(form: &mut poem::web::Multipart) -> Upload {
    let mut u = Upload { csrf: String::new(), file: None, text: String::new() };
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("csrf") => u.csrf = field.text().await.unwrap_or_default(),
            Some("text") => u.text = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_owned();
                u.file = field.bytes().await.ok().map(|b| (name, b));
            }
            _ => {}
        }
    }
    u
}

/// The session token from the cookie.
fn session_token(req: &Request) -> Option<String> {
    cookie(req, COOKIE)
}

/// The signed-in user, or the response to send instead (to the login page).
pub async fn signed_in(req: &Request, state: &State) -> Result<Principal, Response> {
    let Some(token) = session_token(req) else { return Err(redirect("/ui/login")) };
    match accounts::authenticate(&state.store, &token, state.clock.now()).await {
        // A password someone else set: the password page first, nothing else.
        Ok(Some(p)) if p.must_change_password && !password_page(req) => Err(redirect("/ui/password")),
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(redirect("/ui/login")),
        Err(e) => {
            tracing::error!(error = %e, "dashboard: session lookup failed");
            Err(message(StatusCode::SERVICE_UNAVAILABLE, "暂时无法访问", "数据库暂时不可用，请稍后再试。"))
        }
    }
}

/// The login form's CSRF token travels in this cookie and in a hidden field (double submit): a
/// form posted from another site cannot read the cookie to copy it into the field.
pub const CSRF_COOKIE: &str = "pilotgov_csrf";

fn cookie(req: &Request, name: &str) -> Option<String> {
    let cookies = req.headers().get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.to_owned())
}

/// `; Secure` when the server is reached over https (`public_url`).
fn secure(state: &State) -> &'static str {
    if state.site.secure_cookies() { "; Secure" } else { "" }
}

/// A POST from a page of this server: its `Origin` (or, without one, its `Referer`) names this
/// host or the configured public URL. Requests that carry neither (not a browser) pass here and
/// are left to the token.
pub fn same_origin(req: &Request, state: &State) -> bool {
    let origin = req.header("origin").filter(|o| *o != "null").map(str::to_owned).or_else(|| {
        req.header("referer").and_then(|r| url::Url::parse(r).ok()).map(|u| u.origin().ascii_serialization())
    });
    let Some(origin) = origin else { return true };
    if state.site.public_url.as_deref().is_some_and(|p| p == origin) {
        return true;
    }
    let host = req.header(header::HOST).unwrap_or_default();
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

fn login_page(state: &State, status: StatusCode, error: Option<&str>, username: &str, token: &str) -> Response {
    // A demo server says which account shows which role's view (the password is public).
    let demo: Vec<Value> = if state.site.demo {
        accounts::DEMO_USERS
            .iter()
            .map(|(username, name, role, _)| json!({ "username": username, "name": name, "role": role.label() }))
            .collect()
    } else {
        Vec::new()
    };
    let ctx = json!({ "error": error, "user": null, "username": username, "csrf": token, "demo": demo,
                      "demo_password": accounts::DEMO_PASSWORD });
    let mut r = match crate::render::page("dashboard/login.html", &ctx) {
        Ok(b) => html(status, b),
        Err(e) => return message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", &e),
    };
    let c = format!("{CSRF_COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict{}", secure(state));
    r.headers_mut().insert(header::SET_COOKIE, c.parse().expect("a token is header-safe"));
    r
}

/// A well-formed CSRF token from the cookie, else a new one.
fn csrf_token(req: &Request) -> String {
    cookie(req, CSRF_COOKIE)
        .filter(|t| t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .unwrap_or_else(accounts::new_token)
}

#[handler]
fn login_form(req: &Request, Data(state): Data<&State>) -> Response {
    login_page(state, StatusCode::OK, None, "", &csrf_token(req))
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

#[handler]
async fn login(
    req: &Request,
    Data(state): Data<&State>,
    Data(ttl): Data<&SessionTtl>,
    Form(f): Form<LoginForm>,
) -> Response {
    let username = f.username.trim();
    let expected = cookie(req, CSRF_COOKIE);
    let token_ok =
        expected.as_deref().is_some_and(|e| !e.is_empty() && constant_time_eq(e.as_bytes(), f.csrf.as_bytes()));
    if !same_origin(req, state) || !token_ok {
        // A fresh form (and token): the person simply logs in again; a forged post gets nowhere.
        return login_page(
            state,
            StatusCode::FORBIDDEN,
            Some("页面已过期或来源不符，请重新登录"),
            username,
            &accounts::new_token(),
        );
    }
    let source = crate::api::common::source_address(req);
    let now = state.clock.now();
    match accounts::login(&state.store, &state.throttle, username, &f.password, source.as_deref(), now, ttl.0).await {
        Ok((token, _, _)) => {
            let cookie = format!(
                "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
                ttl.0.num_seconds(),
                secure(state)
            );
            let mut r = redirect("/ui");
            r.headers_mut().insert(header::SET_COOKIE, cookie.parse().expect("a token is header-safe"));
            r
        }
        Err(accounts::ServiceError::BadCredentials) => {
            login_page(state, StatusCode::UNAUTHORIZED, Some("用户名或密码错误"), username, &f.csrf)
        }
        Err(accounts::ServiceError::Throttled { retry_after_secs }) => message(
            StatusCode::TOO_MANY_REQUESTS,
            "登录尝试过多",
            &format!("该账号或本机登录失败次数过多，请{}分钟后再试。", (retry_after_secs + 59) / 60),
        ),
        Err(accounts::ServiceError::Busy) => {
            message(StatusCode::SERVICE_UNAVAILABLE, "系统繁忙", "登录的人较多，请稍后再试。")
        }
        Err(e) => {
            tracing::error!(error = %e, "dashboard login failed");
            message(StatusCode::SERVICE_UNAVAILABLE, "暂时无法登录", "请稍后再试。")
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

#[handler]
async fn logout(req: &Request, Data(state): Data<&State>, f: poem::Result<Form<TokenOnly>>) -> Response {
    let posted = f.map(|Form(f)| f.csrf).unwrap_or_default();
    if let Some(page) = form_refused(req, state, &posted) {
        return page;
    }
    if let Some(token) = session_token(req)
        && let Ok(Some(p)) = accounts::authenticate(&state.store, &token, state.clock.now()).await
        && let Err(e) = accounts::logout(&state.store, &token, &p, state.clock.now()).await
    {
        tracing::warn!(error = %e, "dashboard logout: session not revoked");
    }
    let mut r = redirect("/ui/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}", secure(state)).parse().expect("static"),
    );
    r
}
