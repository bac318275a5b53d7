//! Filings, their submitted versions, review decisions and attachments. Every change to a filing
//! is guarded by its revision (the caller says which revision it acted on) and audited in the
//! same transaction.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::rows::{decode, encode, instant};
use super::{Store, StoreError, rows};
use crate::domain::board::Filings;
use crate::domain::filing::{Attachment, Decision, Filing, FilingBrief, FilingState, Review, Version};
use crate::domain::{Key, RegionCode, RegionLevel};

/// The fields of a [`FilingBrief`].
const BRIEF: &str = "key, unit, deliverable, occurrence, state, first_submitted_at";

#[derive(Debug, Serialize, Deserialize)]
struct FilingRow {
    #[serde(flatten)]
    filing: Filing,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    idempotency_key: Option<String>,
    /// The request the key was first used for (SHA-256 hex); older rows have none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    idempotency_hash: Option<String>,
    created_at: String,
    updated_at: String,
}

/// What one submission contained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct VersionRow {
    filing: String,
    version: i64,
    title: String,
    body: String,
    attachments: Vec<String>,
    submitted_by: String,
    submitted_at: String,
}

impl VersionRow {
    fn from_domain(v: &Version) -> Self {
        Self {
            filing: v.filing.clone(),
            version: i64::from(v.version),
            title: v.title.clone(),
            body: v.body.clone(),
            attachments: v.attachments.clone(),
            submitted_by: v.submitted_by.clone(),
            submitted_at: v.submitted_at.to_rfc3339(),
        }
    }

    fn into_domain(self) -> Result<Version, StoreError> {
        Ok(Version {
            version: u32::try_from(self.version).map_err(|e| StoreError::corrupt("filing version", e))?,
            submitted_at: instant(&self.submitted_at)?,
            filing: self.filing,
            title: self.title,
            body: self.body,
            attachments: self.attachments,
            submitted_by: self.submitted_by,
        })
    }
}

/// One review decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ReviewRow {
    filing: String,
    /// The filing's programme, so a programme's returns are one index read (rows written
    /// before migration 0015 got it from their filing).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    programme: Option<String>,
    version: i64,
    step: i64,
    level: String,
    decision: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    reason: Option<String>,
    reviewer: String,
    decided_at: String,
}

impl ReviewRow {
    fn from_domain(r: &Review, programme: &Key) -> Self {
        Self {
            filing: r.filing.clone(),
            programme: Some(programme.to_string()),
            version: i64::from(r.version),
            step: i64::from(r.step),
            level: r.level.as_str().to_owned(),
            decision: r.decision.code().to_owned(),
            reason: match &r.decision {
                Decision::Return(reason) => Some(reason.clone()),
                _ => None,
            },
            reviewer: r.reviewer.clone(),
            decided_at: r.decided_at.to_rfc3339(),
        }
    }

    fn into_domain(self) -> Result<Review, StoreError> {
        let bad = |e: String| StoreError::corrupt("review", e);
        Ok(Review {
            version: u32::try_from(self.version).map_err(|e| bad(e.to_string()))?,
            step: u32::try_from(self.step).map_err(|e| bad(e.to_string()))?,
            level: RegionLevel::parse(&self.level).map_err(|e| bad(e.to_string()))?,
            decision: Decision::from_code(&self.decision, self.reason)
                .ok_or_else(|| bad(format!("decision `{}`", self.decision)))?,
            decided_at: instant(&self.decided_at)?,
            filing: self.filing,
            reviewer: self.reviewer,
        })
    }
}

/// An attachment's metadata; `data` (base64) only when asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AttachmentRow {
    key: String,
    filing: String,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    #[serde(default)]
    data: String,
    uploaded_by: String,
    uploaded_at: String,
}

impl AttachmentRow {
    fn from_domain(a: &Attachment, bytes: &[u8]) -> Self {
        use base64::Engine;
        Self {
            key: a.key.clone(),
            filing: a.filing.clone(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
            uploaded_by: a.uploaded_by.clone(),
            uploaded_at: a.uploaded_at.to_rfc3339(),
        }
    }

    /// The description and the bytes (empty when they were not read).
    fn into_domain(self) -> Result<(Attachment, Vec<u8>), StoreError> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.data)
            .map_err(|e| StoreError::corrupt("attachment", e))?;
        Ok((
            Attachment {
                uploaded_at: instant(&self.uploaded_at)?,
                key: self.key,
                filing: self.filing,
                filename: self.filename,
                content_type: self.content_type,
                size: self.size,
                sha256: self.sha256,
                uploaded_by: self.uploaded_by,
            },
            bytes,
        ))
    }
}

