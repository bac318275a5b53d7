//! Each seed programme loads, and its deadline board reads right before, on and after a
//! deadline of its calendar.

use serde_json::json;

use crate::helpers::{TestApp, rows, status_of};

const FJ: &str = "fj-2022-reform-pilot";

#[tokio::test]
async fn demo_loads_all_five_programmes() {
    let t = TestApp::demo().await;
    let (status, body) = t.get("/api/v1/programmes").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = body["items"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "fj-2022-reform-pilot",
            "fuzhou-2020-hardship-support",
            "gd-2022-safety-net",
            "shizuishan-2024-service-assistance",
            "xixiu-2019-comprehensive-reform"
        ]
    );
    assert_eq!(t.count("/api/v1/programmes/fj-2022-reform-pilot/directions").await, 11);
    assert_eq!(t.count("/api/v1/programmes/gd-2022-safety-net/directions").await, 17);
    assert_eq!(t.count("/api/v1/programmes/gd-2022-safety-net/units").await, 21);
    assert_eq!(t.count("/api/v1/programmes/xixiu-2019-comprehensive-reform/stages").await, 5);
    assert_eq!(t.count("/api/v1/programmes/fuzhou-2020-hardship-support/directions").await, 10);
    assert_eq!(t.count("/api/v1/programmes/shizuishan-2024-service-assistance/directions").await, 42);
    // Units page, and filter by region.
    let (_, page) = t.get("/api/v1/programmes/gd-2022-safety-net/units?offset=20&limit=5").await;
    assert_eq!((page["total"].as_u64(), page["items"].as_array().unwrap().len()), (Some(21), 1));
    assert_eq!(page["items"][0]["name"], "云浮市");
    let (_, fz) = t.get("/api/v1/programmes/fj-2022-reform-pilot/units?region=350100").await;
    let names: Vec<&str> = fz["items"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["台江区", "闽侯县", "平潭综合实验区"]);
    // Loading the demo again changes nothing.
    pilotgov::service::import::load_demo(&t.app.state.store, t.clock_now()).await.unwrap();
    assert_eq!(t.count("/api/v1/programmes").await, 5);
}

#[tokio::test]
async fn fujian_plan_deadline_before_on_and_after() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let q = "deliverable=plan&as_of=";
    let before = t.board(FJ, &format!("{q}2022-09-10T09:00:00%2B08:00")).await;
    assert_eq!(before["total"], 14);
    assert_eq!(before["totals"]["upcoming"], 14);
    assert_eq!(status_of(&before, "350103", "plan", "once"), ("upcoming".into(), 10));

    let on = t.board(FJ, &format!("{q}2022-09-20T23:59:00%2B08:00")).await;
    assert_eq!(on["totals"]["due_soon"], 14);
    assert_eq!(status_of(&on, "350103", "plan", "once"), ("due_soon".into(), 0));
    assert_eq!(on["rows"][0]["due_at"], "2022-09-21T00:00:00+08:00");
    assert_eq!(on["rows"][0]["due_text"], "2022年9月20日前");

    // 台江区 files on the 19th; at midnight after the 20th everyone else is red.
    let lead = t.lead("taijiang-lead", "350103").await;
    t.set_time("2022-09-19T15:00:00+08:00");
    let key = t.file_as(&lead, FJ, "350103", "plan", "once").await;
    let (_, f) = t.get(&format!("/api/v1/filings/{key}")).await;
    assert_eq!(f["filing"]["first_submitted_at"], "2022-09-19T15:00:00+08:00");
    let after = t.board(FJ, &format!("{q}2022-09-21T00:00:00%2B08:00")).await;
    assert_eq!(after["totals"]["overdue"], 13);
    assert_eq!(after["totals"]["done"], 1);
    assert_eq!(status_of(&after, "350103", "plan", "once").0, "done");
    assert_eq!(status_of(&after, "350121", "plan", "once"), ("overdue".into(), -1));
    // Filtering by status and by city.
    let red_fz = t.board(FJ, &format!("{q}2022-09-21T00:00:00%2B08:00&status=overdue&region=350100")).await;
    let units: Vec<&str> = red_fz["rows"].as_array().unwrap().iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["350121", "350128"], "福州's red rows: 闽侯县 and 平潭 (under 福州 in the tree)");
}

#[tokio::test]
async fn fujian_routes_follow_the_rules_exception() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let b = t.board(FJ, "deliverable=plan&as_of=2022-09-01").await;
    let route = |unit: &str| rows(&b, unit, "plan")[0]["route"].clone();
    assert_eq!(
        route("350103"),
        json!([{"level": "city", "action": "review"}, {"level": "province", "action": "file"}])
    );
    assert_eq!(route("350128"), json!([{"level": "province", "action": "file"}]));
}

