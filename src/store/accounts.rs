//! Accounts and sessions. Passwords arrive here already hashed; tokens only as their SHA-256.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{AUDIT, Actor, head};
use super::rows::encode;
use super::rows::{codes, strings};
use super::{Store, StoreError};
use crate::domain::access::Role;
use crate::domain::account::{Account, Session};
use crate::domain::{RegionCode, RegionLevel};

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct UserRow {
    username: String,
    display_name: String,
    role: String,
    region: String,
    region_path: Vec<String>,
    region_level: String,
    password_hash: String,
    disabled: bool,
    created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default)]
    must_change_password: bool,
}

impl UserRow {
    fn from_domain(a: &Account) -> Self {
        Self {
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role.as_str().to_owned(),
            region: a.region.to_string(),
            region_path: strings(&a.region_path),
            region_level: a.region_level.as_str().to_owned(),
            password_hash: a.password_hash.clone(),
            disabled: a.disabled,
            created_at: a.created_at.to_rfc3339(),
            phone: a.phone.clone(),
            must_change_password: a.must_change_password,
        }
    }

    fn into_domain(self) -> Result<Account, StoreError> {
        let bad = |e| StoreError::corrupt("user", e);
        Ok(Account {
            role: Role::parse(&self.role).map_err(bad)?,
            region: RegionCode::parse(&self.region).map_err(bad)?,
            region_level: RegionLevel::parse(&self.region_level).map_err(bad)?,
            region_path: codes(&self.region_path).map_err(bad)?,
            created_at: super::rows::instant(&self.created_at)?,
            username: self.username,
            display_name: self.display_name,
            password_hash: self.password_hash,
            disabled: self.disabled,
            phone: self.phone,
            must_change_password: self.must_change_password,
        })
    }

    /// What the audit trail may show of an account: everything but the hash.
    fn public(&self) -> serde_json::Value {
        let mut v = encode(self);
        if let Some(o) = v.as_object_mut() {
            o.remove("password_hash");
        }
        v
    }
}

/// A login session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionRow {
    token_hash: String,
    username: String,
    created_at: String,
    expires_at: String,
    revoked: bool,
}

impl SessionRow {
    fn from_domain(s: &Session) -> Self {
        Self {
            token_hash: s.token_hash.clone(),
            username: s.username.clone(),
            created_at: s.created_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            revoked: s.revoked,
        }
    }

    fn into_domain(self) -> Result<Session, StoreError> {
        Ok(Session {
            created_at: super::rows::instant(&self.created_at)?,
            expires_at: super::rows::instant(&self.expires_at)?,
            token_hash: self.token_hash,
            username: self.username,
            revoked: self.revoked,
        })
    }
}

super::rows::domain_rows! {
    UserRow => Account, "user";
    SessionRow => Session, "session";
}

impl Store {
    pub async fn create_user(&self, account: &Account, actor: &Actor) -> Result<(), StoreError> {
        self.create_users(std::slice::from_ref(account), "user.create", actor).await
    }

    /// Creates accounts all together or none (a bulk import): one transaction, one audit entry
    /// each. A name already taken fails the whole transaction on the unique index.
    pub async fn create_users(&self, accounts: &[Account], action: &str, actor: &Actor) -> Result<(), StoreError> {
        let mut sql = String::from("BEGIN TRANSACTION;\n");
        let mut vars = serde_json::Map::new();
        for (i, account) in accounts.iter().enumerate() {
            let user = UserRow::from_domain(account);
            sql.push_str(&format!(
                "LET $before = NONE; CREATE account CONTENT $row{i}; LET $after = $after{i}; LET $audit = $audit{i};\n{AUDIT}\n"
            ));
            let audit = head(actor, action, &format!("user:{}", user.username), None, Some(user.region_path.clone()));
            vars.insert(format!("after{i}"), user.public());
            vars.insert(format!("audit{i}"), audit);
            vars.insert(format!("row{i}"), encode(&user));
        }
        sql.push_str("COMMIT TRANSACTION;");
        self.query(&sql, serde_json::Value::Object(vars)).await.map(|_| ())
    }

