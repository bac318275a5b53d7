//! Scoring use-cases: the itemised scores of a month (automatic deductions worked out from the
//! record, manual ones entered by evaluators), the monthly ranking (live until published, then
//! frozen), appeals, evaluations, annual scores and reward allocations.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::domain::access::{Access, Principal};
use crate::domain::deadline::{YearMonth, due_instant};
use crate::domain::evaluation::{self, PanelMember, Phase};
use crate::domain::filing::{Timeliness, timeliness};
use crate::domain::reward::{self, Method, Share};
use crate::domain::scoring::{self, AdjustmentKind, AutoRule, Line, Placed, Points, Scheme, UnitScore};
use crate::domain::{Audience, DomainError, Key, RegionCode, Rule};
use crate::service::accounts::actor;
use crate::service::filings::{ServiceError, gate, unit_of};
use crate::store::Store;
use crate::store::rows::decode_ref;
use crate::store::scoring::{AdjustmentRow, AppealRow, EvaluationRow, Overturn, RankingRow, RewardRow};

/// The programme's scope path, after checking the account may read it (and define it).
pub async fn programme_gate(
    store: &Store,
    p: &Principal,
    key: &Key,
    define: bool,
) -> Result<Vec<String>, ServiceError> {
    let reach = store.recent_reach(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    if define {
        gate(p, Access::DefineProgramme { scope_path: &reach.scope_path }, "programme")?;
    }
    Ok(reach.scope_path.iter().map(|c| c.to_string()).collect())
}

pub async fn scheme_required(store: &Store, key: &Key) -> Result<Scheme, ServiceError> {
    store
        .scheme(key)
        .await?
        .ok_or_else(|| DomainError::rule(Rule::NoScheme, format!("programme `{key}` has no scoring scheme yet")).into())
}

/// Every unit's itemised score for a month, in unit-code order, with unit names.
pub async fn month_scores(
    store: &Store,
    key: &Key,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<(Scheme, Vec<(UnitScore, String)>), ServiceError> {
    let scheme = scheme_required(store, key).await?;
    let ((_, parts), filings, adjustments, voided, returns) = tokio::try_join!(
        store.board_parts(key),
        store.programme_filings(key),
        store.adjustments(key),
        store.voided_lines(key),
        store.returns(key),
    )?;
    let filings: HashMap<(&RegionCode, &Key, &str), &crate::domain::filing::Filing> =
        filings.iter().map(|f| ((&f.unit, &f.deliverable, f.occurrence.as_str()), f)).collect();
    let mut lines: HashMap<&RegionCode, Vec<Line>> = HashMap::new();
    for d in &parts.deliverables {
        let rules: Vec<&AutoRule> =
            scheme.auto_rules.iter().filter(|r| r.deliverable().is_none_or(|k| k == &d.key)).collect();
        if rules.is_empty() {
            continue;
        }
        for o in d.deadline.occurrences(&parts.stages)? {
            if YearMonth::of(o.due_on) != month {
                continue;
            }
            for u in &parts.units {
                if d.audience == Audience::Demonstration && !u.demonstration {
                    continue;
                }
                let f = filings.get(&(&u.region, &d.key, o.key.as_str()));
                let t = timeliness(o.due_on, f.and_then(|f| f.first_submitted_at), now);
                for r in &rules {
                    let (id, points, reason) = match (r, t) {
                        (AutoRule::Late { per_day, cap, .. }, Timeliness::Late(days)) => (
                            format!("auto:late:{}:{}", d.key, o.key),
                            Points((per_day.0 * days).min(cap.0)),
                            format!("{}（{}）迟报 {days} 天", d.title, o.due_text),
                        ),
                        (AutoRule::Missing { points, .. }, Timeliness::Missing) => (
                            format!("auto:missing:{}:{}", d.key, o.key),
                            *points,
                            format!("{}（{}）未报送", d.title, o.due_text),
                        ),
                        (AutoRule::Returned { points, .. }, _) => {
                            let n = f.and_then(|f| returns.get(&f.key)).copied().unwrap_or(0);
                            for i in 1..=n {
                                lines.entry(&u.region).or_default().push(Line {
                                    id: format!("auto:returned:{}:{}:{i}", d.key, o.key),
                                    item: r.item().clone(),
                                    kind: AdjustmentKind::Deduction,
                                    points: *points,
                                    reason: format!("{}（{}）第 {i} 次退回修改", d.title, o.due_text),
                                });
                            }
                            continue;
                        }
                        _ => continue,
                    };
                    lines.entry(&u.region).or_default().push(Line {
                        id,
                        item: r.item().clone(),
                        kind: AdjustmentKind::Deduction,
                        points,
                        reason,
                    });
                }
            }
        }
    }
    let period = month.to_string();
    for a in adjustments.iter().filter(|a| a.period == period && !a.voided) {
        if let Some(u) = parts.units.iter().find(|u| u.region.as_str() == a.unit) {
            lines.entry(&u.region).or_default().push(Line {
                id: a.key.clone(),
                item: Key::parse(&a.item).map_err(|e| crate::store::StoreError::corrupt("adjustment", e))?,
                kind: if a.kind == "bonus" { AdjustmentKind::Bonus } else { AdjustmentKind::Deduction },
                points: Points(a.points),
                reason: a.reason.clone(),
            });
        }
    }
    let scores = parts
        .units
        .iter()
        .map(|u| {
            let mine: Vec<Line> = lines
                .remove(&u.region)
                .unwrap_or_default()
                .into_iter()
                .filter(|l| !voided.iter().any(|(vu, vl)| vu == u.region.as_str() && vl == &l.id))
                .collect();
            (scoring::score(&scheme, &u.region, mine), u.name.clone())
        })
        .collect();
    Ok((scheme, scores))
}

pub use crate::domain::scoring::RankEntry;

/// A month's ranking: the latest published version if there is one, else the live draft.
#[derive(Debug, Clone)]
pub struct Ranking {
    pub period: YearMonth,
    pub version: Option<i64>,
    pub published_at: Option<String>,
    pub reason: Option<String>,
    pub entries: Vec<RankEntry>,
}

async fn published(store: &Store, key: &Key, month: YearMonth) -> Result<Option<RankingRow>, ServiceError> {
    Ok(store.rankings(key, &month.to_string()).await?.pop())
}

/// The entries of a published ranking row.
pub(crate) fn entries_of(row: &RankingRow) -> Result<Vec<RankEntry>, ServiceError> {
    row.entries.iter().map(|e| decode_ref("ranking entry", e).map_err(Into::into)).collect()
}

/// The live ranking of a month, computed from the record now.
pub async fn live_ranking(
    store: &Store,
    key: &Key,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<Vec<RankEntry>, ServiceError> {
    let (scheme, scores) = month_scores(store, key, month, now).await?;
    if !scheme.ranks(month) {
        return Err(DomainError::rule(
            Rule::NotRanked,
            format!("{month} is outside the ranking months {} to {}", scheme.ranking_from, scheme.ranking_to),
        )
        .into());
    }
    // Last month's ranks: published if it was, else as it stands.
    let prev_month = YearMonth {
        year: if month.month == 1 { month.year - 1 } else { month.year },
        month: if month.month == 1 { 12 } else { month.month - 1 },
    };
    let mut previous: HashMap<RegionCode, u32> = HashMap::new();
    if scheme.ranks(prev_month) {
        let prev = match published(store, key, prev_month).await? {
            Some(row) => entries_of(&row)?.into_iter().map(|e| (e.unit, e.rank)).collect(),
            None => {
                let (_, s) = month_scores(store, key, prev_month, now).await?;
                let pairs: Vec<_> = s.iter().map(|(u, _)| (u.unit.clone(), u.total)).collect();
                scoring::rank(&pairs, &scheme.tie_order, &HashMap::new())
                    .into_iter()
                    .map(|p| (p.unit, p.rank))
                    .collect()
            }
        };
        previous = prev;
    }
    let pairs: Vec<_> = scores.iter().map(|(u, _)| (u.unit.clone(), u.total)).collect();
    let placed: Vec<Placed> = scoring::rank(&pairs, &scheme.tie_order, &previous);
    let by_unit: HashMap<&RegionCode, &(UnitScore, String)> = scores.iter().map(|s| (&s.0.unit, s)).collect();
    Ok(placed
        .into_iter()
        .map(|p| {
            let (detail, name) = by_unit[&p.unit];
            RankEntry {
                name: name.clone(),
                rank: p.rank,
                score: p.score,
                change: p.change,
                score_detail: detail.clone(),
                unit: p.unit,
            }
        })
        .collect())
}

pub async fn ranking(store: &Store, key: &Key, month: YearMonth, now: DateTime<Utc>) -> Result<Ranking, ServiceError> {
    let page = ranking_page(store, key, month, now, 0, None).await?;
    let entries = page.entries().to_vec();
    let RankingPage { period, version, published_at, reason, .. } = page;
    Ok(Ranking { period, version, published_at, reason, entries })
}

/// A window onto a month's ranking: the lines asked for, borrowed from the published version in
/// memory or from the live ranking computed now, and how many lines there are in all.
pub struct RankingPage {
    pub period: YearMonth,
    pub version: Option<i64>,
    pub published_at: Option<String>,
    pub reason: Option<String>,
    lines: PageLines,
    window: std::ops::Range<usize>,
}

enum PageLines {
    Published(std::sync::Arc<crate::store::scoring::PublishedRanking>),
    Live(Vec<RankEntry>),
}

impl RankingPage {
    pub fn entries(&self) -> &[RankEntry] {
        let all = match &self.lines {
            PageLines::Published(p) => &p.entries,
            PageLines::Live(v) => v,
        };
        &all[self.window.clone()]
    }

    /// The published version the page comes from, and the window onto its entries; none for
    /// a live ranking.
    pub fn published(&self) -> Option<(&crate::store::scoring::PublishedRanking, std::ops::Range<usize>)> {
        match &self.lines {
            PageLines::Published(p) => Some((p, self.window.clone())),
            PageLines::Live(_) => None,
        }
    }

    /// Units ranked in all.
    pub fn total(&self) -> usize {
        match &self.lines {
            PageLines::Published(p) => p.entries.len(),
            PageLines::Live(v) => v.len(),
        }
    }
}

/// `limit` lines of a month's ranking from `offset` (all from `offset` without a limit). A
/// published month is served from its newest version as read at most `recent_ms` ago (see
/// `store/recent.rs`); a month not yet published is the live ranking, computed now.
pub async fn ranking_page(
    store: &Store,
    key: &Key,
    month: YearMonth,
    now: DateTime<Utc>,
    offset: usize,
    limit: Option<usize>,
) -> Result<RankingPage, ServiceError> {
    let window = |total: usize| {
        let from = offset.min(total);
        from..limit.map_or(total, |l| from.saturating_add(l).min(total))
    };
    Ok(match store.recent_ranking(key, &month.to_string()).await? {
        Some(p) => RankingPage {
            period: month,
            version: Some(p.version),
            published_at: Some(p.published_at.clone()),
            reason: p.reason.clone(),
            window: window(p.entries.len()),
            lines: PageLines::Published(p),
        },
        None => {
            // Boxed: computing the live ranking is a large future, and every request for a
            // published month would otherwise carry (and copy) its space.
            let entries = Box::pin(live_ranking(store, key, month, now)).await?;
            RankingPage {
                period: month,
                version: None,
                published_at: None,
                reason: None,
                window: window(entries.len()),
                lines: PageLines::Live(entries),
            }
        }
    })
}

/// Every published version of a month.
pub async fn ranking_versions(store: &Store, key: &Key, month: YearMonth) -> Result<Vec<Ranking>, ServiceError> {
    store
        .rankings(key, &month.to_string())
        .await?
        .iter()
        .map(|row| {
            Ok(Ranking {
                period: month,
                version: Some(row.version),
                published_at: Some(row.published_at.clone()),
                reason: row.reason.clone(),
                entries: entries_of(row)?,
            })
        })
        .collect()
}

/// Freezes the month's ranking as it stands now. A month already published can only be
/// corrected: a new version, with the reason.
pub async fn publish(
    store: &Store,
    p: &Principal,
    key: &Key,
    month: YearMonth,
    correction: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Ranking, ServiceError> {
    let path = programme_gate(store, p, key, true).await?;
    let versions = store.rankings(key, &month.to_string()).await?;
    let version = match (versions.last(), correction) {
        (None, None) => 1,
        (None, Some(_)) => {
            return Err(DomainError::rule(
                Rule::NotPublished,
                format!("{month} has not been published; there is nothing to correct"),
            )
            .into());
        }
        (Some(_), None) => {
            return Err(DomainError::rule(
                Rule::AlreadyPublished,
                format!("{month} is published and frozen; publish a correction with a reason instead"),
            )
            .into());
        }
        (Some(last), Some(reason)) => {
            crate::domain::programme::text("reason", reason, 2000)?;
            last.version + 1
        }
    };
    let entries = live_ranking(store, key, month, now).await?;
    let row = RankingRow {
        programme: key.to_string(),
        period: month.to_string(),
        version,
        published_at: now.to_rfc3339(),
        published_by: p.username.clone(),
        reason: correction.map(str::to_owned),
        entries: entries.iter().map(crate::store::rows::encode).collect(),
    };
    store.publish_ranking(&row, path, &actor(p, now)).await?;
    Ok(Ranking {
        period: month,
        version: Some(version),
        published_at: Some(row.published_at),
        reason: row.reason,
        entries,
    })
}

/// A manual deduction or bonus entered by an evaluator.
pub struct NewAdjustment<'a> {
    pub unit: &'a RegionCode,
    pub period: YearMonth,
    pub item: &'a Key,
    pub kind: AdjustmentKind,
    pub points: Points,
    pub reason: &'a str,
    pub evidence: Option<scoring::Evidence>,
}

pub async fn adjust(
    store: &Store,
    p: &Principal,
    key: &Key,
    new: NewAdjustment<'_>,
    now: DateTime<Utc>,
) -> Result<AdjustmentRow, ServiceError> {
    programme_gate(store, p, key, false).await?;
    let unit = unit_of(store, p, key, new.unit).await?;
    gate(p, Access::Evaluate { unit_path: &unit.path }, "unit")?;
    let scheme = scheme_required(store, key).await?;
    scheme.check_adjustment(new.item, new.kind, new.points)?;
    let reason = crate::domain::programme::text("reason", new.reason, 2000)?;
    if let Some(scoring::Evidence::Filing(f)) = &new.evidence {
        let of_unit = store.filing(f).await?.is_some_and(|x| &x.programme == key && &x.unit == new.unit);
        if !of_unit {
            return Err(DomainError::invalid("evidence.filing", format!("`{f}` is not a filing of this unit")).into());
        }
    }
    let row = AdjustmentRow {
        key: uuid::Uuid::new_v4().simple().to_string(),
        programme: key.to_string(),
        unit: new.unit.to_string(),
        unit_path: unit.path.iter().map(|c| c.to_string()).collect(),
        period: new.period.to_string(),
        item: new.item.to_string(),
        kind: match new.kind {
            AdjustmentKind::Deduction => "deduction".into(),
            AdjustmentKind::Bonus => "bonus".into(),
        },
        points: new.points.0,
        reason,
        evidence: new.evidence.as_ref().map(scoring::Evidence::to_stored),
        entered_by: p.username.clone(),
        entered_at: now.to_rfc3339(),
        voided: false,
    };
    store.insert_adjustment(&row, &actor(p, now)).await?;
    Ok(row)
}

/// Files an appeal about a deduction line (manual or automatic) or an evaluation of the lead's
/// own unit, within the scheme's window from when the target became known.
pub async fn appeal(
    store: &Store,
    p: &Principal,
    key: &Key,
    unit: &RegionCode,
    target: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<AppealRow, ServiceError> {
    programme_gate(store, p, key, false).await?;
    let u = unit_of(store, p, key, unit).await?;
    gate(p, Access::File { unit_path: &u.path }, "unit")?;
    let scheme = scheme_required(store, key).await?;
    let reason = crate::domain::programme::text("reason", reason, 2000)?;
    // When the target became known, and its period.
    let (known_at, period): (DateTime<Utc>, Option<String>) = if let Some(a) = store.adjustment(target).await? {
        if a.unit != unit.as_str() || a.kind != "deduction" {
            return Err(DomainError::invalid("target", "appeal a deduction of your own unit").into());
        }
        (crate::store::filings::instant(&a.entered_at)?, Some(a.period))
    } else if let Some(e) = store.evaluations(key).await?.into_iter().find(|e| e.key == target) {
        if e.unit != unit.as_str() {
            return Err(DomainError::invalid("target", "appeal an evaluation of your own unit").into());
        }
        (crate::store::filings::instant(&e.entered_at)?, None)
    } else if let Some(rest) = target.strip_prefix("auto:") {
        // auto:<rule>:<deliverable>:<occurrence>[:n] — known when the deadline passed.
        let mut parts = rest.split(':');
        let (_, d, o) = (parts.next(), parts.next(), parts.next());
        let (Some(d), Some(o)) = (d, o) else {
            return Err(DomainError::invalid("target", format!("`{target}` is not a deduction line")).into());
        };
        let deliverables = store.deliverables(key).await?;
        let stages = store.stages(key).await?;
        let due = crate::domain::programme::due_on(&deliverables, &stages, d, o)
            .ok_or_else(|| DomainError::invalid("target", format!("`{target}` is not a deduction line")))?;
        let (_, scores) = month_scores(store, key, YearMonth::of(due), now).await?;
        if !scores.iter().any(|(s, _)| &s.unit == unit && s.lines.iter().any(|l| l.id == target)) {
            return Err(DomainError::invalid("target", format!("{unit} has no deduction `{target}`")).into());
        }
        (due_instant(due), Some(YearMonth::of(due).to_string()))
    } else {
        return Err(DomainError::invalid("target", format!("no deduction or evaluation `{target}`")).into());
    };
    scheme.check_appeal_in_time(known_at, now)?;
    let row = AppealRow {
        key: uuid::Uuid::new_v4().simple().to_string(),
        programme: key.to_string(),
        unit: unit.to_string(),
        unit_path: u.path.iter().map(|c| c.to_string()).collect(),
        target: target.to_owned(),
        period,
        reason,
        filed_by: p.username.clone(),
        filed_at: now.to_rfc3339(),
        status: "pending".into(),
        decision_reason: None,
        decided_by: None,
        decided_at: None,
    };
    match store.insert_appeal(&row, &actor(p, now)).await {
        Err(crate::store::StoreError::Conflict { retryable: false, .. }) => {
            Err(DomainError::rule(Rule::DuplicateAppeal, "this deduction has already been appealed").into())
        }
        other => other.map(|_| row).map_err(Into::into),
    }
}

/// Upholds or overturns an appeal; final. Overturning voids the deduction or evaluation, so the
/// months not yet published change at once; published months need a correction.
pub async fn decide(
    store: &Store,
    p: &Principal,
    appeal_key: &str,
    overturn: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<AppealRow, ServiceError> {
    let a = store.appeal(appeal_key).await?.ok_or_else(|| ServiceError::Hidden(format!("appeal `{appeal_key}`")))?;
    let path = RegionCode::parse_path(&a.unit_path);
    gate(p, Access::ReadUnit { unit_path: &path }, "appeal")?;
    gate(p, Access::Adjudicate { unit_path: &path }, "appeal")?;
    if a.status != "pending" {
        return Err(DomainError::rule(Rule::AppealDecided, "the appeal has been decided; the decision is final").into());
    }
    let reason = crate::domain::programme::text("reason", reason, 2000)?;
    let mut decided = a.clone();
    decided.status = if overturn { "overturned".into() } else { "upheld".into() };
    decided.decision_reason = Some(reason);
    decided.decided_by = Some(p.username.clone());
    decided.decided_at = Some(now.to_rfc3339());
    let effect = if !overturn {
        Overturn::None
    } else if a.target.starts_with("auto:") {
        Overturn::Line { unit: a.unit.clone(), line: a.target.clone() }
    } else if store.adjustment(&a.target).await?.is_some() {
        Overturn::Adjustment(a.target.clone())
    } else {
        Overturn::Evaluation(a.target.clone())
    };
    store.decide_appeal(&decided, effect, &actor(p, now)).await.map_err(|e| match e {
        crate::store::StoreError::Outdated(_) => {
            DomainError::rule(Rule::AppealDecided, "the appeal has been decided; the decision is final").into()
        }
        e => ServiceError::Store(e),
    })?;
    Ok(decided)
}

/// Records an evaluation by a valid panel on the programme's indicator system.
pub async fn evaluate(
    store: &Store,
    p: &Principal,
    key: &Key,
    unit: &RegionCode,
    phase: Phase,
    panel: Vec<PanelMember>,
    scores: BTreeMap<Key, Points>,
    now: DateTime<Utc>,
) -> Result<EvaluationRow, ServiceError> {
    programme_gate(store, p, key, false).await?;
    let u = unit_of(store, p, key, unit).await?;
    gate(p, Access::Evaluate { unit_path: &u.path }, "unit")?;
    evaluation::check_panel(&panel)?;
    let system = store.indicator_system(key).await?.ok_or_else(|| {
        DomainError::rule(Rule::NoIndicatorSystem, format!("programme `{key}` has no indicator system"))
    })?;
    let (total, grade) = system.evaluate(&scores)?;
    let row = EvaluationRow {
        key: uuid::Uuid::new_v4().simple().to_string(),
        programme: key.to_string(),
        unit: unit.to_string(),
        unit_path: u.path.iter().map(|c| c.to_string()).collect(),
        phase: match phase {
            Phase::MidTerm => "mid_term".into(),
            Phase::Final => "final".into(),
        },
        panel: panel.iter().map(crate::store::rows::encode).collect(),
        scores: crate::store::rows::encode(&scores),
        total: total.0,
        grade,
        entered_by: p.username.clone(),
        entered_at: now.to_rfc3339(),
        voided: false,
    };
    store.insert_evaluation(&row, &actor(p, now)).await?;
    Ok(row)
}

/// Annual scores for a year: average of the ranked months' scores (published where published)
/// and the latest final evaluation, weighted by the scheme.
pub async fn annual_scores(
    store: &Store,
    key: &Key,
    year: i32,
    now: DateTime<Utc>,
) -> Result<Vec<(RegionCode, String, Option<Points>, Option<Points>, Option<Points>)>, ServiceError> {
    if !(1949..=2100).contains(&year) {
        return Err(DomainError::invalid("year", "a year between 1949 and 2100").into());
    }
    let scheme = scheme_required(store, key).await?;
    let mut monthly: BTreeMap<RegionCode, (String, Vec<Points>)> = BTreeMap::new();
    let mut m = YearMonth { year, month: 1 };
    while m.year == year {
        if scheme.ranks(m) {
            for e in ranking(store, key, m, now).await?.entries {
                monthly.entry(e.unit.clone()).or_insert_with(|| (e.name.clone(), vec![])).1.push(e.score);
            }
        }
        m = m.next();
    }
    let evaluations = store.evaluations(key).await?;
    Ok(monthly
        .into_iter()
        .map(|(unit, (name, scores))| {
            let fin = evaluations
                .iter()
                .rev()
                .find(|e| e.unit == unit.as_str() && e.phase == "final" && !e.voided)
                .map(|e| Points(e.total));
            let avg = scoring::average(&scores);
            (unit, name, avg, fin, scoring::annual(scheme.annual, &scores, fin))
        })
        .collect())
}

/// Splits a fund among the units by their annual scores and records the allocation.
#[allow(clippy::too_many_arguments)]
pub async fn allocate(
    store: &Store,
    p: &Principal,
    key: &Key,
    label: &str,
    year: i32,
    fund: i64,
    method: Method,
    cap: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(RewardRow, Vec<Share>), ServiceError> {
    let path = programme_gate(store, p, key, true).await?;
    let label = crate::domain::programme::text("label", label, 100)?;
    let scores: Vec<(RegionCode, Points)> = match &method {
        Method::Fixed { .. } => store.units(key).await?.into_iter().map(|u| (u.unit.region, Points(0))).collect(),
        _ => annual_scores(store, key, year, now)
            .await?
            .into_iter()
            .map(|(u, _, _, _, a)| (u, a.unwrap_or_default()))
            .collect(),
    };
    let shares = reward::allocate(fund, &method, cap, &scores)?;
    let row = RewardRow {
        key: uuid::Uuid::new_v4().simple().to_string(),
        programme: key.to_string(),
        label,
        fund,
        method: crate::store::rows::encode(&method),
        cap,
        shares: shares.iter().map(crate::store::rows::encode).collect(),
        computed_at: now.to_rfc3339(),
        computed_by: p.username.clone(),
    };
    store.insert_reward(&row, path, &actor(p, now)).await?;
    Ok((row, shares))
}
