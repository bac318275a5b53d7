//! What an outside security probe and an independent end-to-end scenario found (issue 12), one
//! test per finding: each failed before its fix.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use pilotgov::config::Config;
use pilotgov::domain::access::Role;
use pilotgov::domain::delivery::{Channel, ChannelKind};
use pilotgov::jobs::tick;
use pilotgov::service::accounts::{self, LoginLimits, LoginThrottle};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route, Server, handler, post};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, at, loopback_scheduler, suite_config};

const FJ: &str = "/api/v1/programmes/fj-2022-reform-pilot";

#[derive(Clone, Default)]
struct Hits {
    hook: Arc<AtomicUsize>,
    secret: Arc<AtomicUsize>,
}

/// A target that answers with an error page full of what an attacker wants to read.
#[handler]
fn leaky(poem::web::Data(h): poem::web::Data<&Hits>) -> poem::Response {
    h.hook.fetch_add(1, Ordering::SeqCst);
    poem::Response::builder()
        .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
        .body("SECRET-INTERNAL-DATA root:x:0:0")
}

/// A target that redirects to an internal page.
#[handler]
fn redirecting(poem::web::Data(h): poem::web::Data<&Hits>) -> poem::Response {
    h.hook.fetch_add(1, Ordering::SeqCst);
    poem::Response::builder().status(poem::http::StatusCode::FOUND).header("location", "/internal-secret").finish()
}

#[handler]
fn internal(poem::web::Data(h): poem::web::Data<&Hits>) -> &'static str {
    h.secret.fetch_add(1, Ordering::SeqCst);
    "SECRET-INTERNAL-DATA"
}

async fn targets(h: Hits) -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
    let app = Route::new()
        .at("/leaky", post(leaky))
        .at("/redirect", post(redirecting))
        .at("/internal-secret", post(internal).get(internal))
        .data(h);
    tokio::spawn(async move { Server::new_with_acceptor(acceptor).run(app).await });
    format!("http://{addr}")
}

/// An app with no webhook allowlist: the production default.
async fn strict() -> TestApp {
    let t = TestApp::open_with(Config { webhook_allow_hosts: vec![], ..suite_config() }).await.unwrap();
    t.load_fixture("fujian-2022-reform-pilot.yaml").await;
    t
}

/// M1: loopback, private and oddly spelled addresses are refused when a channel is saved.
#[tokio::test]
async fn channels_refuse_addresses_that_are_not_public() {
    let t = strict().await;
    for url in [
        "http://127.0.0.1:8080/x",
        "http://0x7f000001:9000/",
        "http://2130706433/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:8080/",
        "http://user:pw@127.0.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://[fd00::1]/",
    ] {
        let (s, b) = t.post("/api/v1/channels", &json!({"kind": "generic", "url": url, "region": "350100"})).await;
        assert_eq!((s, b["field"].as_str()), (422, Some("url")), "{url}: {b}");
    }
    let (s, b) = t
        .post(
            "/api/v1/channels",
            &json!({"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-aaaa", "region": "350100"}),
        )
        .await;
    assert_eq!(s, 201, "a public robot is fine: {b}");
}

