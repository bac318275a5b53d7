//! The store remembers. It is the only module that imports `surrealdb`: connection, schema
//! migrations, queries, row types, and the one place where database errors become [`StoreError`]s
//! and transaction conflicts are retried.
//!
//! Values cross into SurrealDB only as bound parameters (`$name`), never spliced into SurrealQL.

pub mod accounts;
pub mod audit;
mod board_cache;
pub mod bulletins;
mod close;
pub mod delivery;
mod error;
pub mod filings;
mod migrate;
pub mod programmes;
mod recent;
pub mod regions;
pub mod reminders;
pub mod rows;
pub mod scoring;
pub mod supervision;
pub mod units;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use surrealdb::Surreal;
use surrealdb::engine::any::{Any, connect};
use surrealdb::opt::auth::Root;
use surrealdb::types::{Array, Datetime, Object, SurrealValue, Value};

use crate::domain::Key;
pub use board_cache::BoardParts;
pub use close::folder as disk_folder;
pub use error::StoreError;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `surrealkv://data/pilotgov.db`, `mem://`, or `ws://host:port`.
    pub url: String,
    pub namespace: String,
    pub database: String,
    /// Root credentials for a remote server (`ws://`); ignored by embedded engines.
    pub username: Option<String>,
    pub password: Option<String>,
    /// How old a [`recent`] read may be.
    pub recent: Duration,
    /// Longest wait for a remote server's answer: while it is away the SDK reconnects and queries
    /// would wait for it, so they are cut off here and reported unavailable instead.
    pub remote_timeout: Duration,
}

impl StoreConfig {
    /// A fresh, private in-memory database (tests).
    pub fn memory() -> Self {
        Self {
            url: "mem://".into(),
            namespace: "pilotgov".into(),
            database: "main".into(),
            username: None,
            password: None,
            recent: Duration::from_secs(1),
            remote_timeout: Duration::from_secs(10),
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// One SDK session shared by every clone. Cloning a `Surreal` opens a new session (a
    /// registry entry embedded; attach, sign-in and `USE` replayed to a remote server, and a
    /// detach when dropped), and the API clones its state for every request. Queries only read
    /// the session, and nothing here changes it after opening.
    db: Arc<Surreal<Any>>,
    /// Programme parts read by every board request, reused while the programme's revision is
    /// unchanged (see `board_cache.rs`).
    parts_cache: board_cache::PartsCache,
    filings_cache: board_cache::FilingsCache,
    /// Reads that may lag other instances by `StoreConfig::recent` (see `recent.rs`).
    recent: RecentReads,
    /// `StoreConfig::remote_timeout` for a remote server; embedded engines never disconnect, and
    /// long imports on them must not be cut off.
    deadline: Option<Duration>,
    /// The embedded store's folder (`surrealkv://`), for `close`; none in memory or on a server.
    disk: Option<Arc<std::path::PathBuf>>,
}

#[derive(Clone)]
struct RecentReads {
    /// Token hash → the session and its account.
    sign_in: recent::Recent<String, Arc<(crate::domain::account::Session, crate::domain::account::Account)>>,
    /// Programme → its reach, with the programme revision it was read at.
    reach: recent::Recent<Key, (i64, Arc<crate::domain::access::Reach>)>,
    /// (programme, month) → the newest published ranking.
    ranking: recent::Recent<(Key, crate::domain::YearMonth), Arc<crate::domain::scoring::PublishedRanking>>,
    /// The working-day calendar (changes once a year, when the State Council's notice comes).
    calendar: recent::Recent<(), Arc<crate::domain::calendar::Calendar>>,
}

impl RecentReads {
    fn new(ttl: Duration) -> Self {
        Self {
            sign_in: recent::Recent::new(ttl),
            reach: recent::Recent::new(ttl),
            ranking: recent::Recent::new(ttl),
            calendar: recent::Recent::new(ttl),
        }
    }
}

impl Store {
    /// Connects, selects the namespace and database (creating them), and applies migrations.
    pub async fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        let store = Self::connect(config).await?;
        migrate::apply(&store).await?;
        Ok(store)
    }

    /// Connects and selects the namespace and database, leaving the schema as it is (restore).
    async fn connect(config: &StoreConfig) -> Result<Self, StoreError> {
        let url = engine_url(&config.url)?;
        let db = connect(url.as_str()).await.map_err(StoreError::from_db)?;
        if config.url.starts_with("ws://") || config.url.starts_with("wss://") {
            db.signin(Root {
                username: config.username.clone().unwrap_or_else(|| "root".into()),
                password: config.password.clone().unwrap_or_else(|| "root".into()),
            })
            .await
            .map_err(StoreError::from_db)?;
        }
        // Instances (and test databases) opening together on one server conflict on these
        // definitions; `IF NOT EXISTS` makes another attempt safe.
        let define = |sql: &'static str, vars: Json| {
            let db = db.clone();
            async move { db.query(sql).bind(vars).await.and_then(|r| r.check()).map(drop).map_err(StoreError::from_db) }
        };
        let conflict = |e: &StoreError| matches!(e, StoreError::Conflict { retryable: true, .. });
        retry(conflict, || {
            define("DEFINE NAMESPACE IF NOT EXISTS type::string($ns)", serde_json::json!({ "ns": config.namespace }))
        })
        .await?;
        db.use_ns(config.namespace.clone()).await.map_err(StoreError::from_db)?;
        retry(conflict, || {
            define("DEFINE DATABASE IF NOT EXISTS type::string($db)", serde_json::json!({ "db": config.database }))
        })
        .await?;
        db.use_db(config.database.clone()).await.map_err(StoreError::from_db)?;
        let remote = config.url.starts_with("ws://") || config.url.starts_with("wss://");
        Ok(Self {
            db: Arc::new(db),
            parts_cache: Default::default(),
            filings_cache: Default::default(),
            recent: RecentReads::new(config.recent),
            deadline: remote.then_some(config.remote_timeout),
            disk: close::folder(&config.url).map(Arc::new),
        })
    }