super::rows::domain_rows! {
    VersionRow => Version, "filing version";
    ReviewRow => Review, "review";
    AttachmentRow => (Attachment, Vec<u8>), "attachment";
}

/// An idempotency key and the hash of the request it came with.
#[derive(Debug, Clone, Copy)]
pub struct Idempotency<'a> {
    pub key: &'a str,
    pub request_hash: &'a str,
}

/// What a create with an idempotency key found.
#[derive(Debug)]
pub enum Inserted {
    /// The filing was created now.
    Created(Filing),
    /// The key was used before: the filing it created, and the hash of that request (none for
    /// rows written before hashes were kept).
    Seen { filing: Filing, request_hash: Option<String> },
}

/// Something created together with a filing change.
pub enum Extra<'a> {
    Version(Version),
    Review(Review),
    /// An attachment and its bytes.
    Attachment(Attachment, &'a [u8]),
}

/// Whole filing rows decoded, in (unit, deliverable, occurrence) order.
fn whole_in_order(rows: Vec<Json>) -> Result<Vec<Filing>, StoreError> {
    let mut v = rows
        .into_iter()
        .map(|j| Ok(decode::<FilingRow>("filing", j)?.filing))
        .collect::<Result<Vec<_>, StoreError>>()?;
    v.sort_by(|a, b| a.deadline().cmp(&b.deadline()));
    Ok(v)
}

fn audit_view(f: &Filing) -> Json {
    encode(f)
}

