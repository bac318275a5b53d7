//! What operators rely on: Prometheus metrics, request ids, the login throttle.

use pilotgov::domain::access::Role;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

#[tokio::test]
async fn metrics_count_requests_by_operation_and_jobs_by_name() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    for _ in 0..3 {
        let (s, _) = t.get("/api/v1/programmes").await;
        assert_eq!(s, 200);
    }
    let (s, _) = t.get("/api/v1/programmes/nope").await;
    assert_eq!(s, 404);
    pilotgov::jobs::tick(&t.app.state.store, &Default::default(), crate::helpers::at("2022-09-15T09:00:00+08:00"))
        .await
        .unwrap();
    let resp = t.client.get("/metrics").send().await;
    resp.assert_status_is_ok();
    let text = resp.0.into_body().into_string().await.unwrap();
    // Other tests in this binary count too: at least ours are there.
    let count = |line: &str| {
        text.lines()
            .find(|l| l.starts_with(line))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    assert!(count("pilotgov_http_requests_total{operation=\"listProgrammes\",status=\"200\"}") >= 3.0, "{text}");
    assert!(count("pilotgov_http_requests_total{operation=\"getProgramme\",status=\"404\"}") >= 1.0, "{text}");
    assert!(text.contains("pilotgov_http_request_duration_seconds_bucket{le="), "{text}");
    assert!(count("pilotgov_job_runs_total{job=\"reminders\"}") >= 1.0, "{text}");
    assert!(count("pilotgov_reminders_sent_total") >= 14.0, "{text}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let t = TestApp::new().await;
    let resp = t.client.get("/health").send().await;
    let made = resp.0.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert_eq!(made.len(), 32);
    let resp = t.client.get("/health").header("x-request-id", "lb-7f3a-0001").send().await;
    resp.assert_header("x-request-id", "lb-7f3a-0001");
    let resp = t.client.get("/health").header("x-request-id", "<script>").send().await;
    assert_ne!(resp.0.headers().get("x-request-id").unwrap(), "<script>", "a strange id is replaced");
}

#[tokio::test]
async fn repeated_failed_logins_pause_the_account() {
    let t = TestApp::new().await;
    t.add_user("fj-leader", Role::Leader, "350000").await;
    let attempt = |password: &'static str| {
        let t = &t;
        async move { t.post("/api/v1/auth/login", &json!({"username": "fj-leader", "password": password})).await }
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong password").await.0, 401);
    }
    let (s, b) = attempt(PASSWORD).await;
    assert_eq!((s, b["code"].as_str()), (429, Some("too_many_requests")), "even the right password waits: {b}");
    assert!(b["message"].as_str().unwrap().contains("seconds"), "{b}");
    // The dashboard's form is throttled the same way.
    let resp = t.form_login("fj-leader", PASSWORD).await;
    resp.assert_status(poem::http::StatusCode::TOO_MANY_REQUESTS);
    // Five minutes later the account may try again, and a success clears the count.
    t.set_time("2022-08-17T09:05:01+08:00");
    assert_eq!(attempt(PASSWORD).await.0, 200);
    assert_eq!(attempt("wrong password").await.0, 401);
    assert_eq!(attempt(PASSWORD).await.0, 200);
}

#[test]
fn an_unusable_data_dir_is_a_clear_error_and_a_failed_start() {
    let dir = tempfile::tempdir().unwrap();
    // A data directory "inside" a file: no user, root included, can create it.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pilotgov"))
        .args(["--database-url", &format!("surrealkv://{}/data/pilotgov.db", file.display()), "serve"])
        .env("PILOTGOV_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success(), "a start without a usable data dir fails");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not-a-dir") && stderr.to_lowercase().contains("director"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// With `log_json`, the served binary writes one JSON line per request naming its request id,
/// operation and status (lines go through a writer thread, so the test waits for the line).
#[tokio::test]
async fn json_logs_name_each_request() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pilotgov"))
        .args(["--database-url", "mem://", "serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("PILOTGOV_LOG", "info")
        .env("PILOTGOV_LOG_JSON", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/health");
    let mut answered = false;
    for _ in 0..600 {
        let sent = http.get(&health).header("x-request-id", "log-test-42").send().await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut line = None;
    for _ in 0..100 {
        let text = std::fs::read_to_string(&log).unwrap();
        line = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|l| l["span"]["request_id"] == "log-test-42" && l["fields"]["status"] == 200);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answered, "the server did not come up: {}", std::fs::read_to_string(&log).unwrap());
    let line =
        line.unwrap_or_else(|| panic!("no JSON line for the request: {}", std::fs::read_to_string(&log).unwrap()));
    assert_eq!(line["fields"]["operation"], "health");
    assert_eq!(line["span"]["path"], "/health");
    assert_eq!(line["level"], "INFO");
}
