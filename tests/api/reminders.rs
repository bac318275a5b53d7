//! Fujian 2022 replayed with a fake clock ticking the scheduler every hour from the notice's
//! date to December 2023: the reminders and escalations are exactly those the rules call for,
//! once each, whether the process restarts halfway or two schedulers race on one database.

use chrono::Duration;
use pilotgov::domain::access::Role;
use pilotgov::domain::filing::Filing;
use pilotgov::domain::{Key, RegionCode};
use pilotgov::jobs::{Scheduler, tick};
use pilotgov::store::audit::Actor;

use crate::helpers::{TestApp, at};

const FJ: &str = "fj-2022-reform-pilot";

/// Files one deadline directly (the simulation's units file at set instants).
async fn file(t: &TestApp, unit: &str, deliverable: &str, when: &str) {
    let units = t.app.state.store.units(&Key::parse(FJ).unwrap()).await.unwrap();
    let u = units.iter().find(|u| u.unit.region.as_str() == unit).unwrap();
    let mut f = Filing::draft(
        format!("sim-{unit}-{deliverable}"),
        Key::parse(FJ).unwrap(),
        RegionCode::parse(unit).unwrap(),
        u.path.clone(),
        Key::parse(deliverable).unwrap(),
        "once".into(),
        vec![],
        "报送材料",
        "",
        "sim",
    )
    .unwrap();
    f.submit(at(when)).unwrap();
    t.app.state.store.insert_filing(&f, None, &Actor::system("sim", at(when))).await.unwrap();
}

/// Everyone files everything early, except 台江区 (files during the run) and 闽侯县's plan (never).
async fn setup(t: &TestApp) {
    for (name, role, region) in [
        ("taijiang-lead", Role::UnitLead, "350103"),
        ("minhou-lead", Role::UnitLead, "350121"),
        ("fz-reviewer", Role::CityReviewer, "350100"),
        ("fj-admin", Role::ProvinceAdmin, "350000"),
    ] {
        t.add_user(name, role, region).await;
    }
    let units = t.app.state.store.units(&Key::parse(FJ).unwrap()).await.unwrap();
    for u in units.iter().map(|u| u.unit.region.to_string()) {
        for d in ["plan", "progress", "self-evaluation"] {
            if u == "350103" || (u == "350121" && d == "plan") {
                continue;
            }
            file(t, &u, d, "2022-08-20T10:00:00+08:00").await;
        }
    }
}

/// Ticks every hour over [from, to), filing 台江区's deadlines when their instants pass;
/// `instances` schedulers tick each hour.
async fn run(t: &TestApp, from: &str, to: &str, instances: usize) {
    let jobs = Scheduler::default();
    let filings = [
        ("plan", "2022-09-16T10:00:00+08:00"),
        ("progress", "2022-10-31T10:00:00+08:00"),
        ("self-evaluation", "2023-11-30T15:00:00+08:00"),
    ];
    let mut now = at(from);
    let end = at(to);
    while now < end {
        for (d, when) in filings {
            if now <= at(when) && at(when) < now + Duration::hours(1) {
                file(t, "350103", d, when).await;
            }
        }
        for _ in 0..instances {
            tick(&t.app.state.store, &jobs, now).await.unwrap();
        }
        now += Duration::hours(1);
    }
}

/// (unit, deliverable, kind, sent_at) of every reminder sent, in order.
async fn sent(t: &TestApp) -> Vec<(String, String, String, String)> {
    t.app
        .state
        .store
        .reminders(&fj())
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (r.unit.to_string(), r.deliverable, r.notice.code(), r.sent_at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        })
        .collect()
}

