//! A programme's units and regions changed while it runs: a unit withdraws (its filings stay,
//! its place frees, nothing more is filed for it) and comes back under the quotas as they stand;
//! a definition change that would break a quota is refused with the rule named; a township takes
//! a new code (撤并) and its unit, lead and filings follow it.

use serde_json::{Value, json};

use super::helpers::TestApp;
use pilotgov::domain::access::Role;

const FJ: &str = "/api/v1/programmes/fj-2022-reform-pilot";
const XX: &str = "/api/v1/programmes/xixiu-2019-comprehensive-reform";

fn regions(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|u| u["region"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_withdrawn_unit_keeps_its_filings_frees_its_place_and_files_no_more() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let admin = t.login("fj-admin").await;
    t.set_time("2022-09-15T10:00:00+08:00");
    let lead = t.lead("taijiang-lead", "350103").await;
    let filed = t.file_as(&lead, "fj-2022-reform-pilot", "350103", "plan", "once").await;
    let (s, draft) = t
        .post_as(
            &lead,
            &format!("{FJ}/filings"),
            &json!({"unit": "350103", "deliverable": "progress", "title": "阶段性成效"}),
        )
        .await;
    assert_eq!(s, 201, "{draft}");
    let on_board = |b: &Value| b["rows"].as_array().unwrap().iter().filter(|r| r["unit"] == "350103").count();
    assert!(on_board(&t.board("fj-2022-reform-pilot", "as_of=2022-09-15&limit=500").await) > 0);
    // 福州's two places are taken (台江区, 闽侯县): a third unit is refused by the quota.
    let (s, b) = t.post_as(&admin, &format!("{FJ}/units"), &json!({"region": "350104", "directions": [1]})).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.units_per_group")), "{b}");

    let (s, b) = t.post_as(&admin, &format!("{FJ}/units/350103/withdraw"), &json!({"reason": "  "})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("reason")), "a withdrawal says why: {b}");
    let (s, u) =
        t.post_as(&admin, &format!("{FJ}/units/350103/withdraw"), &json!({"reason": "区划调整，退出试点"})).await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["withdrawn"]["reason"], "区划调整，退出试点");
    assert_eq!(u["withdrawn"]["by"], "fj-admin");
    let (s, b) = t.post_as(&admin, &format!("{FJ}/units/350103/withdraw"), &json!({"reason": "再次"})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.unit_withdrawn")), "{b}");

    // Gone from the list, the board and the matrix; kept on record and readable.
    let (_, list) = t.get(&format!("{FJ}/units?limit=500")).await;
    assert!(!regions(&list).contains(&"350103"), "{list}");
    let (_, gone) = t.get(&format!("{FJ}/units?withdrawn=true")).await;
    assert_eq!(regions(&gone), vec!["350103"]);
    let (s, one) = t.get(&format!("{FJ}/units/350103")).await;
    assert_eq!((s, one["withdrawn"]["reason"].as_str()), (200, Some("区划调整，退出试点")));
    assert_eq!(on_board(&t.board("fj-2022-reform-pilot", "as_of=2022-09-15&limit=500").await), 0);
    let (_, matrix) = t.get(&format!("{FJ}/compliance?as_of=2022-09-30")).await;
    assert!(!matrix.to_string().contains("350103"), "the matrix leaves it out");
    let (s, f) = t.get_as(&lead, &format!("/api/v1/filings/{filed}")).await;
    assert_eq!((s, f["filing"]["state"].as_str()), (200, Some("submitted")), "{f}");

    // Nothing more is filed or changed for it.
    let (s, b) = t
        .post_as(&lead, &format!("{FJ}/filings"), &json!({"unit": "350103", "deliverable": "summary", "title": "总结"}))
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.unit_withdrawn")), "{b}");
    let key = draft["key"].as_str().unwrap();
    let (s, b) =
        t.post_as(&lead, &format!("/api/v1/filings/{key}/submit"), &json!({"revision": draft["revision"]})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.unit_withdrawn")), "{b}");
    let (s, b) = t.put_as(&admin, &format!("{FJ}/units/350103"), &json!({"region": "350103", "directions": [1]})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.unit_withdrawn")), "{b}");

    // Its place is free: 仓山区 takes it; then 台江区 cannot come back over the quota.
    let (s, b) = t.post_as(&admin, &format!("{FJ}/units"), &json!({"region": "350104", "directions": [1]})).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = t.post_as(&admin, &format!("{FJ}/units/350103/reinstate"), &json!({})).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.units_per_group")), "{b}");
    let (s, b) = t.post_as(&admin, &format!("{FJ}/units/350104/withdraw"), &json!({"reason": "名额让回台江区"})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = t.post_as(&admin, &format!("{FJ}/units/350103/reinstate"), &json!({})).await;
    assert_eq!((s, b["withdrawn"].is_null()), (200, true), "{b}");
    assert!(on_board(&t.board("fj-2022-reform-pilot", "as_of=2022-09-15&limit=500").await) > 0);
    let (_, trail) = t.get("/api/v1/audit?action=unit.withdraw").await;
    assert_eq!(trail["total"], 2, "{trail}");
    let (_, trail) = t.get("/api/v1/audit?action=unit.reinstate").await;
    assert_eq!(trail["total"], 1, "{trail}");
}

#[tokio::test]
async fn a_definition_change_that_breaks_a_quota_is_refused_with_the_rule_named() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let (_, head) = t.get(FJ).await;
    let before = t.app.state.store.audit_count().await.unwrap();
    // 福州 has two units: a limit of one unit per city would put one outside its quota.
    let mut tighter = head.clone();
    tighter["rules"]["units_per_group"]["max"] = json!(1);
    let body = programme_input(&tighter);
    let (s, b) = t.put(FJ, &body).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.units_per_group")), "{b}");
    // Per-unit bounds that 台江区's two directions no longer fit.
    let mut one = head.clone();
    one["rules"]["directions_per_unit"]["max"] = json!(1);
    let (s, b) = t.put(FJ, &programme_input(&one)).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.directions_per_unit")), "{b}");
    // A stage moved past the programme's end is refused, and so is one that drags a deadline out.
    let (_, stages) = t.get(&format!("{FJ}/stages")).await;
    let last = stages.as_array().unwrap().last().unwrap();
    let mut moved = stage_input(last);
    moved["end"] = json!("2024年12月底");
    let (s, b) = t.put(&format!("{FJ}/stages/{}", last["key"].as_str().unwrap()), &moved).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.within_period")), "{b}");
    assert_eq!(t.app.state.store.audit_count().await.unwrap(), before, "nothing changed");
    let (_, again) = t.get(FJ).await;
    assert_eq!(again["rules"], head["rules"]);
    // A change that fits goes through, audited.
    let mut looser = head.clone();
    looser["rules"]["units_per_group"]["max"] = json!(3);
    let (s, b) = t.put(FJ, &programme_input(&looser)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(t.app.state.store.audit_count().await.unwrap(), before + 1);
}

/// The programme view as the update's body (dates as written; the revision is the server's).
fn programme_input(v: &Value) -> Value {
    json!({
        "key": v["key"], "title": v["title"], "issuer": v["issuer"], "doc_number": v["doc_number"],
        "issued": v["issued"]["text"], "period_start": v["period"]["start"]["text"],
        "period_end": v["period"]["end"]["text"], "scope": v["scope"], "unit_level": v["unit_level"],
        "rules": v["rules"], "summary": v["summary"], "source": v["source"],
    })
}

fn stage_input(v: &Value) -> Value {
    json!({
        "key": v["key"], "name": v["name"], "seq": v["seq"], "start": v["window"]["start"]["text"],
        "end": v["window"]["end"]["text"], "description": v["description"],
    })
}

#[tokio::test]
async fn a_township_takes_a_new_code_and_its_unit_lead_and_filings_follow() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    t.add_user("gz-admin", Role::ProvinceAdmin, "520000").await;
    let admin = t.login("gz-admin").await;
    t.set_time("2019-01-15T10:00:00+08:00");
    let lead = t.lead("nanjie-lead", "520402001").await;
    let filed = t.file_as(&lead, "xixiu-2019-comprehensive-reform", "520402001", "township-plan", "once").await;

    // A merge into a township that is itself a unit would give the programme two units there.
    let (s, b) = t.post_as(&admin, "/api/v1/regions/520402002/recode", &json!({"code": "520402003"})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.duplicate_unit")), "{b}");
    // The county the programme covers is not re-coded under it.
    let (s, b) = t.post_as(&admin, "/api/v1/regions/520402/recode", &json!({"code": "520499"})).await;
    assert!(s == 422 && b["message"].as_str().unwrap().contains("xixiu-2019-comprehensive-reform"), "{b}");
    // Only a province admin of the province re-codes.
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let other = t.login("fj-admin").await;
    let (s, _) = t.post_as(&other, "/api/v1/regions/520402001/recode", &json!({"code": "520402010"})).await;
    assert_eq!(s, 403);

    let (s, r) = t.post_as(&admin, "/api/v1/regions/520402001/recode", &json!({"code": "520402010"})).await;
    assert_eq!((s, r["successor"].as_str()), (200, Some("520402010")), "{r}");
    let (s, new) = t.get("/api/v1/regions/520402010").await;
    assert_eq!((s, new["name"].as_str(), new["parent"].as_str()), (200, Some("南街街道"), Some("520402")));
    let (_, hits) = t.get("/api/v1/regions/search?q=%E5%8D%97%E8%A1%97").await;
    let codes: Vec<&str> = hits["items"].as_array().unwrap().iter().map(|h| h["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["520402010"], "the old code is no longer found");

    // The unit, its filing and its lead moved with the code.
    let (s, u) = t.get(&format!("{XX}/units/520402010")).await;
    assert_eq!((s, u["name"].as_str()), (200, Some("南街街道")), "{u}");
    assert_eq!(u["path"], json!(["000000", "520000", "520400", "520402", "520402010"]));
    let (s, _) = t.get(&format!("{XX}/units/520402001")).await;
    assert_eq!(s, 404);
    let (s, f) = t.get(&format!("/api/v1/filings/{filed}")).await;
    assert_eq!((s, f["filing"]["unit"].as_str()), (200, Some("520402010")), "{f}");
    let lead = t.login("nanjie-lead").await;
    let (_, me) = t.get_as(&lead, "/api/v1/auth/me").await;
    assert_eq!(me["region"], "520402010", "{me}");
    let (s, f) = t.get_as(&lead, &format!("/api/v1/filings/{filed}")).await;
    assert_eq!(s, 200, "its lead still reads its filing: {f}");
    let board = t.board("xixiu-2019-comprehensive-reform", "as_of=2019-01-15&limit=500").await;
    let on = |code: &str| board["rows"].as_array().unwrap().iter().any(|r| r["unit"] == code);
    assert!(on("520402010") && !on("520402001"));
    // The old code is kept for the record and not admitted again.
    let (s, b) = t.post_as(&admin, &format!("{XX}/units"), &json!({"region": "520402001"})).await;
    assert_eq!(s, 422, "{b}");
    let (_, trail) = t.get("/api/v1/audit?action=region.recode").await;
    assert_eq!(trail["total"], 1, "{trail}");
}