    /// Writes the whole database (schema, then every row) as SurrealQL to `path`.
    pub async fn export_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        self.db.export(path.to_path_buf()).await.map_err(|e| {
            if e.message().contains("does not support backups") {
                StoreError::Config(
                    "this connection cannot export; back up a SurrealDB server with its own `surreal export`, \
                     or run `pilotgov backup` against the embedded store"
                        .into(),
                )
            } else {
                StoreError::from_db(e)
            }
        })
    }

    /// Every table's rows in id order, as JSON (backups are compared with this).
    pub async fn dump(&self) -> Result<std::collections::BTreeMap<String, Vec<Json>>, StoreError> {
        let mut out = std::collections::BTreeMap::new();
        for table in self.tables().await? {
            let rows =
                self.query("SELECT * FROM type::table($t) ORDER BY id", serde_json::json!({ "t": table })).await?;
            out.insert(table, self::rows(rows.into_iter().next().unwrap_or_default()));
        }
        Ok(out)
    }

    async fn tables(&self) -> Result<Vec<String>, StoreError> {
        let info = self.query("INFO FOR DB", serde_json::json!({})).await?;
        let mut names: Vec<String> =
            info.first().and_then(|i| i["tables"].as_object()).map(|t| t.keys().cloned().collect()).unwrap_or_default();
        names.sort();
        Ok(names)
    }

    /// Restores an export into the database `config` names, which must be empty (no tables):
    /// a restore never merges into live data. Migrations recorded in the export are not re-run.
    pub async fn restore(config: &StoreConfig, export: &std::path::Path) -> Result<Self, StoreError> {
        let store = Self::connect(config).await?;
        if !store.tables().await?.is_empty() {
            return Err(StoreError::Config(format!(
                "the database {}/{} at {} is not empty; restore into a new one",
                config.namespace, config.database, config.url
            )));
        }
        store.db.import(export).await.map_err(StoreError::from_db)?;
        migrate::apply(&store).await?;
        Ok(store)
    }

    /// Runs SurrealQL with bound variables and returns each statement's result as JSON. A
    /// transaction conflict reported by the database (concurrent writers, other instances) is
    /// retried here with a short backoff: nothing of a conflicting transaction was committed, so
    /// running it again is safe. Our own `THROW`s are never retried here (their callers decide).
    async fn query(&self, sql: &str, vars: Json) -> Result<Vec<Json>, StoreError> {
        let database_conflict = |e: &StoreError| matches!(e, StoreError::Conflict { retryable: true, message } if !message.contains("pilotgov:"));
        retry(database_conflict, || self.query_once(sql, vars.clone())).await
    }

    /// The rows of one SELECT, each decoded as a `T` (named `what` in errors).
    async fn select<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        vars: Json,
        what: &str,
    ) -> Result<Vec<T>, StoreError> {
        let out = self.query(sql, vars).await?;
        self::rows(out.into_iter().next().unwrap_or_default()).into_iter().map(|v| rows::decode(what, v)).collect()
    }

    /// The rows of one SELECT, each read back as its domain value.
    async fn select_rows<R: rows::Row>(&self, sql: &str, vars: Json) -> Result<Vec<R::Domain>, StoreError> {
        self.select::<R>(sql, vars, R::WHAT).await?.into_iter().map(R::domain).collect()
    }

    /// The first row of one SELECT as its domain value, if any.
    async fn select_row<R: rows::Row>(&self, sql: &str, vars: Json) -> Result<Option<R::Domain>, StoreError> {
        self.select_one::<R>(sql, vars, R::WHAT).await?.map(R::domain).transpose()
    }

    /// The first row of one SELECT, if any.
    async fn select_one<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        vars: Json,
        what: &str,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.select(sql, vars, what).await?.into_iter().next())
    }

    /// One attempt of [`Store::query`]. Every statement's error is checked (the SDK reports them
    /// per statement, not on the call).
    async fn query_once(&self, sql: &str, vars: Json) -> Result<Vec<Json>, StoreError> {
        let pending = self.db.query(sql).bind(to_value(vars, None));
        let answered = match self.deadline {
            Some(limit) => tokio::time::timeout(limit, pending).await.map_err(|_| {
                StoreError::Unavailable(format!("the database server did not answer within {} s", limit.as_secs()))
            })?,
            None => pending.await,
        };
        let mut response = answered.map_err(StoreError::from_db)?;
        let n = response.num_statements();
        let errors = response.take_errors();
        // In a failed transaction every other statement reports "not executed"; the statement
        // that actually failed is the one worth reporting.
        let cause = (0..n)
            .filter_map(|i| errors.get(&i))
            .find(|e| !e.message().contains("failed transaction"))
            .or_else(|| (0..n).find_map(|i| errors.get(&i)));
        if let Some(e) = cause {
            return Err(StoreError::from_db(e.clone()));
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let v: surrealdb::types::Value = response.take(i).map_err(StoreError::from_db)?;
            out.push(v.into_json_value());
        }
        Ok(out)
    }

    /// Runs a unit of work that reads, decides and writes under a revision guard, again from the
    /// start when the guard (`pilotgov:stale`) or the database reports a conflict.
    async fn retrying<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        retry(|e| matches!(e, StoreError::Conflict { retryable: true, .. }), work).await
    }
}