fn expected_taijiang() -> Vec<(String, String, String, String)> {
    [
        // Plan due Tue 20 Sep 2022; the Mid-Autumn holiday (10–12 Sep) is skipped; filed on the 16th.
        ("plan", "before-7", "2022-09-08"),
        ("plan", "before-3", "2022-09-15"),
        // Progress due Tue 1 Nov 2022; filed at 10:00 on the 31st, after that day's 09:00 reminder.
        ("progress", "before-7", "2022-10-21"),
        ("progress", "before-3", "2022-10-27"),
        ("progress", "before-1", "2022-10-31"),
        // Self-evaluation due Thu 30 Nov 2023; filed at 15:00 on the day.
        ("self-evaluation", "before-7", "2023-11-21"),
        ("self-evaluation", "before-3", "2023-11-27"),
        ("self-evaluation", "before-1", "2023-11-29"),
        ("self-evaluation", "on-the-day", "2023-11-30"),
    ]
    .into_iter()
    .map(|(d, k, day)| ("350103".to_owned(), d.to_owned(), k.to_owned(), format!("{day}T01:00:00Z")))
    .collect()
}

fn check(all: &[(String, String, String, String)]) {
    let mine: Vec<_> = all.iter().filter(|r| r.0 == "350103").cloned().collect();
    assert_eq!(mine, expected_taijiang());
    let minhou: Vec<(&str, &str)> =
        all.iter().filter(|r| r.0 == "350121").map(|r| (r.2.as_str(), &r.3[..10])).collect();
    assert_eq!(
        minhou[..8],
        [
            ("before-7", "2022-09-08"),
            ("before-3", "2022-09-15"),
            ("before-1", "2022-09-19"),
            ("on-the-day", "2022-09-20"),
            ("overdue", "2022-09-21"),
            ("overdue", "2022-09-22"),
            // Same instant: listed by identity.
            ("escalate-city", "2022-09-23"),
            ("overdue", "2022-09-23"),
        ]
    );
    assert!(minhou.contains(&("escalate-province", "2022-09-27")));
    assert!(minhou.contains(&("overdue", "2022-10-08")), "a make-up Saturday is a working day");
    assert!(!minhou.contains(&("overdue", "2022-10-03")), "no chasing on National Day");
    assert!(!minhou.contains(&("overdue", "2022-09-24")), "nor on a weekend");
    assert_eq!(minhou.last(), Some(&("overdue", "2023-12-05")));
    assert_eq!(all.iter().filter(|r| r.0 != "350103" && r.0 != "350121").count(), 0, "units that filed get nothing");
    let mut ids: Vec<_> = all.to_vec();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "nothing twice");
}

