//! Bad input gets a clear 4xx with a machine-readable code, and nothing is stored.

use serde_json::{Value, json};

use crate::helpers::TestApp;

const FJ: &str = "/api/v1/programmes/fj-2022-reform-pilot";

/// Everything a bad request could have touched, to compare before and after.
async fn snapshot(t: &TestApp) -> Value {
    json!({
        "programmes": t.get("/api/v1/programmes").await.1,
        "stages": t.get(&format!("{FJ}/stages")).await.1,
        "units": t.get(&format!("{FJ}/units")).await.1,
        "deliverables": t.get(&format!("{FJ}/deliverables")).await.1,
    })
}

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], want_code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_400() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let before = snapshot(&t).await;
    let (s, b) = t.post_raw(&format!("{FJ}/units"), b"{\"region\": \"350206\",".to_vec(), false).await;
    assert_error(s, &b, 400, "bad_request");
    let (s, b) = t.post(&format!("{FJ}/units"), &json!({"region": 350206, "directions": "1"})).await;
    assert_error(s, &b, 400, "bad_request");
    let (s, b) = t
        .post(
            &format!("{FJ}/stages"),
            &json!({"key": "x1", "name": "n", "seq": -1, "start": "2022年9月", "end": "2022年9月"}),
        )
        .await;
    assert_error(s, &b, 400, "bad_request");
    let (s, b) = t.get(&format!("{FJ}/deadlines?limit=lots")).await;
    assert_error(s, &b, 400, "bad_request");
    let (s, b) = t.get(&format!("{FJ}/deadlines?as_of=yesterday")).await;
    assert_error(s, &b, 422, "validation_failed");
    let (s, b) = t.get(&format!("{FJ}/deadlines?limit=0")).await;
    assert_error(s, &b, 422, "validation_failed");
    assert_eq!(snapshot(&t).await, before);
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    for uri in [
        "/api/v1/programmes/no-such-programme".to_owned(),
        "/api/v1/programmes/no-such-programme/deadlines".to_owned(),
        format!("{FJ}/units/350206"),
        format!("{FJ}/stages/nope"),
        format!("{FJ}/directions/99"),
        format!("{FJ}/deliverables/nope/occurrences"),
        "/api/v1/regions/350199".to_owned(),
        "/api/v1/nothing-here".to_owned(),
    ] {
        let (s, b) = t.get(&uri).await;
        assert_error(s, &b, 404, "not_found");
    }
    let (s, b) = t.put(&format!("{FJ}/units/350206"), &json!({"region": "350206", "directions": [2]})).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) =
        t.post("/api/v1/programmes/no-such-programme/units", &json!({"region": "350206", "directions": [2]})).await;
    assert_error(s, &b, 404, "not_found");
}

/// A malformed key, month or region code in a path or query gets one answer whatever the route:
/// 400 `bad_request` naming what was expected (the spec gives each its pattern).
#[tokio::test]
async fn malformed_path_and_query_values_are_400_everywhere() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let bad_key = "/api/v1/programmes/NOT%20A%20KEY";
    for (uri, parameter) in [
        bad_key.to_owned(),
        format!("{bad_key}/stages"),
        format!("{bad_key}/scheme"),
        format!("{bad_key}/bulletins"),
        format!("{bad_key}/compliance/export"),
        format!("{bad_key}/rankings/2022-09"),
        format!("{bad_key}/reminders"),
        format!("{FJ}/stages/Not_A_Key"),
        format!("{FJ}/deliverables/-plan-/occurrences"),
    ]
    .into_iter()
    .map(|u| (u, "string_key"))
    .chain([
        (format!("{FJ}/rankings/2022-13"), "string_year_month"),
        (format!("{FJ}/rankings/2022-13/export"), "string_year_month"),
        (format!("{FJ}/scores/September"), "string_year_month"),
        (format!("{FJ}/units/35010"), "string_region_code"),
        (format!("{FJ}/units?region=abc"), "string_region_code"),
        (format!("{FJ}/deadlines?region=3501"), "string_region_code"),
        (format!("{FJ}/compliance?region=x"), "string_region_code"),
        ("/api/v1/regions/35".to_owned(), "string_region_code"),
    ]) {
        let (s, b) = t.get(&uri).await;
        assert_error(s, &b, 400, "bad_request");
        // The message names the kind of value expected (the spec's name for its pattern).
        let message = b["message"].as_str().unwrap();
        assert!(message.contains(&format!("\"{parameter}\"")), "{uri}: {message}");
    }
}

