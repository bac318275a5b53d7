//! `pilotgov bench`: national-scale programmes generated into a fresh embedded store (31
//! provinces, ≈2,840 county units; with `--national` also ≈38,600 township units with a year of
//! filings, see [`scale`]); prints the board, compliance, ranking, bulletin and reminder figures
//! of each data set side by side, and the store's size.
//! Figures are printed, never asserted: this is a measurement, not a test.

pub mod http;
pub mod scale;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use crate::app::App;
use crate::clock::{Clock, FixedClock};
use crate::config::Config;
use crate::domain::{Key, Region, RegionCode, RegionTree, YearMonth};

/// The 31 provincial-level codes of the mainland.
const PROVINCES: [u32; 31] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65,
];

/// Synthetic regions: 31 provinces, 10 cities each, counties spread evenly to `counties`, and
/// `townships` spread evenly over the counties (9-digit codes under their county's).
pub fn national_regions(counties: usize, townships: usize) -> (Vec<Region>, Vec<RegionCode>, Vec<RegionCode>) {
    let code = |s: String| RegionCode::parse(&s).expect("generated codes are valid");
    let mut regions = vec![Region::new(code("000000".into()), "全国", None, None).expect("valid")];
    let mut county_codes = Vec::with_capacity(counties);
    let cities = PROVINCES.len() * 10;
    for (pi, p) in PROVINCES.iter().enumerate() {
        regions.push(Region::new(code(format!("{p}0000")), &format!("省{p}"), None, None).expect("valid"));
        for c in 1..=10u32 {
            let city = format!("{p}{c:02}00");
            regions.push(Region::new(code(city.clone()), &format!("市{p}{c:02}"), None, None).expect("valid"));
            let idx = pi * 10 + (c as usize - 1);
            let n = counties / cities + usize::from(idx < counties % cities);
            for k in 1..=n as u32 {
                let county = code(format!("{p}{c:02}{k:02}"));
                regions.push(Region::new(county.clone(), &format!("县{county}"), None, None).expect("valid"));
                county_codes.push(county);
            }
        }
    }
    let mut township_codes = Vec::with_capacity(townships);
    for (i, county) in county_codes.iter().enumerate() {
        let n = townships / counties + usize::from(i < townships % counties);
        for t in 1..=n {
            let township = code(format!("{county}{t:03}"));
            regions.push(Region::new(township.clone(), &format!("乡镇{township}"), None, None).expect("valid"));
            township_codes.push(township);
        }
    }
    (regions, county_codes, township_codes)
}

/// Townships of the national data set (`--national`).
pub const NATIONAL_TOWNSHIPS: usize = 38_600;

