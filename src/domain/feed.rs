//! Calendar feeds: a secret address per unit that calendar programs (Outlook, WPS, phones)
//! subscribe to. Only the token's hash is kept; the token is shown once, when made.

use chrono::{DateTime, Utc};

use super::{Key, RegionCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub key: String,
    /// SHA-256 hex of the secret token in the feed's address.
    pub token_hash: String,
    pub programme: Key,
    pub unit: RegionCode,
    /// The unit's region path, root first.
    pub unit_path: Vec<RegionCode>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// A revoked feed answers nothing.
    pub revoked: bool,
}
