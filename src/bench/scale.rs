//! The benchmark's data sets, measured side by side: the county programme (≈2,840 units, half
//! of them with their plan filed) and, with `--national`, a national township programme
//! (≈38,600 units, a plan and 12 monthly reports each) with a year of filings — late ones,
//! missing ones and returned ones among them — loaded with batched writes. Both live in one
//! store under one region tree (the townships sit under the county set's counties), so every
//! figure of a row is measured on the same machine in the same run.

use std::time::{Duration, Instant};

use chrono::{DateTime, Days, TimeZone, Utc};

use crate::app::App;
use crate::domain::access::Principal;
use crate::domain::deadline::{Every, MonthDay, due_instant};
use crate::domain::filing::{Decision, Filing, Review};
use crate::domain::unit::admit;
use crate::domain::{
    Audience, Bundle, DeadlineSpec, Deliverable, DocDate, Key, PilotUnit, Programme, RegionCode, RegionLevel,
    RegionTree, RouteAction, RouteStep, SelectionRules, Window, YearMonth,
};
use crate::service::board::{Filter, deadline_board};
use crate::service::import::stored_unit;
use crate::store::audit::Actor;
use crate::store::rows::StoredUnit;

/// Filings per write transaction when loading a year of them.
const BATCH: usize = 2_000;

/// One generated programme, loaded, and where to look in it.
pub struct DataSet {
    pub name: &'static str,
    pub key: Key,
    /// The instant its figures are taken at.
    pub now: DateTime<Utc>,
    /// The month its ranking and bulletin are about.
    pub month: YearMonth,
    pub units: usize,
    pub filings: usize,
    /// How long the units and the filings took to store.
    pub load_units: Duration,
    pub load_filings: Duration,
    /// How long computing and publishing the month's ranking took (the bulletin quotes it).
    pub publish: Duration,
}

impl DataSet {
    /// The set once its month's ranking is published, as the programme's department would (the
    /// bulletin quotes it), with how long that took.
    async fn published(mut self, app: &App) -> anyhow::Result<Self> {
        self.publish = publish(app, &self.key, self.month, self.now).await?;
        Ok(self)
    }
}

async fn publish(app: &App, key: &Key, month: YearMonth, now: DateTime<Utc>) -> anyhow::Result<Duration> {
    let nation = RegionCode::parse(RegionCode::NATION)?;
    let admin = Principal {
        username: "bench-admin".into(),
        display_name: "民政部社会救助司".into(),
        role: crate::domain::access::Role::ProvinceAdmin,
        region: nation.clone(),
        region_level: RegionLevel::Nation,
        region_path: vec![nation],
        must_change_password: false,
    };
    let t = Instant::now();
    crate::service::scoring::publish(&app.state.store, &admin, key, month, None, now)
        .await
        .map_err(|e| anyhow::anyhow!("publishing {month}: {e}"))?;
    Ok(t.elapsed())
}

/// The plan (by 31 March) and the monthly report (15th to 25th), reviewed by the city and
/// filed by the province: the deadlines every generated programme has.
fn programme(key: &str, title: &str, unit_level: RegionLevel) -> anyhow::Result<(Programme, Vec<Deliverable>)> {
    let programme = Programme {
        key: Key::parse(key)?,
        title: title.into(),
        issuer: "民政部".into(),
        doc_number: None,
        issued: DocDate::parse("2026年1月5日")?,
        period: Window::new(DocDate::parse("2026年1月")?, DocDate::parse("2026年12月")?)?,
        scope: RegionCode::parse("000000")?,
        unit_level,
        rules: SelectionRules::default(),
        summary: None,
        source: None,
    };
    let route = vec![
        RouteStep { level: RegionLevel::City, action: RouteAction::Review },
        RouteStep { level: RegionLevel::Province, action: RouteAction::File },
    ];
    let deliverables = vec![
        Deliverable {
            key: Key::parse("plan")?,
            title: "实施方案".into(),
            description: None,
            stage: None,
            deadline: DeadlineSpec::Fixed { due: DocDate::parse("2026年3月31日前")? },
            route: route.clone(),
            audience: Audience::All,
        },
        Deliverable {
            key: Key::parse("monthly")?,
            title: "月度进展报告".into(),
            description: None,
            stage: None,
            deadline: DeadlineSpec::Recurring {
                every: Every::Month,
                from: YearMonth::parse("2026-01")?,
                to: YearMonth::parse("2026-12")?,
                opens_day: Some(15),
                due_day: MonthDay::Day(25),
                text: Some("每月25日前".into()),
            },
            route,
            audience: Audience::All,
        },
    ];
    Ok((programme, deliverables))
}

