//! Bulletins and calendar feeds. Publishing takes the next issue number in the same transaction
//! that freezes the bulletin; a unique index on (programme, number) makes a race between two
//! publishers fail (and be retried) instead of giving two bulletins one number.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::rows::{codes, decode, encode, instant, strings};
use super::{Store, StoreError};
use crate::domain::bulletin::{Bulletin, Kind, NumberPattern, Period, Publication, Style};
use crate::domain::feed::Feed;
use crate::domain::{Key, RegionCode};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BulletinRow {
    key: String,
    programme: String,
    region: String,
    region_path: Vec<String>,
    /// `monthly` or `stage`.
    kind: String,
    period: String,
    /// `draft` or `published`.
    status: String,
    number: Option<u32>,
    title: String,
    remarks: Option<String>,
    /// The [`Content`], as taken; since migration 0020 without its ranking, which is
    /// `ranking_text`.
    content: Json,
    /// The content's ranking as one JSON text (migration 0020): a national month is 38,600 lines,
    /// and SurrealDB converts an array of objects value by value on every write and read (the
    /// row, and the audit record of each draft with it), where a text passes as it is. Bulletins
    /// drafted before keep their ranking inside `content` and read as before.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    ranking_text: Option<String>,
    revision: u32,
    created_at: String,
    created_by: String,
    published_at: Option<String>,
    published_by: Option<String>,
}

impl BulletinRow {
    fn from_domain(b: &Bulletin) -> Self {
        let mut content = encode(&b.content);
        let ranking = content.get_mut("ranking").map(|r| std::mem::replace(r, Json::Array(Vec::new())));
        Self {
            key: b.key.clone(),
            programme: b.programme.to_string(),
            region: b.region.to_string(),
            region_path: strings(&b.region_path),
            kind: b.kind().as_str().to_owned(),
            period: b.period.to_string(),
            status: if b.is_published() { "published" } else { "draft" }.to_owned(),
            number: b.published.as_ref().map(|p| p.number),
            title: b.title.clone(),
            remarks: b.remarks.clone(),
            content,
            ranking_text: ranking.map(|r| r.to_string()),
            revision: b.revision,
            created_at: b.created_at.to_rfc3339(),
            created_by: b.created_by.clone(),
            published_at: b.published.as_ref().map(|p| p.at.to_rfc3339()),
            published_by: b.published.as_ref().map(|p| p.by.clone()),
        }
    }