/// M1: at delivery time too — a row that names a loopback address (saved before the check, or
/// by a name that now resolves there) is not called; with the operator's allowlist, a target
/// that redirects is not followed, and what a target answers is never stored or shown.
#[tokio::test]
async fn deliveries_reach_only_checked_addresses_follow_no_redirects_and_keep_no_bodies() {
    let t = strict().await;
    let hits = Hits::default();
    let base = targets(hits.clone()).await;
    // Saved without the API's check, as an older row would be.
    let row = |key: &str, url: String| Channel {
        key: key.into(),
        kind: ChannelKind::Generic,
        url,
        region: pilotgov::domain::RegionCode::parse("350100").unwrap(),
        created_by: "ministry".into(),
        secret: None,
    };
    let actor = pilotgov::store::audit::Actor::system("test", t.clock_now());
    let path = vec!["000000".to_owned(), "350000".into(), "350100".into()];
    let store = &t.app.state.store;
    store.create_channel(&row("leaky", format!("{base}/leaky")), path.clone(), &actor).await.unwrap();
    store.create_channel(&row("redirect", format!("{base}/redirect")), path, &actor).await.unwrap();
    let now = at("2022-09-15T09:00:00+08:00");
    tick(store, &pilotgov::jobs::Scheduler::default(), now).await.unwrap();
    assert_eq!(hits.hook.load(Ordering::SeqCst), 0, "a loopback target is never called without the allowlist");
    let (_, all) = t.get("/api/v1/deliveries").await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 6, "福州's three units × two channels: {all:?}");
    assert!(all.iter().all(|d| d["log"][0]["detail"] == "the channel's address is not allowed"), "{all:?}");

    // The operator allows the host: the retries call both targets; the redirect is not
    // followed and neither answer is kept.
    let jobs = loopback_scheduler();
    tick(store, &jobs, now + Duration::minutes(2)).await.unwrap();
    assert_eq!(hits.hook.load(Ordering::SeqCst), 6, "each delivery's retry called its target once");
    assert_eq!(hits.secret.load(Ordering::SeqCst), 0, "the redirect was not followed");
    let (_, all) = t.get("/api/v1/deliveries").await;
    let text = all.to_string();
    assert!(!text.contains("SECRET") && !text.contains("root:x"), "no target's answer is shown: {text}");
    let details: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["log"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap()))
        .collect();
    assert!(details.contains(&"HTTP 500"), "{details:?}");
    assert!(details.contains(&"HTTP 302 (redirects are not followed)"), "{details:?}");
}

/// M4: robot keys are masked for everyone; the region's departments may replace them; the audit
/// trail keeps only the masked form. Who may create channels: the region's province admin or
/// city reviewer (or one above), nobody else.
#[tokio::test]
async fn robot_secrets_are_masked_and_replaced_only_by_the_regions_departments() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    for (u, role, region) in [
        ("fz-reviewer", Role::CityReviewer, "350100"),
        ("xm-reviewer", Role::CityReviewer, "350200"),
        ("fj-leader", Role::Leader, "350000"),
        ("fj-evaluator", Role::Evaluator, "350000"),
    ] {
        t.add_user(u, role, region).await;
    }
    let lead = t.lead("taijiang-lead", "350103").await;
    let fz = t.login("fz-reviewer").await;
    let url = "https://oapi.dingtalk.com/robot/send?access_token=TOPSECRET0123456789abcd";
    let (s, c) = t.post_as(&fz, "/api/v1/channels", &json!({"kind": "dingtalk", "url": url, "region": "350100"})).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["url"], "https://oapi.dingtalk.com/…abcd", "even the creator sees it masked");
    for who in ["fj-leader", "fj-evaluator", "fz-reviewer"] {
        let tok = t.login(who).await;
        let (s, list) = t.get_as(&tok, "/api/v1/channels").await;
        assert_eq!(s, 200);
        assert!(!list.to_string().contains("TOPSECRET"), "{who}: {list}");
        assert_eq!(list.as_array().unwrap().len(), 1, "{who}");
    }
    // Creating: only departments of the region (or above).
    for who in ["fj-leader", "fj-evaluator", "xm-reviewer"] {
        let tok = t.login(who).await;
        let (s, b) =
            t.post_as(&tok, "/api/v1/channels", &json!({"kind": "dingtalk", "url": url, "region": "350100"})).await;
        assert_eq!(s, 403, "{who} may not create a channel for 福州: {b}");
    }
    let (s, _) =
        t.post_as(&lead, "/api/v1/channels", &json!({"kind": "dingtalk", "url": url, "region": "350103"})).await;
    assert_eq!(s, 403, "a unit lead does not set up channels");
    // Replacing the key.
    let key = c["key"].as_str().unwrap();
    let new = json!({"url": "https://oapi.dingtalk.com/robot/send?access_token=NEWSECRET9999wxyz"});
    let (s, _) = t.put_as(&t.login("fj-leader").await, &format!("/api/v1/channels/{key}"), &new).await;
    assert_eq!(s, 403, "a leader sees the channel but changes nothing");
    let (s, _) = t.put_as(&t.login("xm-reviewer").await, &format!("/api/v1/channels/{key}"), &new).await;
    assert_eq!(s, 404, "another city does not see it");
    let (s, v) = t.put_as(&fz, &format!("/api/v1/channels/{key}"), &new).await;
    assert_eq!((s, v["url"].as_str()), (200, Some("https://oapi.dingtalk.com/…wxyz")), "{v}");
    let (s, b) = t.put_as(&fz, &format!("/api/v1/channels/{key}"), &json!({"url": "http://10.0.0.5/x"})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("url")), "{b}");
    let (_, audit) = t.get("/api/v1/audit?limit=500").await;
    let text = audit.to_string();
    assert!(text.contains("channel.create") && text.contains("channel.replace_url"), "{text}");
    assert!(!text.contains("TOPSECRET") && !text.contains("NEWSECRET"), "the audit keeps the masked URL only");
}