#[tokio::test]
async fn dates_outside_the_period_are_refused() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let before = snapshot(&t).await;
    let (s, b) = t
        .post(
            &format!("{FJ}/stages"),
            &json!({"key": "extra", "name": "延伸阶段", "seq": 4, "start": "2023年12月", "end": "2024年1月"}),
        )
        .await;
    assert_error(s, &b, 422, "rule.within_period");
    let (s, b) = t
        .post(
            &format!("{FJ}/deliverables"),
            &json!({"key": "late", "title": "补充材料", "deadline": {"kind": "fixed", "due": "2024年1月10日前"}}),
        )
        .await;
    assert_error(s, &b, 422, "rule.within_period");
    let (s, b) = t
        .post(
            &format!("{FJ}/stages"),
            &json!({"key": "bad", "name": "坏日期", "seq": 4, "start": "2022年13月", "end": "2023年1月"}),
        )
        .await;
    assert_error(s, &b, 422, "validation_failed");
    assert_eq!(b["field"], "start");
    let (s, b) = t
        .post(
            &format!("{FJ}/stages"),
            &json!({"key": "backwards", "name": "倒序", "seq": 4, "start": "2023年3月", "end": "2023年1月"}),
        )
        .await;
    assert_error(s, &b, 422, "validation_failed");
    assert_eq!(snapshot(&t).await, before);
}

#[tokio::test]
async fn duplicates_and_unknown_regions_are_refused() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let before = snapshot(&t).await;
    let (s, b) = t.post(&format!("{FJ}/units"), &json!({"region": "350103", "directions": [1]})).await;
    assert_error(s, &b, 409, "rule.duplicate_unit");
    let (s, b) = t.post(&format!("{FJ}/units"), &json!({"region": "350199", "directions": [1]})).await;
    assert_error(s, &b, 422, "validation_failed");
    assert!(b["message"].as_str().unwrap().contains("350199"));
    let (s, b) = t.post(&format!("{FJ}/units"), &json!({"region": "35ab06", "directions": [1]})).await;
    assert_error(s, &b, 422, "validation_failed");
    let (s, b) = t
        .post(
            &format!("{FJ}/stages"),
            &json!({"key": "deploy", "name": "部署阶段", "seq": 1, "start": "2022年8月下旬", "end": "2022年9月中旬"}),
        )
        .await;
    assert_error(s, &b, 409, "rule.duplicate_stages");
    assert!(b["message"].as_str().unwrap().contains("`deploy`"), "{b}");
    let lead = t.lead("taijiang-lead", "350103").await;
    let body = json!({"unit": "350103", "deliverable": "plan", "occurrence": "2022-09", "title": "方案"});
    let (s, b) = t.post_as(&lead, &format!("{FJ}/filings"), &body).await;
    assert_error(s, &b, 422, "validation_failed");
    assert_eq!(snapshot(&t).await, before);
}

#[tokio::test]
async fn a_ten_megabyte_body_is_413() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let before = snapshot(&t).await;
    let mut big = b"{\"format\": \"pilotgov/programme@1\", \"pad\": \"".to_vec();
    big.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    big.extend(b"\"}");
    let (s, b) = t.post_raw("/api/v1/programmes/import", big.clone(), true).await;
    assert_error(s, &b, 413, "payload_too_large");
    // Without a declared length (chunked), the body is cut off at the limit all the same.
    let (s, b) = t.post_raw("/api/v1/programmes/import", big, false).await;
    assert_error(s, &b, 413, "payload_too_large");
    assert_eq!(snapshot(&t).await, before);
}
