//! Channels and deliveries. A delivery is claimed attempt by attempt (compare-and-set on its
//! attempt count), so two workers never send the same attempt.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::rows::{codes, strings};
use super::rows::{decode_ref, encode};
use super::{Store, StoreError, rows};
use crate::domain::RegionCode;
use crate::domain::delivery::{Attempt, Channel, ChannelKind, Delivery, DeliveryStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ChannelRow {
    key: String,
    kind: String,
    url: String,
    region: String,
    created_by: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    secret: Option<String>,
}

impl ChannelRow {
    fn from_domain(c: &Channel) -> Self {
        Self {
            key: c.key.clone(),
            kind: c.kind.as_str().to_owned(),
            url: c.url.clone(),
            region: c.region.to_string(),
            created_by: c.created_by.clone(),
            secret: c.secret.clone(),
        }
    }

    fn into_domain(self) -> Result<Channel, StoreError> {
        Ok(Channel {
            kind: ChannelKind::parse(&self.kind)
                .ok_or_else(|| StoreError::corrupt("channel", format!("kind `{}`", self.kind)))?,
            region: RegionCode::parse(&self.region).map_err(|e| StoreError::corrupt("channel", e))?,
            key: self.key,
            url: self.url,
            created_by: self.created_by,
            secret: self.secret,
        })
    }

    /// What the audit trail keeps of a channel: its URL masked.
    fn shown(&self) -> Json {
        json!({ "key": self.key, "kind": self.kind, "url": crate::domain::outbound::masked(&self.url),
                "region": self.region, "created_by": self.created_by, "signed": self.secret.is_some() })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DeliveryRow {
    key: String,
    reminder: String,
    channel: String,
    region_path: Vec<String>,
    kind: String,
    url: String,
    payload: String,
    status: String,
    attempts: i64,
    next_attempt_at: String,
    log: Vec<Json>,
}

impl DeliveryRow {
    fn from_domain(d: &Delivery) -> Self {
        Self {
            key: d.key.clone(),
            reminder: d.reminder.clone(),
            channel: d.channel.clone(),
            region_path: strings(&d.region_path),
            kind: d.kind.as_str().to_owned(),
            url: d.url.clone(),
            payload: d.payload.clone(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.to_rfc3339(),
            log: d.log.iter().map(encode).collect(),
        }
    }

    fn into_domain(self) -> Result<Delivery, StoreError> {
        let bad = |what: &str, v: &str| StoreError::corrupt("delivery", format!("{what} `{v}`"));
        Ok(Delivery {
            region_path: codes(&self.region_path).map_err(|e| StoreError::corrupt("delivery", e))?,
            kind: ChannelKind::parse(&self.kind).ok_or_else(|| bad("kind", &self.kind))?,
            status: DeliveryStatus::parse(&self.status).ok_or_else(|| bad("status", &self.status))?,
            next_attempt_at: super::rows::instant(&self.next_attempt_at)?,
            log: self.log.iter().map(|e| decode_ref("delivery attempt", e)).collect::<Result<_, _>>()?,
            key: self.key,
            reminder: self.reminder,
            channel: self.channel,
            url: self.url,
            payload: self.payload,
            attempts: self.attempts,
        })
    }
}

super::rows::domain_rows! {
    ChannelRow => Channel, "channel";
    DeliveryRow => Delivery, "delivery";
}

impl Store {
    pub async fn create_channel(&self, c: &Channel, path: Vec<String>, actor: &Actor) -> Result<(), StoreError> {
        let c = &ChannelRow::from_domain(c);
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

    pub async fn channel(&self, key: &str) -> Result<Option<Channel>, StoreError> {
        self.select_row::<ChannelRow>("SELECT * FROM channel WHERE key = $k", json!({ "k": key })).await
    }

    /// Replaces a channel's URL, audited with both URLs masked.
    pub async fn replace_channel_url(
        &self,
        c: &Channel,
        url: &str,
        secret: Option<&str>,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let c = &ChannelRow::from_domain(c);
        let sql = format!(
            "BEGIN TRANSACTION;
             UPDATE channel SET url = $url, secret = $secret WHERE key = $k;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let after = ChannelRow { url: url.to_owned(), secret: secret.map(str::to_owned), ..c.clone() };
        let vars = json!({
            "k": c.key, "url": url, "secret": secret, "before": c.shown(), "after": after.shown(),
            "audit": head(actor, "channel.replace_url", &format!("channel:{}", c.key), None, Some(path)),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn channels(&self) -> Result<Vec<Channel>, StoreError> {
        self.select_rows::<ChannelRow>("SELECT * FROM channel ORDER BY key", json!({})).await
    }

    /// Queues a delivery unless one with its key exists.
    pub async fn enqueue_delivery(&self, d: &Delivery) -> Result<bool, StoreError> {
        match self.query("CREATE delivery CONTENT $row", json!({ "row": encode(&DeliveryRow::from_domain(d)) })).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_duplicate_in("delivery_key") => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn due_deliveries(&self, now: DateTime<Utc>) -> Result<Vec<Delivery>, StoreError> {
        self.select_rows::<DeliveryRow>(
            "SELECT * FROM delivery WHERE status = 'pending' AND next_attempt_at <= $now_at ORDER BY next_attempt_at, key LIMIT 200",
            json!({ "now_at": now.to_rfc3339() }),
        )
        .await
    }

    pub async fn deliveries(&self, status: Option<DeliveryStatus>) -> Result<Vec<Delivery>, StoreError> {
        self.select_rows::<DeliveryRow>(
            "SELECT * FROM delivery WHERE $s = NONE OR status = $s ORDER BY key",
            json!({ "s": status.map(DeliveryStatus::as_str) }),
        )
        .await
    }

    pub async fn delivery(&self, key: &str) -> Result<Option<Delivery>, StoreError> {
        self.select_row::<DeliveryRow>("SELECT * FROM delivery WHERE key = $k", json!({ "k": key })).await
    }

    /// Puts a pending delivery off until `at` without spending an attempt (a robot's rate limit).
    pub async fn defer_delivery(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.query(
            "UPDATE delivery SET next_attempt_at = <datetime>$at WHERE key = $k AND status = 'pending'",
            json!({ "k": key, "at": at.to_rfc3339() }),
        )
        .await
        .map(|_| ())
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
        status: DeliveryStatus,
        next_at: DateTime<Utc>,
        entry: &Attempt,
    ) -> Result<(), StoreError> {
        self.query(
            "UPDATE delivery SET status = $s, next_attempt_at = $next_at, log = array::append(log, $e) WHERE key = $k",
            json!({ "k": key, "s": status.as_str(), "next_at": next_at.to_rfc3339(), "e": encode(entry) }),
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