/// M2: forty simultaneous wrong passwords for one name get at most five checks — in one
/// instance, and across two instances sharing one database.
#[tokio::test]
async fn a_burst_of_guesses_gets_at_most_five_checks() {
    let t = TestApp::new().await;
    t.add_user("fj-leader", Role::Leader, "350000").await;
    let body = json!({"username": "fj-leader", "password": "wrong password"});
    let burst = (0..40).map(|_| t.post("/api/v1/auth/login", &body));
    let answers = futures_join_all(burst).await;
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    // Any name, even an empty or odd one, is an ordinary refusal (schemathesis found a 500).
    for name in ["", " ", "名字", "x'; DELETE login_attempt; --", &"a".repeat(5000)] {
        let (s, b) = t.post("/api/v1/auth/login", &json!({"username": name, "password": "x"})).await;
        assert_eq!(s, 401, "{name:?}: {b}");
    }
    let paused = answers.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!(checked + paused, 40, "{answers:?}");
    assert!(checked <= 5, "{checked} guesses were checked");

    // Two throttles (two instances) over one store: the database's count is shared.
    t.add_user("fz-reviewer", Role::CityReviewer, "350100").await;
    let (a, b) = (LoginThrottle::default(), LoginThrottle::default());
    let store = &t.app.state.store;
    let now = t.clock_now();
    let ttl = Duration::hours(1);
    let tries = (0..20).map(|i| {
        let throttle = if i % 2 == 0 { &a } else { &b };
        accounts::login(store, throttle, "fz-reviewer", "wrong", None, now, ttl)
    });
    let results = futures_join_all(tries).await;
    let checked = results.iter().filter(|r| matches!(r, Err(accounts::ServiceError::BadCredentials))).count();
    assert!(checked <= 5, "{checked} guesses were checked across two instances");
    assert!(
        results.iter().all(|r| matches!(
            r,
            Err(accounts::ServiceError::BadCredentials | accounts::ServiceError::Throttled { .. })
        )),
        "every other attempt is throttled"
    );
}