/// The one retry loop: `work` again after a short, growing pause while `again` says its failure
/// is worth retrying — up to sixteen times, each pause drawn at random up to a bound that starts
/// at 5 ms and doubles to 400 ms (about 2 s of pauses in all, on average). At random, because
/// writers that collided on one record (every filing write bumps its programme's `board_stamp`)
/// would otherwise wait the same time and collide again; this many, because two dozen leads
/// writing to one programme at once on two busy cores ran out of eight fixed pauses.
async fn retry<T, F, Fut>(again: impl Fn(&StoreError) -> bool, mut work: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut bound = Duration::from_millis(5);
    for _ in 0..16 {
        match work().await {
            Err(e) if again(&e) => {
                tracing::debug!(error = %e, "conflict; retrying");
                tokio::time::sleep(jittered(bound)).await;
                bound = (bound * 2).min(Duration::from_millis(400));
            }
            other => return other,
        }
    }
    work().await
}

/// A pause drawn uniformly from 1 ms to `bound` (the bound itself if no randomness is at hand).
fn jittered(bound: Duration) -> Duration {
    let ms = bound.as_millis().max(1) as u64;
    getrandom::u64().map_or(bound, |r| Duration::from_millis(1 + r % ms))
}

/// Makes the durability promise explicit: embedded surrealkv fsyncs its log before a commit is
/// acknowledged (`sync=every`), unless the URL already says otherwise.
fn engine_url(url: &str) -> Result<String, StoreError> {
    let known = ["mem://", "surrealkv://", "ws://", "wss://"];
    if !known.iter().any(|p| url.starts_with(p)) {
        return Err(StoreError::Config(format!("database url `{url}` must start with one of {}", known.join(", "))));
    }
    if url.starts_with("surrealkv://") && !url.contains("sync=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{sep}sync=every"));
    }
    Ok(url.to_owned())
}

