//! The one error of the service layer, and the permission check as a service error. The API maps
//! it to HTTP in one place (`api/error.rs`), the dashboard to a page in one place (`web`).

use crate::domain::DomainError;
use crate::domain::access::{Access, Denied, Principal};
use crate::store::StoreError;

/// Why a use-case did not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The account may see the target but not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Not visible to this account, or absent (named by what it is).
    #[error("not found: {0}")]
    Hidden(String),
    /// The same `Idempotency-Key` came with a different request than the first time.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// Wrong username or password, or a disabled account. Deliberately vague.
    #[error("wrong username or password, or the account is disabled")]
    BadCredentials,
    /// Too many failed logins for this name or from this address lately.
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    /// Too many password checks at once (a flood): try again shortly.
    #[error("the server is busy checking passwords; try again shortly")]
    Busy,
    /// The domain refused (inside `Store`) or the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> Self {
        Self::Store(StoreError::Refused(e))
    }
}

/// The permission check as a service error: forbidden, or hidden (named by `what`).
pub(crate) fn gate(p: &Principal, access: Access<'_>, what: &str) -> Result<(), ServiceError> {
    p.check(access).map_err(|d| match d {
        Denied::Forbidden(why) => ServiceError::Forbidden(why),
        Denied::Hidden => ServiceError::Hidden(what.to_owned()),
    })
}