/// Stores a programme with one unit per region in `at`, and its scoring scheme (on-time
/// monthly reports; a day late costs a point, a missing report ten).
async fn store_programme(
    app: &App,
    tree: &RegionTree,
    (programme, deliverables): (Programme, Vec<Deliverable>),
    at: &[RegionCode],
    actor: &Actor,
) -> anyhow::Result<(Bundle, Vec<StoredUnit>, Duration)> {
    let store = &app.state.store;
    let units: Vec<PilotUnit> = at
        .iter()
        .map(|c| PilotUnit { region: c.clone(), directions: vec![], demonstration: false, lead: None, note: None })
        .collect();
    let stored = units
        .iter()
        .map(|u| {
            let placement = admit(&programme, tree, &[], &[], u)?;
            stored_unit(tree, u.clone(), placement)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bundle = Bundle { programme, stages: vec![], directions: vec![], deliverables, units };
    let t = Instant::now();
    store.create_bundle(&bundle, &stored, Default::default(), "programme.import", actor).await?;
    let took = t.elapsed();
    let scheme: crate::domain::scoring::Scheme = serde_json::from_value(serde_json::json!({
        "items": [{"key": "timeliness", "name": "按时报送", "full": 100.0}],
        "bonus_cap": 5.0,
        "auto_rules": [
            {"kind": "late", "item": "timeliness", "deliverable": "monthly", "per_day": 1.0, "cap": 10.0},
            {"kind": "missing", "item": "timeliness", "deliverable": "monthly", "points": 10.0}
        ],
        "ranking_from": "2026-01", "ranking_to": "2026-12", "appeal_window_days": 30,
        "annual": {"monthly": 100, "final_evaluation": 0}
    }))?;
    store.put_scheme(&bundle.programme.key, &scheme, vec!["000000".into()], actor).await?;
    Ok((bundle, stored, took))
}

/// Writes filings in batches; returns how many and how long it took.
async fn load_filings(
    app: &App,
    key: &Key,
    filings: Vec<(Filing, Vec<Review>)>,
    actor: &Actor,
) -> anyhow::Result<(usize, Duration)> {
    let t = Instant::now();
    let mut n = 0;
    for chunk in filings.chunks(BATCH) {
        n += app.state.store.import_filings(key, chunk, actor).await?;
    }
    Ok((n, t.elapsed()))
}

/// The county programme as the benchmark has always measured it: every county a unit, half of
/// them with their plan submitted at `now`.
pub async fn county_set(app: &App, tree: &RegionTree, counties: &[RegionCode]) -> anyhow::Result<DataSet> {
    let now = Utc.with_ymd_and_hms(2026, 6, 15, 1, 0, 0).single().expect("valid");
    let actor = Actor::system("bench", now);
    let (bundle, stored, load_units) = store_programme(
        app,
        tree,
        programme("national-bench", "全国社会救助改革试点（基准测试）", RegionLevel::County)?,
        counties,
        &actor,
    )
    .await?;
    let key = bundle.programme.key.clone();
    let plan = Key::parse("plan")?;
    let filings = stored
        .iter()
        .step_by(2)
        .map(|u| {
            let mut f = Filing::draft(
                format!("bench-{}", u.unit.region),
                key.clone(),
                u.unit.region.clone(),
                u.path.clone(),
                plan.clone(),
                "once".into(),
                vec![],
                "实施方案",
                "",
                "bench",
            )?;
            f.submit(now)?;
            Ok((f, vec![]))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (filings, load_filings) = load_filings(app, &key, filings, &actor).await?;
    let loaded = DataSet {
        name: "county set",
        key,
        now,
        month: YearMonth::parse("2026-05")?,
        units: stored.len(),
        filings,
        load_units,
        load_filings,
        publish: Duration::ZERO,
    };
    loaded.published(app).await
}

/// A deterministic spread of outcomes (no random numbers: every run loads the same year).
fn mix(unit: usize, occurrence: usize) -> usize {
    (unit.wrapping_mul(7_919) ^ occurrence.wrapping_mul(104_729)).wrapping_mul(2_654_435_761) % 1_000
}

/// The national township programme with a year of filings, seen just after December's report
/// was due: of each unit's 13 deadlines about 3 % never filed, 8 % first submitted one to six days
/// late, 3 % returned by the city once and submitted again; the rest submitted on time, approved by
/// the city two days later and filed by the province two days after that (unless that is still
/// ahead).
pub async fn township_set(app: &App, tree: &RegionTree, townships: &[RegionCode]) -> anyhow::Result<DataSet> {
    let now = Utc.with_ymd_and_hms(2026, 12, 28, 2, 0, 0).single().expect("valid");
    let actor = Actor::system("bench", now);
    let (bundle, stored, load_units) = store_programme(
        app,
        tree,
        programme("township-bench", "全国乡镇社会救助服务改革试点（基准测试）", RegionLevel::Township)?,
        townships,
        &actor,
    )
    .await?;
    let key = bundle.programme.key.clone();
    let mut deadlines = Vec::new();
    for d in &bundle.deliverables {
        for o in d.deadline.occurrences(&[])? {
            deadlines.push((d, o));
        }
    }
    let day = |n: u64| Days::new(n);
    let mut filings = Vec::with_capacity(stored.len() * deadlines.len());
    for (ui, u) in stored.iter().enumerate() {
        for (oi, (d, o)) in deadlines.iter().enumerate() {
            let m = mix(ui, oi);
            if m < 30 {
                continue;
            }
            let due = due_instant(o.due_on);
            let submitted = if m < 110 {
                due.checked_add_days(day(1 + (m % 6) as u64)).expect("in range") - chrono::Duration::hours(10)
            } else {
                due.checked_sub_days(day(1 + (m % 8) as u64)).expect("in range")
            };
            if submitted > now {
                continue;
            }
            let mut f = Filing::draft(
                format!("t-{}-{}-{}", u.unit.region, d.key, o.key),
                key.clone(),
                u.unit.region.clone(),
                u.path.clone(),
                d.key.clone(),
                o.key.clone(),
                d.route.clone(),
                &format!("{}{}", u.name, d.title),
                "",
                "bench",
            )?;
            f.submit(submitted)?;
            let mut reviews = Vec::new();
            let mut at = submitted;
            let mut decide = |f: &mut Filing, decision: Decision, at: DateTime<Utc>| -> anyhow::Result<()> {
                let (step, s) = f.review(&decision)?;
                reviews.push(Review {
                    filing: f.key.clone(),
                    version: f.version,
                    step: step as u32,
                    level: s.level,
                    decision,
                    reviewer: "bench-reviewer".into(),
                    decided_at: at,
                });
                Ok(())
            };
            if (110..140).contains(&m) {
                at = at.checked_add_days(day(2)).expect("in range");
                if at <= now {
                    decide(&mut f, Decision::Return("请补充数据".into()), at)?;
                    at = at.checked_add_days(day(1)).expect("in range");
                    if at <= now {
                        f.submit(at)?;
                    }
                }
            }
            for decision in [Decision::Approve, Decision::File] {
                at = at.checked_add_days(day(2)).expect("in range");
                if at > now || f.pending().is_none() {
                    break;
                }
                decide(&mut f, decision, at)?;
            }
            filings.push((f, reviews));
        }
    }
    let (filings, load_filings) = load_filings(app, &key, filings, &actor).await?;
    let loaded = DataSet {
        name: "national township set",
        key,
        now,
        month: YearMonth::parse("2026-11")?,
        units: stored.len(),
        filings,
        load_units,
        load_filings,
        publish: Duration::ZERO,
    };
    loaded.published(app).await
}

/// `read` timed just after a write elsewhere in the programme, `runs` times, and its median: a
/// filing of the last unit's plan under an occurrence of its own (nobody's deadline, so it
/// changes no figure but by its write), submitted at `submitted` or left a draft.
async fn after_writes<F, Fut>(
    store: &crate::store::Store,
    set: &DataSet,
    runs: usize,
    submitted: Option<DateTime<Utc>>,
    read: F,
) -> anyhow::Result<(usize, Duration)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let key = &set.key;
    let (_, parts) = store.board_parts(key).await?;
    let unit = parts.units.last().ok_or_else(|| anyhow::anyhow!("no units"))?;
    let actor = Actor::system("bench", set.now);
    let (mut v, mut rows) = (Vec::with_capacity(runs), 0);
    for _ in 0..runs {
        let occurrence = format!("elsewhere-{}", uuid::Uuid::new_v4().simple());
        let mut f = Filing::draft(
            format!("bench-{key}-{occurrence}"),
            key.clone(),
            unit.region.clone(),
            unit.path.clone(),
            Key::parse("plan")?,
            occurrence,
            vec![],
            "补报材料",
            "",
            "bench",
        )?;
        if let Some(at) = submitted {
            f.submit(at)?;
        }
        store.import_filings(key, &[(f, vec![])], &actor).await?;
        let t = Instant::now();
        rows = read().await?;
        v.push(t.elapsed());
    }
    v.sort();
    Ok((rows, v[runs / 2]))
}

/// One measured figure: what, how many rows it produced, and the median over the runs.
pub struct Figure {
    pub what: &'static str,
    pub rows: usize,
    pub median: Duration,
}

/// Median of `n` runs of `f`, and what the last run counted.
async fn timed<F, Fut>(n: usize, f: F) -> anyhow::Result<(usize, Duration)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let mut v = Vec::with_capacity(n);
    let mut rows = 0;
    for _ in 0..n {
        let t = Instant::now();
        rows = f().await?;
        v.push(t.elapsed());
    }
    v.sort();
    Ok((rows, v[n / 2]))
}

/// The rows of the comparison table, each the median of `runs` runs.
pub async fn measure(app: &App, set: &DataSet, runs: usize) -> anyhow::Result<Vec<Figure>> {
    let store = &app.state.store;
    let viewer = Principal::system_reader("bench");
    let (key, now) = (&set.key, set.now);
    let board = |region: Option<&'static str>| {
        let (viewer, key) = (&viewer, key);
        async move {
            let filter = Filter { region: region.map(RegionCode::parse).transpose()?, ..Filter::default() };
            Ok::<_, anyhow::Error>(deadline_board(store, key, now, &filter, viewer).await?.rows.len())
        }
    };
    let mut out = Vec::new();
    for (what, region) in [
        ("deadline board, whole programme", None),
        ("deadline board, one province (350000)", Some("350000")),
        ("deadline board, one city (350100)", Some("350100")),
        ("deadline board, one county (350101)", Some("350101")),
    ] {
        board(region).await?; // the first read fills the board's cache
        let (rows, median) = timed(runs, || board(region)).await?;
        out.push(Figure { what, rows, median });
    }
    // A first submission somewhere in the country, then a city's board: the board's copy of the
    // first submissions catches up by that one change instead of reading them all again.
    let filter = Filter { region: Some(RegionCode::parse("350100")?), ..Filter::default() };
    let (rows, median) = after_writes(store, set, runs, Some(now), || async {
        Ok(deadline_board(store, key, now, &filter, &viewer).await?.rows.len())
    })
    .await?;
    out.push(Figure { what: "deadline board, one city, just after a first submission elsewhere", rows, median });
    // What the review queue, a lead's home and unit page and the whole-programme matrix read
    // before they read only their units' filings, their briefs or those awaiting review.
    let (rows, median) = timed(runs, || async { Ok(store.programme_filings(key).await?.len()) }).await?;
    out.push(Figure { what: "every filing of the programme, whole rows", rows, median });
    let (rows, median) = timed(runs, || async { Ok(store.filing_briefs(key).await?.len()) }).await?;
    out.push(Figure { what: "every filing of the programme, briefs (compliance's fields)", rows, median });
    let city = RegionCode::parse("350100")?;
    let matrix = |region: Option<&RegionCode>| {
        let (viewer, region) = (&viewer, region.cloned());
        async move {
            let m = crate::service::filings::compliance(store, viewer, key, region.as_ref(), now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok::<_, anyhow::Error>(m.lines.len())
        }
    };
    anyhow::ensure!(store.filing_register(key, false).await?.is_none(), "a register in memory before any matrix");
    let (rows, median) = timed(runs, || matrix(Some(&city))).await?;
    out.push(Figure {
        what: "compliance matrix, one city (350100), no register in memory (its units read)",
        rows,
        median,
    });
    // What a bulletin about the whole programme is built on. The first reads every filing's brief
    // once and keeps the programme's register; the next ones read none.
    let t = Instant::now();
    let rows = matrix(None).await?;
    let first = t.elapsed();
    let held = store.filing_register(key, false).await?.ok_or_else(|| anyhow::anyhow!("no register kept"))?;
    println!(
        "{}: the register of {} filings kept by the first whole matrix holds about {:.1} MiB (its tables and keys)",
        set.name,
        held.len(),
        held.approx_bytes() as f64 / 1048576.0
    );
    // Not held on: a change applied while a copy is held out duplicates the register.
    drop(held);
    out.push(Figure {
        what: "compliance matrix, whole programme, the first (reads every brief once)",
        rows,
        median: first,
    });
    let (rows, median) = timed(runs, || matrix(None)).await?;
    out.push(Figure { what: "compliance matrix, whole programme, register in memory", rows, median });
    let (rows, median) = timed(runs, || matrix(Some(&city))).await?;
    out.push(Figure { what: "compliance matrix, one city (350100), register in memory", rows, median });
    // A draft opened somewhere in the country, then the whole matrix: the register catches up by
    // that one change (and the board's first submissions stay as they are).
    let (rows, median) = after_writes(store, set, runs, None, || matrix(None)).await?;
    out.push(Figure { what: "compliance matrix, whole programme, just after a draft elsewhere", rows, median });
    // What a city reviewer's home page lists first: the filings awaiting its 审定, across the
    // programmes it may read (both data sets' programmes).
    let reviewer = Principal {
        username: "bench-fz".into(),
        display_name: "福州市民政局".into(),
        role: crate::domain::access::Role::CityReviewer,
        region: city.clone(),
        region_level: crate::domain::RegionLevel::City,
        region_path: city.implied_path(),
        must_change_password: false,
    };
    let (rows, median) = timed(runs, || async {
        let q = crate::service::filings::review_queue(store, &reviewer).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(q.len())
    })
    .await?;
    out.push(Figure { what: "review queue of a city reviewer (350100), every programme", rows, median });
    // What a month's scores read of its filings: whole rows before, briefs now.
    let (_, parts) = store.board_parts(key).await?;
    let judged = crate::domain::scoring::deadlines_judged_in(&parts.expanded, set.month);
    let (rows, median) = timed(runs, || async { Ok(store.deadline_filings(key, &judged).await?.len()) }).await?;
    out.push(Figure { what: "the filings a month's scores judge, whole rows (read before)", rows, median });
    let (rows, median) = timed(runs, || async { Ok(store.deadline_briefs(key, &judged).await?.len()) }).await?;
    out.push(Figure { what: "the filings a month's scores judge, briefs (read without a register)", rows, median });
    let (rows, median) = timed(runs, || async {
        let register = store.filing_register(key, false).await?.ok_or_else(|| anyhow::anyhow!("no register held"))?;
        Ok(register.briefs_of(&judged).len())
    })
    .await?;
    let from_register = store.filing_register(key, false).await?.map(|r| r.briefs_of(&judged));
    anyhow::ensure!(
        from_register == Some(store.deadline_briefs(key, &judged).await?),
        "the register's judged filings differ from the store's"
    );
    out.push(Figure { what: "the same, from the register in memory (read now)", rows, median });
    let (rows, median) = timed(runs, || async {
        let r = crate::service::scoring::live_ranking(store, key, set.month, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(r.len())
    })
    .await?;
    out.push(Figure { what: "a month's ranking, computed live", rows, median });
    let request =
        crate::service::bulletins::Request { period: crate::domain::bulletin::Period::Month(set.month), region: None };
    let (rows, median) = timed(runs, || async {
        let b = crate::service::bulletins::draft(store, None, key, &request, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(b.content.ranking.len())
    })
    .await?;
    out.push(Figure { what: "monthly bulletin draft, whole programme", rows, median });
    // Of which: gathering and composing it, without saving the draft (and its audit record).
    let (rows, median) = timed(runs, || async {
        let c =
            crate::service::bulletins::compose(store, key, &request, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(c.ranking.len())
    })
    .await?;
    out.push(Figure { what: "  of which composed (without saving)", rows, median });
    let yesterday = now.checked_sub_days(Days::new(1)).expect("in range");
    // The reminder job's planning for the day, without sending or storing anything.
    let plan_day = || {
        let scope = crate::jobs::reminders::Scope::Programme(key.as_str());
        crate::jobs::reminders::run_scoped(store, now, Some(yesterday), true, scope)
    };
    let (rows, median) = timed(runs, || async { Ok(plan_day().await?.len()) }).await?;
    out.push(Figure { what: "reminder job, planning one day (dry run)", rows, median });
    // The header's unread count once a day's reminders are stored: a city's reviewer gets its
    // city's, another account the rest (last: it adds rows to the store).
    for mut r in plan_day().await? {
        let to = if r.unit.as_str().starts_with("3501") { "bench-fz" } else { "bench-other" };
        r.recipients = vec![to.to_owned()];
        store.insert_reminder(&r).await?;
    }
    let (scanned, median) =
        timed(runs, || async { Ok(store.unread_count_by_scan("bench-fz").await? as usize) }).await?;
    let rows = store.reminders(key).await?.len();
    out.push(Figure { what: "a page header's unread count, a pass over every reminder (before)", rows, median });
    let (counted, median) = timed(runs, || async { Ok(store.unread_count("bench-fz").await? as usize) }).await?;
    anyhow::ensure!(scanned == counted && counted > 0, "unread counts differ: {scanned} by scan, {counted} now");
    out.push(Figure { what: "a page header's unread count, through the mailbox (now)", rows, median });
    Ok(out)
}