/// Converts bound JSON into SurrealDB values. Two conventions make JSON fit the schema:
/// - every field named `*_at` holds an instant: its RFC 3339 string becomes a datetime (JSON has
///   none of its own). Row structs own the field names; user text is only ever a value, never a
///   key, so the convention cannot be triggered from outside;
/// - `null` becomes NONE, SurrealDB's "absent", which `option<…>` fields accept and `$x = NONE`
///   tests for.
fn to_value(j: Json, key: Option<&str>) -> Value {
    match j {
        Json::Null => Value::None,
        Json::String(s) if key.is_some_and(|k| k.ends_with("_at")) => match chrono::DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Value::Datetime(Datetime::from(t.with_timezone(&chrono::Utc))),
            Err(_) => Value::String(s),
        },
        Json::Object(o) => {
            let mut obj = Object::new();
            for (k, v) in o {
                let v = to_value(v, Some(&k));
                obj.insert(k, v);
            }
            Value::Object(obj)
        }
        Json::Array(a) => Value::Array(a.into_iter().map(|v| to_value(v, key)).collect::<Array>()),
        other => other.into_value(),
    }
}

/// Rows of a SELECT: the statement result as a list.
fn rows(v: Json) -> Vec<Json> {
    match v {
        Json::Array(a) => a,
        Json::Null => Vec::new(),
        other => vec![other],
    }
}

impl Store {
    /// A round trip to the database (health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.query("RETURN 1", serde_json::json!({})).await.map(|_| ())
    }
}