#[tokio::test]
async fn fujian_2022_reminders_over_the_whole_programme() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    setup(&t).await;
    run(&t, "2022-08-17T00:00:00+08:00", "2023-12-06T00:00:00+08:00", 1).await;
    let all = sent(&t).await;
    check(&all);
    let escalations: Vec<_> = t
        .app
        .state
        .store
        .reminders(&fj())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.notice.code().starts_with("escalate"))
        .collect();
    assert_eq!(escalations[0].recipients, ["fz-reviewer"]);
    assert_eq!(escalations[1].recipients, ["fj-admin"]);
    // The lead's inbox holds its nine, newest first, and marking one read is recorded.
    let lead = t.login("taijiang-lead").await;
    let (s, inbox) = t.get_as(&lead, "/api/v1/inbox").await;
    assert_eq!(s, 200);
    let inbox = inbox.as_array().unwrap();
    assert_eq!(inbox.len(), 9);
    assert_eq!(inbox[0]["kind"], "on-the-day");
    let id = inbox[0]["id"].as_str().unwrap();
    let resp = t
        .client
        .post(format!("/api/v1/inbox/{id}/read"))
        .header("authorization", format!("Bearer {lead}"))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::NO_CONTENT);
    let (_, inbox) = t.get_as(&lead, "/api/v1/inbox").await;
    assert_eq!(inbox[0]["read"], true);
    let minhou = t.login("minhou-lead").await;
    let resp = t
        .client
        .post(format!("/api/v1/inbox/{id}/read"))
        .header("authorization", format!("Bearer {minhou}"))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_restart_and_a_second_scheduler_change_nothing() {
    // Two schedulers ticking on one database every hour.
    let twice = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    setup(&twice).await;
    run(&twice, "2022-08-17T00:00:00+08:00", "2023-12-06T00:00:00+08:00", 2).await;
    let raced = sent(&twice).await;
    check(&raced);

    // One scheduler on disk, stopped in March 2023 and started again a week later: the week's
    // chasing is caught up once, on the first run after the restart.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}/pilotgov.db", dir.path().display());
    {
        let t = TestApp::with_url(&url).await;
        t.load_fixture("fujian-2022-reform-pilot.yaml").await;
        setup(&t).await;
        run(&t, "2022-08-17T00:00:00+08:00", "2023-03-01T00:00:00+08:00", 1).await;
    }
    let t = TestApp::reopen(&url).await;
    run(&t, "2023-03-08T00:00:00+08:00", "2023-12-06T00:00:00+08:00", 1).await;
    let after_restart = sent(&t).await;
    // The first tick after the restart (midnight) claims the missed 09:00 run at once: the week's
    // chasing becomes one reminder; the 09:00 run that morning finds it already sent.
    let in_gap = |r: &(String, String, String, String)| r.3.as_str() >= "2023-03-01" && r.3.as_str() < "2023-03-08T02";
    let caught_up: Vec<_> = after_restart.iter().filter(|r| in_gap(r)).collect();
    assert_eq!(caught_up.len(), 1, "one catch-up reminder for the week down: {caught_up:?}");
    assert_eq!((caught_up[0].2.as_str(), caught_up[0].3.as_str()), ("overdue", "2023-03-07T16:00:00Z"));
    let without_gap: Vec<_> = after_restart.iter().filter(|r| !in_gap(r)).cloned().collect();
    let expected_without_gap: Vec<_> = raced.iter().filter(|r| !in_gap(r)).cloned().collect();
    assert_eq!(without_gap, expected_without_gap);
}

#[tokio::test]
async fn a_programme_sets_its_own_reminder_rules() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let rules = "/api/v1/programmes/fj-2022-reform-pilot/reminder-rules";
    let (_, default) = t.get(rules).await;
    assert_eq!(default["before_working_days"], serde_json::json!([7, 3, 1]));
    let only_two_days_before = serde_json::json!({"before_working_days": [2], "on_the_day": false, "overdue_daily": false,
        "escalate_city_after_days": null, "escalate_province_after_days": null});
    let (s, b) = t.put(rules, &only_two_days_before).await;
    assert_eq!(s, 200, "{b}");
    for bad in [
        serde_json::json!({"before_working_days": [0], "on_the_day": true, "overdue_daily": true}),
        serde_json::json!({"before_working_days": [3], "on_the_day": true, "overdue_daily": true, "escalate_city_after_days": 9, "escalate_province_after_days": 2}),
    ] {
        let (s, b) = t.put(rules, &bad).await;
        assert_eq!((s, b["code"].as_str()), (422, Some("validation_failed")), "{b}");
    }
    // The plan is due Tuesday 20 September 2022: two working days before is Friday the 16th.
    let store = &t.app.state.store;
    let sent = pilotgov::jobs::reminders::run(store, at("2022-09-16T09:00:00+08:00"), None, false).await.unwrap();
    assert_eq!(sent.len(), 14);
    assert!(sent.iter().all(|r| r.notice.code() == "before-2"));
    for day in ["2022-09-19", "2022-09-20", "2022-09-21", "2022-09-28"] {
        let more =
            pilotgov::jobs::reminders::run(store, at(&format!("{day}T09:00:00+08:00")), None, false).await.unwrap();
        assert!(more.is_empty(), "{day}: {more:?}");
    }
}

