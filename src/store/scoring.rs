//! Scoring records: schemes, adjustments (manual deductions and bonuses), voided automatic
//! lines, published rankings, appeals, indicator systems, evaluations and reward allocations.
//! Every write is audited in its transaction.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::rows::{codes, decode, decode_ref, domain_rows, encode, instant, strings};
use super::{Store, StoreError};
use crate::domain::appeal::{Appeal, AppealStatus, Decision};
use crate::domain::evaluation::{Evaluation, IndicatorSystem};
use crate::domain::reward::Allocation;
use crate::domain::scoring::{Adjustment, AdjustmentKind, Evidence, Points, PublishedRanking, Scheme};
use crate::domain::{Key, RegionCode, YearMonth};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AdjustmentRow {
    key: String,
    programme: String,
    unit: String,
    unit_path: Vec<String>,
    period: String,
    item: String,
    kind: String,
    /// Hundredths of a point.
    points: i64,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    evidence: Option<Json>,
    entered_by: String,
    entered_at: String,
    voided: bool,
}

impl AdjustmentRow {
    fn from_domain(a: &Adjustment) -> Self {
        Self {
            key: a.key.clone(),
            programme: a.programme.to_string(),
            unit: a.unit.to_string(),
            unit_path: strings(&a.unit_path),
            period: a.period.to_string(),
            item: a.item.to_string(),
            kind: a.kind.as_str().to_owned(),
            points: a.points.0,
            reason: a.reason.clone(),
            evidence: a.evidence.as_ref().map(Evidence::to_stored),
            entered_by: a.entered_by.clone(),
            entered_at: a.entered_at.to_rfc3339(),
            voided: a.voided,
        }
    }

