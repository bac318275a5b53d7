//! Accounts: creating them, logging in and out, and turning a bearer token into the
//! [`Principal`] a request acts as.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults). A token is 32 random
//! bytes, shown once at login; the database keeps only its SHA-256, so a copy of the database
//! does not yield usable tokens. Tokens expire after the configured time and are revoked at
//! logout and when an account is disabled.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::domain::access::{Principal, Role};
use crate::domain::{DomainError, RegionCode, RegionLevel};
use crate::store::accounts::{SessionRow, UserRow};
use crate::store::audit::Actor;
use crate::store::{Store, StoreError};

/// Why a login or a token was refused. Deliberately vague towards the caller.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password, or the account is disabled")]
    BadCredentials,
    /// Too many failed attempts for this account lately; try again after the pause.
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn hash_password(password: &str) -> Result<String, DomainError> {
    if password.chars().count() < 8 {
        return Err(DomainError::invalid("password", "at least 8 characters"));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::invalid("password", e.to_string()))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    // Lower-case hex, by table: this runs on every authenticated request.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    Sha256::digest(token.as_bytes())
        .iter()
        .flat_map(|b| [char::from(HEX[usize::from(b >> 4)]), char::from(HEX[usize::from(b & 15)])])
        .collect()
}

/// A new random secret (32 bytes, URL-safe base64): login tokens and calendar-feed URLs.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new account, its region checked against the tree.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub region: &'a RegionCode,
    pub password: &'a str,
}

pub async fn create_user(store: &Store, new: NewUser<'_>, actor: &Actor) -> Result<(), StoreError> {
    let username = new.username.trim();
    let valid =
        (2..=64).contains(&username.len()) && username.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !valid {
        return Err(DomainError::invalid("username", "2–64 of a-z, A-Z, 0-9, `.`, `_`, `-`").into());
    }
    let tree = store.tree_for(new.region, &[]).await?;
    let region = tree
        .get(new.region)
        .ok_or_else(|| DomainError::invalid("region", format!("unknown region code `{}`", new.region)))?;
    let mut path: Vec<String> = tree.ancestors(new.region).iter().map(|r| r.code.to_string()).collect();
    path.reverse();
    path.push(new.region.to_string());
    let row = UserRow {
        username: username.to_owned(),
        display_name: crate::domain::programme::text("display_name", new.display_name, 64)?,
        role: new.role.as_str().to_owned(),
        region: new.region.to_string(),
        region_path: path,
        region_level: region.level.as_str().to_owned(),
        password_hash: hash_password(new.password)?,
        disabled: false,
        created_at: actor.at.to_rfc3339(),
    };
    store.create_user(&row, actor).await
}

pub(crate) fn principal(user: &UserRow) -> Result<Principal, StoreError> {
    let bad = |e: DomainError| StoreError::corrupt("user", e);
    Ok(Principal {
        username: user.username.clone(),
        role: Role::parse(&user.role).map_err(bad)?,
        region: RegionCode::parse(&user.region).map_err(bad)?,
        region_level: RegionLevel::parse(&user.region_level).map_err(bad)?,
        region_path: user.region_path.iter().map(|c| RegionCode::parse(c)).collect::<Result<_, _>>().map_err(bad)?,
    })
}

/// The actor record for a principal's mutations.
pub fn actor(p: &Principal, at: DateTime<Utc>) -> Actor {
    Actor {
        username: p.username.clone(),
        role: p.role.as_str().to_owned(),
        at,
        region_path: p.region_path.iter().map(|c| c.to_string()).collect(),
    }
}

/// Failed logins per account name, kept in memory: after [`LoginThrottle::MAX_FAILURES`] failures
/// in a row, that name is refused for [`LoginThrottle::PAUSE_MINUTES`] (429), whatever the
/// password, so a password cannot be guessed at speed. A success clears the count. Per instance:
/// several instances each allow as many, which still caps guessing at a few a minute.
#[derive(Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, DateTime<Utc>)>>,
}

