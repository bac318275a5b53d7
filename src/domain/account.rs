//! Accounts and sessions: who may sign in, at which region and in which role.

use chrono::{DateTime, Utc};

use super::access::{Principal, Role};
use super::{RegionCode, RegionLevel};

/// An account. The password is kept only as its Argon2 hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub region_level: RegionLevel,
    /// The home region and its ancestors, root first.
    pub region_path: Vec<RegionCode>,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl Account {
    /// Whom the account acts as.
    pub fn principal(&self) -> Principal {
        Principal {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            region: self.region.clone(),
            region_level: self.region_level,
            region_path: self.region_path.clone(),
        }
    }

    /// Does the account work at `region` in `role`?
    pub fn is(&self, role: Role, region: &RegionCode) -> bool {
        self.role == role && &self.region == region
    }
}

/// A signed-in session; the token is kept only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

impl Session {
    /// Does the session let its account in at `now`?
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && now < self.expires_at
    }
}