pub async fn run(
    url: Option<String>,
    units: usize,
    national: bool,
    with_http: bool,
    only: Option<&str>,
) -> anyhow::Result<()> {
    anyhow::ensure!((1..=9900).contains(&units), "units must be 1–9,900 (99 per city)");
    let townships = if national { NATIONAL_TOWNSHIPS } else { 0 };
    anyhow::ensure!(townships <= units * 999, "at most 999 townships per county");
    let dir = tempfile::tempdir()?;
    let url = url.unwrap_or_else(|| format!("surrealkv://{}/bench.db", dir.path().display()));
    let now = Utc.with_ymd_and_hms(2026, 6, 15, 1, 0, 0).single().expect("valid");
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(now));
    // The benchmark brings its own country-sized region tree.
    let config = Config { database_url: url.clone(), national_regions: false, ..Config::default() };
    let t0 = Instant::now();
    let app = App::build(config, clock.clone()).await?;
    let store = &app.state.store;
    println!("store: {url}  (opened in {:?})", t0.elapsed());
    let size = || url.strip_prefix("surrealkv://").map(|p| dir_size(std::path::Path::new(p)));

    let (regions, counties, township_codes) = national_regions(units, townships);
    let t = Instant::now();
    store.upsert_regions(&regions).await?;
    println!("regions: {} upserted in {:?}", regions.len(), t.elapsed());
    let tree = RegionTree::new(regions);

    let mut sets = vec![scale::county_set(&app, &tree, &counties).await?];
    let mut sizes = vec![size()];
    if national {
        sets.push(scale::township_set(&app, &tree, &township_codes).await?);
        sizes.push(size());
    }
    println!();
    println!(
        "| data set | units | deadlines | filings | units stored in | filings stored in (batches of 2,000) | filings/s | store on disk | month's ranking published in |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut before = 0;
    for (s, size) in sets.iter().zip(&sizes) {
        let disk = size.map_or("—".into(), |b| {
            let grown = b.saturating_sub(before);
            before = b;
            format!("+{:.0} MiB", grown as f64 / 1048576.0)
        });
        println!(
            "| {} | {} | {} | {} | {:?} | {:?} | {:.0} | {disk} | {:?} |",
            s.name,
            s.units,
            s.units * 13,
            s.filings,
            s.load_units,
            s.load_filings,
            s.filings as f64 / s.load_filings.as_secs_f64(),
            s.publish
        );
    }
    // `--only` asks for some HTTP routes: the in-process tables (minutes on the national set)
    // are left out.
    if only.is_none() {
        in_process_tables(&app, &sets).await?;
    }
    if with_http {
        let keyed: Vec<(&str, &Key, YearMonth)> = sets.iter().map(|s| (s.name, &s.key, s.month)).collect();
        http_table(&app, &keyed, now, only).await?;
    }
    // Before a server opens the national store, it is closed (its memory table written out).
    // The `--http` table's servers keep their handles on it until the process ends, so then
    // there is nothing to wait for.
    let store = app.state.store.clone();
    drop(app);
    if national && !with_http && url.starts_with("surrealkv://") {
        let t = Instant::now();
        if store.close(Duration::from_secs(120)).await {
            println!("\nthe store closed in {:?}", t.elapsed());
            serve_on(&url).await;
        } else {
            println!("\nthe store did not close within two minutes; no server started on it");
        }
    }
    Ok(())
}

/// The in-process figures of each data set side by side, then the pure domain code's.
async fn in_process_tables(app: &App, sets: &[scale::DataSet]) -> anyhow::Result<()> {
    let mut columns = Vec::new();
    for (s, runs) in sets.iter().zip([20, 5]) {
        columns.push(scale::measure(app, s, runs).await?);
    }
    println!();
    print!("| measurement (median) |");
    for s in sets {
        print!(" {}: rows | {}: time |", s.name, s.name);
    }
    println!(" target |");
    println!("|---|{}---|", "---|---|".repeat(sets.len()));
    for (i, f) in columns[0].iter().enumerate() {
        print!("| {} |", f.what);
        for c in &columns {
            print!(" {} | {:.1} ms |", c[i].rows, c[i].median.as_secs_f64() * 1000.0);
        }
        let target = match f.what {
            w if w.contains("whole programme") && w.contains("board") => "≤ 50 ms (national)",
            w if w.contains("board, one city") => "≤ 5 ms (national)",
            _ => "",
        };
        println!(" {target} |");
    }
    let (rank_t, split_t, n) = scoring_bench(38_600)?;
    println!();
    println!("| pure domain code | rows | median | p90 | min |");
    println!("|---|---|---|---|---|");
    println!(
        "| monthly ranking: score and rank, 5 deduction items each | {n} | {:?} | {:?} | {:?} |",
        rank_t.0, rank_t.1, rank_t.2
    );
    println!(
        "| 以奖代补 split of 100,000,000 fen, largest remainder, capped | {n} | {:?} | {:?} | {:?} |",
        split_t.0, split_t.1, split_t.2
    );
    let (notice_t, notice_chars) = notice_bench()?;
    println!(
        "| reading a 50-page notice into a draft (target ≤ 200 ms) | {notice_chars} chars | {:?} | {:?} | {:?} |",
        notice_t.0, notice_t.1, notice_t.2
    );
    Ok(())
}

