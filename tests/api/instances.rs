//! Two pilotgov instances on one SurrealDB server (the suite's `ws://` run; on `mem://` there is
//! nothing to share and the test says so and stops): their schedulers race hour by hour over a
//! fortnight around the Fujian plan deadline and
//! send exactly what one alone sends; filings made on one are reviewed on the other (and are on
//! the other's deadline board at once, though it keeps filings in memory); two
//! reviewers deciding the same filing at once get one success and one 409, never a 500; a logout
//! and a ranking's correction on one are seen on the other within `recent_ms`.

use pilotgov::app::App;
use pilotgov::clock::FixedClock;
use pilotgov::domain::access::Role;
use pilotgov::jobs::{Scheduler, tick};
use serde_json::json;

use crate::helpers::{TestApp, at, shared_server, suite_config};

async fn reminder_ids(t: &TestApp) -> Vec<String> {
    let (_, list) = t.get("/api/v1/programmes/fj-2022-reform-pilot/reminders").await;
    let mut ids: Vec<String> = list.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn two_instances_share_one_server() {
    let Some(config) = shared_server("two_instances_share_one_server") else { return };
    let a = TestApp::open_with(config.clone()).await.unwrap();
    a.load_fixture("fujian-2022-reform-pilot.yaml").await;
    let b = TestApp::open_with(config).await.unwrap();
    let alone = TestApp::new().await;
    alone.load_fixture("fujian-2022-reform-pilot.yaml").await;

    // Schedulers: A and B tick together every hour for a fortnight around the plan's deadline.
    let jobs = Scheduler::default();
    let mut now = at("2022-09-08T00:00:00+08:00");
    while now < at("2022-09-24T00:00:00+08:00") {
        let (x, y) = tokio::join!(tick(&a.app.state.store, &jobs, now), tick(&b.app.state.store, &jobs, now));
        x.unwrap();
        y.unwrap();
        tick(&alone.app.state.store, &jobs, now).await.unwrap();
        now += chrono::Duration::hours(1);
    }
    let (raced, single) = (reminder_ids(&a).await, reminder_ids(&alone).await);
    assert!(!single.is_empty());
    assert_eq!(raced, single, "two instances send exactly what one sends");

    // Filings: 台江区 files on A, 福州 approves on B, the province files on A.
    for (name, role, region) in [
        ("taijiang-lead", Role::UnitLead, "350103"),
        ("fz-reviewer", Role::CityReviewer, "350100"),
        ("fz-second", Role::CityReviewer, "350100"),
    ] {
        a.add_user(name, role, region).await;
    }
    let lead = a.login("taijiang-lead").await;
    let fz_on_b = b.login("fz-reviewer").await;
    let second_on_a = a.login("fz-second").await;
    a.set_time("2022-09-15T10:00:00+08:00");
    b.set_time("2022-09-15T10:00:00+08:00");
    // B's board has the programme's filings in memory; A's filing is on it at once.
    let on_b = b.board("fj-2022-reform-pilot", "region=350103").await;
    assert_ne!(crate::helpers::status_of(&on_b, "350103", "plan", "once").0, "done");
    let key = a.file_as(&lead, "fj-2022-reform-pilot", "350103", "plan", "once").await;
    let on_b = b.board("fj-2022-reform-pilot", "region=350103").await;
    assert_eq!(crate::helpers::status_of(&on_b, "350103", "plan", "once").0, "done", "A's filing, at once on B");
    let (s, f) = b.get_as(&fz_on_b, &format!("/api/v1/filings/{key}")).await;
    assert_eq!((s, f["filing"]["state"].as_str()), (200, Some("submitted")), "B sees what A stored");
    let revision = f["filing"]["revision"].clone();
    let body = json!({"decision": "approve", "revision": revision});
    let uri = format!("/api/v1/filings/{key}/review");
    let ((s1, r1), (s2, r2)) = tokio::join!(b.post_as(&fz_on_b, &uri, &body), a.post_as(&second_on_a, &uri, &body));
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "one decision wins, the other is told: {r1} {r2}");
    let (_, f) = a.get_as(&lead, &format!("/api/v1/filings/{key}")).await;
    assert_eq!(f["filing"]["state"], "approved");

    // A logout on A: A refuses the token at once; B, which remembered the sign-in, within
    // `recent_ms` (1 s by default).
    let filing = format!("/api/v1/filings/{key}");
    assert_eq!(b.get_as(&lead, &filing).await.0, 200, "B has the sign-in in memory now");
    assert_eq!(a.post_as(&lead, "/api/v1/auth/logout", &json!({})).await.0, 204);
    assert_eq!(a.get_as(&lead, &filing).await.0, 401, "the instance that logged out, at once");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(b.get_as(&lead, &filing).await.0, 401, "the other instance, within recent_ms");

    // A published month corrected on A: A shows the correction at once; B, which had the first
    // version in memory, within `recent_ms` (its refresh finds a newer version and reads it).
    a.load_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    let april = "/api/v1/programmes/xixiu-2019-comprehensive-reform/rankings/2019-04";
    a.set_time("2019-05-01T10:00:00+08:00");
    b.set_time("2019-05-01T10:00:00+08:00");
    let (s, v1) = a.post(&format!("{april}/publish"), &json!({})).await;
    assert_eq!((s, v1["version"].as_i64()), (201, Some(1)), "{v1}");
    assert_eq!(b.get(april).await.1["version"], 1, "B has version 1 in memory now");
    let (s, v2) = a.post(&format!("{april}/publish"), &json!({"correction_reason": "更正"})).await;
    assert_eq!((s, v2["version"].as_i64()), (201, Some(2)), "{v2}");
    assert_eq!(a.get(april).await.1["version"], 2, "the instance that published, at once");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, seen) = b.get(april).await;
    assert_eq!((seen["version"].as_i64(), seen["reason"].as_str()), (Some(2), Some("更正")), "within recent_ms");
    assert_eq!(seen["entries"], v2["entries"]);
    // Unchanged since: B's next refresh keeps what it has, and still serves version 2.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(b.get(april).await.1, seen);
}

/// Instances starting together on one server all come up: six new databases defined at once
/// (they conflict on the shared namespace) and three instances migrating one new database and
/// loading its reference data together.
#[tokio::test]
async fn instances_starting_together_all_come_up() {
    let Some(config) = shared_server("instances_starting_together_all_come_up") else { return };
    let clock = std::sync::Arc::new(FixedClock::new(at("2022-08-17T09:00:00+08:00")));
    let open = || App::build(suite_config(), clock.clone());
    let shared = || App::build(config.clone(), clock.clone());
    let (a, b, c, d, e, f, x, y, z) =
        tokio::join!(open(), open(), open(), open(), open(), open(), shared(), shared(), shared());
    let apps = [a, b, c, d, e, f, x, y, z];
    for (i, app) in apps.iter().enumerate() {
        assert!(app.is_ok(), "instance {i} failed to start: {:#}", app.as_ref().err().unwrap());
    }
    // The shared database holds the whole reference region tree, as a database opened alone does.
    let (one, alone) = (TestApp::open_with(config).await.unwrap(), TestApp::new().await);
    let (_, shared) = one.get("/api/v1/regions?parent=350000&limit=100").await;
    let (_, single) = alone.get("/api/v1/regions?parent=350000&limit=100").await;
    assert_eq!(shared["total"], single["total"]);
    assert!(shared["total"].as_u64().is_some_and(|n| n >= 9), "Fujian's nine cities: {shared}");
}