#[tokio::test]
async fn guangdong_local_opinions_by_april_30() {
    let t = TestApp::with_fixture("guangdong-2022-safety-net.yaml").await;
    let p = "gd-2022-safety-net";
    let before = t.board(p, "as_of=2022-04-01").await;
    assert_eq!(before["total"], 21);
    assert_eq!(status_of(&before, "440100", "local-opinions", "once"), ("upcoming".into(), 29));
    assert_eq!(before["rows"][0]["due_on_holiday"], true, "30 April 2022 was a May Day holiday");
    let on = t.board(p, "as_of=2022-04-30T12:00:00%2B08:00").await;
    assert_eq!(on["totals"]["due_soon"], 21);
    let after = t.board(p, "as_of=2022-05-01").await;
    assert_eq!(after["totals"]["overdue"], 21);
    assert_eq!(status_of(&after, "445300", "local-opinions", "once"), ("overdue".into(), -1));
}

#[tokio::test]
async fn xixiu_monthly_deadlines_expand_to_the_documents_days() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    let p = "xixiu-2019-comprehensive-reform";
    let (s, e) = t.get(&format!("/api/v1/programmes/{p}/deliverables/e-data/occurrences")).await;
    assert_eq!(s, 200);
    let e = e.as_array().unwrap();
    assert_eq!(e.len(), 9, "April to December");
    assert_eq!(
        (e[0]["key"].as_str(), e[0]["opens_on"].as_str(), e[0]["due_on"].as_str()),
        (Some("2019-04"), Some("2019-04-15"), Some("2019-04-20"))
    );
    assert_eq!(e[8]["due_on"], "2019-12-20");
    assert_eq!(e[0]["due_text"], "2019年4月15日至20日");
    let (_, paper) = t.get(&format!("/api/v1/programmes/{p}/deliverables/paper-data/occurrences")).await;
    let dues: Vec<&str> = paper.as_array().unwrap().iter().map(|o| o["due_on"].as_str().unwrap()).collect();
    assert_eq!(
        dues,
        [
            "2019-04-25",
            "2019-05-25",
            "2019-06-25",
            "2019-07-25",
            "2019-08-25",
            "2019-09-25",
            "2019-10-25",
            "2019-11-25",
            "2019-12-25"
        ]
    );

    // On the 20th of May: the electronic data is due today, the paper in five days, April's are red.
    let b = t.board(p, "as_of=2019-05-20T10:00:00%2B08:00&region=520402109").await;
    assert_eq!(status_of(&b, "520402109", "e-data", "2019-05"), ("due_soon".into(), 0));
    assert_eq!(status_of(&b, "520402109", "paper-data", "2019-05"), ("upcoming".into(), 5));
    assert_eq!(status_of(&b, "520402109", "e-data", "2019-04"), ("overdue".into(), -30));
    // The township plan of January was due on the 31st ("1月中下旬").
    assert_eq!(status_of(&b, "520402109", "township-plan", "once"), ("overdue".into(), -109));
    // Self-check materials are asked of the two demonstration units only.
    let all = t.board(p, "as_of=2019-07-01&deliverable=self-check").await;
    let units: Vec<&str> = all["rows"].as_array().unwrap().iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["520402002", "520402109"]);
    assert_eq!(t.board(p, "as_of=2019-07-29&deliverable=self-check").await["totals"]["due_soon"], 2);
    assert_eq!(t.board(p, "as_of=2019-08-01&deliverable=self-check").await["totals"]["overdue"], 2);
}

#[tokio::test]
async fn fuzhou_quarterly_meetings_and_pilot_only_items() {
    let t = TestApp::with_fixture("fuzhou-2020-hardship-support.yaml").await;
    let p = "fuzhou-2020-hardship-support";
    let before = t.board(p, "as_of=2020-06-01&deliverable=quarterly-meeting").await;
    assert_eq!(status_of(&before, "350125", "quarterly-meeting", "2020-Q2"), ("upcoming".into(), 29));
    let on = t.board(p, "as_of=2020-06-30T18:00:00%2B08:00&deliverable=quarterly-meeting").await;
    assert_eq!(status_of(&on, "350125", "quarterly-meeting", "2020-Q2"), ("due_soon".into(), 0));
    let after = t.board(p, "as_of=2020-07-01&deliverable=quarterly-meeting&status=overdue").await;
    assert_eq!(after["total"], 12, "all twelve counties missed Q2");
    let mutual = t.board(p, "as_of=2020-12-01&deliverable=mutual-aid").await;
    let units: Vec<&str> = mutual["rows"].as_array().unwrap().iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["350103", "350125"], "台江区 and 永泰县 only");
    let (_, items) = t.get(&format!("/api/v1/programmes/{p}/directions/10")).await;
    let names: Vec<&str> =
        items["responsible"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["市民政局", "市财政局", "台江区", "永泰县人民政府"]);
}