    /// Replaces an account's row with `after` (its name, phone, password, state): audited with
    /// the row before and after (never the hash). `revoke` also ends the account's sessions —
    /// all of them, or all but the one with `keep` (the session changing its own password).
    pub async fn update_user(
        &self,
        after: &Account,
        action: &str,
        revoke: Option<Option<&str>>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let username = &after.username;
        let before =
            self.user_row(username).await?.ok_or_else(|| StoreError::NotFound(format!("user `{username}`")))?;
        let row = UserRow::from_domain(after);
        let sql = format!(
            "BEGIN TRANSACTION;
             UPDATE account CONTENT $row WHERE username = $u;
             IF $revoke {{ UPDATE session SET revoked = true WHERE username = $u AND token_hash != $keep }};
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "u": username, "row": encode(&row), "revoke": revoke.is_some(),
            "keep": revoke.flatten().unwrap_or_default(),
            "before": before.public(), "after": row.public(),
            "audit": head(actor, action, &format!("user:{username}"), None, Some(before.region_path.clone())),
        });
        let done = self.query(&sql, vars).await.map(|_| ());
        // A remembered sign-in holds the account row too (its state, name, forced change), and
        // sessions are not known by token here: forget every remembered sign-in.
        self.recent.sign_in.forget_all();
        done
    }

    pub async fn user(&self, username: &str) -> Result<Option<Account>, StoreError> {
        self.user_row(username).await?.map(UserRow::into_domain).transpose()
    }

    async fn user_row(&self, username: &str) -> Result<Option<UserRow>, StoreError> {
        self.select_one("SELECT * FROM account WHERE username = $u", json!({ "u": username }), "user").await
    }

    pub async fn users(&self) -> Result<Vec<Account>, StoreError> {
        self.select_rows::<UserRow>("SELECT * FROM account ORDER BY username", json!({})).await
    }

    /// Disables or re-enables an account (the command line); disabling also revokes its sessions.
    pub async fn set_user_disabled(&self, username: &str, disabled: bool, actor: &Actor) -> Result<(), StoreError> {
        let mut a = self.user(username).await?.ok_or_else(|| StoreError::NotFound(format!("user `{username}`")))?;
        a.disabled = disabled;
        let action = if disabled { "user.disable" } else { "user.enable" };
        self.update_user(&a, action, disabled.then_some(None), actor).await
    }

    pub async fn create_session(&self, session: &Session, actor: &Actor) -> Result<(), StoreError> {
        let session = &SessionRow::from_domain(session);
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = NONE;
             CREATE session CONTENT $row;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        // The audit trail records the session, never the token or its hash.
        let shown = json!({ "username": session.username, "expires_at": session.expires_at });
        let vars = json!({
            "row": encode(session),
            "after": shown,
            "audit": head(actor, "auth.login", &format!("user:{}", session.username), None, None),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    /// The session of a token hash and its account, as of at most `StoreConfig::recent` ago
    /// (see `recent.rs`): the sign-in check of every request.
    pub async fn recent_sign_in(&self, token_hash: &str) -> Result<Option<Arc<(Session, Account)>>, StoreError> {
        self.recent
            .sign_in
            .get(&token_hash.to_owned(), || async {
                let Some(session) = self.session(token_hash).await? else { return Ok(None) };
                Ok(self.user(&session.username).await?.map(|user| Arc::new((session, user))))
            })
            .await
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        self.select_row::<SessionRow>("SELECT * FROM session WHERE token_hash = $h", json!({ "h": token_hash })).await
    }

    pub async fn revoke_session(&self, token_hash: &str, actor: &Actor) -> Result<(), StoreError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = {{ revoked: false }};
             UPDATE session SET revoked = true WHERE token_hash = $h;
             LET $after = {{ revoked: true }};
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "h": token_hash,
            "audit": head(actor, "auth.logout", &format!("user:{}", actor.username), None, None),
        });
        let done = self.query(&sql, vars).await.map(|_| ());
        self.recent.sign_in.forget(&token_hash.to_owned());
        done
    }
}

impl Store {
    /// Reserves one login attempt for `name` in one transaction: refused (with the time of the
    /// last failure) when `max` failures lie within `pause`; older failures are forgotten.
    /// A success calls [`Store::clear_login`].
    pub async fn reserve_login(
        &self,
        name: &str,
        now: DateTime<Utc>,
        max: u32,
        pause: chrono::Duration,
    ) -> Result<Result<(), DateTime<Utc>>, StoreError> {
        let now_ms = now.timestamp_millis();
        let sql = "BEGIN TRANSACTION;
             LET $id = type::record('login_attempt', $n);
             LET $r = (SELECT failures, last_ms FROM $id)[0];
             LET $count = IF $r = NONE OR $r.last_ms <= $cutoff { 0 } ELSE { $r.failures };
             IF $count >= $max { THROW 'pilotgov:outdated login attempts paused' };
             UPSERT $id CONTENT { failures: $count + 1, last_ms: $now_ms };
             COMMIT TRANSACTION;";
        let vars = json!({ "n": name, "max": max, "now_ms": now_ms, "cutoff": now_ms - pause.num_milliseconds() });
        match self.query(sql, vars).await {
            Ok(_) => Ok(Ok(())),
            Err(StoreError::Outdated(_)) => {
                #[derive(serde::Deserialize)]
                struct R {
                    last_ms: i64,
                }
                let r: Option<R> = self
                    .select_one(
                        "SELECT last_ms FROM type::record('login_attempt', $n)",
                        json!({ "n": name }),
                        "login attempt",
                    )
                    .await?;
                let last = r.map(|r| r.last_ms).unwrap_or(now_ms);
                Ok(Err(DateTime::from_timestamp_millis(last).unwrap_or(now)))
            }
            Err(e) => Err(e),
        }
    }

    /// A successful login forgets the name's failures.
    pub async fn clear_login(&self, name: &str) -> Result<(), StoreError> {
        self.query("DELETE type::record('login_attempt', $n)", json!({ "n": name })).await.map(|_| ())
    }

    /// Forgets names whose last failure is older than `before` (their pause is over anyway).
    pub async fn forget_logins_before(&self, before: DateTime<Utc>) -> Result<(), StoreError> {
        self.query("DELETE login_attempt WHERE last_ms < $t", json!({ "t": before.timestamp_millis() }))
            .await
            .map(|_| ())
    }
}