/// `pilotgov serve` started on an existing store, twice (`http::start_on`): what catching up the
/// start-up jobs costs, then the cold start and idle memory of a restart. The end of
/// `--national`, and `bench --serve-on URL` for any store.
pub async fn serve_on(url: &str) {
    match http::start_on(url).await {
        Ok(s) => {
            let mib = |b: u64| b as f64 / 1048576.0;
            let caught_up = match s.catch_up {
                Some(t) => format!("the month's bulletin drafts caught up in {t:?} (every filing read)"),
                None => "nothing to catch up".into(),
            };
            println!(
                "\n`pilotgov serve` on the store, first start: {caught_up}, peak RSS {:.0} MiB, {:.0} MiB when done; stopped with SIGTERM (the store closed)",
                mib(s.catch_up_peak),
                mib(s.after_catch_up)
            );
            println!(
                "`pilotgov serve` started again: cold start to /health {:?} (target ≤ 1 s); idle RSS {:.0} MiB (target ≤ 150 MiB), of which {:.0} MiB the process's own (anonymous)",
                s.cold,
                mib(s.rss),
                mib(s.anon)
            );
        }
        Err(e) => println!("\n`pilotgov serve` on {url} did not start: {e}"),
    }
}

/// Scores the national programme (on-time monthly reports), publishes May's ranking, and
/// measures the routes over HTTP beside the trivial route and the bare query; then cold start and
/// memory of a separate server process.
/// The HTTP table, once per data set (the national one too with `--national`), each figure
/// beside its target and whether this run met it.
async fn http_table(
    app: &App,
    sets: &[(&str, &Key, YearMonth)],
    now: chrono::DateTime<Utc>,
    only: Option<&str>,
) -> anyhow::Result<()> {
    let store = &app.state.store;
    let actor = crate::store::audit::Actor::system("bench", now);
    let region = RegionCode::parse("000000")?;
    let new = crate::service::accounts::NewUser {
        username: "bench-admin",
        display_name: "bench",
        role: crate::domain::access::Role::ProvinceAdmin,
        region: &region,
        password: "bench-password",
    };
    crate::service::accounts::create_user(store, new, &actor).await?;
    let (token, _, _) = crate::service::accounts::login(
        store,
        &app.state.throttle,
        "bench-admin",
        "bench-password",
        None,
        now,
        chrono::Duration::hours(2),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Each set's published month: an unpublished one is ranked live on every request.
    for (name, key, month) in sets {
        let rows = http::measure(app, store, key, &token, &month.to_string(), only).await?;
        println!();
        println!("HTTP on loopback, {name} (`{key}`):");
        println!();
        println!("| what | clients | requests/s | of (a) | of the region GET | p50 | p99 | errors | target | met |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for r in &rows {
            // Throughput as a share of the trivial route's, and of the region GET's, at the
            // same concurrency.
            let share = |prefix: &str| {
                rows.iter()
                    .find(|t| t.what.starts_with(prefix) && t.clients == r.clients)
                    .map(|t| 100.0 * r.per_second / t.per_second)
            };
            let (of_trivial, of_region) = (share("(a)"), share("(b) one region"));
            let percent = |v: Option<f64>| v.map_or("".into(), |v| format!("{v:.0} %"));
            let (target, met) = http_target(r, of_trivial, of_region);
            println!(
                "| {} | {} | {:.0} | {} | {} | {:.1} ms | {:.1} ms | {} | {target} | {} |",
                r.what,
                r.clients,
                r.per_second,
                percent(of_trivial),
                percent(of_region),
                r.p50.as_secs_f64() * 1000.0,
                r.p99.as_secs_f64() * 1000.0,
                r.errors,
                met.map_or("", |m| if m { "yes" } else { "**no**" }),
            );
        }
    }
    if only.is_some_and(|o| o.contains("login")) {
        login_flood_table().await?;
    }
    if only.is_some_and(|o| o.contains("start") || o.contains("pages")) {
        start_table().await?;
    }
    if only.is_some() {
        return Ok(());
    }
    login_flood_table().await?;
    start_table().await
}

/// Issue 19's targets for a row of the HTTP table, and whether this run met them (`None`: the
/// row has no target, or the route it is compared with was not measured).
fn http_target(r: &http::Measured, of_trivial: Option<f64>, of_region: Option<f64>) -> (&'static str, Option<bool>) {
    if r.what.contains("ranking GET, a page") {
        ("≥ 50 % of (a)", of_trivial.map(|s| s >= 50.0))
    } else if r.what.contains("board GET, one city") {
        if r.clients == 1 {
            ("", None)
        } else if r.clients >= 64 {
            (
                "≥ 50 % of the region GET; p99 ≤ 20 ms",
                of_region.map(|s| s >= 50.0 && r.p99 <= Duration::from_millis(20)),
            )
        } else {
            ("≥ 50 % of the region GET", of_region.map(|s| s >= 50.0))
        }
    } else {
        ("", None)
    }
}

/// A demo server's cold start and memory, and its dashboard pages for a province.
async fn start_table() -> anyhow::Result<()> {
    let m = http::start_and_memory().await?;
    println!();
    println!("cold start of `pilotgov serve` (existing embedded store, demo data) to /health: {:?}", m.cold);
    println!(
        "RSS: idle {:.0} MiB; peak {:.0} MiB after 500 board requests ({:?} each)",
        m.idle as f64 / 1048576.0,
        m.peak as f64 / 1048576.0,
        m.per_board_request
    );
    println!();
    println!("| dashboard page (demo data, as fj-admin) | p50 over loopback | target |");
    println!("|---|---|---|");
    for (what, p50) in &m.pages {
        println!("| {what} | {:.1} ms | ≤ 100 ms |", p50.as_secs_f64() * 1000.0);
    }
    Ok(())
}

/// `/health` while 16 clients flood the login with unknown names: with the defaults (the
/// per-source limit answers the flood 429 before any password is checked) and with that limit
/// off (the bounded password checks alone keep the server responsive).
async fn login_flood_table() -> anyhow::Result<()> {
    println!();
    println!(
        "| /health while 16 clients flood POST /auth/login | health p50 | health p99 | target p99 | logins/s | 401 | 429 | 503 |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (what, per_source) in [
        ("no flood (baseline)", None),
        ("flood, defaults (30 failures per source)", Some(30)),
        ("flood, per-source limit off", Some(0)),
    ] {
        let f = http::login_flood(per_source).await?;
        println!(
            "| {what} | {:?} | {:?} | ≤ 20 ms | {:.0} | {} | {} | {} |",
            f.health_p50, f.health_p99, f.logins_per_second, f.unauthorized, f.throttled, f.busy
        );
    }
    Ok(())
}

fn dir_size(p: &std::path::Path) -> u64 {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => m.len(),
        Ok(m) if m.is_dir() => {
            std::fs::read_dir(p).map(|rd| rd.flatten().map(|e| dir_size(&e.path())).sum()).unwrap_or(0)
        }
        _ => 0,
    }
}

