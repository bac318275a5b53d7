//! Fujian's selection rules: each 设区市 picks 1–2 directions and 1–2 counties; 平潭 pilots as a
//! whole and files directly. A refusal names the rule and stores nothing. Every quota refusal is
//! the same status, 422 `rule.<name>` (a programme rule refuses the change).

use serde_json::json;

use crate::helpers::TestApp;

const UNITS: &str = "/api/v1/programmes/fj-2022-reform-pilot/units";

#[tokio::test]
async fn a_third_county_in_a_city_is_refused() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let before = t.count(UNITS).await;
    // 福州市 already has 台江区 and 闽侯县.
    let (s, body) = t.post(UNITS, &json!({"region": "350104", "directions": [1]})).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["code"], "rule.units_per_group");
    assert!(body["message"].as_str().unwrap().contains("福州市"), "{body}");
    assert_eq!(t.count(UNITS).await, before);
}

#[tokio::test]
async fn a_third_direction_in_a_city_is_refused() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let before = t.count(UNITS).await;
    // 厦门市 has 思明区 on direction 2; 海沧区 on 3 and 4 would make three.
    let (s, body) = t.post(UNITS, &json!({"region": "350205", "directions": [3, 4]})).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["code"], "rule.directions_per_group");
    assert!(body["message"].as_str().unwrap().contains("厦门市"), "{body}");
    // Changing an existing unit to break the rule is refused the same way.
    let (s, body) = t.put(&format!("{UNITS}/350203"), &json!({"region": "350203", "directions": [2, 5]})).await;
    assert_eq!(s, 200, "two directions for a city with one unit is fine: {body}");
    let (s, body) = t.post(UNITS, &json!({"region": "350206", "directions": [6]})).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["code"], "rule.directions_per_group");
    assert_eq!(t.count(UNITS).await, before);
}

/// Per unit and per city, the quotas answer alike.
#[tokio::test]
async fn every_quota_refusal_has_one_status() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    // Three directions for one unit (each unit chooses 1–2).
    let (s, body) = t.post(UNITS, &json!({"region": "350206", "directions": [2, 3, 4]})).await;
    assert_eq!((s, body["code"].as_str()), (422, Some("rule.directions_per_unit")), "{body}");
    let (s, body) = t.post(UNITS, &json!({"region": "350104", "directions": [1]})).await;
    assert_eq!((s, body["code"].as_str()), (422, Some("rule.units_per_group")), "{body}");
}

#[tokio::test]
async fn within_the_quotas_a_unit_is_admitted() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    assert_eq!(xiamen_rows(&t).await, 3, "思明区's three deadlines");
    let (s, body) = t
        .post(UNITS, &json!({"region": "350206", "directions": [2], "lead": {"name": "张三", "phone": "0592-0000000"}}))
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["name"], "湖里区");
    assert_eq!(body["quota_group"], "350200");
    assert_eq!(body["path"], json!(["000000", "350000", "350200", "350206"]));
    assert_eq!(body["files_directly"], false);
    let (s, _) = t.get(&format!("{UNITS}/350206")).await;
    assert_eq!(s, 200);
    // The board sees the new unit at once (its cached parts are keyed by the programme revision).
    assert_eq!(xiamen_rows(&t).await, 6);
}

#[tokio::test]
async fn pingtan_is_its_own_group_and_files_directly() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let (s, body) = t.get(&format!("{UNITS}/350128")).await;
    assert_eq!(s, 200);
    assert_eq!(body["quota_group"], "350128");
    assert_eq!(body["files_directly"], true);
    // 福州市 counts only 台江区 and 闽侯县 against its quota, so 平潭 does not block them, and
    // 平潭 itself may carry its own direction.
    let (s, body) = t.put(&format!("{UNITS}/350128"), &json!({"region": "350128", "directions": [9, 11]})).await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn per_unit_scope_and_level_rules() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let (s, body) = t.post(UNITS, &json!({"region": "350206", "directions": [1, 2, 3]})).await;
    assert_eq!((s, body["code"].as_str()), (422, Some("rule.directions_per_unit")), "{body}");
    let (s, body) = t.post(UNITS, &json!({"region": "350206", "directions": []})).await;
    assert_eq!((s, body["code"].as_str()), (422, Some("rule.directions_per_unit")), "{body}");
    let (s, body) = t.post(UNITS, &json!({"region": "440100", "directions": [1]})).await;
    assert_eq!((s, body["code"].as_str()), (422, Some("rule.scope")), "Guangzhou is outside Fujian: {body}");
    let (s, body) = t.post(UNITS, &json!({"region": "350200", "directions": [1]})).await;
    assert_eq!((s, body["code"].as_str()), (422, Some("rule.unit_level")), "a city is not a county: {body}");
    let (s, body) = t.post(UNITS, &json!({"region": "350206", "directions": [12]})).await;
    assert_eq!((s, body["code"].as_str()), (422, Some("validation_failed")), "no direction 12: {body}");
}

async fn xiamen_rows(t: &TestApp) -> u64 {
    t.board("fj-2022-reform-pilot", "as_of=2022-09-01&region=350200").await["total"].as_u64().unwrap()
}
