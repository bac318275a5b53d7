//! Programmes, stages, directions, deliverables and units can be created, read, changed and
//! listed over the API, and a whole programme imported in the fixture format.

use serde_json::{Value, json};

use crate::helpers::TestApp;

fn programme() -> Value {
    json!({
        "key": "nb-2023-test",
        "title": "宁德市社会救助试点",
        "issuer": "宁德市民政局",
        "issued": "2023年1月5日",
        "period_start": "2023年1月",
        "period_end": "2023年12月底",
        "scope": "350900",
        "unit_level": "county",
        "rules": {"directions_per_unit": {"min": 1, "max": 1}, "exceptions": []}
    })
}

#[tokio::test]
async fn a_programme_is_built_piece_by_piece() {
    let t = TestApp::new().await;
    let (s, p) = t.post("/api/v1/programmes", &programme()).await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["period"]["text"], "2023年1月至2023年12月底");
    assert_eq!(p["period"]["end"]["last"], "2023-12-31");
    let base = "/api/v1/programmes/nb-2023-test";
    let (s, st) = t
        .post(
            &format!("{base}/stages"),
            &json!({"key": "deploy", "name": "部署阶段", "seq": 1, "start": "2023年1月上旬", "end": "2023年2月中旬"}),
        )
        .await;
    assert_eq!(s, 201, "{st}");
    assert_eq!(st["window"]["start"]["first"], "2023-01-01");
    assert_eq!(st["window"]["end"]["last"], "2023-02-20");
    let (s, st) = t
        .put(
            &format!("{base}/stages/deploy"),
            &json!({"key": "deploy", "name": "部署阶段", "seq": 1, "start": "2023年1月上旬", "end": "2023年2月底"}),
        )
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["window"]["end"]["last"], "2023-02-28");
    let (s, d) = t
        .post(
            &format!("{base}/directions"),
            &json!({"number": 1, "title": "走访探视", "text": "定期走访探视生活困难群众。", "kind": "choice"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let (s, d) = t
        .post(
            &format!("{base}/deliverables"),
            &json!({
                "key": "monthly", "title": "月报", "stage": "deploy",
                "deadline": {"kind": "recurring", "every": "month", "from": "2023-02", "to": "2023-04", "due_day": "last"},
                "route": [{"level": "city", "action": "file"}]
            }),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let (s, u) = t.post(&format!("{base}/units"), &json!({"region": "350981", "directions": [1]})).await;
    assert_eq!(s, 201, "{u}");
    let (_, occ) = t.get(&format!("{base}/deliverables/monthly/occurrences")).await;
    let dues: Vec<&str> = occ.as_array().unwrap().iter().map(|o| o["due_on"].as_str().unwrap()).collect();
    assert_eq!(dues, ["2023-02-28", "2023-03-31", "2023-04-30"]);
    let (_, p) = t.get(base).await;
    assert_eq!(p["revision"], 6, "created, then five changes to its parts");
    let mut changed = programme();
    changed["title"] = json!("宁德市社会救助改革试点");
    let (s, p) = t.put(base, &changed).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["title"], "宁德市社会救助改革试点");
    assert_eq!(t.count(&format!("{base}/units")).await, 1);
}

#[tokio::test]
async fn the_fixture_format_imports_over_the_api_all_or_nothing() {
    let t = TestApp::new().await;
    let (_, text) = pilotgov::service::import::DEMO_FIXTURES
        .iter()
        .find(|(n, _)| *n == "shizuishan-2024-service-assistance.yaml")
        .unwrap();
    let doc: Value = serde_yaml_ng::from_str(text).unwrap();
    let (s, body) = t.post("/api/v1/programmes/import", &doc).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(
        body,
        json!({"key": "shizuishan-2024-service-assistance", "stages": 3, "directions": 42, "deliverables": 3, "units": 3})
    );
    let (s, body) = t.post("/api/v1/programmes/import", &doc).await;
    assert_eq!((s, body["code"].as_str()), (409, Some("rule.duplicate_programme")));

    // A document whose last unit breaks a rule stores nothing at all.
    let mut bad = doc.clone();
    bad["programme"]["key"] = json!("shizuishan-copy");
    bad["units"].as_array_mut().unwrap().push(json!({"region": "640202", "directions": [1]}));
    let (s, body) = t.post("/api/v1/programmes/import", &bad).await;
    assert_eq!((s, body["code"].as_str()), (409, Some("rule.duplicate_unit")), "{body}");
    let (s, _) = t.get("/api/v1/programmes/shizuishan-copy").await;
    assert_eq!(s, 404);
    assert_eq!(t.count("/api/v1/programmes").await, 1);
}

#[tokio::test]
async fn regions_are_served_as_a_tree() {
    let t = TestApp::new().await;
    let (s, body) = t.get("/api/v1/regions?parent=520402&limit=100").await;
    assert_eq!(s, 200);
    assert_eq!(body["total"], 25);
    let jiuzhou = body["items"].as_array().unwrap().iter().find(|r| r["code"] == "520402109").unwrap();
    assert_eq!(jiuzhou["name"], "旧州镇");
    assert_eq!(jiuzhou["level"], "township");
    let (_, provinces) = t.get("/api/v1/regions").await;
    let names: Vec<&str> = provinces["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["福建省", "广东省", "贵州省", "宁夏回族自治区"]);
    let (_, fj) = t.get("/api/v1/regions?parent=350000").await;
    assert_eq!(fj["total"], 9, "Fujian's nine 设区市");
    let (_, gd) = t.get("/api/v1/regions?parent=440000").await;
    assert_eq!(gd["total"], 21);
    let (s, body) = t.get("/health").await;
    assert_eq!((s, body["status"].as_str()), (200, Some("ok")));
}

#[tokio::test]
async fn the_shipped_calendar_matches_the_state_council_notices() {
    let t = TestApp::new().await;
    let cal = t.app.state.store.calendar().await.unwrap();
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(cal.years().map(|(y, _)| *y).collect::<Vec<_>>(), (2019..=2026).collect::<Vec<_>>());
    for (day, working) in [
        ("2019-05-04", false), // May Day extended by the 2019 amendment
        ("2019-05-05", true),  // a Sunday worked instead
        ("2020-02-01", false), // the Spring Festival extension to 2 February
        ("2022-10-08", true),  // Saturday after National Day
        ("2022-12-31", false), // 2023's New Year holiday begins in 2022
        ("2023-10-07", true),
        ("2024-02-18", true),
        ("2025-10-08", false),
        ("2026-02-23", false),
        ("2026-02-28", true),
    ] {
        assert_eq!(cal.is_working_day(d(day)), working, "{day}");
    }
    // Each year has its seven festivals' worth of days off (between 25 and 33 days).
    for (year, y) in cal.years() {
        assert!((25..=33).contains(&y.holidays.len()), "{year}: {} holidays", y.holidays.len());
    }
}