/// M3: a source address that fails too often is paused before any password is checked; other
/// addresses are not.
#[tokio::test]
async fn a_flooding_source_is_paused_and_others_are_not() {
    let t = TestApp::new().await;
    t.add_user("fj-leader", Role::Leader, "350000").await;
    let throttle = LoginThrottle::new(LoginLimits { per_source: 10, workers: 1 });
    let store = &t.app.state.store;
    let now = t.clock_now();
    let ttl = Duration::hours(1);
    for i in 0..10 {
        let r = accounts::login(store, &throttle, &format!("nobody{i}"), "x", Some("203.0.113.7"), now, ttl).await;
        assert!(matches!(r, Err(accounts::ServiceError::BadCredentials)), "{r:?}");
    }
    let r = accounts::login(store, &throttle, "fj-leader", PASSWORD, Some("203.0.113.7"), now, ttl).await;
    assert!(matches!(r, Err(accounts::ServiceError::Throttled { .. })), "the flooding address waits: {r:?}");
    let r = accounts::login(store, &throttle, "fj-leader", PASSWORD, Some("198.51.100.1"), now, ttl).await;
    assert!(r.is_ok(), "another address logs in: {r:?}");
    let later = now + Duration::minutes(6);
    let r = accounts::login(store, &throttle, "fj-leader", PASSWORD, Some("203.0.113.7"), later, ttl).await;
    assert!(r.is_ok(), "after the pause the address may try again: {r:?}");
}

/// L6: annual scores follow the read rule of /evaluations: a lead sees its own unit's line.
/// L7: a year far out of range is a 422 naming the field, not a panic.
#[tokio::test]
async fn annual_scores_show_a_lead_its_own_line_and_refuse_absurd_years() {
    let (t, _) = crate::bulletins::xixiu().await;
    let lead = t.login("jiuzhou-lead").await;
    t.set_time("2020-01-10T09:00:00+08:00");
    let p = "/api/v1/programmes/xixiu-2019-comprehensive-reform";
    let (s, all) = t.get(&format!("{p}/annual-scores?year=2019")).await;
    assert_eq!(s, 200, "{all}");
    assert!(all.as_array().unwrap().len() > 1);
    let (s, mine) = t.get_as(&lead, &format!("{p}/annual-scores?year=2019")).await;
    assert_eq!(s, 200, "{mine}");
    let units: Vec<&str> = mine.as_array().unwrap().iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["520402109"], "{mine}");
    for year in ["2147483647", "-2147483648", "0"] {
        let (s, b) = t.get(&format!("{p}/annual-scores?year={year}")).await;
        assert_eq!((s, b["field"].as_str()), (422, Some("year")), "{year}: {b}");
    }
    // Rewards whose tiers or grants overflow: 422 with the field, never a panic or a wrap.
    for method in [
        json!({"kind": "tiers", "tiers": [{"name": "一等奖", "count": 4294967295u64, "amount": i64::MAX}]}),
        json!({"kind": "tiers", "tiers": [{"name": "一等奖", "count": 4294967296u64, "amount": 1}]}),
        json!({"kind": "fixed", "grants": [{"unit": "520402109", "amount": i64::MAX}, {"unit": "520402002", "amount": i64::MAX}]}),
    ] {
        let (s, b) = t
            .post(&format!("{p}/rewards"), &json!({"label": "奖补", "year": 2019, "fund": 100, "method": method}))
            .await;
        assert_eq!(s, 422, "{method}: {b}");
        assert!(b["field"].as_str().is_some_and(|f| f.starts_with("method")), "{b}");
    }
}

