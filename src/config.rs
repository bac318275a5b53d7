//! Configuration: built-in defaults, then `pilotgov.toml` (if present), then `PILOTGOV_*`
//! environment variables (`PILOTGOV_DATABASE_URL`, `PILOTGOV_BIND`, ...). Read once in `main`
//! and passed down; nothing else reads the environment.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::store::StoreConfig;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// `surrealkv://data/pilotgov.db` (embedded, default), `mem://`, or `ws://host:port`.
    pub database_url: String,
    pub database_namespace: String,
    pub database_name: String,
    /// Root user for a remote SurrealDB server.
    pub database_user: Option<String>,
    pub database_password: Option<String>,
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Largest attachment, in bytes.
    pub attachment_limit: usize,
    /// How long a login token lives, in minutes.
    pub token_ttl_minutes: i64,
    /// Longest a request may take before it is answered 503, in seconds.
    pub request_timeout_secs: u64,
    /// Longest wait for one answer from a remote SurrealDB server (`ws://`), in seconds; past it
    /// the request is answered 503 `database_unavailable` (the SDK reconnects meanwhile).
    pub database_timeout_secs: u64,
    /// How old (in milliseconds) the sign-in check, a programme's scope and a published ranking
    /// may be when read from memory; what another instance changed shows within this. 0: always
    /// read the database.
    pub recent_ms: u64,
    /// `tracing` filter, e.g. `info` or `pilotgov=debug`.
    pub log: String,
    /// Log as JSON lines instead of text.
    pub log_json: bool,
    /// SMTP relay for the e-mail channel: `smtp://host:25`, `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host`. None: e-mail deliveries fail and say so.
    pub smtp_url: Option<String>,
    /// Sender of reminder e-mails.
    pub smtp_from: String,
    /// Hosts (names or addresses) that webhook channels may reach although they are not public
    /// (loopback, private networks): a robot gateway inside a government network, or a test's
    /// receiver. Everything else must resolve to public addresses only.
    pub webhook_allow_hosts: Vec<String>,
    /// The address people reach the server at (`https://pilot.example.gov.cn`): absolute links
    /// (calendar-feed URLs) and, when it is https, the `Secure` flag on dashboard cookies.
    pub public_url: Option<String>,
    /// Failed logins from one source address within five minutes before it is paused (0: off).
    pub login_failures_per_source: u32,
    /// Password checks (Argon2) running at once; 0: half the cores, at least one.
    pub login_workers: usize,
    /// Set by `serve --demo`: the login page names the demo accounts and their password.
    pub demo: bool,
    /// Load the national region table (every township of the country) at start-up: once, then
    /// skipped while it is unchanged. Off only for tests that do not need it.
    pub national_regions: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "surrealkv://data/pilotgov.db".into(),
            database_namespace: "pilotgov".into(),
            database_name: "main".into(),
            database_user: None,
            database_password: None,
            bind: "127.0.0.1:8080".into(),
            body_limit: 2 * 1024 * 1024,
            attachment_limit: 20 * 1024 * 1024,
            token_ttl_minutes: 12 * 60,
            request_timeout_secs: 30,
            database_timeout_secs: 10,
            recent_ms: 1000,
            log: "info".into(),
            log_json: false,
            smtp_url: None,
            smtp_from: "pilotgov <noreply@localhost>".into(),
            webhook_allow_hosts: Vec::new(),
            public_url: None,
            login_failures_per_source: 30,
            login_workers: 0,
            demo: false,
            national_regions: true,
        }
    }
}

impl Config {
    /// Defaults → TOML file → `PILOTGOV_*` environment.
    pub fn load(file: &Path) -> Result<Self, Box<figment::Error>> {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("PILOTGOV_"))
            .extract()
            .map_err(Box::new)
    }

    pub fn limits(&self) -> crate::api::Limits {
        crate::api::Limits {
            token_ttl: chrono::Duration::minutes(self.token_ttl_minutes.max(1)),
            attachment_limit: self.attachment_limit,
        }
    }

    /// Where scheduled deliveries go besides webhooks (e-mail, when configured).
    pub fn outbox(&self) -> Result<crate::jobs::delivery::Outbox, String> {
        let mail = match &self.smtp_url {
            Some(url) => Some(crate::jobs::delivery::Mail::new(url, &self.smtp_from)?),
            None => None,
        };
        Ok(crate::jobs::delivery::Outbox { mail, allow_hosts: self.webhook_allow_hosts.clone(), ..Default::default() })
    }

    /// What the API and the dashboard need from configuration besides limits.
    pub fn site(&self) -> crate::api::Site {
        crate::api::Site {
            webhook_allow_hosts: self.webhook_allow_hosts.clone(),
            public_url: self.public_url.as_deref().map(|u| u.trim_end_matches('/').to_owned()),
            attachment_limit: self.attachment_limit,
            demo: self.demo,
        }
    }

    pub fn login_limits(&self) -> crate::service::accounts::LoginLimits {
        let default = crate::service::accounts::LoginLimits::default();
        crate::service::accounts::LoginLimits {
            per_source: self.login_failures_per_source,
            workers: if self.login_workers == 0 { default.workers } else { self.login_workers },
        }
    }

    pub fn store(&self) -> StoreConfig {
        StoreConfig {
            url: self.database_url.clone(),
            namespace: self.database_namespace.clone(),
            database: self.database_name.clone(),
            username: self.database_user.clone(),
            password: self.database_password.clone(),
            recent: std::time::Duration::from_millis(self.recent_ms),
            remote_timeout: std::time::Duration::from_secs(self.database_timeout_secs.max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("pilotgov.toml", "bind = \"0.0.0.0:9000\"\ndatabase_url = \"mem://\"")?;
            jail.set_env("PILOTGOV_DATABASE_URL", "ws://127.0.0.1:8000");
            let c = Config::load(Path::new("pilotgov.toml")).map_err(|e| *e)?;
            assert_eq!(c.bind, "0.0.0.0:9000");
            assert_eq!(c.database_url, "ws://127.0.0.1:8000");
            assert_eq!(c.body_limit, Config::default().body_limit);
            Ok(())
        });
    }
}