/// A store set up as the store tests need it.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Store, StoreConfig, audit::Actor};

    /// An in-memory store (with `config`'s other settings) holding the national table's regions
    /// under `province` (a code's first two digits) and the root, and one seed programme.
    pub async fn seeded(config: StoreConfig, province: &str, fixture: &str, actor: &Actor) -> Store {
        let store = Store::open(&config).await.unwrap();
        let regions: Vec<_> = crate::service::regions::national()
            .unwrap()
            .into_iter()
            .filter(|r| r.code.as_str().starts_with(province) || r.parent.is_none())
            .collect();
        store.upsert_regions(&regions).await.unwrap();
        crate::service::import::import_text(&store, fixture, actor).await.unwrap();
        store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrealkv_urls_sync_on_every_commit() {
        assert_eq!(engine_url("surrealkv://data/x.db").unwrap(), "surrealkv://data/x.db?sync=every");
        assert_eq!(engine_url("surrealkv://x?sync=never").unwrap(), "surrealkv://x?sync=never");
        assert_eq!(engine_url("mem://").unwrap(), "mem://");
        assert!(engine_url("postgres://x").is_err());
    }

    /// A batch of filings lands with its reviews in one write: the board sees the first
    /// submissions at once (the stamp's events fire for batched rows too), the returns count, and
    /// a filing of another programme refuses the whole batch.
    #[tokio::test]
    async fn a_batch_of_filings_lands_whole_with_its_reviews() {
        use crate::domain::filing::{Decision, Filing, Review};
        use crate::domain::{RegionCode, RouteAction, RouteStep};
        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        let actor = audit::Actor::system("test", at("2026-02-01T00:00:00Z"));
        let key = Key::parse("p1").unwrap();
        let code = |c: &str| RegionCode::parse(c).unwrap();
        let route = vec![RouteStep { level: crate::domain::RegionLevel::City, action: RouteAction::Review }];
        let filing = |unit: &str, programme: &Key| {
            let mut f = Filing::draft(
                format!("f-{unit}"),
                programme.clone(),
                code(unit),
                vec![code("000000"), code("350000"), code("350100"), code(unit)],
                Key::parse("plan").unwrap(),
                "once".into(),
                route.clone(),
                "实施方案",
                "",
                "lead",
            )
            .unwrap();
            f.submit(at("2026-01-10T02:00:00Z")).unwrap();
            f
        };
        assert!(store.board_filings(&key).await.unwrap().is_empty());
        let mut returned = filing("350103", &key);
        returned.review(&Decision::Return("补充".into())).unwrap();
        let review = Review {
            filing: returned.key.clone(),
            version: 1,
            step: 0,
            level: crate::domain::RegionLevel::City,
            decision: Decision::Return("补充".into()),
            reviewer: "fz".into(),
            decided_at: at("2026-01-11T02:00:00Z"),
        };
        let batch = vec![(filing("350102", &key), vec![]), (returned, vec![review])];
        assert_eq!(store.import_filings(&key, &batch, &actor).await.unwrap(), 2);
        let board = store.board_filings(&key).await.unwrap();
        assert_eq!(board.len(), 2, "both first submissions are on the board at once");
        assert_eq!(store.returns(&key).await.unwrap().get("f-350103"), Some(&1));
        let other = Key::parse("p2").unwrap();
        let mixed = vec![(filing("350104", &key), vec![]), (filing("350105", &other), vec![])];
        assert!(matches!(store.import_filings(&key, &mixed, &actor).await, Err(StoreError::Invalid { .. })));
        assert_eq!(store.programme_filings(&key).await.unwrap().len(), 2, "nothing of a refused batch lands");
        // A second batch repeating a deadline fails whole, as one insert would.
        let again = vec![(filing("350106", &key), vec![]), (filing("350102", &key), vec![])];
        assert!(store.import_filings(&key, &again, &actor).await.is_err());
        assert_eq!(store.programme_filings(&key).await.unwrap().len(), 2);

        // The board's copy and the register catch up by the changes since they were read
        // (migrations 0016, 0022): a new first submission, a draft, a review, a filing moved to
        // another unit, a filing removed — each time equal to reading every filing again, and
        // read as the changes in between. A draft and a review leave the board's copy the very
        // same `Arc` (the board keeps its rendered pages); the others replace it.
        let sorted = |f: &crate::domain::board::Filings| {
            let mut v: Vec<_> = f.iter().flat_map(|(u, l)| l.iter().map(move |x| (u.clone(), x.clone()))).collect();
            v.sort();
            v
        };
        let mut seen = store.filing_stamp(&key).await.unwrap();
        store.filing_register(&key, true).await.unwrap();
        let mut board = store.board_filings(&key).await.unwrap();
        let mut draft = filing("350131", &key);
        draft.state = crate::domain::filing::FilingState::Draft;
        draft.first_submitted_at = None;
        draft.last_submitted_at = None;
        for (what, sql, moves) in [
            ("a first submission", "", true),
            ("a draft", "draft", false),
            ("a review", "UPDATE filing SET state = 'filed' WHERE key = 'f-350121'", false),
            ("a filing moved to another unit", "UPDATE filing SET unit = '350111' WHERE key = 'f-350102'", true),
            ("a filing removed", "DELETE filing WHERE key = 'f-350103'", true),
        ] {
            match sql {
                "" => store.import_filings(&key, &[(filing("350121", &key), vec![])], &actor).await.map(|_| ()),
                "draft" => store.import_filings(&key, &[(draft.clone(), vec![])], &actor).await.map(|_| ()),
                sql => store.query(sql, serde_json::json!({})).await.map(|_| ()),
            }
            .unwrap();
            let now = store.filing_stamp(&key).await.unwrap();
            assert_eq!(now, seen + 1, "{what} is one change");
            let changes = store.board_changes(&key, seen, now).await.unwrap();
            assert_eq!(changes.map(|c| c.len()), Some(1), "{what} is read as its change");
            let caught_up = store.board_filings(&key).await.unwrap();
            assert_eq!(sorted(&caught_up), sorted(&store.filings(&key).await.unwrap()), "after {what}");
            assert_eq!(!Arc::ptr_eq(&board, &caught_up), moves, "{what}: the board's copy replaced");
            board = caught_up;
            let register = store.filing_register(&key, false).await.unwrap().expect("kept in memory");
            let again = store.filing_briefs(&key).await.unwrap();
            assert_eq!(register.len(), again.len(), "after {what}");
            for b in &again {
                let seen = register.find(&b.unit, b.deliverable.as_str(), &b.occurrence);
                let want = crate::domain::register::Seen {
                    key: &b.key,
                    state: b.state,
                    first_submitted_at: b.first_submitted_at,
                };
                assert_eq!(seen, Some(want), "after {what}");
            }
            let plan = Key::parse("plan").unwrap();
            let deadlines = [(&plan, "once")];
            assert_eq!(register.briefs_of(&deadlines), store.deadline_briefs(&key, &deadlines).await.unwrap());
            seen = now;
        }
        let last = store.board_filings(&key).await.unwrap();
        assert_eq!(
            last.keys().map(|c| c.as_str()).collect::<std::collections::BTreeSet<_>>(),
            ["350111", "350121"].into()
        );
        let register = store.filing_register(&key, false).await.unwrap().unwrap();
        let review = register.find(&code("350121"), "plan", "once").map(|s| s.state);
        assert_eq!(review, Some(crate::domain::filing::FilingState::Filed));
        assert!(register.find(&code("350131"), "plan", "once").is_some(), "the draft is held");
    }
    /// The narrow reads of filings (a few units', their briefs, those awaiting review) are the
    /// whole programme's read, filtered: the same filings, the same fields, nothing of another
    /// programme.
    #[tokio::test]
    async fn narrow_filing_reads_equal_the_whole_read_filtered() {
        use crate::domain::filing::{Decision, Filing, FilingBrief};
        use crate::domain::{RegionCode, RegionLevel, RouteAction, RouteStep};
        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        let actor = audit::Actor::system("test", at("2026-02-01T00:00:00Z"));
        let (key, other) = (Key::parse("p1").unwrap(), Key::parse("p2").unwrap());
        let code = |c: &str| RegionCode::parse(c).unwrap();
        // 审定 by the city, then 备案 by the province.
        let route = vec![
            RouteStep { level: RegionLevel::City, action: RouteAction::Review },
            RouteStep { level: RegionLevel::Province, action: RouteAction::File },
        ];
        let filing = |programme: &Key, unit: &str, occurrence: &str, steps: &[Decision], submitted: bool| {
            let mut f = Filing::draft(
                format!("{programme}-{unit}-{occurrence}"),
                programme.clone(),
                code(unit),
                vec![code("000000"), code("350000"), code("350100"), code(unit)],
                Key::parse("monthly").unwrap(),
                occurrence.into(),
                route.clone(),
                "月度报告",
                "",
                "lead",
            )
            .unwrap();
            if submitted {
                f.submit(at("2026-01-10T02:00:00Z")).unwrap();
            }
            for d in steps {
                f.review(d).unwrap();
            }
            f
        };
        let approve = Decision::Approve;
        let mut batch = Vec::new();
        for unit in ["350102", "350103", "350104", "350105"] {
            batch.push((filing(&key, unit, "2026-01", &[], false), vec![])); // a draft
            batch.push((filing(&key, unit, "2026-02", &[], true), vec![])); // awaiting 审定
            batch.push((filing(&key, unit, "2026-03", std::slice::from_ref(&approve), true), vec![])); // awaiting 备案
            batch.push((filing(&key, unit, "2026-04", &[approve.clone(), Decision::File], true), vec![])); // filed
            batch.push((filing(&key, unit, "2026-05", &[Decision::Return("补充".into())], true), vec![]));
        }
        store.import_filings(&key, &batch, &actor).await.unwrap();
        store
            .import_filings(&other, &[(filing(&other, "350103", "2026-02", &[], true), vec![])], &actor)
            .await
            .unwrap();

        let all = store.programme_filings(&key).await.unwrap();
        assert_eq!(all.len(), 20);
        let sorted = |mut v: Vec<FilingBrief>| {
            v.sort_by(|a, b| a.key.cmp(&b.key));
            v
        };
        let briefs =
            |pick: &dyn Fn(&Filing) -> bool| sorted(all.iter().filter(|f| pick(f)).map(FilingBrief::from).collect());
        assert_eq!(sorted(store.filing_briefs(&key).await.unwrap()), briefs(&|_| true));
        let some = [&code("350103"), &code("350105")];
        assert_eq!(sorted(store.unit_filing_briefs(&key, &some).await.unwrap()), briefs(&|f| some.contains(&&f.unit)));
        let one: Vec<Filing> = all.iter().filter(|f| f.unit == code("350104")).cloned().collect();
        assert_eq!(store.unit_filings(&key, &[&code("350104")]).await.unwrap(), one);

        let mut got: Vec<String> = store.pending_filings(&key).await.unwrap().into_iter().map(|f| f.key).collect();
        let mut expected: Vec<String> = all.iter().filter(|f| f.pending().is_some()).map(|f| f.key.clone()).collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 8, "awaiting 审定 and awaiting 备案, four units each");
        // Through (programme, state): a national programme holds half a million filings.
        let sql = "SELECT * FROM filing WITH INDEX filing_programme_state WHERE programme = $p AND state = 'submitted' EXPLAIN";
        let plan = serde_json::to_string(&store.query(sql, serde_json::json!({ "p": "p1" })).await.unwrap()).unwrap();
        assert!(plan.contains("filing_programme_state"), "{plan}");
    }
    /// The header's unread count, counted in the database through the mailbox table's index,
    /// agrees with the inbox — for reminders written before that table (migration 0021) too.
    #[tokio::test]
    async fn the_unread_count_agrees_with_the_inbox() {
        use crate::domain::RegionCode;
        use crate::domain::reminder::{Audience, Notice, Reminder};
        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let reminder = |n: u32, to: &[&str]| Reminder {
            identity: format!("p1~350103~plan~once~r{n}"),
            programme: Key::parse("p1").unwrap(),
            unit: RegionCode::parse("350103").unwrap(),
            unit_name: "台江区".into(),
            unit_path: RegionCode::parse("350103").unwrap().implied_path(),
            deliverable: "plan".into(),
            occurrence: "once".into(),
            due_on: day,
            notice: Notice::RankingDue,
            audience: Audience::City,
            send_date: day,
            message: format!("第{n}条"),
            recipients: to.iter().map(|u| (*u).to_owned()).collect(),
            read_by: vec![],
            sent_at: chrono::DateTime::from_timestamp(1_772_000_000 + i64::from(n), 0).unwrap(),
        };
        for (n, to) in [(1, &["fz"][..]), (2, &["fz", "fj"]), (3, &["fj"]), (4, &["fz", "fzz"])] {
            assert!(store.insert_reminder(&reminder(n, to)).await.unwrap());
        }
        let actor = audit::Actor::system("fz", chrono::Utc::now());
        let actor = audit::Actor { username: "fz".into(), ..actor };
        store.mark_read("p1~350103~plan~once~r2", &actor).await.unwrap();

        let inbox = store.inbox("fz").await.unwrap();
        let ids: Vec<&str> = inbox.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(ids, ["第4条", "第2条", "第1条"], "newest first, nobody else's");
        let unread = inbox.iter().filter(|r| !r.is_read_by("fz")).count() as u64;
        assert_eq!(store.unread_count("fz").await.unwrap(), unread);
        assert_eq!(unread, 2);
        assert_eq!(store.unread_count("fj").await.unwrap(), 2);
        assert_eq!(store.unread_count("nobody").await.unwrap(), 0);
        let plan = "SELECT count() AS n FROM mailbox WITH INDEX mailbox_unread WHERE username = $u AND read = false GROUP ALL EXPLAIN";
        let plan = serde_json::to_string(&store.query(plan, serde_json::json!({ "u": "fz" })).await.unwrap()).unwrap();
        assert!(plan.contains("mailbox_unread"), "{plan}");

        // As a store migrated from before 0021 finds them: the migration fills the mailbox.
        store.query("DELETE mailbox", serde_json::json!({})).await.unwrap();
        assert_eq!(store.unread_count("fz").await.unwrap(), 0);
        store.query(include_str!("migrations/0021_mailbox.surql"), serde_json::json!({})).await.unwrap();
        assert_eq!((store.unread_count("fz").await.unwrap(), store.unread_count("fj").await.unwrap()), (2, 2));
        store.mark_read("p1~350103~plan~once~r4", &actor).await.unwrap();
        assert_eq!(store.unread_count("fz").await.unwrap(), 1);
        assert_eq!(store.unread_count("fzz").await.unwrap(), 1, "read by fz, not by fzz");
    }
    /// Regions by code: each asked-for region once, in code order, the unknown ones left out.
    #[tokio::test]
    async fn regions_by_code_come_once_in_code_order() {
        use crate::domain::{Region, RegionCode, RegionLevel};
        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        let code = |c: &str| RegionCode::parse(c).unwrap();
        let region = |c: &str, name: &str, level, parent: Option<&str>| Region {
            code: code(c),
            name: name.into(),
            level,
            parent: parent.map(code),
            successor: None,
        };
        store
            .upsert_regions(&[
                region("350000", "福建省", RegionLevel::Province, None),
                region("350100", "福州市", RegionLevel::City, Some("350000")),
                region("350103", "台江区", RegionLevel::County, Some("350100")),
            ])
            .await
            .unwrap();
        let got = store.regions(&[code("350103"), code("350100"), code("350103"), code("360000")]).await.unwrap();
        let names: Vec<&str> = got.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["福州市", "台江区"]);
        assert!(store.regions(&[]).await.unwrap().is_empty());
    }

    /// A programme's reach is read again only when its revision moved: after `recent_ms`, an
    /// unchanged revision keeps the copy (a unit row changed behind every writer's back, which
    /// no writer does, stays unseen), and a revision bumped by another writer brings the change.
    #[tokio::test]
    async fn the_reach_is_read_again_when_the_revision_moves() {
        let store = testing::seeded(
            StoreConfig { recent: Duration::from_millis(150), ..StoreConfig::memory() },
            "35",
            include_str!("../../fixtures/fujian-2022-reform-pilot.yaml"),
            &audit::Actor::system("test", chrono::Utc::now()),
        )
        .await;
        let key = Key::parse("fj-2022-reform-pilot").unwrap();
        let code = |c: &str| crate::domain::RegionCode::parse(c).unwrap();
        let units = |store: &Store| {
            let (store, key) = (store.clone(), key.clone());
            async move { store.recent_reach(&key).await.unwrap().unwrap().units.clone() }
        };
        let first = units(&store).await;
        assert!(first.contains(&code("350103")), "{first:?}");
        let vars = serde_json::json!({ "p": key.as_str() });
        store
            .query("UPDATE unit SET region = '350104' WHERE programme = $p AND region = '350103'", vars.clone())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(units(&store).await, first, "expired, but the revision stands: the copy is kept");
        store.query("UPDATE programme SET revision += 1 WHERE key = $p", vars).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = units(&store).await;
        assert!(after.contains(&code("350104")) && !after.contains(&code("350103")), "{after:?}");
    }
}