impl Store {
    /// Creates a draft. With an idempotency key, a repeat finds the filing the first request
    /// made (and that request's hash, for the caller to compare) instead of making a second.
    pub async fn insert_filing(
        &self,
        filing: &Filing,
        idempotency: Option<Idempotency<'_>>,
        actor: &Actor,
    ) -> Result<Inserted, StoreError> {
        if let Some(i) = idempotency
            && let Some(seen) = self.filing_by_idempotency(&actor.username, i.key).await?
        {
            return Ok(seen);
        }
        let row = FilingRow {
            filing: filing.clone(),
            idempotency_key: idempotency.map(|i| i.key.to_owned()),
            idempotency_hash: idempotency.map(|i| i.request_hash.to_owned()),
            created_at: actor.at.to_rfc3339(),
            updated_at: actor.at.to_rfc3339(),
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = NONE;
             CREATE filing CONTENT $row;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "row": encode(&row),
            "after": audit_view(filing),
            "audit": head(actor, "filing.create", &format!("filing:{}", filing.key), Some(filing.programme.as_str()),
                Some(filing.unit_path.iter().map(|c| c.to_string()).collect())),
        });
        match self.query(&sql, vars).await {
            Ok(_) => Ok(Inserted::Created(filing.clone())),
            Err(e @ StoreError::Duplicate { .. }) => {
                // Either a concurrent repeat of the same request won the race, or this deadline
                // already has its filing.
                if let Some(i) = idempotency
                    && let Some(seen) = self.filing_by_idempotency(&actor.username, i.key).await?
                {
                    return Ok(seen);
                }
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes a batch of filings with the review decisions each went through, in one
    /// transaction with one audit record: a history brought over from the sheets a department
    /// kept before pilotgov (and the benchmark's year of filings). A filing whose deadline has
    /// one already fails the whole batch, as one insert would; the board's stamp is bumped by the
    /// same events as any filing write.
    pub async fn import_filings(
        &self,
        programme: &Key,
        batch: &[(Filing, Vec<Review>)],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        if batch.is_empty() {
            return Ok(0);
        }
        if let Some((f, _)) = batch.iter().find(|(f, _)| &f.programme != programme) {
            return Err(StoreError::Invalid {
                message: format!("filing {} belongs to programme {}, not {programme}", f.key, f.programme),
                field: Some("programme".into()),
            });
        }
        let at = actor.at.to_rfc3339();
        let rows: Vec<Json> = batch
            .iter()
            .map(|(f, _)| {
                encode(&FilingRow {
                    filing: f.clone(),
                    idempotency_key: None,
                    idempotency_hash: None,
                    created_at: at.clone(),
                    updated_at: at.clone(),
                })
            })
            .collect();
        let reviews: Vec<Json> =
            batch.iter().flat_map(|(_, r)| r.iter().map(|r| encode(&ReviewRow::from_domain(r, programme)))).collect();
        let sql = format!(
            "BEGIN TRANSACTION;
             INSERT INTO filing $rows;
             INSERT INTO review $reviews;
             LET $before = NONE;
             LET $after = {{ filings: $count, reviews: $review_count }};
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "rows": rows,
            "reviews": reviews,
            "count": batch.len(),
            "review_count": reviews.len(),
            "audit": head(actor, "filing.import", &format!("programme:{programme}"), Some(programme.as_str()), None),
        });
        self.query(&sql, vars).await?;
        Ok(batch.len())
    }

    async fn filing_by_idempotency(&self, user: &str, key: &str) -> Result<Option<Inserted>, StoreError> {
        let out = self
            .query(
                "SELECT * FROM filing WHERE created_by = $u AND idempotency_key = $k",
                json!({ "u": user, "k": key }),
            )
            .await?;
        out.into_iter()
            .next()
            .map(rows)
            .and_then(|r| r.into_iter().next())
            .map(|v| {
                let row = decode::<FilingRow>("filing", v)?;
                Ok(Inserted::Seen { filing: row.filing, request_hash: row.idempotency_hash })
            })
            .transpose()
    }

    pub async fn filing(&self, key: &str) -> Result<Option<Filing>, StoreError> {
        let out = self.query("SELECT * FROM filing WHERE key = $k", json!({ "k": key })).await?;
        first_filing(out)
    }

    /// The filing for one deadline of one unit, if any.
    pub async fn filing_for(
        &self,
        programme: &Key,
        unit: &RegionCode,
        deliverable: &Key,
        occurrence: &str,
    ) -> Result<Option<Filing>, StoreError> {
        let out = self
            .query(
                "SELECT * FROM filing WHERE programme = $p AND unit = $u AND deliverable = $d AND occurrence = $o",
                json!({ "p": programme.as_str(), "u": unit.as_str(), "d": deliverable.as_str(), "o": occurrence }),
            )
            .await?;
        first_filing(out)
    }

    /// All filings of a programme, by unit code then deliverable.
    pub async fn programme_filings(&self, programme: &Key) -> Result<Vec<Filing>, StoreError> {
        let out = self.query("SELECT * FROM filing WHERE programme = $p", json!({ "p": programme.as_str() })).await?;
        whole_in_order(rows(out.into_iter().next().unwrap_or_default()))
    }

    /// The filings of some of a programme's deadlines (deliverable key, occurrence key), whole,
    /// in (unit, deliverable, occurrence) order. Nothing but the benchmark reads a month's
    /// filings whole any more: it compares this with [`Store::deadline_briefs`].
    pub async fn deadline_filings(
        &self,
        programme: &Key,
        deadlines: &[(&Key, &str)],
    ) -> Result<Vec<Filing>, StoreError> {
        whole_in_order(self.per_deadline(programme, deadlines, "*").await?)
    }

    /// The briefs of the filings of some of a programme's deadlines, in (unit, deliverable,
    /// occurrence) order: all a month's scores read of its filings (when each was first
    /// submitted, its key for its returns), without the bodies, routes and histories a whole
    /// row carries.
    pub async fn deadline_briefs(
        &self,
        programme: &Key,
        deadlines: &[(&Key, &str)],
    ) -> Result<Vec<FilingBrief>, StoreError> {
        let mut v = self
            .per_deadline(programme, deadlines, BRIEF)
            .await?
            .into_iter()
            .map(|j| decode::<FilingBrief>("filing", j))
            .collect::<Result<Vec<_>, StoreError>>()?;
        v.sort_by(|a, b| a.deadline().cmp(&b.deadline()));
        Ok(v)
    }

    /// `fields` of the filings of some of a programme's deadlines, each deadline one read
    /// through the (programme, deliverable, occurrence) index: a month's scores need the
    /// month's deadlines, not the year's filings.
    async fn per_deadline(
        &self,
        programme: &Key,
        deadlines: &[(&Key, &str)],
        fields: &str,
    ) -> Result<Vec<Json>, StoreError> {
        let sql = format!("SELECT {fields} FROM filing WHERE programme = $p AND deliverable = $d AND occurrence = $o");
        let mut v = Vec::new();
        for (deliverable, occurrence) in deadlines {
            let out = self
                .query(&sql, json!({ "p": programme.as_str(), "d": deliverable.as_str(), "o": occurrence }))
                .await?;
            v.extend(rows(out.into_iter().next().unwrap_or_default()));
        }
        Ok(v)
    }

    /// The filings of a programme a reviewer marked as good practice (典型经验): what a
    /// bulletin quotes, read through the (programme, exemplary) index.
    pub async fn exemplary_filings(&self, programme: &Key) -> Result<Vec<Filing>, StoreError> {
        let out = self
            .query("SELECT * FROM filing WHERE programme = $p AND exemplary = true", json!({ "p": programme.as_str() }))
            .await?;
        rows(out.into_iter().next().unwrap_or_default())
            .into_iter()
            .map(|j| Ok(decode::<FilingRow>("filing", j)?.filing))
            .collect()
    }

    /// The filings of some of a programme's units, in the order of [`Store::programme_filings`]:
    /// what a region's compliance matrix reads instead of the whole programme's.
    pub async fn unit_filings(&self, programme: &Key, units: &[&RegionCode]) -> Result<Vec<Filing>, StoreError> {
        whole_in_order(self.per_unit(programme, units, "*").await?)
    }

    /// The briefs of a programme's filings (no body, route or history), in no order.
    pub async fn filing_briefs(&self, programme: &Key) -> Result<Vec<FilingBrief>, StoreError> {
        let sql = format!("SELECT {BRIEF} FROM filing WHERE programme = $p");
        let out = self.query(&sql, json!({ "p": programme.as_str() })).await?;
        rows(out.into_iter().next().unwrap_or_default()).into_iter().map(|j| decode("filing", j)).collect()
    }

    /// The briefs of the filings of some of a programme's units, in no order.
    pub async fn unit_filing_briefs(
        &self,
        programme: &Key,
        units: &[&RegionCode],
    ) -> Result<Vec<FilingBrief>, StoreError> {
        self.per_unit(programme, units, BRIEF).await?.into_iter().map(|j| decode("filing", j)).collect()
    }

    /// `fields` of the filings of some of a programme's units, as stored. One statement per unit,
    /// each an equality read through the (programme, unit, …) index: SurrealDB 3 answers
    /// `unit IN [...]` (or a range of codes) by scanning the whole programme, which in a national
    /// year costs seconds for a city's hundred units.
    async fn per_unit(&self, programme: &Key, units: &[&RegionCode], fields: &str) -> Result<Vec<Json>, StoreError> {
        let mut v = Vec::new();
        for part in units.chunks(200) {
            let sql: String = (0..part.len())
                .map(|i| format!("SELECT {fields} FROM filing WHERE programme = $p AND unit = $u{i};\n"))
                .collect();
            let mut vars = json!({ "p": programme.as_str() });
            for (i, u) in part.iter().enumerate() {
                vars[format!("u{i}")] = json!(u.as_str());
            }
            for answer in self.query(&sql, vars).await? {
                v.extend(rows(answer));
            }
        }
        Ok(v)
    }

    /// The filings of a programme in the states that await a review step
    /// (`FilingState::AWAITING_REVIEW`), read through the (programme, state) index: a review
    /// queue's candidates are a handful of a national year's half million. Oldest submission first.
    pub async fn pending_filings(&self, programme: &Key) -> Result<Vec<Filing>, StoreError> {
        // One equality read per state (SurrealDB 3 answers `state IN [...]` by scanning the
        // programme), the index named: left to itself the planner intersects it with
        // `filing_programme`, a bitmap of every filing of the programme (`EXPLAIN`; 1.3 s in a
        // national year).
        let sql: String = FilingState::AWAITING_REVIEW
            .iter()
            .map(|s| {
                format!(
                    "SELECT * FROM filing WITH INDEX filing_programme_state WHERE programme = $p AND state = '{}';\n",
                    s.as_str()
                )
            })
            .collect();
        let out = self.query(&sql, json!({ "p": programme.as_str() })).await?;
        let mut v = Vec::new();
        for answer in out {
            for j in rows(answer) {
                v.push(decode::<FilingRow>("filing", j)?.filing);
            }
        }
        v.sort_by(|a, b| (a.last_submitted_at, &a.key).cmp(&(b.last_submitted_at, &b.key)));
        Ok(v)
    }

    /// First-submission instants of a programme, grouped by unit for the deadline board (only
    /// the four fields it needs are read).
    pub async fn filings(&self, programme: &Key) -> Result<Filings, StoreError> {
        #[derive(Deserialize)]
        struct First {
            unit: String,
            deliverable: String,
            occurrence: String,
            first_submitted_at: String,
        }
        let out = self
            .query(
                "SELECT unit, deliverable, occurrence, first_submitted_at FROM filing
                 WHERE programme = $p AND first_submitted_at != NONE",
                json!({ "p": programme.as_str() }),
            )
            .await?;
        let mut map: Filings = HashMap::new();
        for v in rows(out.into_iter().next().unwrap_or_default()) {
            let r: First = decode("filing", v)?;
            let bad = |e| StoreError::corrupt("filing", e);
            map.entry(RegionCode::parse(&r.unit).map_err(bad)?).or_default().push((
                Key::parse(&r.deliverable).map_err(bad)?,
                r.occurrence,
                instant(&r.first_submitted_at)?,
            ));
        }
        Ok(map)
    }

    /// Stores a changed filing if the stored one is still at `expected_revision`, with whatever
    /// the change created (a version, a review, an attachment), and the audit record.
    pub async fn save_filing(
        &self,
        filing: &Filing,
        expected_revision: u32,
        extras: Vec<Extra<'_>>,
        action: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut creates = String::new();
        let mut vars = json!({
            "k": filing.key,
            "expected": expected_revision,
            "row": encode(&filing),
            "now_at": actor.at.to_rfc3339(),
            "audit": head(actor, action, &format!("filing:{}", filing.key), Some(filing.programme.as_str()),
                Some(filing.unit_path.iter().map(|c| c.to_string()).collect())),
        });
        for (i, e) in extras.into_iter().enumerate() {
            let (table, row) = match e {
                Extra::Version(v) => ("filing_version", encode(&VersionRow::from_domain(&v))),
                Extra::Review(r) => ("review", encode(&ReviewRow::from_domain(&r, &filing.programme))),
                Extra::Attachment(a, bytes) => ("attachment", encode(&AttachmentRow::from_domain(&a, bytes))),
            };
            creates.push_str(&format!("CREATE {table} CONTENT $extra{i};\n"));
            vars[format!("extra{i}")] = row;
        }
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT * OMIT id FROM filing WHERE key = $k)[0];
             IF $before = NONE {{ THROW 'pilotgov:missing filing' }};
             IF $before.revision != $expected {{ THROW 'pilotgov:outdated filing revision' }};
             UPDATE filing MERGE $row WHERE key = $k;
             UPDATE filing SET updated_at = $now_at WHERE key = $k;
             {creates}
             LET $after = (SELECT * OMIT id FROM filing WHERE key = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn filing_versions(&self, key: &str) -> Result<Vec<Version>, StoreError> {
        self.select_rows::<VersionRow>(
            "SELECT * FROM filing_version WHERE filing = $k ORDER BY version",
            json!({ "k": key }),
        )
        .await
    }

    pub async fn reviews(&self, key: &str) -> Result<Vec<Review>, StoreError> {
        self.select_rows::<ReviewRow>("SELECT * FROM review WHERE filing = $k ORDER BY decided_at", json!({ "k": key }))
            .await
    }

    /// An attachment, with its bytes when `with_data` (else they come back empty).
    pub async fn attachment(&self, key: &str, with_data: bool) -> Result<Option<(Attachment, Vec<u8>)>, StoreError> {
        let sql = if with_data {
            "SELECT * FROM attachment WHERE key = $k"
        } else {
            "SELECT * OMIT data FROM attachment WHERE key = $k"
        };
        self.select_row::<AttachmentRow>(sql, json!({ "k": key })).await
    }
}

fn first_filing(out: Vec<Json>) -> Result<Option<Filing>, StoreError> {
    out.into_iter()
        .next()
        .map(rows)
        .and_then(|r| r.into_iter().next())
        .map(|v| Ok(decode::<FilingRow>("filing", v)?.filing))
        .transpose()
}