    fn into_domain(self) -> Result<Bulletin, StoreError> {
        let bad = |e| StoreError::corrupt("bulletin", e);
        let kind: Kind = decode("bulletin kind", Json::String(self.kind))?;
        let published = match (self.status.as_str(), self.number, self.published_at, self.published_by) {
            ("draft", ..) => None,
            ("published", Some(number), Some(at), Some(by)) => Some(Publication { number, at: instant(&at)?, by }),
            (status, ..) => {
                return Err(StoreError::corrupt("bulletin", format!("status `{status}` without its number")));
            }
        };
        let mut content: crate::domain::bulletin::Content = decode("bulletin content", self.content)?;
        if let Some(text) = &self.ranking_text {
            content.ranking = serde_json::from_str(text).map_err(|e| StoreError::corrupt("bulletin ranking", e))?;
        }
        Ok(Bulletin {
            programme: Key::parse(&self.programme).map_err(bad)?,
            region: RegionCode::parse(&self.region).map_err(bad)?,
            region_path: codes(&self.region_path).map_err(bad)?,
            period: Period::new(kind, &self.period).map_err(bad)?,
            content,
            created_at: instant(&self.created_at)?,
            published,
            key: self.key,
            title: self.title,
            remarks: self.remarks,
            revision: self.revision,
            created_by: self.created_by,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FeedRow {
    key: String,
    token_hash: String,
    programme: String,
    unit: String,
    unit_path: Vec<String>,
    created_by: String,
    created_at: String,
    revoked: bool,
}

impl FeedRow {
    fn from_domain(f: &Feed) -> Self {
        Self {
            key: f.key.clone(),
            token_hash: f.token_hash.clone(),
            programme: f.programme.to_string(),
            unit: f.unit.to_string(),
            unit_path: strings(&f.unit_path),
            created_by: f.created_by.clone(),
            created_at: f.created_at.to_rfc3339(),
            revoked: f.revoked,
        }
    }

    fn into_domain(self) -> Result<Feed, StoreError> {
        let bad = |e| StoreError::corrupt("calendar feed", e);
        Ok(Feed {
            programme: Key::parse(&self.programme).map_err(bad)?,
            unit: RegionCode::parse(&self.unit).map_err(bad)?,
            unit_path: codes(&self.unit_path).map_err(bad)?,
            created_at: instant(&self.created_at)?,
            key: self.key,
            token_hash: self.token_hash,
            created_by: self.created_by,
            revoked: self.revoked,
        })
    }
}

super::rows::domain_rows! {
    BulletinRow => Bulletin, "bulletin";
    FeedRow => Feed, "calendar feed";
}

impl Store {
    /// Creates a draft, or replaces the draft `replaces` (at `expected` revision) with it.
    pub async fn save_bulletin_draft(
        &self,
        bulletin: &Bulletin,
        replaces: Option<(&str, u32)>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let row = BulletinRow::from_domain(bulletin);
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
            "row": encode(&row), "k": k, "expected": expected,
            "audit": head(actor, action, &format!("bulletin:{}", row.key), Some(&row.programme), Some(row.region_path.clone())),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    /// Freezes a draft with the next issue number of its programme; returns the number.
    /// With a 发文字号 `pattern`, the number is written into the frozen content as well.
    pub async fn publish_bulletin(
        &self,
        key: &str,
        expected: u32,
        pattern: Option<&NumberPattern>,
        actor: &Actor,
    ) -> Result<u32, StoreError> {
        use chrono::Datelike;
        let b = self.bulletin(key).await?.ok_or_else(|| StoreError::NotFound(format!("bulletin {key}")))?;
        // The year is the publication's, in Beijing time; the number is known inside the
        // transaction only, so `{n}` is filled in there.
        let year = crate::domain::deadline::local_day(actor.at).year();
        let pattern_of_year = pattern.map(|p| p.as_str().replace("{year}", &year.to_string()));
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT * OMIT id FROM bulletin WHERE key = $k)[0];
             IF $before = NONE {{ THROW 'pilotgov:missing bulletin' }};
             IF $before.status != 'draft' {{ THROW 'pilotgov:outdated bulletin already published' }};
             IF $before.revision != $expected {{ THROW 'pilotgov:outdated bulletin revision' }};
             LET $last = (SELECT VALUE number FROM bulletin_number WHERE programme = $p ORDER BY number DESC LIMIT 1)[0] ?? 0;
             LET $n = $last + 1;
             CREATE bulletin_number CONTENT {{ programme: $p, number: $n, bulletin: $k }};
             IF $pattern != NONE {{
                 UPDATE bulletin SET content.doc_number = string::replace($pattern, '{{n}}', <string>$n) WHERE key = $k;
             }};
             UPDATE bulletin SET status = 'published', number = $n, published_at = <datetime>$now_at,
                 published_by = $by, revision = revision + 1 WHERE key = $k;
             LET $after = (SELECT * OMIT id FROM bulletin WHERE key = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let path: Vec<String> = strings(&b.region_path);
        let vars = json!({
            "k": key, "p": b.programme.as_str(), "expected": expected, "now_at": actor.at.to_rfc3339(), "by": actor.username,
            "pattern": pattern_of_year,
            "audit": head(actor, "bulletin.publish", &format!("bulletin:{key}"), Some(b.programme.as_str()), Some(path)),
        });
        // Two publishers may compute the same next number; the loser's transaction fails on the
        // unique index (or as a conflict) and simply takes the next one.
        let mut tries = 0;
        loop {
            match self.query(&sql, vars.clone()).await {
                Ok(_) => break,
                Err(e @ (StoreError::Conflict { .. } | StoreError::Duplicate { .. })) if tries < 5 => {
                    tracing::debug!(error = %e, "bulletin number taken concurrently; next");
                    tries += 1
                }
                Err(e) => return Err(e),
            }
        }
        self.bulletin(key)
            .await?
            .and_then(|b| b.published.map(|p| p.number))
            .ok_or_else(|| StoreError::Internal("a published bulletin has no number".into()))
    }

    /// How the programme's bulletins are headed (the default style when none was set).
    pub async fn bulletin_style(&self, programme: &Key) -> Result<Style, StoreError> {
        let sql = "SELECT number_pattern, addressee, copy_to FROM bulletin_style WHERE programme = $p";
        Ok(self
            .select_one::<Style>(sql, json!({ "p": programme.as_str() }), "bulletin style")
            .await?
            .unwrap_or_default())
    }

    /// Replaces the programme's bulletin style.
    pub async fn set_bulletin_style(&self, programme: &Key, style: &Style, actor: &Actor) -> Result<(), StoreError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT * OMIT id FROM bulletin_style WHERE programme = $p)[0];
             DELETE bulletin_style WHERE programme = $p;
             CREATE bulletin_style CONTENT $row;
             LET $after = $row;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let mut row = encode(style);
        if let Json::Object(m) = &mut row {
            m.retain(|_, v| !v.is_null());
            m.insert("programme".into(), json!(programme.as_str()));
            m.insert("updated_at".into(), json!(actor.at.to_rfc3339()));
            m.insert("updated_by".into(), json!(actor.username));
        }
        let vars = json!({
            "p": programme.as_str(), "row": row,
            "audit": head(actor, "bulletin_style.set", &format!("bulletin_style:{programme}"), Some(programme.as_str()), None),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn bulletin(&self, key: &str) -> Result<Option<Bulletin>, StoreError> {
        self.select_row::<BulletinRow>("SELECT * OMIT id FROM bulletin WHERE key = $k", json!({ "k": key })).await
    }

    /// A programme's bulletins: published by number, then drafts, newest first.
    pub async fn bulletins(&self, programme: &Key) -> Result<Vec<Bulletin>, StoreError> {
        let sql = "SELECT * OMIT id FROM bulletin WHERE programme = $p ORDER BY number DESC, created_at DESC";
        self.select_rows::<BulletinRow>(sql, json!({ "p": programme.as_str() })).await
    }

    pub async fn create_feed(&self, feed: &Feed, actor: &Actor) -> Result<(), StoreError> {
        let row = &FeedRow::from_domain(feed);
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
            "audit": head(actor, "calendar_feed.revoke", &format!("calendar_feed:{key}"), Some(feed.programme.as_str()), Some(strings(&feed.unit_path))),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn feed(&self, key: &str) -> Result<Option<Feed>, StoreError> {
        self.select_row::<FeedRow>("SELECT * OMIT id FROM calendar_feed WHERE key = $k", json!({ "k": key })).await
    }

    /// The live (not revoked) feed with this token hash.
    pub async fn feed_by_token(&self, token_hash: &str) -> Result<Option<Feed>, StoreError> {
        let sql = "SELECT * OMIT id FROM calendar_feed WHERE token_hash = $h AND revoked = false";
        self.select_row::<FeedRow>(sql, json!({ "h": token_hash })).await
    }

    pub async fn feeds(&self, programme: &Key, unit: &RegionCode) -> Result<Vec<Feed>, StoreError> {
        let sql = "SELECT * OMIT id FROM calendar_feed WHERE programme = $p AND unit = $u ORDER BY created_at";
        self.select_rows::<FeedRow>(sql, json!({ "p": programme.as_str(), "u": unit.as_str() })).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::{Principal, Role};

    /// A bulletin reads back as it was drafted, its ranking from the text beside its content
    /// (migration 0020); one stored before, with the ranking inside its content, reads the same.
    #[tokio::test]
    async fn a_bulletin_reads_back_with_its_ranking_stored_either_way() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        let now = at("2019-05-01T09:00:00+08:00");
        let store = crate::store::testing::seeded(
            crate::store::StoreConfig::memory(),
            "52",
            include_str!("../../fixtures/xixiu-2019-comprehensive-reform.yaml"),
            &Actor::system("test", now),
        )
        .await;
        let key = Key::parse("xixiu-2019-comprehensive-reform").unwrap();
        let province = RegionCode::parse("520000").unwrap();
        let admin = Principal {
            username: "gz-admin".into(),
            display_name: "贵州省民政厅".into(),
            role: Role::ProvinceAdmin,
            region: province.clone(),
            region_level: crate::domain::RegionLevel::Province,
            region_path: province.implied_path(),
            must_change_password: false,
        };
        let april = crate::domain::YearMonth::parse("2019-04").unwrap();
        crate::service::scoring::publish(&store, &admin, &key, april, None, now).await.unwrap();
        let request = crate::service::bulletins::Request { period: Period::Month(april), region: None };
        let drafted = crate::service::bulletins::draft(&store, None, &key, &request, now).await.unwrap();
        assert!(drafted.content.ranking.len() > 20, "the month's ranking, every township");
        assert_eq!(store.bulletins(&key).await.unwrap(), std::slice::from_ref(&drafted));

        let vars = json!({ "k": drafted.key });
        let out =
            store.query("SELECT content.ranking AS inside, ranking_text FROM bulletin WHERE key = $k", vars.clone());
        let row = out.await.unwrap().into_iter().next().unwrap()[0].clone();
        assert_eq!(row["inside"], json!([]), "the ranking is not inside the content");
        let text: Vec<Json> = serde_json::from_str(row["ranking_text"].as_str().unwrap()).unwrap();
        assert_eq!(text.len(), drafted.content.ranking.len());

        // As a bulletin drafted before 0020 was stored.
        let mut old = vars;
        old["r"] = Json::Array(text);
        store.query("UPDATE bulletin SET content.ranking = $r, ranking_text = NONE WHERE key = $k", old).await.unwrap();
        assert_eq!(store.bulletins(&key).await.unwrap(), [drafted]);
    }
}