/// L8: a cell that a spreadsheet would run as a formula is written as text in CSV.
#[tokio::test]
async fn csv_exports_neutralise_formulas() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let (s, b) = t
        .post(
            &format!("{FJ}/deliverables"),
            &json!({"key": "evil", "title": "=HYPERLINK(\"http://evil.example\",\"点此\")",
                    "deadline": {"kind": "fixed", "due": "2022年10月31日前"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let csv = t.get_text(&format!("{FJ}/compliance/export?format=csv&as_of=2022-11-05")).await;
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"), "{csv}");
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
}

/// L9: Markdown and chat text carry no raw HTML and no `javascript:` link from a remark.
#[tokio::test]
async fn bulletin_markdown_and_chat_text_escape_what_people_typed() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.set_time("2022-10-08T09:00:00+08:00");
    let (s, b) = t.post(&format!("{FJ}/bulletins"), &json!({"kind": "monthly", "period": "2022-09"})).await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap();
    let evil = "<img src=x onerror=alert(1)>请看[说明](javascript:alert(document.cookie))";
    let (s, b) = t
        .put(&format!("/api/v1/bulletins/{id}"), &json!({"revision": b["revision"], "title": evil, "remarks": evil}))
        .await;
    assert_eq!(s, 200, "{b}");
    for format in ["markdown", "text"] {
        let doc = t.get_text(&format!("/api/v1/bulletins/{id}/document?format={format}")).await;
        assert!(!doc.contains("<img"), "{format}: {doc}");
        assert!(!doc.contains("](javascript:") && !doc.contains("javascript:alert"), "{format}: {doc}");
    }
}

/// L11: a leader changes nothing, calendar feeds included. L13: a region the caller may not
/// read is "not found" whether or not it is a unit.
#[tokio::test]
async fn leaders_make_no_feeds_and_hidden_regions_look_alike() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.add_user("fj-leader", Role::Leader, "350000").await;
    let leader = t.login("fj-leader").await;
    let lead = t.lead("taijiang-lead", "350103").await;
    let (s, _) = t.post_as(&leader, &format!("{FJ}/units/350103/calendar-feeds"), &json!({})).await;
    assert_eq!(s, 403, "a leader reads, it does not subscribe others");
    let (s, f) = t.post_as(&lead, &format!("{FJ}/units/350103/calendar-feeds"), &json!({})).await;
    assert_eq!(s, 201, "{f}");
    let (s, _) =
        t.post_as(&leader, &format!("/api/v1/calendar-feeds/{}/revoke", f["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(s, 403);
    // 闽侯县 is a unit; 鼓楼区 is not: to 台江区's lead both are simply not there.
    let (member, _) = t.post_as(&lead, &format!("{FJ}/units/350121/calendar-feeds"), &json!({})).await;
    let (outsider, _) = t.post_as(&lead, &format!("{FJ}/units/350102/calendar-feeds"), &json!({})).await;
    assert_eq!((member, outsider), (404, 404));
    let (member, _) = t.get_as(&lead, &format!("{FJ}/units/350121/calendar-feeds")).await;
    let (outsider, _) = t.get_as(&lead, &format!("{FJ}/units/350102/calendar-feeds")).await;
    assert_eq!((member, outsider), (404, 404));
    // Someone who may read 鼓楼区 is told plainly that it is not a unit.
    let (s, b) = t.get(&format!("{FJ}/units/350102/calendar-feeds")).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("unit")), "{b}");
}

/// L12: a unit lead reads only the programmes its unit is in.
#[tokio::test]
async fn a_lead_reads_only_the_programmes_its_unit_is_in() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.load_fixture("fuzhou-2020-hardship-support.yaml").await;
    let pingtan = t.lead("pingtan-lead", "350128").await;
    let taijiang = t.lead("taijiang-lead", "350103").await;
    let (s, _) = t.get_as(&pingtan, "/api/v1/programmes/fuzhou-2020-hardship-support").await;
    assert_eq!(s, 404, "平潭 is not a unit of Fuzhou's 2020 programme");
    for path in ["deadlines", "units", "stages", "filings", "bulletins"] {
        let (s, _) = t.get_as(&pingtan, &format!("/api/v1/programmes/fuzhou-2020-hardship-support/{path}")).await;
        assert_eq!(s, 404, "{path}");
    }
    let (_, list) = t.get_as(&pingtan, "/api/v1/programmes").await;
    let keys: Vec<&str> = list["items"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["fj-2022-reform-pilot"]);
    let (_, list) = t.get_as(&taijiang, "/api/v1/programmes").await;
    assert_eq!(list["total"], 2, "台江区 is in both: {list}");
}

/// L13: a taken programme key is refused the same way whoever holds it.
#[tokio::test]
async fn a_taken_programme_key_says_nothing_about_its_holder() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.add_user("gd-admin", Role::ProvinceAdmin, "440000").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let programme = |scope: &str| {
        json!({"key": "fj-2022-reform-pilot", "title": "试点", "issuer": "民政厅", "issued": "2022年9月1日",
               "period_start": "2022年9月", "period_end": "2022年12月", "scope": scope, "unit_level": "county"})
    };
    let (s1, outsider) = t.post_as(&t.login("gd-admin").await, "/api/v1/programmes", &programme("440000")).await;
    let (s2, insider) = t.post_as(&t.login("fj-admin").await, "/api/v1/programmes", &programme("350000")).await;
    assert_eq!((s1, s2), (409, 409));
    assert_eq!(outsider, insider, "the same answer for the holder's province and another");
    assert!(!outsider.to_string().contains("exists"), "{outsider}");
}

