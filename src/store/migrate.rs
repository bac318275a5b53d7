//! Versioned schema migrations, embedded in the binary and applied in order at start-up. Each
//! runs in one transaction together with the row that records it, so a crash leaves a migration
//! either applied and recorded or neither; two instances starting together race on the UNIQUE
//! version and the loser finds it applied.

use serde_json::json;

use super::{Store, StoreError, rows};

/// (version, name, SurrealQL), in order. Never edit a shipped migration: add the next one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("migrations/0001_foundation.surql")),
    (2, "accounts_filings_audit", include_str!("migrations/0002_accounts_filings_audit.surql")),
    (3, "scoring", include_str!("migrations/0003_scoring.surql")),
    (4, "reminders", include_str!("migrations/0004_reminders.surql")),
    (5, "delivery", include_str!("migrations/0005_delivery.surql")),
    (6, "reminder_rules", include_str!("migrations/0006_reminder_rules.surql")),
    (7, "bulletins_feeds", include_str!("migrations/0007_bulletins_feeds.surql")),
    (8, "hardening", include_str!("migrations/0008_hardening.surql")),
    (9, "administration", include_str!("migrations/0009_administration.surql")),
    (10, "withdrawal_successors", include_str!("migrations/0010_withdrawal_successors.surql")),
    (11, "official_documents", include_str!("migrations/0011_official_documents.surql")),
    (12, "supervision_orders", include_str!("migrations/0012_supervision_orders.surql")),
    (13, "robot_signing", include_str!("migrations/0013_robot_signing.surql")),
    (14, "board_stamp", include_str!("migrations/0014_board_stamp.surql")),
    (15, "review_programme", include_str!("migrations/0015_review_programme.surql")),
    (16, "board_changes", include_str!("migrations/0016_board_changes.surql")),
    (17, "ranking_entries_text", include_str!("migrations/0017_ranking_entries_text.surql")),
    (18, "filing_state", include_str!("migrations/0018_filing_state.surql")),
    (19, "ranking_head", include_str!("migrations/0019_ranking_head.surql")),
    (20, "bulletin_ranking_text", include_str!("migrations/0020_bulletin_ranking_text.surql")),
    (21, "mailbox", include_str!("migrations/0021_mailbox.surql")),
    (22, "register_changes", include_str!("migrations/0022_register_changes.surql")),
];

