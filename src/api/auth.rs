//! `/auth`: log in for a bearer token, log out, and see who you are. The bearer scheme is
//! declared here; every other operation takes an [`Auth`] and so requires a live token.

use chrono::{DateTime, Duration, FixedOffset};
use poem::{IntoResponse, Request};
use poem_openapi::auth::Bearer;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme, payload::Json};

use super::common::{Level, shanghai};
use super::error::ApiError;
use super::{ApiTags, State};
use crate::domain::access::{Access, Denied, Principal};
use crate::service::accounts;
use crate::store::audit::Actor;

/// A bearer token from `POST /api/v1/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", key_name = "Authorization", checker = "check_token")]
pub struct Auth(pub Authed);

/// The account a request acts as, and the token it came with (for logout).
pub struct Authed {
    pub principal: Principal,
    token: String,
}

/// `/auth/...` (as the API sees its own paths, or in full): what an account that must change its
/// password may still reach.
fn own_account_path(req: &Request) -> bool {
    let under = |p: &str| p.starts_with("/auth/") || p.starts_with("/api/v1/auth/");
    under(req.uri().path()) || under(req.original_uri().path())
}

async fn check_token(req: &Request, bearer: Bearer) -> poem::Result<Authed> {
    let unknown = || poem::Error::from(poem_openapi::error::AuthorizationError);
    let state = req.data::<State>().ok_or_else(unknown)?;
    match accounts::authenticate(&state.store, &bearer.token, state.clock.now()).await {
        // A password someone else set opens only the way to change it (and who am I, sign out).
        Ok(Some(principal)) if principal.must_change_password && !own_account_path(req) => {
            Err(poem::Error::from_response(ApiError::password_change_required().into_response()))
        }
        Ok(Some(principal)) => Ok(Authed { principal, token: bearer.token }),
        Ok(None) => Err(unknown()),
        // The database failed, not the token: a 503 to retry, never a 401 (which tells a client
        // to throw its token away and sign its user out).
        Err(e) => Err(poem::Error::from_response(ApiError::from(e).into_response())),
    }
}

impl Auth {
    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }

    /// The audit actor for this request's changes, at the clock's now.
    pub fn actor(&self, state: &State) -> Actor {
        accounts::actor(&self.0.principal, state.clock.now())
    }

    /// The one gate every operation passes: the domain's permission check, mapped to 403/404.
    pub fn may(&self, access: Access<'_>) -> Result<(), ApiError> {
        self.0.principal.check(access).map_err(|d| match d {
            Denied::Forbidden(why) => ApiError::forbidden(why),
            Denied::Hidden => ApiError::not_found("no such resource (or not visible to this account)"),
        })
    }

    /// As [`Auth::may`], but for creating something new: an unrelated target is forbidden, not
    /// hidden, since there is nothing yet to hide.
    pub fn may_create(&self, access: Access<'_>) -> Result<(), ApiError> {
        self.0.principal.check(access).map_err(|d| match d {
            Denied::Forbidden(why) => ApiError::forbidden(why),
            Denied::Hidden => {
                ApiError::forbidden(format!("{} may not act outside its region", self.0.principal.username))
            }
        })
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

/// The account a token acts as.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Me {
    pub username: String,
    /// `province_admin`, `city_reviewer`, `unit_lead`, `evaluator` or `leader`.
    pub role: String,
    /// Home region code.
    pub region: String,
    pub region_level: Level,
    pub display_name: String,
    /// Signed in with a password someone else set: change it (`POST /auth/password`) first;
    /// every other operation answers 403 `password_change_required` until then.
    pub must_change_password: bool,
}

impl From<&Principal> for Me {
    fn from(p: &Principal) -> Self {
        Self {
            username: p.username.clone(),
            role: p.role.as_str().to_owned(),
            region: p.region.to_string(),
            region_level: p.region_level.into(),
            display_name: p.display_name.clone(),
            must_change_password: p.must_change_password,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`. Shown only now.
    pub token: String,
    pub expires_at: DateTime<FixedOffset>,
    pub user: Me,
}

/// One's own new password, with the current one.
#[derive(Debug, Clone, Object)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 8 characters, not the current one.
    pub new_password: String,
}

#[derive(ApiResponse)]
pub enum PasswordChanged {
    /// Changed; the account's other sessions have ended, this one goes on.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub enum LoggedOut {
    /// The token is revoked.
    #[oai(status = 204)]
    Done,
}

pub struct AuthApi {
    pub state: State,
    pub token_ttl: Duration,
}

#[OpenApi(prefix_path = "/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in with username and password; returns a bearer token.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(&self, req: &Request, body: Json<LoginInput>) -> Result<Json<Session>, ApiError> {
        let now = self.state.clock.now();
        let throttle = &self.state.throttle;
        let source = super::common::source_address(req);
        let (user, pass) = (&body.0.username, &body.0.password);
        let (token, expires, p) =
            accounts::login(&self.state.store, throttle, user, pass, source.as_deref(), now, self.token_ttl).await?;
        Ok(Json(Session { token, expires_at: shanghai(expires), user: (&p).into() }))
    }

    /// Revoke the token this request carries.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, auth: Auth) -> Result<LoggedOut, ApiError> {
        accounts::logout(&self.state.store, &auth.0.token, &auth.0.principal, self.state.clock.now()).await?;
        Ok(LoggedOut::Done)
    }

    /// Change one's own password (with the current one). The account's other sessions end.
    #[oai(path = "/password", method = "post", operation_id = "changePassword")]
    async fn password(&self, auth: Auth, body: Json<PasswordChange>) -> Result<PasswordChanged, ApiError> {
        let (b, state) = (body.0, &self.state);
        crate::service::account_admin::change_own_password(
            &state.store,
            &state.throttle,
            &auth.0.principal,
            &b.current_password,
            &b.new_password,
            &accounts::token_hash(&auth.0.token),
            state.clock.now(),
        )
        .await?;
        Ok(PasswordChanged::Done)
    }

    /// The account this token acts as.
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, auth: Auth) -> Json<Me> {
        Json(auth.principal().into())
    }
}