/// L14: an Idempotency-Key reused with a different request is refused, not answered with the
/// first filing.
#[tokio::test]
async fn an_idempotency_key_reused_for_another_request_is_refused() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let lead = t.lead("taijiang-lead", "350103").await;
    t.set_time("2022-09-10T10:00:00+08:00");
    let send = |body: Value| {
        t.client
            .post(format!("{FJ}/filings"))
            .header("authorization", format!("Bearer {lead}"))
            .header("idempotency-key", "k-1")
            .body_json(&body)
            .send()
    };
    let plan = json!({"unit": "350103", "deliverable": "plan", "title": "实施方案", "body": "正文"});
    send(plan.clone()).await.assert_status(poem::http::StatusCode::CREATED);
    send(plan).await.assert_status_is_ok();
    let other = json!({"unit": "350103", "deliverable": "progress", "title": "进展", "body": "另一份"});
    let resp = send(other).await;
    resp.assert_status(poem::http::StatusCode::UNPROCESSABLE_ENTITY);
    let b: Value = serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap();
    assert_eq!(b["code"], "idempotency_key_reused", "{b}");
    let (_, list) = t.get(&format!("{FJ}/filings")).await;
    assert_eq!(list["total"], 1, "nothing was filed for the second request: {list}");
}

/// The dashboard's login form: a CSRF token and an Origin check; `Secure` cookies over https;
/// a wrong password keeps the name typed.
#[tokio::test]
async fn the_login_form_refuses_forged_posts_and_marks_cookies_secure_over_https() {
    let t = TestApp::new().await;
    t.add_user("fj-leader", Role::Leader, "350000").await;
    let form = [("username", "fj-leader"), ("password", PASSWORD)];
    let resp = t.client.post("/ui/login").form(&form).send().await;
    resp.assert_status(poem::http::StatusCode::FORBIDDEN);
    let (cookie, token) = t.csrf().await;
    let with = |origin: &'static str| {
        t.client
            .post("/ui/login")
            .header("cookie", cookie.clone())
            .header("origin", origin)
            .header("host", "pilot.example.gov.cn")
            .form(&[("username", "fj-leader"), ("password", PASSWORD), ("csrf", token.as_str())])
            .send()
    };
    with("https://evil.example").await.assert_status(poem::http::StatusCode::FORBIDDEN);
    let resp = with("https://pilot.example.gov.cn").await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    let set = resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(!set.contains("Secure"), "plain http without public_url: {set}");
    let resp = t.form_login("fj-leader", "wrong password").await;
    resp.assert_status(poem::http::StatusCode::UNAUTHORIZED);
    let page = resp.0.into_body().into_string().await.unwrap();
    assert!(page.contains("value=\"fj-leader\""), "the name stays filled in");

    let https =
        TestApp::open_with(Config { public_url: Some("https://pilot.example.gov.cn".into()), ..suite_config() })
            .await
            .unwrap();
    https.add_user("fj-leader", Role::Leader, "350000").await;
    let resp = https.form_login("fj-leader", PASSWORD).await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    let set = resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set.contains("; Secure") && set.contains("HttpOnly"), "{set}");
}

