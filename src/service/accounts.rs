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
use crate::domain::account::{Account, Session};
use crate::domain::{DomainError, RegionCode};
pub use crate::service::error::ServiceError;
use crate::store::audit::Actor;
use crate::store::{Store, StoreError};

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
    let username = crate::domain::account::username(new.username)?;
    let tree = store.tree_for(new.region, &[]).await?;
    let region = tree
        .get(new.region)
        .ok_or_else(|| DomainError::invalid("region", format!("unknown region code `{}`", new.region)))?;
    // Argon2 is slow on purpose: off the async workers.
    let password = new.password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| StoreError::Internal(format!("password hashing: {e}")))??;
    let mut path: Vec<RegionCode> = tree.ancestors(new.region).iter().map(|r| r.code.clone()).collect();
    path.reverse();
    path.push(new.region.clone());
    let account = Account {
        username,
        display_name: crate::domain::programme::text("display_name", new.display_name, 64)?,
        role: new.role,
        region: new.region.clone(),
        region_path: path,
        region_level: region.level,
        password_hash,
        disabled: false,
        created_at: actor.at,
        phone: None,
        // Whoever runs this (the command line, the demo) chose the password for the account.
        must_change_password: false,
    };
    store.create_user(&account, actor).await
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

/// What guards the login: failed attempts per account name and per source address, and the
/// number of password checks running at once.
///
/// * **Per name, atomically.** Each attempt first *reserves* a failure for its name, in one step
///   with the check (under a lock in this instance, and in one database transaction across
///   instances); a success clears the name. So a burst of simultaneous guesses gets at most
///   [`LoginThrottle::MAX_FAILURES`] checks, not one per request. After that the name is refused
///   (429) until [`LoginThrottle::PAUSE_MINUTES`] have passed since its last failure.
/// * **Per source address** (this instance): after `per_source` failures within the pause, that
///   address is refused before any password is checked, so a flood of made-up names costs nothing.
/// * **Bounded hashing.** Argon2 is slow on purpose; it runs on the blocking pool, at most
///   `workers` at a time, with at most [`LoginThrottle::QUEUE`] more waiting. A request beyond
///   that is answered 503 at once instead of stalling the server's other requests.
pub struct LoginThrottle {
    names: std::sync::Mutex<std::collections::HashMap<String, Tally>>,
    sources: std::sync::Mutex<std::collections::HashMap<String, Tally>>,
    per_source: u32,
    queue: tokio::sync::Semaphore,
    work: tokio::sync::Semaphore,
    sweeps: std::sync::atomic::AtomicU32,
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    failures: u32,
    last: DateTime<Utc>,
}

/// Settings of the [`LoginThrottle`] (from configuration).
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failures from one source address before it is paused; 0 turns the limit off.
    pub per_source: u32,
    /// Password checks at once (default: half the cores, at least one).
    pub workers: usize,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Self { per_source: 30, workers: (cores / 2).max(1) }
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(LoginLimits::default())
    }
}

/// One more failure for `key` unless it is paused; `Err(seconds)` while paused. Old failures
/// (older than the pause) are forgotten first.
fn reserve(
    map: &mut std::collections::HashMap<String, Tally>,
    key: &str,
    max: u32,
    now: DateTime<Utc>,
) -> Result<(), i64> {
    let pause = Duration::minutes(LoginThrottle::PAUSE_MINUTES);
    // Bounded: a flood of made-up names cannot grow the map without end.
    if map.len() > 100_000 {
        map.retain(|_, t| now - t.last < pause);
    }
    let t = map.entry(key.to_owned()).or_insert(Tally { failures: 0, last: now });
    if now - t.last >= pause {
        t.failures = 0;
    }
    if t.failures >= max {
        return Err((t.last + pause - now).num_seconds().max(1));
    }
    t.failures += 1;
    t.last = now;
    Ok(())
}

impl LoginThrottle {
    pub const MAX_FAILURES: u32 = 5;
    pub const PAUSE_MINUTES: i64 = 5;
    /// Logins that may wait for a password check before further ones are turned away.
    pub const QUEUE: usize = 16;

