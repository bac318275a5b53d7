//! The SurrealDB server stops while pilotgov runs, then comes back. Needs the real server binary
//! (`PILOTGOV_SURREAL_SERVER`, set by `.ci/run`); without it the test says so and stops. The
//! server runs on its own port and its own surrealkv directory, so the suite's shared server is
//! never touched.
//!
//! While the database is away every request is answered promptly with a 503 and a
//! machine-readable code (never a 500, never a hang), `/health` says so, and a filing attempted
//! then is not half-written; when the server returns, the same process serves again without a
//! restart and everything that got a 2xx before is intact.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pilotgov::config::Config;
use pilotgov::domain::access::Role;
use serde_json::json;

use crate::helpers::TestApp;

const FJ: &str = "fj-2022-reform-pilot";

fn surreal(exe: &str, port: u16, dir: &std::path::Path) -> Child {
    Command::new(exe)
        .args(["start", "--bind", &format!("127.0.0.1:{port}"), "--user", "root", "--pass", "root"])
        .arg(format!("surrealkv://{}", dir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the SurrealDB server starts")
}

async fn up(port: u16) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the SurrealDB server did not come up on {port}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_database_outage_is_503s_then_recovery_without_restart() {
    let Ok(exe) = std::env::var("PILOTGOV_SURREAL_SERVER") else {
        eprintln!("outage: needs PILOTGOV_SURREAL_SERVER=path/to/surreal-test-server (set by .ci/run)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = surreal(&exe, port, dir.path());
    up(port).await;
    let config = Config {
        database_url: format!("ws://127.0.0.1:{port}"),
        token_ttl_minutes: 10 * 365 * 24 * 60,
        database_timeout_secs: 2,
        national_regions: false,
        ..Config::default()
    };
    let t = TestApp::open_with(config.clone()).await.unwrap();
    // A second instance that waits on the database longer than it lets a request run.
    let patient =
        TestApp::open_with(Config { database_timeout_secs: 60, request_timeout_secs: 1, ..config }).await.unwrap();
    t.load_fixture("fujian-2022-reform-pilot.yaml").await;
    t.add_user("taijiang-lead", Role::UnitLead, "350103").await;
    let lead = t.login("taijiang-lead").await;
    t.set_time("2022-09-15T10:00:00+08:00");
    let before = t.file_as(&lead, FJ, "350103", "plan", "once").await;
    // Signed in but not used yet: its sign-in is not in memory when the database goes.
    let unused = t.login("ministry").await;
    let (_, audit_before) = t.get(&format!("/api/v1/audit?programme={FJ}&limit=500")).await;

    // The database goes away.
    server.kill().unwrap();
    server.wait().unwrap();
    let started = std::time::Instant::now();
    let (s, b) = t.get_as(&lead, &format!("/api/v1/filings/{before}")).await;
    assert_eq!((s, b["code"].as_str()), (503, Some("database_unavailable")), "{b}");
    let (s, b) = t.get_as(&unused, &format!("/api/v1/filings/{before}")).await;
    assert_eq!((s, b["code"].as_str()), (503, Some("database_unavailable")), "not a 401 for a good token: {b}");
    let (s, b) = t
        .post_as(
            &lead,
            &format!("/api/v1/programmes/{FJ}/filings"),
            &json!({"unit": "350103", "deliverable": "progress", "occurrence": "once", "title": "阶段性成效", "body": "正文"}),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (503, Some("database_unavailable")), "a write is refused plainly: {b}");
    let (s, b) = patient.get_as(&patient.token, &format!("/api/v1/filings/{before}")).await;
    assert_eq!((s, b["code"].as_str()), (503, Some("unavailable")), "the request deadline answers: {b}");
    assert!(b["message"].as_str().unwrap().contains("too long"), "{b}");
    let health = t.client.get("/health").send().await;
    health.assert_status(poem::http::StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered within the deadline, not hung: {:?}",
        started.elapsed()
    );

    // It comes back on the same port and data: the same process serves again.
    let mut server = surreal(&exe, port, dir.path());
    up(port).await;
    let mut recovered = None;
    for _ in 0..100 {
        let (s, f) = t.get_as(&lead, &format!("/api/v1/filings/{before}")).await;
        if s == 200 {
            recovered = Some(f);
            break;
        }
        assert_eq!(s, 503, "while reconnecting, still a clear 503: {f}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let f = recovered.expect("pilotgov recovers when the database returns");
    assert_eq!(f["filing"]["state"], "submitted", "what got a 2xx before is intact: {f}");
    let (_, list) = t.get_as(&lead, &format!("/api/v1/programmes/{FJ}/filings?unit=350103")).await;
    let keys: Vec<&str> = list["items"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys, [before.as_str()], "the refused filing left nothing behind");
    let (_, audit_after) = t.get(&format!("/api/v1/audit?programme={FJ}&limit=500")).await;
    assert_eq!(audit_after["total"], audit_before["total"], "and no audit record");
    // And it takes writes again.
    t.file_as(&lead, FJ, "350103", "progress", "once").await;
    server.kill().unwrap();
    server.wait().unwrap();
}
