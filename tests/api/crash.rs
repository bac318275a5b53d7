//! Crash safety on the embedded default: the real `pilotgov` binary on surrealkv, 24 township
//! leads filing and submitting at once while the district files (备案) what arrives; after 600
//! answered requests the process is killed with SIGKILL mid-stream, started again, and every
//! request that got a 2xx is checked: present, intact, and in the audit trail, once.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tokio::sync::Mutex;

const XX: &str = "xixiu-2019-comprehensive-reform";
const PASSWORD: &str = "crash-test-password";

fn cli(url: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_pilotgov"))
        .args(["--database-url", url])
        .args(args)
        .env("PILOTGOV_NEW_PASSWORD", PASSWORD)
        .env("PILOTGOV_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn serve(url: &str, addr: &str, log: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pilotgov"))
        .args(["--database-url", url, "serve", "--demo", "--bind", addr])
        .env("PILOTGOV_LOG", "pilotgov=info,warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

async fn healthy(http: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if http.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server did not come up");
}

/// JSON of a response (reqwest here has no `json` feature: surrealdb's build fixes its features).
async fn json_of(resp: reqwest::Response) -> Value {
    serde_json::from_str(&resp.text().await.unwrap()).unwrap()
}

fn with_json(req: reqwest::RequestBuilder, body: &Value) -> reqwest::RequestBuilder {
    req.header("content-type", "application/json").body(body.to_string())
}

async fn get(http: &reqwest::Client, url: String, token: &str) -> Value {
    json_of(http.get(url).bearer_auth(token).send().await.unwrap()).await
}

async fn login(http: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let req =
        with_json(http.post(format!("{base}/api/v1/auth/login")), &json!({"username": user, "password": password}));
    let r = json_of(req.send().await.unwrap()).await;
    r["token"].as_str().unwrap_or_else(|| panic!("login {user}: {r}")).to_owned()
}

/// A POST; the body when the server answered 2xx, none when it did not answer or refused.
async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Option<Value> {
    let resp = with_json(http.post(url.clone()).bearer_auth(token), &body).send().await.ok()?;
    if !resp.status().is_success() {
        // A refusal stops its lead; say why, so a failure below names it.
        eprintln!("POST {url}: {} {}", resp.status(), resp.text().await.unwrap_or_default());
        return None;
    }
    serde_json::from_str(&resp.text().await.ok()?).ok()
}

/// What the server acknowledged, by filing key: (title, submitted, filed).
type Acked = Arc<Mutex<BTreeMap<String, (String, bool, bool)>>>;

#[tokio::test]
async fn acknowledged_filings_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}/pilotgov.db", dir.path().display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (addr, base) = (format!("127.0.0.1:{port}"), format!("http://127.0.0.1:{port}"));
    // The district's townships (but 旧州镇, which the demo history already filed for).
    let (_, xixiu) = pilotgov::service::import::DEMO_FIXTURES.iter().find(|(n, _)| n.starts_with("xixiu")).unwrap();
    let doc: Value = serde_yaml_ng::from_str(xixiu).unwrap();
    let units: Vec<String> = doc["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["region"].as_str().unwrap().to_owned())
        .filter(|u| u != "520402109")
        .collect();
    assert_eq!(units.len(), 24);
    for u in &units {
        cli(&url, &["user", "add", &format!("lead-{u}"), "--role", "unit_lead", "--region", u]);
    }
    cli(&url, &["user", "add", "auditor", "--role", "province_admin", "--region", "520402"]);

    let log = dir.path().join("server.log");
    let mut child = serve(&url, &addr, &log);
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap();
    healthy(&http, &base).await;
    let reviewer = login(&http, &base, "xixiu-reviewer", "pilotgov-demo").await;
    let acked: Acked = Arc::default();
    let answered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for u in units.clone() {
        let token = login(&http, &base, &format!("lead-{u}"), PASSWORD).await;
        let (http, base, reviewer, acked, answered) =
            (http.clone(), base.clone(), reviewer.clone(), acked.clone(), answered.clone());
        tasks.push(tokio::spawn(async move {
            // April–June are the demo history's (see `service::demo`); the rest of the year is theirs.
            for month in 7..=12 {
                for d in ["e-data", "paper-data"] {
                    let occurrence = format!("2019-{month:02}");
                    let title = format!("{u} {d} {occurrence}");
                    let body =
                        json!({"unit": u, "deliverable": d, "occurrence": occurrence, "title": title, "body": "正文"});
                    let Some(f) = post(&http, format!("{base}/api/v1/programmes/{XX}/filings"), &token, body).await
                    else {
                        return;
                    };
                    let key = f["key"].as_str().unwrap().to_owned();
                    acked.lock().await.insert(key.clone(), (title, false, false));
                    answered.fetch_add(1, Ordering::SeqCst);
                    let submit = json!({"revision": f["revision"]});
                    let Some(f) = post(&http, format!("{base}/api/v1/filings/{key}/submit"), &token, submit).await
                    else {
                        return;
                    };
                    acked.lock().await.get_mut(&key).unwrap().1 = true;
                    answered.fetch_add(1, Ordering::SeqCst);
                    let review = json!({"decision": "file", "revision": f["revision"]});
                    if post(&http, format!("{base}/api/v1/filings/{key}/review"), &reviewer, review).await.is_none() {
                        return;
                    }
                    acked.lock().await.get_mut(&key).unwrap().2 = true;
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    // Kill mid-stream once 600 requests have been answered.
    // (Should every lead stop early — a refusal — the test fails below instead of waiting forever.)
    while answered.load(Ordering::SeqCst) < 600 && !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(answered.load(Ordering::SeqCst) >= 600, "the leads stopped before 600 answers");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    assert!(acked.len() >= 200, "{} filings acknowledged before the kill", acked.len());

    let mut child = serve(&url, &addr, &dir.path().join("server2.log"));
    healthy(&http, &base).await;
    let reviewer = login(&http, &base, "xixiu-reviewer", "pilotgov-demo").await;
    let auditor = login(&http, &base, "auditor", PASSWORD).await;
    let mut problems = Vec::new();
    for (key, (title, submitted, filed)) in &acked {
        let f = get(&http, format!("{base}/api/v1/filings/{key}"), &reviewer).await;
        let f = &f["filing"];
        if f["title"] != title.as_str() {
            problems.push(format!("{key}: lost or changed: {f}"));
            continue;
        }
        if *submitted && f["version"].as_u64() < Some(1) {
            problems.push(format!("{key}: acknowledged submission lost"));
        }
        if *filed && f["state"] != "filed" {
            problems.push(format!("{key}: acknowledged 备案 lost: {}", f["state"]));
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    // The audit trail has each stored filing's creation exactly once, and nothing else.
    let mut created = BTreeMap::new();
    let mut offset = 0;
    loop {
        let url = format!("{base}/api/v1/audit?programme={XX}&action=filing.create&limit=500&offset={offset}");
        let page = get(&http, url, &auditor).await;
        let items = page["items"].as_array().unwrap();
        for e in items {
            *created.entry(e["entity"].as_str().unwrap().trim_start_matches("filing:").to_owned()).or_insert(0) += 1;
        }
        offset += 500;
        if items.len() < 500 {
            break;
        }
    }
    let stored = get(&http, format!("{base}/api/v1/programmes/{XX}/filings?limit=500"), &reviewer).await;
    let stored: Vec<String> =
        stored["items"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap().to_owned()).collect();
    for key in &stored {
        assert_eq!(created.get(key), Some(&1), "{key}: one creation record");
    }
    assert_eq!(created.len(), stored.len(), "no creation record without its filing");
    for key in acked.keys() {
        assert!(stored.contains(key), "{key} acknowledged but not listed");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `docker stop` and `systemctl stop` send SIGTERM: the real binary stops serving, exits 0 and
/// closes its store first — it says so, and the store opens again at once (no lock left behind
/// for a background task to release), with what was written.
#[tokio::test]
async fn sigterm_stops_the_server_and_closes_its_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}/pilotgov.db", dir.path().display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.path().join("server.log");
    let mut child = serve(&url, &format!("127.0.0.1:{port}"), &log);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    healthy(&http, &base).await;
    let token = login(&http, &base, "fj-admin", "pilotgov-demo").await;
    let before = get(&http, format!("{base}/api/v1/programmes"), &token).await;
    assert!(before["total"].as_u64().is_some_and(|n| n >= 3), "Fujian's programmes: {before}");
    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let status = (0..600)
        .find_map(|_| {
            let s = child.try_wait().unwrap();
            if s.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            s
        })
        .unwrap_or_else(|| panic!("still running a minute after SIGTERM"));
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{status:?}: {said}");
    assert!(said.contains("stopping: finishing the requests in flight"), "{said}");
    assert!(said.contains("stopped; the store is closed"), "{said}");
    let t = crate::helpers::TestApp::open(&url).await.expect("opens at once: nothing holds the store");
    // The token fj-admin got before the stop is in the store too.
    assert_eq!(t.get_as(&token, "/api/v1/programmes").await.1, before);
}