impl LoginThrottle {
    pub const MAX_FAILURES: u32 = 5;
    pub const PAUSE_MINUTES: i64 = 5;

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Refuses while the name is paused.
    fn check(&self, username: &str, now: DateTime<Utc>) -> Result<(), AuthError> {
        let map = self.failures.lock().expect("throttle lock");
        match map.get(&Self::key(username)) {
            Some((n, last)) if *n >= Self::MAX_FAILURES => {
                let until = *last + Duration::minutes(Self::PAUSE_MINUTES);
                if now < until {
                    Err(AuthError::Throttled { retry_after_secs: (until - now).num_seconds().max(1) })
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    fn record(&self, username: &str, ok: bool, now: DateTime<Utc>) {
        let mut map = self.failures.lock().expect("throttle lock");
        if ok {
            map.remove(&Self::key(username));
            return;
        }
        // Bounded: a flood of made-up names cannot grow the map without end.
        if map.len() > 100_000 {
            map.retain(|_, (_, last)| now - *last < Duration::minutes(Self::PAUSE_MINUTES));
        }
        let e = map.entry(Self::key(username)).or_insert((0, now));
        // A pause that has run out starts a fresh count.
        if e.0 >= Self::MAX_FAILURES && now - e.1 >= Duration::minutes(Self::PAUSE_MINUTES) {
            e.0 = 0;
        }
        e.0 += 1;
        e.1 = now;
    }
}

/// Checks the password and opens a session; returns the token (shown once) and its expiry.
pub async fn login(
    store: &Store,
    throttle: &LoginThrottle,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<(String, DateTime<Utc>, Principal), AuthError> {
    throttle.check(username, now)?;
    let user = store.user(username).await?;
    // Verify against some hash even for an unknown user, so response times do not reveal which
    // names exist.
    static DECOY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("decoy-password").expect("hashing works"));
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DECOY.clone());
    let ok = verify_password(password, &hash);
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            throttle.record(username, false, now);
            return Err(AuthError::BadCredentials);
        }
    };
    throttle.record(username, true, now);
    let p = principal(&user)?;
    let token = new_token();
    let expires = now + ttl;
    let session = SessionRow {
        token_hash: token_hash(&token),
        username: user.username.clone(),
        created_at: now.to_rfc3339(),
        expires_at: expires.to_rfc3339(),
        revoked: false,
    };
    store.create_session(&session, &actor(&p, now)).await?;
    Ok((token, expires, p))
}

/// The principal a bearer token stands for, if the token is known, live and its account enabled
/// (a logout or a disabled account on another instance counts within `recent_ms`).
pub async fn authenticate(store: &Store, token: &str, now: DateTime<Utc>) -> Result<Option<Principal>, StoreError> {
    let Some(signed_in) = store.recent_sign_in(&token_hash(token)).await? else { return Ok(None) };
    let (session, user) = &*signed_in;
    if session.revoked || session.expires()? <= now || user.disabled {
        return Ok(None);
    }
    principal(user).map(Some)
}

pub async fn logout(store: &Store, token: &str, p: &Principal, now: DateTime<Utc>) -> Result<(), StoreError> {
    store.revoke_session(&token_hash(token), &actor(p, now)).await
}

/// The demo accounts `serve --demo` creates (all with [`DEMO_PASSWORD`]): one per role for the
/// Fujian programme, and a reviewer and lead for Xixiu's township pilots.
pub const DEMO_USERS: &[(&str, &str, Role, &str)] = &[
    ("fj-admin", "福建省民政厅社会救助处", Role::ProvinceAdmin, "350000"),
    ("fz-reviewer", "福州市民政局", Role::CityReviewer, "350100"),
    ("taijiang-lead", "台江区试点负责人", Role::UnitLead, "350103"),
    ("pingtan-lead", "平潭综合实验区社会事业局", Role::UnitLead, "350128"),
    ("fj-evaluator", "省厅评估组", Role::Evaluator, "350000"),
    ("fj-leader", "省厅分管领导", Role::Leader, "350000"),
    ("xixiu-reviewer", "西秀区民政局", Role::CityReviewer, "520402"),
    ("jiuzhou-lead", "旧州镇社会救助经办", Role::UnitLead, "520402109"),
];

pub const DEMO_PASSWORD: &str = "pilotgov-demo";

/// Creates the demo accounts that do not exist yet; returns the names created.
pub async fn ensure_demo_users(store: &Store, now: DateTime<Utc>) -> Result<Vec<&'static str>, StoreError> {
    let actor = Actor::system("demo", now);
    let mut made = Vec::new();
    for (username, name, role, region) in DEMO_USERS {
        if store.user(username).await?.is_some() {
            continue;
        }
        let region = RegionCode::parse(region).expect("demo regions are valid");
        create_user(
            store,
            NewUser { username, display_name: name, role: *role, region: &region, password: DEMO_PASSWORD },
            &actor,
        )
        .await?;
        made.push(*username);
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    /// Stored sessions and feed URLs are found by this hash: it must stay SHA-256 in lower-case hex.
    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(super::token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
