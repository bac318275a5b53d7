//! Channels and deliveries. A delivery is claimed attempt by attempt (compare-and-set on its
//! attempt count), so two workers never send the same attempt.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::rows::{decode, encode};
use super::{Store, StoreError, rows};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRow {
    pub key: String,
    pub kind: String,
    pub url: String,
    pub region: String,
    pub created_by: String,
}

impl ChannelRow {
    /// What the audit trail keeps of a channel: its URL masked.
    fn shown(&self) -> Json {
        json!({ "key": self.key, "kind": self.kind, "url": crate::domain::outbound::masked(&self.url),
                "region": self.region, "created_by": self.created_by })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub key: String,
    pub reminder: String,
    pub channel: String,
    pub region_path: Vec<String>,
    pub kind: String,
    pub url: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub log: Vec<Json>,
}

impl Store {
    pub async fn create_channel(&self, c: &ChannelRow, path: Vec<String>, actor: &Actor) -> Result<(), StoreError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = NONE;
             CREATE channel CONTENT $row;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        // The audit trail shows the URL masked, as every response does.
        let vars = json!({
            "row": encode(c), "after": c.shown(),
            "audit": head(actor, "channel.create", &format!("channel:{}", c.key), None, Some(path)),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn channel(&self, key: &str) -> Result<Option<ChannelRow>, StoreError> {
        self.select_one("SELECT * FROM channel WHERE key = $k", json!({ "k": key }), "channel").await
    }

    /// Replaces a channel's URL, audited with both URLs masked.
    pub async fn replace_channel_url(
        &self,
        c: &ChannelRow,
        url: &str,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             UPDATE channel SET url = $url WHERE key = $k;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let after = ChannelRow { url: url.to_owned(), ..c.clone() };
        let vars = json!({
            "k": c.key, "url": url, "before": c.shown(), "after": after.shown(),
            "audit": head(actor, "channel.replace_url", &format!("channel:{}", c.key), None, Some(path)),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn channels(&self) -> Result<Vec<ChannelRow>, StoreError> {
        let out = self.query("SELECT * FROM channel ORDER BY key", json!({})).await?;
        rows(out.into_iter().next().unwrap_or_default()).into_iter().map(|v| decode("channel", v)).collect()
    }

    /// Queues a delivery unless one with its key exists.
    pub async fn enqueue_delivery(&self, d: &DeliveryRow) -> Result<bool, StoreError> {
        match self.query("CREATE delivery CONTENT $row", json!({ "row": encode(d) })).await {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict { retryable: false, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn due_deliveries(&self, now: DateTime<Utc>) -> Result<Vec<DeliveryRow>, StoreError> {
        let out = self
            .query(
                "SELECT * FROM delivery WHERE status = 'pending' AND next_attempt_at <= $now_at ORDER BY next_attempt_at, key LIMIT 200",
                json!({ "now_at": now.to_rfc3339() }),
            )
            .await?;
        rows(out.into_iter().next().unwrap_or_default()).into_iter().map(|v| decode("delivery", v)).collect()
    }

    pub async fn deliveries(&self, status: Option<&str>) -> Result<Vec<DeliveryRow>, StoreError> {
        let out = self
            .query("SELECT * FROM delivery WHERE $s = NONE OR status = $s ORDER BY key", json!({ "s": status }))
            .await?;
        rows(out.into_iter().next().unwrap_or_default()).into_iter().map(|v| decode("delivery", v)).collect()
    }

    pub async fn delivery(&self, key: &str) -> Result<Option<DeliveryRow>, StoreError> {
        let out = self.query("SELECT * FROM delivery WHERE key = $k", json!({ "k": key })).await?;
        out.into_iter().next().map(rows).and_then(|r| r.into_iter().next()).map(|v| decode("delivery", v)).transpose()
    }

    /// Claims the next attempt: only the caller that moves `attempts` from `seen` gets it.
    pub async fn claim_attempt(&self, key: &str, seen: i64) -> Result<bool, StoreError> {
        let out = self
            .query(
                "UPDATE delivery SET attempts = attempts + 1 WHERE key = $k AND attempts = $n AND status = 'pending' RETURN AFTER",
                json!({ "k": key, "n": seen }),
            )
            .await?;
        Ok(out.into_iter().next().map(rows).is_some_and(|r| !r.is_empty()))
    }

    /// Records an attempt's outcome and what happens next.
    pub async fn record_attempt(
        &self,
        key: &str,
        status: &str,
        next_at: DateTime<Utc>,
        entry: Json,
    ) -> Result<(), StoreError> {
        self.query(
            "UPDATE delivery SET status = $s, next_attempt_at = $next_at, log = array::append(log, $e) WHERE key = $k",
            json!({ "k": key, "s": status, "next_at": next_at.to_rfc3339(), "e": entry }),
        )
        .await
        .map(|_| ())
    }

    /// Puts a dead delivery back in the queue (an admin's replay), audited.
    pub async fn replay_delivery(
        &self,
        key: &str,
        now: DateTime<Utc>,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT status, attempts FROM delivery WHERE key = $k)[0];
             IF $before = NONE {{ THROW 'pilotgov:missing delivery' }};
             IF $before.status != 'dead' {{ THROW 'pilotgov:outdated only dead deliveries are replayed' }};
             UPDATE delivery SET status = 'pending', attempts = 0, next_attempt_at = $now_at WHERE key = $k;
             LET $after = (SELECT status, attempts FROM delivery WHERE key = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({ "k": key, "now_at": now.to_rfc3339(), "audit": head(actor, "delivery.replay", &format!("delivery:{key}"), None, Some(path)) });
        self.query(&sql, vars).await.map(|_| ())
    }
}