pub async fn apply(store: &Store) -> Result<(), StoreError> {
    store
        .query(
            "DEFINE TABLE IF NOT EXISTS migration SCHEMAFULL;
             DEFINE FIELD IF NOT EXISTS version ON migration TYPE int;
             DEFINE FIELD IF NOT EXISTS name ON migration TYPE string;
             DEFINE INDEX IF NOT EXISTS migration_version ON migration FIELDS version UNIQUE;",
            json!({}),
        )
        .await?;
    for (version, name, sql) in MIGRATIONS {
        if recorded(store, *version).await? {
            continue;
        }
        let script = format!(
            "BEGIN TRANSACTION;\n{sql}\nCREATE migration CONTENT {{ version: $v, name: $n }};\nCOMMIT TRANSACTION;"
        );
        match store.query(&script, json!({ "v": version, "n": name })).await {
            Ok(_) => tracing::info!(version, name, "applied migration"),
            // Another instance applied it between our check and our attempt: ours failed on its
            // definitions ("already exists") or on the UNIQUE version, and its record is there now.
            Err(e @ (StoreError::Conflict { .. } | StoreError::Duplicate { .. })) => {
                if !recorded(store, *version).await? {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn recorded(store: &Store, version: i64) -> Result<bool, StoreError> {
    let done = store.query("SELECT version FROM migration WHERE version = $v", json!({ "v": version })).await?;
    Ok(done.into_iter().next().map(rows).is_some_and(|r| !r.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::super::{Store, StoreConfig};

    #[tokio::test]
    async fn every_migration_applies_and_is_recorded() {
        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        let out = store.query("SELECT version FROM migration ORDER BY version", serde_json::json!({})).await.unwrap();
        let versions: Vec<i64> = super::rows(out[0].clone()).iter().map(|r| r["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, super::MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>());
        // Opening again applies nothing twice.
        store.query("SELECT * FROM account", serde_json::json!({})).await.unwrap();
    }

    /// Review decisions written before 0015 name no programme: the migration gives them their
    /// filing's, so a month's returns still count them.
    #[tokio::test]
    async fn older_reviews_take_their_filings_programme() {
        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        store
            .query(
                "CREATE filing CONTENT { key: 'f1', programme: 'p1', unit: '350102', unit_path: ['000000', '350000', '350100', '350102'],
                     deliverable: 'plan', occurrence: 'once', title: '方案', body: '', attachments: [], state: 'returned',
                     route: [], version: 1, revision: 3, exemplary: false, created_by: 'x',
                     created_at: d'2026-01-01T00:00:00Z', updated_at: d'2026-01-01T00:00:00Z' };
                 CREATE review CONTENT { filing: 'f1', version: 1, step: 0, level: 'city', decision: 'return',
                     reason: '补充', reviewer: 'r', decided_at: d'2026-01-02T00:00:00Z' };
                 DELETE migration WHERE version = 15;",
                serde_json::json!({}),
            )
            .await
            .unwrap();
        let p1 = crate::domain::Key::parse("p1").unwrap();
        assert!(store.returns(&p1).await.unwrap().is_empty(), "before the backfill the return names no programme");
        super::apply(&store).await.unwrap();
        assert_eq!(store.returns(&p1).await.unwrap().get("f1"), Some(&1));
    }

    /// A ranking published before 0017 keeps its entries as objects and still reads; one
    /// published since is stored as one text and reads back equal, entry for entry.
    #[tokio::test]
    async fn rankings_read_whether_their_entries_are_objects_or_one_text() {
        use crate::domain::scoring::{Points, PublishedRanking, RankEntry, UnitScore};
        use crate::domain::{Key, RegionCode, YearMonth};
        let store = Store::open(&StoreConfig::memory()).await.unwrap();
        let p = Key::parse("p1").unwrap();
        let entry = |code: &str, rank: u32, total: i64| {
            let unit = RegionCode::parse(code).unwrap();
            RankEntry {
                unit: unit.clone(),
                name: format!("单位{code}"),
                rank,
                score: Points(total),
                change: Some(1),
                score_detail: UnitScore {
                    unit,
                    total: Points(total),
                    items: vec![(Key::parse("timely").unwrap(), Points(3000), Points(200), Points(2800))],
                    bonus: Points(0),
                    lines: vec![],
                },
            }
        };
        let ranking = |version: i64| PublishedRanking {
            programme: p.clone(),
            period: YearMonth::parse("2026-05").unwrap(),
            version,
            published_at: chrono::DateTime::parse_from_rfc3339("2026-06-01T02:00:00Z").unwrap().into(),
            published_by: "fj-admin".into(),
            reason: (version > 1).then(|| "更正".into()),
            entries: vec![entry("350102", 1, 9800), entry("350103", 2, 9650)],
        };
        let old = ranking(1);
        let entries: Vec<serde_json::Value> = old.entries.iter().map(|e| serde_json::to_value(e).unwrap()).collect();
        store
            .query(
                "CREATE ranking CONTENT { programme: 'p1', period: '2026-05', version: 1,
                     published_at: d'2026-06-01T02:00:00Z', published_by: 'fj-admin', entries: $entries }",
                serde_json::json!({ "entries": entries }),
            )
            .await
            .unwrap();
        let actor = crate::store::audit::Actor::system("test", old.published_at);
        store.publish_ranking(&ranking(2), vec![], &actor).await.unwrap();
        let raw = store
            .query("SELECT version, entries, entries_text FROM ranking ORDER BY version", serde_json::json!({}))
            .await
            .unwrap();
        let raw = super::rows(raw[0].clone());
        assert!(raw[1]["entries_text"].is_string() && raw[1]["entries"] == serde_json::json!([]), "{raw:?}");
        let read = store.rankings(&p, YearMonth::parse("2026-05").unwrap()).await.unwrap();
        assert_eq!(read, vec![old, ranking(2)]);
    }

    /// The ranking route's check of the newest version reads the month's head by id: rankings
    /// published before 0019 get one, a publication through the store moves it at once, and one
    /// written by another writer shows within `recent_ms`.
    #[tokio::test]
    async fn the_newest_published_version_is_read_from_its_head() {
        use crate::domain::scoring::PublishedRanking;
        use crate::domain::{Key, YearMonth};
        let config = StoreConfig { recent: std::time::Duration::from_millis(150), ..StoreConfig::memory() };
        let store = Store::open(&config).await.unwrap();
        let (p, may) = (Key::parse("p1").unwrap(), YearMonth::parse("2026-05").unwrap());
        let created = |version: i64| {
            format!(
                "CREATE ranking CONTENT {{ programme: 'p1', period: '2026-05', version: {version},
                     published_at: d'2026-06-0{version}T02:00:00Z', published_by: 'x', entries: [] }}"
            )
        };
        let newest = |store: &Store| {
            let (store, p) = (store.clone(), p.clone());
            async move { store.recent_ranking(&p, may).await.unwrap().map(|r| r.version) }
        };
        assert_eq!(newest(&store).await, None);
        // Published before 0019: no head until the migration runs.
        store.query(&created(1), serde_json::json!({})).await.unwrap();
        store.query("DELETE ranking_head; DELETE migration WHERE version = 19", serde_json::json!({})).await.unwrap();
        assert_eq!(newest(&store).await, None, "no head, no published version");
        super::apply(&store).await.unwrap();
        assert_eq!(newest(&store).await, Some(1), "the migration wrote the head");
        let second = PublishedRanking {
            programme: p.clone(),
            period: may,
            version: 2,
            published_at: chrono::DateTime::parse_from_rfc3339("2026-06-02T02:00:00Z").unwrap().into(),
            published_by: "x".into(),
            reason: Some("更正".into()),
            entries: vec![],
        };
        let actor = crate::store::audit::Actor::system("test", second.published_at);
        store.publish_ranking(&second, vec![], &actor).await.unwrap();
        assert_eq!(newest(&store).await, Some(2), "published here: at once");
        store.query(&created(3), serde_json::json!({})).await.unwrap();
        assert_eq!(newest(&store).await, Some(2), "elsewhere: within recent_ms");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(newest(&store).await, Some(3));
        // An older version written late does not move the head back.
        store.query("DELETE ranking WHERE version = 1", serde_json::json!({})).await.unwrap();
        store.query(&created(1), serde_json::json!({})).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(newest(&store).await, Some(3));
        // A lead's home page shows the latest month: not another programme's, not an earlier one.
        for (programme, month) in [("p1", "2026-04"), ("p10", "2026-09"), ("p0", "2026-12")] {
            let sql = format!(
                "CREATE ranking CONTENT {{ programme: '{programme}', period: '{month}', version: 1,
                     published_at: d'2026-06-09T02:00:00Z', published_by: 'x', entries: [] }}"
            );
            store.query(&sql, serde_json::json!({})).await.unwrap();
        }
        let latest = store.latest_ranking(&p).await.unwrap().unwrap();
        assert_eq!((latest.period, latest.version), (may, 3));
        assert!(store.latest_ranking(&Key::parse("p9").unwrap()).await.unwrap().is_none());
    }
}
