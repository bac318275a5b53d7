//! Scoring use-cases: the itemised scores of a month (automatic deductions worked out from the
//! record, manual ones entered by evaluators), the monthly ranking (live until published, then
//! frozen), appeals, evaluations, annual scores and reward allocations.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::domain::access::{Access, Principal};
use crate::domain::appeal::{self, Appeal, AppealStatus};
use crate::domain::deadline::{YearMonth, due_instant};
use crate::domain::evaluation::{self, Evaluation, PanelMember, Phase};
use crate::domain::reward::{self, Allocation, Method};
use crate::domain::scoring::{
    self, Adjustment, AdjustmentKind, AutoLineId, Placed, Points, PublishedRanking, Scheme, UnitScore,
};
use crate::domain::{DomainError, Key, RegionCode, Rule};
use crate::service::accounts::actor;
use crate::service::filings::{ServiceError, active_unit_of, gate};
use crate::store::Store;
use crate::store::scoring::Overturn;

/// A new record's key.
fn new_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

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

/// Every unit's itemised score for a month, in unit-code order, with unit names: the record
/// gathered here, the lines and scores decided by `scoring::month_scores`.
pub async fn month_scores(
    store: &Store,
    key: &Key,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<(Scheme, Vec<(UnitScore, String)>), ServiceError> {
    let scheme = scheme_required(store, key).await?;
    let ((_, parts), adjustments, voided, returns) =
        tokio::try_join!(store.board_parts(key), store.adjustments(key), store.voided_lines(key), store.returns(key))?;
    // The filings of the deadlines the month judges are all its scores read: from the
    // programme's register when memory holds it (a whole matrix or board page asked for it),
    // else read by deadline.
    let judged = scoring::deadlines_judged_in(&parts.expanded, month);
    let filings = match store.filing_register(key, false).await? {
        Some(register) => register.briefs_of(&judged),
        None => store.deadline_briefs(key, &judged).await?,
    };
    let record = scoring::Record {
        stages: &parts.stages,
        deliverables: &parts.deliverables,
        units: &parts.units,
        filings: &filings,
        returns: &returns,
        adjustments: &adjustments,
        voided: &voided,
    };
    let scores = scoring::month_scores(&scheme, &record, month, now)?;
    let named = scores.into_iter().zip(&parts.units).map(|(s, u)| (s, u.name.clone())).collect();
    Ok((scheme, named))
}

pub use crate::domain::scoring::RankEntry;

/// A month's ranking: the latest published version if there is one, else the live draft.
#[derive(Debug, Clone)]
pub struct Ranking {
    pub period: YearMonth,
    pub version: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub entries: Vec<RankEntry>,
}

impl From<PublishedRanking> for Ranking {
    fn from(r: PublishedRanking) -> Self {
        Self {
            period: r.period,
            version: Some(r.version),
            published_at: Some(r.published_at),
            reason: r.reason,
            entries: r.entries,
        }
    }
}

/// The newest published version of a month, if it was published.
pub async fn published(store: &Store, key: &Key, month: YearMonth) -> Result<Option<PublishedRanking>, ServiceError> {
    Ok(store.rankings(key, month).await?.pop())
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
            Some(r) => r.entries.into_iter().map(|e| (e.unit, e.rank)).collect(),
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
    pub published_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    lines: PageLines,
    window: std::ops::Range<usize>,
}

enum PageLines {
    Published(std::sync::Arc<PublishedRanking>),
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
    pub fn published(&self) -> Option<(&PublishedRanking, std::ops::Range<usize>)> {
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
    Ok(match store.recent_ranking(key, month).await? {
        Some(p) => RankingPage {
            period: month,
            version: Some(p.version),
            published_at: Some(p.published_at),
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
    Ok(store.rankings(key, month).await?.into_iter().map(Ranking::from).collect())
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
    let versions = store.rankings(key, month).await?;
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
    let published = PublishedRanking {
        programme: key.clone(),
        period: month,
        version,
        published_at: now,
        published_by: p.username.clone(),
        reason: correction.map(str::to_owned),
        entries: live_ranking(store, key, month, now).await?,
    };
    store.publish_ranking(&published, path, &actor(p, now)).await?;
    Ok(published.into())
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
) -> Result<Adjustment, ServiceError> {
    programme_gate(store, p, key, false).await?;
    let unit = active_unit_of(store, p, key, new.unit).await?;
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
    let adjustment = Adjustment {
        key: new_key(),
        programme: key.clone(),
        unit: new.unit.clone(),
        unit_path: unit.path,
        period: new.period,
        item: new.item.clone(),
        kind: new.kind,
        points: new.points,
        reason,
        evidence: new.evidence,
        entered_by: p.username.clone(),
        entered_at: now,
        voided: false,
    };
    store.insert_adjustment(&adjustment, &actor(p, now)).await?;
    Ok(adjustment)
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
) -> Result<Appeal, ServiceError> {
    programme_gate(store, p, key, false).await?;
    let u = active_unit_of(store, p, key, unit).await?;
    gate(p, Access::File { unit_path: &u.path }, "unit")?;
    let scheme = scheme_required(store, key).await?;
    let reason = crate::domain::programme::text("reason", reason, 2000)?;
    // When the target became known, and its period.
    let (known_at, period) = if let Some(a) = store.adjustment(target).await? {
        if &a.unit != unit || a.kind != AdjustmentKind::Deduction {
            return Err(DomainError::invalid("target", "appeal a deduction of your own unit").into());
        }
        (a.entered_at, Some(a.period))
    } else if let Some(e) = store.evaluations(key).await?.into_iter().find(|e| e.key == target) {
        if &e.unit != unit {
            return Err(DomainError::invalid("target", "appeal an evaluation of your own unit").into());
        }
        (e.entered_at, None)
    } else if let Some(line) = AutoLineId::parse(target) {
        // Known when the deadline passed.
        let deliverables = store.deliverables(key).await?;
        let stages = store.stages(key).await?;
        let due = crate::domain::programme::due_on(&deliverables, &stages, line.deliverable, line.occurrence)
            .ok_or_else(|| DomainError::invalid("target", format!("`{target}` is not a deduction line")))?;
        let (_, scores) = month_scores(store, key, YearMonth::of(due), now).await?;
        if !scores.iter().any(|(s, _)| &s.unit == unit && s.lines.iter().any(|l| l.id == target)) {
            return Err(DomainError::invalid("target", format!("{unit} has no deduction `{target}`")).into());
        }
        (due_instant(due), Some(YearMonth::of(due)))
    } else {
        return Err(DomainError::invalid("target", format!("no deduction or evaluation `{target}`")).into());
    };
    scheme.check_appeal_in_time(known_at, now)?;
    let filed = Appeal {
        key: new_key(),
        programme: key.clone(),
        unit: unit.clone(),
        unit_path: u.path,
        target: target.to_owned(),
        period,
        reason,
        filed_by: p.username.clone(),
        filed_at: now,
        status: AppealStatus::Pending,
        decision: None,
    };
    match store.insert_appeal(&filed, &actor(p, now)).await {
        Err(e) if e.is_duplicate_in("appeal_target") => {
            Err(DomainError::rule(Rule::DuplicateAppeal, "this deduction has already been appealed").into())
        }
        other => other.map(|_| filed).map_err(Into::into),
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
) -> Result<Appeal, ServiceError> {
    let a = store.appeal(appeal_key).await?.ok_or_else(|| ServiceError::Hidden(format!("appeal `{appeal_key}`")))?;
    gate(p, Access::ReadUnit { unit_path: &a.unit_path }, "appeal")?;
    gate(p, Access::Adjudicate { unit_path: &a.unit_path }, "appeal")?;
    let decided = a.decide(overturn, reason, &p.username, now)?;
    let effect = if !overturn {
        Overturn::None
    } else if AutoLineId::parse(&a.target).is_some() {
        Overturn::Line { unit: a.unit.clone(), line: a.target.clone() }
    } else if store.adjustment(&a.target).await?.is_some() {
        Overturn::Adjustment(a.target.clone())
    } else {
        Overturn::Evaluation(a.target.clone())
    };
    store.decide_appeal(&decided, effect, &actor(p, now)).await.map_err(|e| match e {
        crate::store::StoreError::Outdated(_) => appeal::already_decided().into(),
        e => ServiceError::Store(e),
    })?;
    Ok(decided)
}

/// The appeals waiting for this account's decision (the level that adjudicates each unit),
/// oldest first, with the programme's title and the unit's name.
pub async fn appeals_awaiting(store: &Store, p: &Principal) -> Result<Vec<(Appeal, String, String)>, ServiceError> {
    let mut out = Vec::new();
    for a in store.pending_appeals().await? {
        if p.check(Access::Adjudicate { unit_path: &a.unit_path }).is_err() {
            continue;
        }
        let title = store.programme(&a.programme).await?.map(|s| s.programme.title).unwrap_or_default();
        let unit = store.unit(&a.programme, &a.unit).await?.map(|u| u.name).unwrap_or_else(|| a.unit.to_string());
        out.push((a, title, unit));
    }
    Ok(out)
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
) -> Result<Evaluation, ServiceError> {
    programme_gate(store, p, key, false).await?;
    let u = active_unit_of(store, p, key, unit).await?;
    gate(p, Access::Evaluate { unit_path: &u.path }, "unit")?;
    evaluation::check_panel(&panel)?;
    let system = store.indicator_system(key).await?.ok_or_else(|| {
        DomainError::rule(Rule::NoIndicatorSystem, format!("programme `{key}` has no indicator system"))
    })?;
    let (total, grade) = system.evaluate(&scores)?;
    let evaluation = Evaluation {
        key: new_key(),
        programme: key.clone(),
        unit: unit.clone(),
        unit_path: u.path,
        phase,
        panel,
        scores,
        total,
        grade,
        entered_by: p.username.clone(),
        entered_at: now,
        voided: false,
    };
    store.insert_evaluation(&evaluation, &actor(p, now)).await?;
    Ok(evaluation)
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
            let fin = evaluation::latest_final(&evaluations, &unit);
            let avg = scoring::average(&scores);
            (unit, name, avg, fin, scoring::annual(scheme.annual, &scores, fin))
        })
        .collect())
}

/// The shares `fund` would be split into by `method`, recorded nowhere: the page shows them
/// before anyone allocates. Only those who may allocate may ask.
#[allow(clippy::too_many_arguments)]
pub async fn preview_allocation(
    store: &Store,
    p: &Principal,
    key: &Key,
    year: i32,
    fund: i64,
    method: &Method,
    cap: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<reward::Share>, ServiceError> {
    programme_gate(store, p, key, true).await?;
    split(store, key, year, fund, method, cap, now).await
}

/// The units' annual scores (none for fixed grants) split by the domain.
async fn split(
    store: &Store,
    key: &Key,
    year: i32,
    fund: i64,
    method: &Method,
    cap: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<reward::Share>, ServiceError> {
    let scores: Vec<(RegionCode, Points)> = match method {
        Method::Fixed { .. } => store.units(key).await?.into_iter().map(|u| (u.unit.region, Points(0))).collect(),
        _ => annual_scores(store, key, year, now)
            .await?
            .into_iter()
            .map(|(u, _, _, _, a)| (u, a.unwrap_or_default()))
            .collect(),
    };
    Ok(reward::allocate(fund, method, cap, &scores)?)
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
) -> Result<Allocation, ServiceError> {
    let path = programme_gate(store, p, key, true).await?;
    let label = crate::domain::programme::text("label", label, 100)?;
    let shares = split(store, key, year, fund, &method, cap, now).await?;
    let allocation = Allocation {
        key: new_key(),
        programme: key.clone(),
        label,
        fund,
        method,
        cap,
        shares,
        computed_at: now,
        computed_by: p.username.clone(),
    };
    store.insert_reward(&allocation, path, &actor(p, now)).await?;
    Ok(allocation)
}
