//! The HTTP side of `pilotgov bench`: the same national data set served on loopback, and a
//! load generator in the same process (reqwest, N concurrent clients for a few seconds each)
//! measuring throughput and p50/p99 for (a) a trivial poem route — the HTTP stack's limit —,
//! (b) the ranking and deadline-board routes, and (c) a bare SurrealDB query returning the rows
//! those routes read — the storage limit. Then cold start and idle/peak memory of a separately
//! started `pilotgov serve`. Printed, never asserted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route, Server, get, handler};
use tokio::sync::Mutex;

use crate::app::App;
use crate::domain::Key;
use crate::store::Store;

/// Concurrency levels measured.
pub const CLIENTS: [usize; 3] = [1, 16, 64];
const SECONDS_PER_RUN: u64 = 3;

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

/// Runs `op` from `clients` concurrent tasks for a few seconds.
async fn load<F, Fut>(what: &str, clients: usize, op: F) -> Measured
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
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

/// Serves `app` (plus a trivial route) on loopback and measures the routes.
pub async fn measure(app: &App, store: &Store, key: &Key, token: &str, month: &str) -> anyhow::Result<Vec<Measured>> {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
    let addr = acceptor.local_addr()[0].as_socket_addr().cloned().ok_or_else(|| anyhow::anyhow!("no address"))?;
    let endpoint = Route::new().at("/trivial", get(trivial)).nest("/", app.endpoint()).map_to_response();
    tokio::spawn(async move { Server::new_with_acceptor(acceptor).run(endpoint).await });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(128).build()?;
    let mut out = Vec::new();
    let routes = [
        ("(a) trivial poem route", format!("{base}/trivial")),
        ("(b) one region GET (sign-in check + one small read)", format!("{base}/api/v1/regions/350103")),
        (
            "(b) ranking GET, a page of 50 (published month)",
            format!("{base}/api/v1/programmes/{key}/rankings/{month}?limit=50"),
        ),
        ("(b) ranking GET, the whole month", format!("{base}/api/v1/programmes/{key}/rankings/{month}")),
        (
            "(b) deadline board GET, one city",
            format!("{base}/api/v1/programmes/{key}/deadlines?region=350100&limit=500"),
        ),
    ];
    for (what, url) in routes {
        for clients in CLIENTS {
            let (client, url, auth) = (client.clone(), url.clone(), format!("Bearer {token}"));
            out.push(
                load(what, clients, move || {
                    let (client, url, auth) = (client.clone(), url.clone(), auth.clone());
                    async move {
                        match client.get(&url).header("authorization", auth).send().await {
                            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                            _ => false,
                        }
                    }
                })
                .await,
            );
        }
    }
    // (c) The rows the ranking route reads, straight from SurrealDB.
    for clients in CLIENTS {
        let (store, key) = (store.clone(), key.clone());
        out.push(
            load("(c) bare SurrealDB query: the published ranking's row", clients, move || {
                let (store, key) = (store.clone(), key.clone());
                let month = "2026-05".to_owned();
                async move { store.rankings(&key, &month).await.is_ok() }
            })
            .await,
        );
    }
    Ok(out)
}

/// Starts `pilotgov serve` on a fresh embedded store with the demo data; returns the time until
/// `/health` answers, the idle RSS after two quiet seconds, and the peak RSS after 500 board
/// requests.
pub async fn start_and_memory() -> anyhow::Result<(Duration, u64, u64, Duration)> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let url = format!("surrealkv://{}/db", dir.path().display());
    let exe = std::env::current_exe()?;
    // First start: creates the store, migrates, loads the demo (not measured as cold start).
    let mut first = spawn(&exe, &url, port, true)?;
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/health");
    wait(&client, &health).await?;
    first.kill()?;
    first.wait()?;
    // Cold start: a new process on the existing store.
    let t = Instant::now();
    let mut child = spawn(&exe, &url, port, false)?;
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
    let per_request = t.elapsed() / 500;
    let peak = rss(child.id(), "VmHWM:")?;
    child.kill()?;
    child.wait()?;
    Ok((cold, idle, peak, per_request))
}

fn spawn(exe: &std::path::Path, url: &str, port: u16, demo: bool) -> anyhow::Result<std::process::Child> {
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--database-url", url, "serve", "--bind", &format!("127.0.0.1:{port}")]);
    if demo {
        cmd.arg("--demo");
    }
    Ok(cmd
        .env("PILOTGOV_LOG", "warn")
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
