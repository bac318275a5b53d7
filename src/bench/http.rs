//! The HTTP side of `pilotgov bench`: the same national data set served on loopback, and a
//! load generator in the same process (reqwest, N concurrent clients for a few seconds each)
//! measuring throughput and p50/p99 for (a) a trivial poem route — the HTTP stack's limit —,
//! (b) the ranking and deadline-board routes, and (c) a bare SurrealDB query returning the rows
//! those routes read — the storage limit. Then cold start and idle/peak memory of a separately
//! started `pilotgov serve`. Printed, never asserted.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route, Server, get, handler};
use tokio::sync::Mutex;

use crate::app::App;
use crate::domain::Key;
use crate::listener::NoDelayListener;
use crate::store::Store;

/// Concurrency levels measured.
pub const CLIENTS: [usize; 3] = [1, 16, 64];
const SECONDS_PER_RUN: u64 = 2;
/// Runs per route and concurrency; the median is reported.
const ROUNDS: usize = 3;

#[handler]
fn trivial() -> &'static str {
    "ok"
}

/// One row of the table.
pub struct Measured {
    pub what: String,
    pub clients: usize,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// One request (or query) of a measured kind; true when it succeeded.
type Op = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Runs `op` from `clients` concurrent tasks for a few seconds.
async fn load(what: &str, clients: usize, op: &Op) -> Measured {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_secs(SECONDS_PER_RUN);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (op, latencies, errors) = (op.clone(), latencies.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                if op().await {
                    mine.push(t.elapsed());
                } else {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            latencies.lock().await.extend(mine);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed();
    let mut all = latencies.lock().await.clone();
    all.sort();
    Measured {
        what: what.into(),
        clients,
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        errors: errors.load(std::sync::atomic::Ordering::Relaxed),
    }
}

/// Serves `app` (plus a trivial route) on loopback and measures the routes. This shared 2-core
/// machine drifts by tens of percent from one run to the next, so at each concurrency the routes
/// are measured in turn, `ROUNDS` times over, and each route's median run is reported: a
/// comparison between routes is then between neighbouring runs.
pub async fn measure(
    app: &App,
    store: &Store,
    key: &Key,
    token: &str,
    month: &str,
    only: Option<&str>,
) -> anyhow::Result<Vec<Measured>> {
    // The server's own listener (Nagle off), and poem's plain one beside it for comparison.
    let acceptor = NoDelayListener::bind("127.0.0.1:0").into_acceptor().await?;
    let plain = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
    let address =
        |a: &[poem::web::LocalAddr]| a[0].as_socket_addr().cloned().ok_or_else(|| anyhow::anyhow!("no address"));
    let (addr, plain_addr) = (address(&acceptor.local_addr())?, address(&plain.local_addr())?);
    let endpoint = Route::new().at("/trivial", get(trivial)).nest("/", app.endpoint()).map_to_response();
    let plain_endpoint = app.endpoint().map_to_response();
    tokio::spawn(async move { Server::new_with_acceptor(acceptor).run(endpoint).await });
    tokio::spawn(async move { Server::new_with_acceptor(plain).run(plain_endpoint).await });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(128).build()?;
    let get = |url: String| -> Op {
        let (client, auth) = (client.clone(), format!("Bearer {token}"));
        Arc::new(move || {
            let request = client.get(&url).header("authorization", &auth);
            Box::pin(async move {
                match request.send().await {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                }
            })
        })
    };
    // (c) The rows the ranking route reads, straight from SurrealDB.
    let bare: Op = {
        let (store, key, month) = (store.clone(), key.clone(), crate::domain::YearMonth::parse(month)?);
        Arc::new(move || {
            let (store, key) = (store.clone(), key.clone());
            Box::pin(async move { store.rankings(&key, month).await.is_ok() })
        })
    };
    let routes: Vec<(&str, Op)> = vec![
        ("(a) trivial poem route", get(format!("{base}/trivial"))),
        ("(b) one region GET (sign-in check + one small read)", get(format!("{base}/api/v1/regions/350103"))),
        (
            "(b) ranking GET, a page of 50 (published month)",
            get(format!("{base}/api/v1/programmes/{key}/rankings/{month}?limit=50")),
        ),
        ("(b) ranking GET, the whole month", get(format!("{base}/api/v1/programmes/{key}/rankings/{month}"))),
        (
            "(b) deadline board GET, one city",
            get(format!("{base}/api/v1/programmes/{key}/deadlines?region=350100&limit=500")),
        ),
        (
            "(b) for comparison: the same board with Nagle on (poem's plain listener)",
            get(format!("http://{plain_addr}/api/v1/programmes/{key}/deadlines?region=350100&limit=500")),
        ),
        ("(c) bare SurrealDB query: the published ranking's row", bare),
    ];
    let routes: Vec<_> =
        routes.into_iter().filter(|(what, _)| only.is_none_or(|o| o.split('|').any(|o| what.contains(o)))).collect();
    let mut out = Vec::new();
    for clients in CLIENTS {
        let mut runs: Vec<Vec<Measured>> = routes.iter().map(|_| Vec::new()).collect();
        for _ in 0..ROUNDS {
            for ((what, op), runs) in routes.iter().zip(&mut runs) {
                runs.push(load(what, clients, op).await);
            }
        }
        for mut runs in runs {
            runs.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
            out.push(runs.swap_remove(ROUNDS / 2));
        }
    }
    // Route by route, as the table reads.
    let order = |m: &Measured| routes.iter().position(|(what, _)| *what == m.what);
    out.sort_by_key(|m| (order(m), m.clients));
    Ok(out)
}

/// What `start_and_memory` measured.
pub struct StartAndMemory {
    pub cold: Duration,
    pub idle: u64,
    pub peak: u64,
    pub per_board_request: Duration,
    /// Dashboard pages as the province admin, median of 30 requests each (loopback, so an upper
    /// bound of the server's time).
    pub pages: Vec<(&'static str, Duration)>,
}

/// Starts `pilotgov serve` on a fresh embedded store with the demo data; returns the time until
/// `/health` answers, the idle RSS after two quiet seconds, the peak RSS after 500 board
/// requests, and the dashboard's pages for a province.
pub async fn start_and_memory() -> anyhow::Result<StartAndMemory> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let url = format!("surrealkv://{}/db", dir.path().display());
    let exe = std::env::current_exe()?;
    // First start: creates the store, migrates, loads the demo (not measured as cold start).
    let mut first = spawn(&exe, &url, port, true, true)?;
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/health");
    wait(&client, &health).await?;
    // Stopped as a deployment stops it: a killed server would leave its write-ahead log to be
    // replayed into memory by the start measured next.
    stop(&mut first)?;
    // Cold start: a new process on the existing store.
    let t = Instant::now();
    let mut child = spawn(&exe, &url, port, false, true)?;
    wait(&client, &health).await?;
    let cold = t.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss(child.id(), "VmRSS:")?;
    let login = client
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"username":"fj-admin","password":"pilotgov-demo"}"#)
        .send()
        .await?
        .text()
        .await?;
    let token = serde_json::from_str::<serde_json::Value>(&login)?["token"].as_str().unwrap_or_default().to_owned();
    let board = format!("http://127.0.0.1:{port}/api/v1/programmes/fj-2022-reform-pilot/deadlines");
    let t = Instant::now();
    for _ in 0..500 {
        client.get(&board).bearer_auth(&token).send().await?.bytes().await?;
    }
    let per_board_request = t.elapsed() / 500;
    let peak = rss(child.id(), "VmHWM:")?;
    // The dashboard reads the same session token from its cookie.
    let cookie = format!("{}={token}", crate::web::COOKIE);
    let mut pages = Vec::new();
    for (what, path) in [
        ("home (待办, roll-up, overview)", "/ui"),
        ("board, Fujian 2022 (province)", "/ui/p/fj-2022-reform-pilot"),
        ("board, demo-today (province)", "/ui/p/demo-today"),
        ("board, one city and status", "/ui/p/demo-today?region=350100&status=red"),
    ] {
        let url = format!("http://127.0.0.1:{port}{path}");
        let mut times = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let resp = client.get(&url).header("cookie", &cookie).send().await?;
            anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
            resp.bytes().await?;
            times.push(t.elapsed());
        }
        times.sort();
        pages.push((what, percentile(&times, 0.5)));
    }
    child.kill()?;
    child.wait()?;
    Ok(StartAndMemory { cold, idle, peak, per_board_request, pages })
}

/// A server on an existing store, started twice as a deployment starts it: the first start
/// catches up the scheduled jobs this store has never run (the reminders, and the 1st of the
/// month's bulletin drafts — for a national programme, every filing read); it is stopped as
/// `systemctl stop` stops it, and the second start is the one timed, measured two quiet seconds
/// after `/health` answered.
pub struct Started {
    /// The first start: how long the monthly drafts took to run (none: nothing to catch up),
    /// its peak RSS, and its RSS when done.
    pub catch_up: Option<Duration>,
    pub catch_up_peak: u64,
    pub after_catch_up: u64,
    /// The second start: time to `/health`, RSS in all and the process's own (anonymous: heap,
    /// caches) rather than mapped files the kernel may drop.
    pub cold: Duration,
    pub rss: u64,
    pub anon: u64,
}

pub async fn start_on(url: &str) -> anyhow::Result<Started> {
    let client = reqwest::Client::new();
    // First start: wait until the catch-up jobs have run, then SIGTERM (the store is closed).
    let (mut child, port, _) = spawn_serve(url, &client).await?;
    let t = Instant::now();
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    // A store whose jobs already ran this month has nothing to catch up: a minute without the
    // monthly drafts is taken as that (they take seconds nationally).
    let caught_up = async {
        for _ in 0..600 {
            let text = client.get(&metrics).send().await?.text().await?;
            if text.contains("job_runs_total{job=\"monthly-drafts\"}") {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<_, anyhow::Error>(false)
    }
    .await;
    let catch_up = caught_up.map(|ran| ran.then(|| t.elapsed()));
    let first = catch_up.and_then(|c| Ok((c, rss(child.id(), "VmHWM:")?, rss(child.id(), "VmRSS:")?)));
    stop(&mut child)?;
    let (catch_up, catch_up_peak, after_catch_up) = first?;
    // Second start.
    let (mut child, _, cold) = spawn_serve(url, &client).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss(child.id(), "VmRSS:").and_then(|all| Ok((all, rss(child.id(), "RssAnon:")?)));
    child.kill()?;
    child.wait()?;
    let (rss, anon) = idle?;
    Ok(Started { catch_up_peak, after_catch_up, catch_up, cold, rss, anon })
}

/// Stops a server as `systemctl stop` does (SIGTERM: requests finished, store closed), and waits.
fn stop(child: &mut std::process::Child) -> anyhow::Result<()> {
    let stopped = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    if !matches!(stopped, Ok(s) if s.success()) {
        child.kill()?;
    }
    child.wait()?;
    Ok(())
}

/// `spawn` without the national region table, and the time until `/health` answered.
async fn spawn_serve(url: &str, client: &reqwest::Client) -> anyhow::Result<(std::process::Child, u16, Duration)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let t = Instant::now();
    let mut child = spawn(&std::env::current_exe()?, url, port, false, false)?;
    if let Err(e) = wait(client, &format!("http://127.0.0.1:{port}/health")).await {
        child.kill()?;
        child.wait()?;
        return Err(e);
    }
    Ok((child, port, t.elapsed()))
}

/// What a login flood did to `/health`.
pub struct Flood {
    pub health_p50: Duration,
    pub health_p99: Duration,
    pub logins_per_second: f64,
    pub unauthorized: usize,
    pub throttled: usize,
    pub busy: usize,
}

/// Starts `pilotgov serve` on a fresh store and probes `/health` every 10 ms for three seconds,
/// while (unless `per_source` is None) 16 clients post logins with made-up names as fast as they
/// can; `per_source` is the server's `login_failures_per_source`.
pub async fn login_flood(per_source: Option<u32>) -> anyhow::Result<Flood> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let url = format!("surrealkv://{}/db", dir.path().display());
    let exe = std::env::current_exe()?;
    let mut cmd = std::process::Command::new(&exe);
    cmd.args(["--database-url", &url, "serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("PILOTGOV_LOG", "warn")
        .env("PILOTGOV_LOGIN_FAILURES_PER_SOURCE", per_source.unwrap_or(30).to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn()?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let health = format!("http://127.0.0.1:{port}/health");
    wait(&client, &health).await?;
    let until = Instant::now() + Duration::from_secs(3);
    let counts = Arc::new(std::sync::Mutex::new([0usize; 4]));
    let mut flooders = Vec::new();
    if per_source.is_some() {
        for c in 0..16 {
            let (client, counts) = (client.clone(), counts.clone());
            let login = format!("http://127.0.0.1:{port}/api/v1/auth/login");
            flooders.push(tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < until {
                    n += 1;
                    let body = format!(r#"{{"username":"nobody-{c}-{n}","password":"guess-{n}"}}"#);
                    let status = client
                        .post(&login)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    let i = match status {
                        401 => 0,
                        429 => 1,
                        503 => 2,
                        _ => 3,
                    };
                    counts.lock().expect("counts")[i] += 1;
                }
            }));
        }
    }
    let mut latencies = Vec::new();
    while Instant::now() < until {
        let t = Instant::now();
        if client.get(&health).send().await.is_ok_and(|r| r.status().is_success()) {
            latencies.push(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for f in flooders {
        let _ = f.await;
    }
    child.kill()?;
    child.wait()?;
    latencies.sort();
    let c = *counts.lock().expect("counts");
    Ok(Flood {
        health_p50: percentile(&latencies, 0.50),
        health_p99: percentile(&latencies, 0.99),
        logins_per_second: c.iter().sum::<usize>() as f64 / 3.0,
        unauthorized: c[0],
        throttled: c[1],
        busy: c[2],
    })
}

/// `pilotgov serve` on `url`; without the national region table when the store has its own
/// tree (the benchmark's).
fn spawn(
    exe: &std::path::Path,
    url: &str,
    port: u16,
    demo: bool,
    national_regions: bool,
) -> anyhow::Result<std::process::Child> {
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--database-url", url, "serve", "--bind", &format!("127.0.0.1:{port}")]);
    if demo {
        cmd.arg("--demo");
    }
    Ok(cmd
        .env("PILOTGOV_LOG", "warn")
        .env("PILOTGOV_NATIONAL_REGIONS", national_regions.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?)
}

async fn wait(client: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    for _ in 0..3000 {
        if client.get(url).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("the server did not answer {url}")
}

/// A `/proc/<pid>/status` memory line, in bytes.
fn rss(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| anyhow::anyhow!("no {field} in /proc/{pid}/status"))?;
    Ok(kb * 1024)
}
