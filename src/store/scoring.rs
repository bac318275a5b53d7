//! Scoring records: schemes, adjustments (manual deductions and bonuses), voided automatic
//! lines, published rankings, appeals, indicator systems, evaluations and reward allocations.
//! Every write is audited in its transaction.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::rows::{decode, decode_ref, encode};
use super::{Store, StoreError};
use crate::domain::Key;
use crate::domain::evaluation::IndicatorSystem;
use crate::domain::scoring::RankEntry;
use crate::domain::scoring::Scheme;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdjustmentRow {
    pub key: String,
    pub programme: String,
    pub unit: String,
    pub unit_path: Vec<String>,
    pub period: String,
    pub item: String,
    pub kind: String,
    /// Hundredths of a point.
    pub points: i64,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub evidence: Option<Json>,
    pub entered_by: String,
    pub entered_at: String,
    pub voided: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingRow {
    pub programme: String,
    pub period: String,
    pub version: i64,
    pub published_at: String,
    pub published_by: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    pub entries: Vec<Json>,
}

/// Which version of a month's ranking is the newest.
#[derive(Debug, Deserialize)]
struct RankingHead {
    version: i64,
    published_at: String,
}

/// The newest version of a published ranking with its entries decoded, as kept in memory.
#[derive(Debug)]
pub struct PublishedRanking {
    pub version: i64,
    pub published_at: String,
    pub reason: Option<String>,
    pub entries: Vec<RankEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppealRow {
    pub key: String,
    pub programme: String,
    pub unit: String,
    pub unit_path: Vec<String>,
    /// An adjustment key, an automatic line id, or an evaluation key.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub period: Option<String>,
    pub reason: String,
    pub filed_by: String,
    pub filed_at: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decision_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decided_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRow {
    pub key: String,
    pub programme: String,
    pub unit: String,
    pub unit_path: Vec<String>,
    pub phase: String,
    pub panel: Vec<Json>,
    pub scores: Json,
    pub total: i64,
    pub grade: String,
    pub entered_by: String,
    pub entered_at: String,
    pub voided: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardRow {
    pub key: String,
    pub programme: String,
    pub label: String,
    pub fund: i64,
    pub method: Json,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cap: Option<i64>,
    pub shares: Vec<Json>,
    pub computed_at: String,
    pub computed_by: String,
}

/// What deciding an appeal changes besides the appeal.
pub enum Overturn {
    None,
    Adjustment(String),
    Line { unit: String, line: String },
    Evaluation(String),
}

impl Store {
    /// Creates one row and its audit record in one transaction.
    async fn create_audited(
        &self,
        table: &str,
        row: Json,
        action: &str,
        entity: &str,
        programme: &str,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = NONE;
             CREATE type::table($t) CONTENT $row;
             LET $after = $row;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({ "t": table, "row": row, "audit": head(actor, action, entity, Some(programme), Some(path)) });
        self.query(&sql, vars).await.map(|_| ())
    }

    /// Replaces a programme's one document in `table` (its scheme, indicator system, reminder
    /// rules): the old one goes, `row` (holding `programme` and `field`) comes, audited as
    /// `action` with the old and new `field` values.
    pub(super) async fn replace_programme_doc(
        &self,
        table: &str,
        field: &str,
        row: Json,
        action: &str,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let programme = row["programme"].as_str().unwrap_or_default().to_owned();
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT VALUE type::field($f) FROM type::table($t) WHERE programme = $p)[0];
             DELETE type::table($t) WHERE programme = $p;
             CREATE type::table($t) CONTENT $row;
             LET $after = $row[$f];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let entity = format!("{table}:{programme}");
        let vars = json!({
            "t": table, "f": field, "p": programme, "row": row,
            "audit": head(actor, action, &entity, Some(&programme), Some(path)),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    /// Sets (creates or replaces) a programme's scheme.
    pub async fn put_scheme(
        &self,
        programme: &Key,
        scheme: &Scheme,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let row =
            json!({ "programme": programme.as_str(), "scheme": encode(scheme), "updated_at": actor.at.to_rfc3339() });
        self.replace_programme_doc("scheme", "scheme", row, "scheme.update", path, actor).await
    }

    pub async fn scheme(&self, programme: &Key) -> Result<Option<Scheme>, StoreError> {
        let v: Vec<Json> = self
            .select(
                "SELECT VALUE scheme FROM scheme WHERE programme = $p",
                json!({ "p": programme.as_str() }),
                "scheme",
            )
            .await?;
        v.into_iter().next().map(|j| decode("scheme", j)).transpose()
    }

    pub async fn insert_adjustment(&self, row: &AdjustmentRow, actor: &Actor) -> Result<(), StoreError> {
        let action = format!("adjustment.{}", row.kind);
        self.create_audited(
            "adjustment",
            encode(row),
            &action,
            &format!("adjustment:{}", row.key),
            &row.programme,
            row.unit_path.clone(),
            actor,
        )
        .await
    }

    pub async fn adjustments(&self, programme: &Key) -> Result<Vec<AdjustmentRow>, StoreError> {
        self.select(
            "SELECT * FROM adjustment WHERE programme = $p ORDER BY period, entered_at",
            json!({ "p": programme.as_str() }),
            "adjustment",
        )
        .await
    }

    pub async fn adjustment(&self, key: &str) -> Result<Option<AdjustmentRow>, StoreError> {
        Ok(self
            .select("SELECT * FROM adjustment WHERE key = $k", json!({ "k": key }), "adjustment")
            .await?
            .into_iter()
            .next())
    }

    /// (unit, line id) pairs of automatic deductions overturned on appeal.
    pub async fn voided_lines(&self, programme: &Key) -> Result<Vec<(String, String)>, StoreError> {
        #[derive(Deserialize)]
        struct V {
            unit: String,
            line: String,
        }
        let v: Vec<V> = self
            .select(
                "SELECT unit, line FROM voided_line WHERE programme = $p",
                json!({ "p": programme.as_str() }),
                "voided line",
            )
            .await?;
        Ok(v.into_iter().map(|x| (x.unit, x.line)).collect())
    }

    /// Publishes a ranking version; a concurrent publication of the same version is a conflict.
    pub async fn publish_ranking(&self, row: &RankingRow, path: Vec<String>, actor: &Actor) -> Result<(), StoreError> {
        let action = if row.version == 1 { "ranking.publish" } else { "ranking.correct" };
        let entity = format!("ranking:{}/{}#{}", row.programme, row.period, row.version);
        let done = self.create_audited("ranking", encode(row), action, &entity, &row.programme, path, actor).await;
        self.recent.ranking.forget(&(row.programme.clone(), row.period.clone()));
        done
    }

    /// The newest published version of a month's ranking, decoded, as of at most
    /// `StoreConfig::recent` ago (see `recent.rs`): what the ranking route serves.
    pub async fn recent_ranking(
        &self,
        programme: &Key,
        period: &str,
    ) -> Result<Option<Arc<PublishedRanking>>, StoreError> {
        let key = (programme.to_string(), period.to_owned());
        let vars = json!({ "p": programme.as_str(), "m": period });
        self.recent
            .ranking
            .revalidate(&key, |expired| async {
                // A published version is frozen: while the newest is still the one in memory,
                // the refresh reads two fields, not the whole ranking again.
                let newest: Option<RankingHead> = self
                    .select_one(
                        "SELECT version, published_at FROM ranking WHERE programme = $p AND period = $m \
                         ORDER BY version DESC LIMIT 1",
                        vars.clone(),
                        "ranking",
                    )
                    .await?;
                let Some(newest) = newest else { return Ok(None) };
                if let Some(old) =
                    expired.filter(|o| o.version == newest.version && o.published_at == newest.published_at)
                {
                    return Ok(Some(old));
                }
                let row: Option<RankingRow> = self
                    .select_one(
                        "SELECT * FROM ranking WHERE programme = $p AND period = $m ORDER BY version DESC LIMIT 1",
                        vars.clone(),
                        "ranking",
                    )
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let entries = row.entries.iter().map(|e| decode_ref("ranking entry", e)).collect::<Result<_, _>>()?;
                let RankingRow { version, published_at, reason, .. } = row;
                Ok(Some(Arc::new(PublishedRanking { version, published_at, reason, entries })))
            })
            .await
    }

    /// Every published version of a month's ranking, oldest first.
    pub async fn rankings(&self, programme: &Key, period: &str) -> Result<Vec<RankingRow>, StoreError> {
        self.select(
            "SELECT * FROM ranking WHERE programme = $p AND period = $m ORDER BY version",
            json!({ "p": programme.as_str(), "m": period }),
            "ranking",
        )
        .await
    }

    pub async fn insert_appeal(&self, row: &AppealRow, actor: &Actor) -> Result<(), StoreError> {
        self.create_audited(
            "appeal",
            encode(row),
            "appeal.file",
            &format!("appeal:{}", row.key),
            &row.programme,
            row.unit_path.clone(),
            actor,
        )
        .await
    }

    pub async fn appeals(&self, programme: &Key) -> Result<Vec<AppealRow>, StoreError> {
        self.select(
            "SELECT * FROM appeal WHERE programme = $p ORDER BY filed_at",
            json!({ "p": programme.as_str() }),
            "appeal",
        )
        .await
    }

    pub async fn appeal(&self, key: &str) -> Result<Option<AppealRow>, StoreError> {
        Ok(self.select("SELECT * FROM appeal WHERE key = $k", json!({ "k": key }), "appeal").await?.into_iter().next())
    }

    /// Records the decision and, when overturned, voids what the appeal was about — all in one
    /// transaction, and only if the appeal is still pending (a decision is final).
    pub async fn decide_appeal(&self, decided: &AppealRow, effect: Overturn, actor: &Actor) -> Result<(), StoreError> {
        let (change, extra) = match &effect {
            Overturn::None => (String::new(), json!({})),
            Overturn::Adjustment(k) => {
                ("UPDATE adjustment SET voided = true WHERE key = $target;".to_owned(), json!({ "target": k }))
            }
            Overturn::Evaluation(k) => {
                ("UPDATE evaluation SET voided = true WHERE key = $target;".to_owned(), json!({ "target": k }))
            }
            Overturn::Line { unit, line } => (
                "CREATE voided_line CONTENT { programme: $p, unit: $vunit, line: $vline, appeal: $k };".to_owned(),
                json!({ "vunit": unit, "vline": line }),
            ),
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT * OMIT id FROM appeal WHERE key = $k)[0];
             IF $before.status != 'pending' {{ THROW 'pilotgov:outdated appeal already decided' }};
             UPDATE appeal MERGE $row WHERE key = $k;
             {change}
             LET $after = (SELECT * OMIT id FROM appeal WHERE key = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let mut vars = json!({
            "k": decided.key, "p": decided.programme, "row": encode(decided),
            "audit": head(actor, &format!("appeal.{}", decided.status), &format!("appeal:{}", decided.key), Some(&decided.programme), Some(decided.unit_path.clone())),
        });
        if let (Some(v), Some(e)) = (vars.as_object_mut(), extra.as_object()) {
            v.extend(e.clone());
        }
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn put_indicator_system(
        &self,
        programme: &Key,
        system: &IndicatorSystem,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let row = json!({ "programme": programme.as_str(), "system": encode(system) });
        self.replace_programme_doc("indicator_system", "system", row, "indicator_system.update", path, actor).await
    }

    pub async fn indicator_system(&self, programme: &Key) -> Result<Option<IndicatorSystem>, StoreError> {
        let v: Vec<Json> = self
            .select(
                "SELECT VALUE system FROM indicator_system WHERE programme = $p",
                json!({ "p": programme.as_str() }),
                "indicator system",
            )
            .await?;
        v.into_iter().next().map(|j| decode("indicator system", j)).transpose()
    }

    pub async fn insert_evaluation(&self, row: &EvaluationRow, actor: &Actor) -> Result<(), StoreError> {
        self.create_audited(
            "evaluation",
            encode(row),
            "evaluation.create",
            &format!("evaluation:{}", row.key),
            &row.programme,
            row.unit_path.clone(),
            actor,
        )
        .await
    }

    pub async fn evaluations(&self, programme: &Key) -> Result<Vec<EvaluationRow>, StoreError> {
        self.select(
            "SELECT * FROM evaluation WHERE programme = $p ORDER BY entered_at",
            json!({ "p": programme.as_str() }),
            "evaluation",
        )
        .await
    }

    pub async fn insert_reward(&self, row: &RewardRow, path: Vec<String>, actor: &Actor) -> Result<(), StoreError> {
        self.create_audited(
            "reward",
            encode(row),
            "reward.allocate",
            &format!("reward:{}", row.key),
            &row.programme,
            path,
            actor,
        )
        .await
    }

    pub async fn rewards(&self, programme: &Key) -> Result<Vec<RewardRow>, StoreError> {
        self.select(
            "SELECT * FROM reward WHERE programme = $p ORDER BY computed_at",
            json!({ "p": programme.as_str() }),
            "reward",
        )
        .await
    }

    /// How many times each filing of a programme was returned for revision.
    pub async fn returns(&self, programme: &Key) -> Result<std::collections::HashMap<String, u32>, StoreError> {
        #[derive(Deserialize)]
        struct R {
            filing: String,
        }
        let keys: Vec<String> = self.programme_filings(programme).await?.into_iter().map(|f| f.key).collect();
        let v: Vec<R> = self
            .select(
                "SELECT filing FROM review WHERE decision = 'return' AND filing IN $keys",
                json!({ "keys": keys }),
                "review",
            )
            .await?;
        let mut map = std::collections::HashMap::new();
        for r in v {
            *map.entry(r.filing).or_insert(0) += 1;
        }
        Ok(map)
    }
}
