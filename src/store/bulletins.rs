//! Bulletins and calendar feeds. Publishing takes the next issue number in the same transaction
//! that freezes the bulletin; a unique index on (programme, number) makes a race between two
//! publishers fail (and be retried) instead of giving two bulletins one number.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::rows::{decode, encode};
use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulletinRow {
    pub key: String,
    pub programme: String,
    pub region: String,
    pub region_path: Vec<String>,
    /// `monthly` or `stage`.
    pub kind: String,
    pub period: String,
    /// `draft` or `published`.
    pub status: String,
    pub number: Option<u32>,
    pub title: String,
    pub remarks: Option<String>,
    /// The [`crate::domain::bulletin::Content`], as taken.
    pub content: Json,
    pub revision: u32,
    pub created_at: String,
    pub created_by: String,
    pub published_at: Option<String>,
    pub published_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRow {
    pub key: String,
    pub token_hash: String,
    pub programme: String,
    pub unit: String,
    pub unit_path: Vec<String>,
    pub created_by: String,
    pub created_at: String,
    pub revoked: bool,
}

impl Store {
    /// Creates a draft, or replaces the draft `replaces` (at `expected` revision) with it.
    pub async fn save_bulletin_draft(
        &self,
        row: &BulletinRow,
        replaces: Option<(&str, u32)>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let (sql, action) = match replaces {
            None => (
                format!(
                    "BEGIN TRANSACTION;
                     LET $before = NONE;
                     CREATE bulletin CONTENT $row;
                     LET $after = $row;
                     {AUDIT}
                     COMMIT TRANSACTION;"
                ),
                "bulletin.draft",
            ),
            Some(_) => (
                format!(
                    "BEGIN TRANSACTION;
                     LET $before = (SELECT * OMIT id FROM bulletin WHERE key = $k)[0];
                     IF $before = NONE {{ THROW 'pilotgov:missing bulletin' }};
                     IF $before.status != 'draft' {{ THROW 'pilotgov:outdated bulletin already published' }};
                     IF $before.revision != $expected {{ THROW 'pilotgov:outdated bulletin revision' }};
                     UPDATE bulletin CONTENT $row WHERE key = $k;
                     LET $after = $row;
                     {AUDIT}
                     COMMIT TRANSACTION;"
                ),
                "bulletin.update",
            ),
        };
        let (k, expected) = replaces.unwrap_or_default();
        let vars = json!({
            "row": encode(row), "k": k, "expected": expected,
            "audit": head(actor, action, &format!("bulletin:{}", row.key), Some(&row.programme), Some(row.region_path.clone())),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    /// Freezes a draft with the next issue number of its programme; returns the number.
    pub async fn publish_bulletin(&self, key: &str, expected: u32, actor: &Actor) -> Result<u32, StoreError> {
        let b = self.bulletin(key).await?.ok_or_else(|| StoreError::NotFound(format!("bulletin {key}")))?;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT * OMIT id FROM bulletin WHERE key = $k)[0];
             IF $before = NONE {{ THROW 'pilotgov:missing bulletin' }};
             IF $before.status != 'draft' {{ THROW 'pilotgov:outdated bulletin already published' }};
             IF $before.revision != $expected {{ THROW 'pilotgov:outdated bulletin revision' }};
             LET $last = (SELECT VALUE number FROM bulletin_number WHERE programme = $p ORDER BY number DESC LIMIT 1)[0] ?? 0;
             LET $n = $last + 1;
             CREATE bulletin_number CONTENT {{ programme: $p, number: $n, bulletin: $k }};
             UPDATE bulletin SET status = 'published', number = $n, published_at = <datetime>$now_at,
                 published_by = $by, revision = revision + 1 WHERE key = $k;
             LET $after = (SELECT * OMIT id FROM bulletin WHERE key = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "k": key, "p": b.programme, "expected": expected, "now_at": actor.at.to_rfc3339(), "by": actor.username,
            "audit": head(actor, "bulletin.publish", &format!("bulletin:{key}"), Some(&b.programme), Some(b.region_path)),
        });
        // Two publishers may compute the same next number; the loser's transaction fails on the
        // unique index (or as a conflict) and simply takes the next one.
        let mut tries = 0;
        loop {
            match self.query(&sql, vars.clone()).await {
                Ok(_) => break,
                Err(StoreError::Conflict { .. }) if tries < 5 => tries += 1,
                Err(e) => return Err(e),
            }
        }
        self.bulletin(key)
            .await?
            .and_then(|b| b.number)
            .ok_or_else(|| StoreError::Internal("a published bulletin has no number".into()))
    }

    pub async fn bulletin(&self, key: &str) -> Result<Option<BulletinRow>, StoreError> {
        self.select_one("SELECT * OMIT id FROM bulletin WHERE key = $k", json!({ "k": key }), "bulletin").await
    }

    /// A programme's bulletins: published by number, then drafts, newest first.
    pub async fn bulletins(&self, programme: &str) -> Result<Vec<BulletinRow>, StoreError> {
        let sql = "SELECT * OMIT id FROM bulletin WHERE programme = $p ORDER BY number DESC, created_at DESC";
        self.select(sql, json!({ "p": programme }), "bulletin").await
    }

    pub async fn create_feed(&self, row: &FeedRow, actor: &Actor) -> Result<(), StoreError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = NONE;
             CREATE calendar_feed CONTENT $row;
             LET $after = $shown;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        // The audit trail records the feed, not its secret.
        let mut shown = encode(row);
        shown["token_hash"] = json!("(secret)");
        let vars = json!({
            "row": encode(row), "shown": shown,
            "audit": head(actor, "calendar_feed.create", &format!("calendar_feed:{}", row.key), Some(&row.programme), Some(row.unit_path.clone())),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn revoke_feed(&self, key: &str, actor: &Actor) -> Result<(), StoreError> {
        let feed = self.feed(key).await?.ok_or_else(|| StoreError::NotFound(format!("calendar feed {key}")))?;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT key, programme, unit, revoked FROM calendar_feed WHERE key = $k)[0];
             UPDATE calendar_feed SET revoked = true WHERE key = $k;
             LET $after = (SELECT key, programme, unit, revoked FROM calendar_feed WHERE key = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "k": key,
            "audit": head(actor, "calendar_feed.revoke", &format!("calendar_feed:{key}"), Some(&feed.programme), Some(feed.unit_path.clone())),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn feed(&self, key: &str) -> Result<Option<FeedRow>, StoreError> {
        self.select_one("SELECT * OMIT id FROM calendar_feed WHERE key = $k", json!({ "k": key }), "calendar feed")
            .await
    }

    /// The live (not revoked) feed with this token hash.
    pub async fn feed_by_token(&self, token_hash: &str) -> Result<Option<FeedRow>, StoreError> {
        let sql = "SELECT * OMIT id FROM calendar_feed WHERE token_hash = $h AND revoked = false";
        self.select_one(sql, json!({ "h": token_hash }), "calendar feed").await
    }

    pub async fn feeds(&self, programme: &str, unit: &str) -> Result<Vec<FeedRow>, StoreError> {
        let sql = "SELECT * OMIT id FROM calendar_feed WHERE programme = $p AND unit = $u ORDER BY created_at";
        self.select(sql, json!({ "p": programme, "u": unit }), "calendar feed").await
    }
}

/// Decoding helper for callers holding a row's content.
pub fn content(row: &BulletinRow) -> Result<crate::domain::bulletin::Content, StoreError> {
    decode("bulletin content", row.content.clone())
}