/// Evidence as plain text, a document reference or a filing of the unit; anything else is a
/// 422 naming the field.
#[tokio::test]
async fn evidence_has_a_type_and_plain_text_is_a_note() {
    let (t, reviewer) = crate::bulletins::xixiu().await;
    let p = "/api/v1/programmes/xixiu-2019-comprehensive-reform";
    let base = json!({"unit": "520402109", "period": "2019-05", "item": "data-reporting", "kind": "deduction",
                      "points": 1, "reason": "进度滞后"});
    let with = |e: Value| {
        let mut b = base.clone();
        b["evidence"] = e;
        b
    };
    let (s, a) =
        t.post_as(&reviewer, &format!("{p}/adjustments"), &with(json!("省民政厅2025年4月督导检查记录第3号"))).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["evidence"], json!({"note": "省民政厅2025年4月督导检查记录第3号"}));
    let (s, a) =
        t.post_as(&reviewer, &format!("{p}/adjustments"), &with(json!({"document": "西民发〔2019〕12号"}))).await;
    assert_eq!((s, &a["evidence"]), (201, &json!({"document": "西民发〔2019〕12号"})), "{a}");
    let (s, b) = t.post_as(&reviewer, &format!("{p}/adjustments"), &with(json!({"filing": "no-such-filing"}))).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("evidence.filing")), "{b}");
    let (s, b) = t.post_as(&reviewer, &format!("{p}/adjustments"), &with(json!({"link": "http://x"}))).await;
    assert_eq!(s, 400, "an object of another shape is no evidence: {b}");
    let (s, b) = t.post_as(&reviewer, &format!("{p}/adjustments"), &with(json!(""))).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("evidence")), "{b}");
}

/// Stage bulletins compare with the previous stage in the plan's order, not the keys' order.
#[tokio::test]
async fn stage_bulletins_follow_the_plans_order_not_the_keys() {
    let t = TestApp::new().await;
    let (_, text) =
        pilotgov::service::import::DEMO_FIXTURES.iter().find(|(n, _)| *n == "fujian-2022-reform-pilot.yaml").unwrap();
    // `zz-deploy` sorts after `implement`, but is the first stage.
    let text = text.replace("key: deploy", "key: zz-deploy").replace("stage: deploy", "stage: zz-deploy");
    pilotgov::service::import::import_text(
        &t.app.state.store,
        &text,
        &pilotgov::store::audit::Actor::system("test", t.clock_now()),
    )
    .await
    .unwrap();
    t.set_time("2022-11-15T09:00:00+08:00");
    let (s, first) = t.post(&format!("{FJ}/bulletins"), &json!({"kind": "stage", "period": "zz-deploy"})).await;
    assert_eq!(s, 201, "{first}");
    let (s, p) = t
        .post(
            &format!("/api/v1/bulletins/{}/publish", first["id"].as_str().unwrap()),
            &json!({"revision": first["revision"]}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let (s, second) = t.post(&format!("{FJ}/bulletins"), &json!({"kind": "stage", "period": "implement"})).await;
    assert_eq!(s, 201, "{second}");
    assert!(
        second["content"]["summary"]["change_permille"].is_i64(),
        "the implement stage compares with the deploy stage before it: {}",
        second["content"]["summary"]
    );
}

/// CLI commands end without the log writer complaining that it was closed under them.
#[test]
fn cli_commands_flush_their_log_before_exit() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("surrealkv://{}/pilotgov.db", dir.path().display());
    for args in [vec!["--database-url", db.as_str(), "user", "list"], vec!["openapi"]] {
        for _ in 0..3 {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_pilotgov")).args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{args:?}: {err}");
            assert!(!err.contains("Unable to write an event"), "{args:?}: {err}");
        }
    }
}

/// Runs futures concurrently on this task (no extra crate: a small join-all).
async fn futures_join_all<F: std::future::Future>(fs: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut fs: Vec<std::pin::Pin<Box<F>>> = fs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = fs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in fs.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    out.into_iter().map(|v| v.expect("every future finished")).collect()
}