    fn into_domain(self) -> Result<Adjustment, StoreError> {
        let bad = |e| StoreError::corrupt("adjustment", e);
        Ok(Adjustment {
            programme: Key::parse(&self.programme).map_err(bad)?,
            unit: RegionCode::parse(&self.unit).map_err(bad)?,
            unit_path: codes(&self.unit_path).map_err(bad)?,
            period: YearMonth::parse(&self.period).map_err(bad)?,
            item: Key::parse(&self.item).map_err(bad)?,
            kind: match self.kind.as_str() {
                "deduction" => AdjustmentKind::Deduction,
                "bonus" => AdjustmentKind::Bonus,
                other => return Err(StoreError::corrupt("adjustment", format!("kind `{other}`"))),
            },
            points: Points(self.points),
            evidence: self.evidence.as_ref().map(Evidence::from_stored),
            entered_at: instant(&self.entered_at)?,
            key: self.key,
            reason: self.reason,
            entered_by: self.entered_by,
            voided: self.voided,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RankingRow {
    programme: String,
    period: String,
    version: i64,
    published_at: String,
    published_by: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    reason: Option<String>,
    /// Rankings published before migration 0017: the entries as objects. Empty since.
    #[serde(default)]
    entries: Vec<Json>,
    /// The entries as one JSON text (migration 0017): SurrealDB hands a text back as it is,
    /// where it converts an array of objects value by value on every read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    entries_text: Option<String>,
}

impl RankingRow {
    fn from_domain(r: &PublishedRanking) -> Self {
        Self {
            programme: r.programme.to_string(),
            period: r.period.to_string(),
            version: r.version,
            published_at: r.published_at.to_rfc3339(),
            published_by: r.published_by.clone(),
            reason: r.reason.clone(),
            entries: Vec::new(),
            entries_text: Some(serde_json::to_string(&r.entries).expect("rows serialise")),
        }
    }

    fn into_domain(self) -> Result<PublishedRanking, StoreError> {
        let bad = |e| StoreError::corrupt("ranking", e);
        Ok(PublishedRanking {
            programme: Key::parse(&self.programme).map_err(bad)?,
            period: YearMonth::parse(&self.period).map_err(bad)?,
            version: self.version,
            published_at: instant(&self.published_at)?,
            published_by: self.published_by,
            reason: self.reason,
            entries: match &self.entries_text {
                Some(text) => serde_json::from_str(text).map_err(|e| StoreError::corrupt("ranking entries", e))?,
                None => self.entries.iter().map(|e| decode_ref("ranking entry", e)).collect::<Result<_, _>>()?,
            },
        })
    }
}

/// Which version of a month's ranking is the newest.
#[derive(Debug, Deserialize)]
struct RankingHead {
    version: i64,
    published_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AppealRow {
    key: String,
    programme: String,
    unit: String,
    unit_path: Vec<String>,
    /// An adjustment key, an automatic line id, or an evaluation key.
    target: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    period: Option<String>,
    reason: String,
    filed_by: String,
    filed_at: String,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    decision_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    decided_at: Option<String>,
}

impl AppealRow {
    fn from_domain(a: &Appeal) -> Self {
        Self {
            key: a.key.clone(),
            programme: a.programme.to_string(),
            unit: a.unit.to_string(),
            unit_path: strings(&a.unit_path),
            target: a.target.clone(),
            period: a.period.map(|p| p.to_string()),
            reason: a.reason.clone(),
            filed_by: a.filed_by.clone(),
            filed_at: a.filed_at.to_rfc3339(),
            status: a.status.as_str().to_owned(),
            decision_reason: a.decision.as_ref().map(|d| d.reason.clone()),
            decided_by: a.decision.as_ref().map(|d| d.by.clone()),
            decided_at: a.decision.as_ref().map(|d| d.at.to_rfc3339()),
        }
    }

    fn into_domain(self) -> Result<Appeal, StoreError> {
        let bad = |e| StoreError::corrupt("appeal", e);
        let decision = match (self.decision_reason, self.decided_by, self.decided_at) {
            (Some(reason), Some(by), Some(at)) => Some(Decision { reason, by, at: instant(&at)? }),
            _ => None,
        };
        Ok(Appeal {
            programme: Key::parse(&self.programme).map_err(bad)?,
            unit: RegionCode::parse(&self.unit).map_err(bad)?,
            unit_path: codes(&self.unit_path).map_err(bad)?,
            period: self.period.as_deref().map(YearMonth::parse).transpose().map_err(bad)?,
            filed_at: instant(&self.filed_at)?,
            status: AppealStatus::parse(&self.status).map_err(bad)?,
            decision,
            key: self.key,
            target: self.target,
            reason: self.reason,
            filed_by: self.filed_by,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct EvaluationRow {
    key: String,
    programme: String,
    unit: String,
    unit_path: Vec<String>,
    phase: String,
    panel: Vec<Json>,
    scores: Json,
    total: i64,
    grade: String,
    entered_by: String,
    entered_at: String,
    voided: bool,
}

impl EvaluationRow {
    fn from_domain(e: &Evaluation) -> Self {
        Self {
            key: e.key.clone(),
            programme: e.programme.to_string(),
            unit: e.unit.to_string(),
            unit_path: strings(&e.unit_path),
            phase: e.phase.as_str().to_owned(),
            panel: e.panel.iter().map(encode).collect(),
            scores: encode(&e.scores),
            total: e.total.0,
            grade: e.grade.clone(),
            entered_by: e.entered_by.clone(),
            entered_at: e.entered_at.to_rfc3339(),
            voided: e.voided,
        }
    }

    fn into_domain(self) -> Result<Evaluation, StoreError> {
        let bad = |e| StoreError::corrupt("evaluation", e);
        Ok(Evaluation {
            programme: Key::parse(&self.programme).map_err(bad)?,
            unit: RegionCode::parse(&self.unit).map_err(bad)?,
            unit_path: codes(&self.unit_path).map_err(bad)?,
            phase: decode("evaluation phase", Json::String(self.phase))?,
            panel: self.panel.iter().map(|m| decode_ref("panel member", m)).collect::<Result<_, _>>()?,
            scores: decode("evaluation scores", self.scores)?,
            total: Points(self.total),
            entered_at: instant(&self.entered_at)?,
            key: self.key,
            grade: self.grade,
            entered_by: self.entered_by,
            voided: self.voided,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RewardRow {
    key: String,
    programme: String,
    label: String,
    fund: i64,
    method: Json,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    cap: Option<i64>,
    shares: Vec<Json>,
    computed_at: String,
    computed_by: String,
}

impl RewardRow {
    fn from_domain(a: &Allocation) -> Self {
        Self {
            key: a.key.clone(),
            programme: a.programme.to_string(),
            label: a.label.clone(),
            fund: a.fund,
            method: encode(&a.method),
            cap: a.cap,
            shares: a.shares.iter().map(encode).collect(),
            computed_at: a.computed_at.to_rfc3339(),
            computed_by: a.computed_by.clone(),
        }
    }

    fn into_domain(self) -> Result<Allocation, StoreError> {
        Ok(Allocation {
            programme: Key::parse(&self.programme).map_err(|e| StoreError::corrupt("reward", e))?,
            method: decode("reward method", self.method)?,
            shares: self.shares.iter().map(|s| decode_ref("reward share", s)).collect::<Result<_, _>>()?,
            computed_at: instant(&self.computed_at)?,
            key: self.key,
            label: self.label,
            fund: self.fund,
            cap: self.cap,
            computed_by: self.computed_by,
        })
    }
}

domain_rows! {
    AdjustmentRow => Adjustment, "adjustment";
    RankingRow => PublishedRanking, "ranking";
    AppealRow => Appeal, "appeal";
    EvaluationRow => Evaluation, "evaluation";
    RewardRow => Allocation, "reward";
}

/// What deciding an appeal changes besides the appeal.
pub enum Overturn {
    None,
    Adjustment(String),
    Line { unit: RegionCode, line: String },
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

    pub async fn insert_adjustment(&self, a: &Adjustment, actor: &Actor) -> Result<(), StoreError> {
        let row = AdjustmentRow::from_domain(a);
        let action = format!("adjustment.{}", row.kind);
        self.create_audited(
            "adjustment",
            encode(&row),
            &action,
            &format!("adjustment:{}", row.key),
            &row.programme,
            row.unit_path.clone(),
            actor,
        )
        .await
    }

    pub async fn adjustments(&self, programme: &Key) -> Result<Vec<Adjustment>, StoreError> {
        self.select_rows::<AdjustmentRow>(
            "SELECT * FROM adjustment WHERE programme = $p ORDER BY period, entered_at",
            json!({ "p": programme.as_str() }),
        )
        .await
    }

    pub async fn adjustment(&self, key: &str) -> Result<Option<Adjustment>, StoreError> {
        self.select_row::<AdjustmentRow>("SELECT * FROM adjustment WHERE key = $k", json!({ "k": key })).await
    }

    /// (unit, line id) pairs of automatic deductions overturned on appeal.
    pub async fn voided_lines(&self, programme: &Key) -> Result<Vec<(RegionCode, String)>, StoreError> {
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
        v.into_iter()
            .map(|x| Ok((RegionCode::parse(&x.unit).map_err(|e| StoreError::corrupt("voided line", e))?, x.line)))
            .collect()
    }

    /// Publishes a ranking version; a concurrent publication of the same version is a conflict.
    pub async fn publish_ranking(
        &self,
        ranking: &PublishedRanking,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let row = RankingRow::from_domain(ranking);
        let action = if row.version == 1 { "ranking.publish" } else { "ranking.correct" };
        let entity = format!("ranking:{}/{}#{}", row.programme, row.period, row.version);
        let done = self.create_audited("ranking", encode(&row), action, &entity, &row.programme, path, actor).await;
        self.recent.ranking.forget(&(ranking.programme.clone(), ranking.period));
        done
    }

    /// The newest published version of a month's ranking, decoded, as of at most
    /// `StoreConfig::recent` ago (see `recent.rs`): what the ranking route serves.
    pub async fn recent_ranking(
        &self,
        programme: &Key,
        period: YearMonth,
    ) -> Result<Option<Arc<PublishedRanking>>, StoreError> {
        let key = (programme.clone(), period);
        let vars = json!({ "p": programme.as_str(), "m": period.to_string() });
        self.recent
            .ranking
            .revalidate(&key, |expired| async {
                // A published version is frozen: while the newest is still the one in memory,
                // the refresh reads its head by id (migration 0019), not the ranking again.
                let newest: Option<RankingHead> = self
                    .select_one(
                        "SELECT version, published_at FROM type::record('ranking_head', [$p, $m])",
                        vars.clone(),
                        "ranking head",
                    )
                    .await?;
                let Some(newest) = newest else { return Ok(None) };
                let newest_at = instant(&newest.published_at)?;
                if let Some(old) = expired.filter(|o| o.version == newest.version && o.published_at == newest_at) {
                    return Ok(Some(old));
                }
                let sql = "SELECT * FROM ranking WHERE programme = $p AND period = $m AND version = $v";
                let mut vars = vars.clone();
                vars["v"] = json!(newest.version);
                Ok(self.select_row::<RankingRow>(sql, vars).await?.map(Arc::new))
            })
            .await
    }

    /// The newest version of the latest month published, if any: the month from the programme's
    /// ranking heads (a record-id range, migration 0019), the version as the ranking route
    /// keeps it (`recent_ranking`) — a lead's home page shows its unit's place from memory.
    pub async fn latest_ranking(&self, programme: &Key) -> Result<Option<Arc<PublishedRanking>>, StoreError> {
        let periods: Vec<String> = self
            .select(
                "SELECT VALUE record::id(id)[1] FROM ranking_head:[$p, '0000-00']..=[$p, '9999-99']",
                json!({ "p": programme.as_str() }),
                "ranking head",
            )
            .await?;
        let mut periods = periods
            .iter()
            .map(|m| YearMonth::parse(m).map_err(|e| StoreError::corrupt("ranking head", e)))
            .collect::<Result<Vec<_>, _>>()?;
        periods.sort();
        match periods.pop() {
            Some(month) => self.recent_ranking(programme, month).await,
            None => Ok(None),
        }
    }

    /// Every published version of a month's ranking, oldest first.
    pub async fn rankings(&self, programme: &Key, period: YearMonth) -> Result<Vec<PublishedRanking>, StoreError> {
        self.select_rows::<RankingRow>(
            "SELECT * FROM ranking WHERE programme = $p AND period = $m ORDER BY version",
            json!({ "p": programme.as_str(), "m": period.to_string() }),
        )
        .await
    }

    pub async fn insert_appeal(&self, a: &Appeal, actor: &Actor) -> Result<(), StoreError> {
        let row = AppealRow::from_domain(a);
        self.create_audited(
            "appeal",
            encode(&row),
            "appeal.file",
            &format!("appeal:{}", row.key),
            &row.programme,
            row.unit_path.clone(),
            actor,
        )
        .await
    }

    pub async fn appeals(&self, programme: &Key) -> Result<Vec<Appeal>, StoreError> {
        self.select_rows::<AppealRow>(
            "SELECT * FROM appeal WHERE programme = $p ORDER BY filed_at",
            json!({ "p": programme.as_str() }),
        )
        .await
    }

    /// Every appeal still waiting for its decision, oldest first (they are few: a month's
    /// deductions are appealed within days and decided).
    pub async fn pending_appeals(&self) -> Result<Vec<Appeal>, StoreError> {
        self.select_rows::<AppealRow>("SELECT * FROM appeal WHERE status = 'pending' ORDER BY filed_at", json!({}))
            .await
    }

    pub async fn appeal(&self, key: &str) -> Result<Option<Appeal>, StoreError> {
        self.select_row::<AppealRow>("SELECT * FROM appeal WHERE key = $k", json!({ "k": key })).await
    }

    /// Records the decision and, when overturned, voids what the appeal was about — all in one
    /// transaction, and only if the appeal is still pending (a decision is final).
    pub async fn decide_appeal(&self, decided: &Appeal, effect: Overturn, actor: &Actor) -> Result<(), StoreError> {
        let decided = AppealRow::from_domain(decided);
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
            "k": decided.key, "p": decided.programme, "row": encode(&decided),
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

    pub async fn insert_evaluation(&self, e: &Evaluation, actor: &Actor) -> Result<(), StoreError> {
        let row = EvaluationRow::from_domain(e);
        self.create_audited(
            "evaluation",
            encode(&row),
            "evaluation.create",
            &format!("evaluation:{}", row.key),
            &row.programme,
            row.unit_path.clone(),
            actor,
        )
        .await
    }

    pub async fn evaluations(&self, programme: &Key) -> Result<Vec<Evaluation>, StoreError> {
        self.select_rows::<EvaluationRow>(
            "SELECT * FROM evaluation WHERE programme = $p ORDER BY entered_at",
            json!({ "p": programme.as_str() }),
        )
        .await
    }

    pub async fn insert_reward(&self, a: &Allocation, path: Vec<String>, actor: &Actor) -> Result<(), StoreError> {
        let row = RewardRow::from_domain(a);
        self.create_audited(
            "reward",
            encode(&row),
            "reward.allocate",
            &format!("reward:{}", row.key),
            &row.programme,
            path,
            actor,
        )
        .await
    }

    pub async fn rewards(&self, programme: &Key) -> Result<Vec<Allocation>, StoreError> {
        self.select_rows::<RewardRow>(
            "SELECT * FROM reward WHERE programme = $p ORDER BY computed_at",
            json!({ "p": programme.as_str() }),
        )
        .await
    }

    /// How many times each filing of a programme was returned for revision.
    pub async fn returns(&self, programme: &Key) -> Result<std::collections::HashMap<String, u32>, StoreError> {
        #[derive(Deserialize)]
        struct R {
            filing: String,
        }
        // One read through the (programme, decision) index: only the returns, never the
        // programme's filings (a national year has half a million).
        let v: Vec<R> = self
            .select(
                "SELECT filing FROM review WHERE programme = $p AND decision = 'return'",
                json!({ "p": programme.as_str() }),
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