    pub fn new(limits: LoginLimits) -> Self {
        let workers = limits.workers.max(1);
        Self {
            names: Default::default(),
            sources: Default::default(),
            per_source: limits.per_source,
            queue: tokio::sync::Semaphore::new(workers + Self::QUEUE),
            work: tokio::sync::Semaphore::new(workers),
            sweeps: Default::default(),
        }
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// The name as the database keeps it: its SHA-256, so that any name (empty, long, odd
    /// characters) is a valid record id and no name is stored.
    fn stored(key: &str) -> String {
        token_hash(key)
    }

    /// Is this source paused? (Checked before anything else; counts nothing.)
    fn source_paused(&self, source: Option<&str>, now: DateTime<Utc>) -> Result<(), ServiceError> {
        let (Some(src), n) = (source, self.per_source) else { return Ok(()) };
        if n == 0 {
            return Ok(());
        }
        let map = self.sources.lock().expect("throttle lock");
        match map.get(src) {
            Some(t) if t.failures >= n && now - t.last < Duration::minutes(Self::PAUSE_MINUTES) => {
                Err(ServiceError::Throttled {
                    retry_after_secs: (t.last + Duration::minutes(Self::PAUSE_MINUTES) - now).num_seconds().max(1),
                })
            }
            _ => Ok(()),
        }
    }

    fn source_failed(&self, source: Option<&str>, now: DateTime<Utc>) {
        if let Some(src) = source
            && self.per_source > 0
        {
            let mut map = self.sources.lock().expect("throttle lock");
            let _ = reserve(&mut map, src, u32::MAX, now);
        }
    }

    /// Reserves one attempt for the name: in this instance, then in the database (so that
    /// instances sharing it share the count). Refused while the name is paused.
    async fn reserve(&self, store: &Store, username: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        let key = Self::key(username);
        {
            let mut map = self.names.lock().expect("throttle lock");
            reserve(&mut map, &key, Self::MAX_FAILURES, now)
                .map_err(|retry_after_secs| ServiceError::Throttled { retry_after_secs })?;
        }
        let pause = Duration::minutes(Self::PAUSE_MINUTES);
        match store.reserve_login(&Self::stored(&key), now, Self::MAX_FAILURES, pause).await? {
            Ok(()) => {}
            Err(last) => {
                return Err(ServiceError::Throttled { retry_after_secs: (last + pause - now).num_seconds().max(1) });
            }
        }
        // Now and then, forget names whose pause is long over.
        if self.sweeps.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 256 == 255 {
            store.forget_logins_before(now - pause).await?;
        }
        Ok(())
    }

    async fn succeeded(&self, store: &Store, username: &str) -> Result<(), StoreError> {
        let key = Self::key(username);
        self.names.lock().expect("throttle lock").remove(&key);
        store.clear_login(&Self::stored(&key)).await
    }

    /// Checks a password against its hash, within the same bound as logins.
    pub async fn check_password(&self, given: String, hash: String) -> Result<bool, ServiceError> {
        self.hashing(move || verify_password(&given, &hash)).await
    }

    /// Runs a password check on the blocking pool, within the bound on checks at once.
    async fn hashing<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ServiceError> {
        let _queued = self.queue.try_acquire().map_err(|_| ServiceError::Busy)?;
        let _working = self.work.acquire().await.map_err(|_| ServiceError::Busy)?;
        tokio::task::spawn_blocking(f).await.map_err(|_| ServiceError::Busy)
    }
}

/// Checks the password and opens a session; returns the token (shown once) and its expiry.
/// `source` is the client's address, when known.
#[allow(clippy::too_many_arguments)]
pub async fn login(
    store: &Store,
    throttle: &LoginThrottle,
    username: &str,
    password: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<(String, DateTime<Utc>, Principal), ServiceError> {
    throttle.source_paused(source, now)?;
    throttle.reserve(store, username, now).await?;
    let user = store.user(username).await?;
    // Verify against some hash even for an unknown user, so response times do not reveal which
    // names exist.
    static DECOY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("decoy-password").expect("hashing works"));
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DECOY.clone());
    let given = password.to_owned();
    let ok = throttle.hashing(move || verify_password(&given, &hash)).await?;
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            throttle.source_failed(source, now);
            return Err(ServiceError::BadCredentials);
        }
    };
    throttle.succeeded(store, username).await?;
    let p = user.principal();
    let token = new_token();
    let expires = now + ttl;
    let session = Session {
        token_hash: token_hash(&token),
        username: user.username.clone(),
        created_at: now,
        expires_at: expires,
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
    if !session.is_live(now) || user.disabled {
        return Ok(None);
    }
    Ok(Some(user.principal()))
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
    // 闽侯县 has not filed its plan in the demo history: the lead to try the filing round with.
    ("minhou-lead", "闽侯县民政局", Role::UnitLead, "350121"),
    ("fj-evaluator", "省厅评估组", Role::Evaluator, "350000"),
    ("fj-leader", "省厅分管领导", Role::Leader, "350000"),
    ("xixiu-reviewer", "西秀区民政局", Role::CityReviewer, "520402"),
    ("xixiu-evaluator", "西秀区月度评分组", Role::Evaluator, "520402"),
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
    use super::*;

    /// With the worker busy and the queue full, the next password check is turned away at once
    /// (503 `busy`) instead of waiting behind the flood.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_checks_beyond_the_queue_are_turned_away_at_once() {
        let t = std::sync::Arc::new(LoginThrottle::new(LoginLimits { per_source: 0, workers: 1 }));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = std::sync::Arc::new(std::sync::Mutex::new(wait));
        let mut held = Vec::new();
        for _ in 0..(1 + LoginThrottle::QUEUE) {
            let (t, wait) = (t.clone(), wait.clone());
            held.push(tokio::spawn(async move {
                t.hashing(move || {
                    let _ = wait.lock().unwrap().recv();
                })
                .await
            }));
        }
        for _ in 0..5000 {
            if t.queue.available_permits() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(t.queue.available_permits(), 0, "the worker and the queue are taken");
        let started = std::time::Instant::now();
        assert!(matches!(t.hashing(|| ()).await, Err(ServiceError::Busy)));
        assert!(started.elapsed() < std::time::Duration::from_millis(100), "refused without waiting");
        for _ in 0..held.len() {
            release.send(()).unwrap();
        }
        for h in held {
            assert!(h.await.unwrap().is_ok(), "the queued checks all ran");
        }
        assert!(t.hashing(|| ()).await.is_ok(), "and the gate is open again");
    }

    /// Stored sessions and feed URLs are found by this hash: it must stay SHA-256 in lower-case hex.
    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
