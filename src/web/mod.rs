//! The leaders' dashboard (`/ui`): server-rendered pages (tera), usable without JavaScript, in
//! Chinese. Login uses the API's accounts; the session token sits in an HttpOnly, SameSite=Strict
//! cookie. Every page reads through the same services and permission checks as the API, so a
//! user sees exactly their region's share.

mod pages;

use chrono::Duration;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form};
use poem::{Request, Response, Route, get, handler, post};
use serde::Deserialize;
use serde_json::json;

use crate::api::State;
use crate::domain::access::Principal;
use crate::service::accounts;

pub const COOKIE: &str = "pilotgov_session";

/// How long a dashboard login lasts.
#[derive(Clone, Copy)]
pub struct SessionTtl(pub Duration);

pub fn routes() -> Route {
    Route::new()
        .at("/", get(pages::home))
        .at("/login", get(login_form).post(login))
        .at("/logout", post(logout))
        .at("/p/:key", get(pages::programme))
        .at("/p/:key/ranking", get(pages::ranking))
        .at("/p/:key/units/:region", get(pages::unit))
        .at("/p/:key/bulletins", get(pages::bulletins))
        .at("/bulletins/:id", get(pages::bulletin))
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
        .header("Referrer-Policy", "no-referrer")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

fn redirect(to: &str) -> Response {
    Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to).finish()
}

/// A page showing a message (errors, refusals).
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    match crate::render::page("dashboard/error.html", &json!({ "title": title, "text": text, "user": null })) {
        Ok(b) => html(status, b),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            html(status, format!("<h1>{title}</h1>"))
        }
    }
}

/// The session token from the cookie.
fn session_token(req: &Request) -> Option<String> {
    let cookies = req.headers().get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == COOKIE).map(|(_, v)| v.to_owned())
}

/// The signed-in user, or the response to send instead (to the login page).
pub async fn signed_in(req: &Request, state: &State) -> Result<Principal, Response> {
    let Some(token) = session_token(req) else { return Err(redirect("/ui/login")) };
    match accounts::authenticate(&state.store, &token, state.clock.now()).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(redirect("/ui/login")),
        Err(e) => {
            tracing::error!(error = %e, "dashboard: session lookup failed");
            Err(message(StatusCode::SERVICE_UNAVAILABLE, "暂时无法访问", "数据库暂时不可用，请稍后再试。"))
        }
    }
}

#[handler]
fn login_form() -> Response {
    match crate::render::page("dashboard/login.html", &json!({ "error": null, "user": null })) {
        Ok(b) => html(StatusCode::OK, b),
        Err(e) => message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", &e),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

#[handler]
async fn login(Data(state): Data<&State>, Data(ttl): Data<&SessionTtl>, Form(f): Form<LoginForm>) -> Response {
    match accounts::login(&state.store, &state.throttle, f.username.trim(), &f.password, state.clock.now(), ttl.0).await
    {
        Ok((token, _, _)) => {
            let cookie =
                format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", ttl.0.num_seconds());
            let mut r = redirect("/ui");
            r.headers_mut().insert(header::SET_COOKIE, cookie.parse().expect("a token is header-safe"));
            r
        }
        Err(accounts::AuthError::BadCredentials) => {
            match crate::render::page("dashboard/login.html", &json!({ "error": "用户名或密码错误", "user": null }))
            {
                Ok(b) => html(StatusCode::UNAUTHORIZED, b),
                Err(e) => message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", &e),
            }
        }
        Err(accounts::AuthError::Throttled { retry_after_secs }) => message(
            StatusCode::TOO_MANY_REQUESTS,
            "登录尝试过多",
            &format!("该账号连续登录失败次数过多，请{}分钟后再试。", (retry_after_secs + 59) / 60),
        ),
        Err(e) => {
            tracing::error!(error = %e, "dashboard login failed");
            message(StatusCode::SERVICE_UNAVAILABLE, "暂时无法登录", "请稍后再试。")
        }
    }
}

#[handler]
async fn logout(req: &Request, Data(state): Data<&State>) -> Response {
    if let Some(token) = session_token(req)
        && let Ok(Some(p)) = accounts::authenticate(&state.store, &token, state.clock.now()).await
        && let Err(e) = accounts::logout(&state.store, &token, &p, state.clock.now()).await
    {
        tracing::warn!(error = %e, "dashboard logout: session not revoked");
    }
    let mut r = redirect("/ui/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0").parse().expect("static"),
    );
    r
}