/// Ranks `n` township units for one month from five deduction lines each, and splits a fund
/// among them; pure domain code, timed (median, p90, min over 20 runs).
#[allow(clippy::type_complexity)]
fn scoring_bench(n: usize) -> anyhow::Result<((Duration, Duration, Duration), (Duration, Duration, Duration), usize)> {
    use crate::domain::reward::{Method, allocate};
    use crate::domain::scoring::{AdjustmentKind, AnnualWeights, Item, Line, Points, Scheme, rank, score};
    use std::collections::HashMap;
    let items: Vec<Item> = (1..=5)
        .map(|i| {
            Ok(Item { key: Key::parse(&format!("item-{i}"))?, name: format!("考评项目{i}"), full: Points(2000) })
        })
        .collect::<Result<_, crate::domain::DomainError>>()?;
    let scheme = Scheme {
        items,
        bonus_cap: Points(500),
        auto_rules: vec![],
        ranking_from: YearMonth::parse("2019-04")?,
        ranking_to: YearMonth::parse("2019-12")?,
        appeal_window_days: 7,
        annual: AnnualWeights { monthly: 100, final_evaluation: 0 },
        tie_order: vec![],
    };
    // Township codes: 31 provinces × 10 cities × up to 99 counties × 9-digit townships.
    let units: Vec<RegionCode> = (0..n)
        .map(|i| {
            RegionCode::parse(&format!(
                "{}{:02}{:02}{:03}",
                PROVINCES[i % 31],
                1 + (i / 31) % 10,
                1 + (i / 310) % 99,
                1 + i / 30690
            ))
        })
        .collect::<Result<_, _>>()?;
    let lines: Vec<Vec<Line>> = (0..n)
        .map(|i| {
            scheme
                .items
                .iter()
                .enumerate()
                .map(|(k, it)| Line {
                    id: format!("auto:late:{}:{i}", it.key),
                    item: it.key.clone(),
                    kind: AdjustmentKind::Deduction,
                    points: Points(((i * 37 + k * 11) % 700) as i64),
                    reason: String::new(),
                })
                .collect()
        })
        .collect();
    let mut rank_runs = Vec::new();
    let mut ranked_scores = Vec::new();
    for _ in 0..20 {
        // The month's lines arrive from the store; copying them is not part of the ranking.
        let batch = lines.clone();
        let t = Instant::now();
        let scores: Vec<(RegionCode, Points)> =
            units.iter().zip(batch).map(|(u, l)| (u.clone(), score(&scheme, u, l).total)).collect();
        let placed = rank(&scores, &[], &HashMap::new());
        rank_runs.push(t.elapsed());
        std::hint::black_box(&placed);
        ranked_scores = scores;
    }
    let mut split_runs = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let shares =
            allocate(100_000_000, &Method::Proportional { threshold: Points(6000) }, Some(5_000), &ranked_scores)?;
        split_runs.push(t.elapsed());
        anyhow::ensure!(shares.iter().map(|s| s.amount).sum::<i64>() == 100_000_000, "the split must add up");
    }
    let stats = |mut v: Vec<Duration>| {
        v.sort();
        (v[v.len() / 2], v[(v.len() * 9) / 10], v[0])
    };
    Ok((stats(rank_runs), stats(split_runs), n))
}

/// A page of a 公文: 22 lines of 28 characters (GB/T 9704).
const PAGE_CHARS: usize = 22 * 28;

/// Reading a notice of at least 50 pages: the five seed notices one after another, as often as
/// it takes (each part keeps its own headings, dates and catalogue, so every rule runs).
fn notice_bench() -> anyhow::Result<((Duration, Duration, Duration), usize)> {
    const SEEDS: [&str; 5] = [
        include_str!("../../fixtures/notices/fujian-2022-reform-pilot.txt"),
        include_str!("../../fixtures/notices/guangdong-2022-safety-net.txt"),
        include_str!("../../fixtures/notices/xixiu-2019-comprehensive-reform.txt"),
        include_str!("../../fixtures/notices/fuzhou-2020-hardship-support.txt"),
        include_str!("../../fixtures/notices/shizuishan-2024-service-assistance.txt"),
    ];
    let mut text = String::new();
    while text.chars().count() < 50 * PAGE_CHARS {
        for s in SEEDS {
            text.push_str(s);
            text.push('\n');
        }
    }
    let mut samples = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(crate::domain::notice::read(&text)?);
        samples.push(t.elapsed());
    }
    samples.sort();
    Ok(((samples[10], samples[18], samples[0]), text.chars().count()))
}