#[tokio::test]
async fn shizuishan_evaluations_relative_to_the_stage() {
    let t = TestApp::with_fixture("shizuishan-2024-service-assistance.yaml").await;
    let p = "shizuishan-2024-service-assistance";
    let (_, occ) = t.get(&format!("/api/v1/programmes/{p}/deliverables/mid-term-evaluation/occurrences")).await;
    assert_eq!(occ[0]["due_on"], "2025-02-28", "150 days after 2024-10-01");
    let before = t.board(p, "as_of=2025-08-01&deliverable=summary-report").await;
    assert_eq!(before["totals"]["upcoming"], 3);
    let on = t.board(p, "as_of=2025-08-31&deliverable=summary-report").await;
    assert_eq!(on["totals"]["due_soon"], 3);
    let after = t.board(p, "as_of=2025-09-01&deliverable=summary-report").await;
    assert_eq!(after["totals"]["overdue"], 3);
    let final_eval = t.board(p, "as_of=2025-07-31&deliverable=final-evaluation").await;
    assert_eq!(status_of(&final_eval, "640202", "final-evaluation", "once"), ("due_soon".into(), 0));
}

/// A region's board is exactly its rows of the whole board, at instants before, between and
/// after the plan's and the reports' deadlines; and a first submission written straight to the
/// store — as another instance, or any writer but this one's services, would — is on the next
/// board at once, though the board's filings were in memory.
#[tokio::test]
async fn a_regions_board_is_its_rows_of_the_whole_board() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.add_user("taijiang-lead", pilotgov::domain::access::Role::UnitLead, "350103").await;
    let lead = t.login("taijiang-lead").await;
    let before = t.board(FJ, "as_of=2022-09-21").await;
    assert_eq!(status_of(&before, "350103", "plan", "once").0, "overdue");
    t.set_time("2022-09-15T10:00:00+08:00");
    t.file_as(&lead, FJ, "350103", "plan", "once").await;
    let after = t.board(FJ, "as_of=2022-09-21").await;
    assert_eq!(status_of(&after, "350103", "plan", "once").0, "done", "a submission through the API, at once");
    t.set_time("2022-09-28T10:00:00+08:00");
    t.file_as(&lead, FJ, "350103", "progress", "once").await;
    let mut statuses = std::collections::BTreeSet::new();
    for as_of in ["2022-09-01", "2022-09-21", "2022-11-02", "2023-06-30", "2023-12-01"] {
        let whole = t.board(FJ, &format!("as_of={as_of}")).await;
        let all = whole["rows"].as_array().unwrap();
        assert_eq!(whole["total"].as_u64(), Some(all.len() as u64), "the whole board on one page");
        statuses.extend(all.iter().map(|r| r["status"].as_str().unwrap().to_owned()));
        // 福州 (its counties and 平潭, 3501xx), one county, and 厦门.
        for region in ["350100", "350103", "350200"] {
            let part = t.board(FJ, &format!("as_of={as_of}&region={region}")).await;
            let prefix = region.trim_end_matches('0');
            let expected: Vec<&serde_json::Value> =
                all.iter().filter(|r| r["unit"].as_str().unwrap().starts_with(prefix)).collect();
            assert!(!expected.is_empty(), "{region} has units");
            let got: Vec<&serde_json::Value> = part["rows"].as_array().unwrap().iter().collect();
            assert_eq!(got, expected, "{region} at {as_of}");
        }
    }
    assert!(statuses.len() >= 3, "the instants mix done, upcoming and overdue rows: {statuses:?}");

    // 闽侯县's plan, first submitted on 9月19日, written by another writer.
    let before = t.board(FJ, "as_of=2022-09-21&region=350121").await;
    assert_eq!(status_of(&before, "350121", "plan", "once").0, "overdue");
    t.write_elsewhere(FJ, "350121", "plan", "once", "2022-09-19T16:00:00+08:00").await;
    let after = t.board(FJ, "as_of=2022-09-21&region=350121").await;
    assert_eq!(status_of(&after, "350121", "plan", "once").0, "done", "{after}");
    let whole = t.board(FJ, "as_of=2022-09-21").await;
    assert_eq!(status_of(&whole, "350121", "plan", "once").0, "done");
}