#[tokio::test]
async fn a_programme_runs_reminders_on_its_own_schedule_and_names_who_is_told_last() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.load_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    let rules = "/api/v1/programmes/fj-2022-reform-pilot/reminder-rules";
    let base = serde_json::json!({"before_working_days": [3], "on_the_day": true, "overdue_daily": false,
        "escalate_city_after_days": null, "escalate_province_after_days": 2});
    // Refused, each with the field and a message that says what to write instead.
    for (field, value, says) in [
        ("schedule", serde_json::json!("every day at nine"), "sec min hour"),
        ("schedule", serde_json::json!("0 0 25 * * *"), "invalid cron expression"),
        ("time_zone", serde_json::json!("Asia/Beijing"), "IANA"),
        ("escalate_to", serde_json::json!("440100"), "outside the programme"),
        ("escalate_to", serde_json::json!("35010"), "escalate_to"),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let (s, b) = t.put(rules, &body).await;
        assert_eq!((s, b["code"].as_str()), (422, Some("validation_failed")), "{field}: {b}");
        assert!(b["message"].as_str().unwrap().contains(says), "{field}: {b}");
    }
    // Fujian runs at 08:30 on working days (Mon–Fri) and tells 福州 (not the province) last.
    t.add_user("fz-reviewer", Role::CityReviewer, "350100").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let mut body = base.clone();
    body["schedule"] = serde_json::json!("0 30 8 * * Mon-Fri");
    body["time_zone"] = serde_json::json!("Asia/Shanghai");
    body["escalate_to"] = serde_json::json!("350100");
    let (s, b) = t.put(rules, &body).await;
    assert_eq!((s, b["schedule"].as_str()), (200, Some("0 30 8 * * Mon-Fri")), "{b}");
    let jobs = Scheduler::default();
    let store = &t.app.state.store;
    // Thursday 15 September, three working days before the plan is due on the 20th.
    let ran = tick(store, &jobs, at("2022-09-15T08:30:00+08:00")).await.unwrap();
    let own: Vec<_> = ran.iter().filter(|r| r.job == "reminders@fj-2022-reform-pilot").collect();
    assert_eq!((own.len(), own[0].sent), (1, 14), "{ran:?}");
    let ran = tick(store, &jobs, at("2022-09-15T09:00:00+08:00")).await.unwrap();
    assert_eq!(ran.iter().map(|r| r.sent).sum::<usize>(), 0, "the server's 09:00 run leaves Fujian alone: {ran:?}");
    // Saturday the 17th is not in Fujian's schedule: a tick then catches up Friday's run only.
    let ran = tick(store, &jobs, at("2022-09-17T08:30:00+08:00")).await.unwrap();
    let own: Vec<_> = ran.iter().filter(|r| r.job == "reminders@fj-2022-reform-pilot").collect();
    assert_eq!(own.len(), 1);
    assert_eq!((own[0].scheduled_at, own[0].sent), (at("2022-09-16T08:30:00+08:00"), 0), "{ran:?}");
    // Tuesday's run sends the on-the-day reminders.
    let ran = tick(store, &jobs, at("2022-09-20T08:30:00+08:00")).await.unwrap();
    assert_eq!(ran.iter().find(|r| r.job == "reminders@fj-2022-reform-pilot").unwrap().sent, 14);
    // Two days after, the last escalation goes to 福州's reviewers, not the province's admins.
    tick(store, &jobs, at("2022-09-22T08:30:00+08:00")).await.unwrap();
    let (_, listed) = t.get("/api/v1/programmes/fj-2022-reform-pilot/reminders").await;
    let escalations: Vec<&serde_json::Value> =
        listed.as_array().unwrap().iter().filter(|r| r["kind"] == "escalate-province").collect();
    assert_eq!(escalations.len(), 14, "{listed}");
    assert!(escalations.iter().all(|r| r["recipients"] == serde_json::json!(["fz-reviewer"])), "{escalations:?}");
}

/// The Fujian programme's key.
fn fj() -> pilotgov::domain::Key {
    pilotgov::domain::Key::parse(FJ).unwrap()
}
