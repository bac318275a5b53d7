//! The one error shape of the API, `{code, message}`, and the one mapping from domain and store
//! errors to HTTP statuses. A 500 logs its cause and says nothing inside.

use poem::Response;
use poem_openapi::{ApiResponse, Object, payload::Json};

use crate::domain::DomainError;
use crate::service::error::ServiceError;
use crate::store::StoreError;

/// Every error body: a stable machine-readable `code` and a message for a person.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ErrorBody {
    /// Stable code: `validation_failed`, `password_change_required`, `rule.<name>`, `not_found`, `conflict`, `bad_request`,
    /// `payload_too_large`, `idempotency_key_reused`, `too_many_requests`, `busy`, `database_unavailable`, `internal`.
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
    /// The input field at fault, when one is.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
}

/// Error responses shared by every operation.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request could not be read (malformed JSON, wrong types, bad parameters).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No valid bearer token (missing, malformed, expired, revoked or forged), or a failed login.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is valid but this account may not do this.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such programme, stage, direction, deliverable, unit or region.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The change conflicts with what is stored (duplicate, quota exceeded, concurrent change).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The request body exceeds the configured limit.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// A value is well-formed but not acceptable (unknown region, date outside the period).
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// Too many failed logins for the account or from the address; wait and try again.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    /// Something failed inside the server; the cause is logged, not shown.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database cannot be reached, or the server is too busy (`busy`); retry later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn body(code: impl Into<String>, message: impl Into<String>, field: Option<String>) -> Json<ErrorBody> {
    Json(ErrorBody { code: code.into(), message: message.into(), field })
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(body("not_found", message, None))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Unauthorized(body("unauthorized", message, None))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(body("forbidden", message, None))
    }

    /// The account signed in with a password someone else set and must change it first.
    pub fn password_change_required() -> Self {
        Self::Forbidden(body(
            "password_change_required",
            "change the password you were given (POST /api/v1/auth/password) before doing anything else",
            None,
        ))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(body("bad_request", message, None))
    }

    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::TooManyRequests(body("too_many_requests", message, None))
    }

    /// A well-formed request that cannot be accepted, with its own stable code.
    pub fn unprocessable(code: &str, message: impl Into<String>, field: &str) -> Self {
        Self::Unprocessable(body(code, message, Some(field.to_owned())))
    }

    /// Too much of one kind of work at once (a flood of logins): retry shortly.
    pub fn busy(message: impl Into<String>) -> Self {
        Self::Unavailable(body("busy", message, None))
    }

    /// A failure of ours (a template, an export): logged with its cause, shown without it.
    pub fn internal(cause: &str) -> Self {
        tracing::error!(%cause, "internal error");
        Self::Internal(body("internal", "internal error", None))
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => {
                Self::Unprocessable(body("validation_failed", format!("{field}: {message}"), Some(field)))
            }
            DomainError::RuleViolated { rule, message } => {
                let b = body(format!("rule.{}", rule.code()), message, None);
                if rule.is_conflict() { Self::Conflict(b) } else { Self::Unprocessable(b) }
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Forbidden(why) => Self::forbidden(why),
            ServiceError::Hidden(what) => {
                Self::not_found(format!("{what} does not exist (or is not visible to this account)"))
            }
            ServiceError::IdempotencyKeyReused => Self::unprocessable(
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request; use a new key for a new request",
                "Idempotency-Key",
            ),
            ServiceError::BadCredentials => {
                Self::unauthorized("wrong username or password, or the account is disabled")
            }
            ServiceError::Throttled { retry_after_secs } => Self::too_many_requests(format!(
                "too many failed logins for this account or address; try again in {retry_after_secs} seconds"
            )),
            ServiceError::Busy => Self::busy("the server is busy checking passwords; try again shortly"),
            ServiceError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(d) => d.into(),
            StoreError::NotFound(what) => Self::not_found(format!("{what} does not exist")),
            StoreError::Outdated(_) => {
                Self::Conflict(body("stale", "the record changed since you read it; reload and decide again", None))
            }
            StoreError::Duplicate { index, message } => {
                tracing::info!(%index, %message, "unique index refused a row");
                Self::Conflict(body("conflict", "a record with the same key already exists", None))
            }
            StoreError::Conflict { retryable: false, message } => {
                tracing::info!(%message, "a definition or our own check refused a duplicate");
                Self::Conflict(body("conflict", "a record with the same key already exists", None))
            }
            StoreError::Conflict { retryable: true, message } => {
                tracing::warn!(%message, "transaction conflict outlived its retries");
                Self::Conflict(body("conflict", "the record changed concurrently; try again", None))
            }
            StoreError::Invalid { message, field } => {
                // The database's words quote SurrealQL; they stay in the log. The field it names
                // is passed on.
                tracing::warn!(%message, "schema refused a value the domain accepted");
                let text = match &field {
                    Some(f) => format!("{f}: the value does not have the type this field stores"),
                    None => "a value breaks the stored schema".to_owned(),
                };
                Self::Unprocessable(body("validation_failed", text, field))
            }
            StoreError::Unavailable(message) => {
                tracing::error!(%message, "database unavailable");
                Self::Unavailable(body("database_unavailable", "the database is unavailable; try again shortly", None))
            }
            StoreError::Config(message) | StoreError::Internal(message) => {
                tracing::error!(%message, "internal error");
                Self::Internal(body("internal", "internal error", None))
            }
        }
    }
}

/// Turns any error that escaped the typed handlers (unknown route, unreadable JSON, wrong query
/// type, oversized body) into the same JSON shape.
pub async fn render_any(err: poem::Error) -> Response {
    let status = err.status();
    let resp = err.into_response();
    let is_json = resp
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let text = resp.into_body().into_string().await.unwrap_or_default();
    let code = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "bad_request",
    };
    let message = if status.as_u16() == 401 {
        "a valid bearer token is required (missing, malformed, expired or revoked); log in at POST /api/v1/auth/login"
            .to_owned()
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else if status.as_u16() == 503 {
        // Only our own 503s (the request timeout) end up here; their text is meant for users.
        text
    } else if status.is_server_error() {
        tracing::error!(%text, "unhandled server error");
        "internal error".to_owned()
    } else {
        text
    };
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::json!({ "code": code, "message": message }).to_string())
}
