//! Fujian's plan filing walked end to end: a city-reviewed county with a return and a
//! resubmission, 平潭 filing straight to the province, a late filing, a returned one left
//! returned, and missing ones; then the compliance matrix shows exactly those states.

use pilotgov::domain::access::Role;
use poem::test::{TestForm, TestFormField};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const FJ: &str = "fj-2022-reform-pilot";

struct Fujian {
    t: TestApp,
    taijiang: String,
    minhou: String,
    pingtan: String,
    siming: String,
    fuzhou: String,
    xiamen: String,
    province: String,
}

async fn fujian() -> Fujian {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.add_user("fz-reviewer", Role::CityReviewer, "350100").await;
    t.add_user("xm-reviewer", Role::CityReviewer, "350200").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    Fujian {
        taijiang: t.lead("taijiang-lead", "350103").await,
        minhou: t.lead("minhou-lead", "350121").await,
        pingtan: t.lead("pingtan-lead", "350128").await,
        siming: t.lead("siming-lead", "350203").await,
        fuzhou: t.login("fz-reviewer").await,
        xiamen: t.login("xm-reviewer").await,
        province: t.login("fj-admin").await,
        t,
    }
}

async fn filing(t: &TestApp, key: &str) -> Value {
    let (s, f) = t.get(&format!("/api/v1/filings/{key}")).await;
    assert_eq!(s, 200, "{f}");
    f
}

async fn review(t: &TestApp, token: &str, key: &str, decision: &str, reason: Option<&str>) -> (u16, Value) {
    let revision = filing(t, key).await["filing"]["revision"].clone();
    t.post_as(
        token,
        &format!("/api/v1/filings/{key}/review"),
        &json!({"decision": decision, "reason": reason, "revision": revision}),
    )
    .await
}

#[tokio::test]
async fn fujian_plan_filings_and_the_compliance_matrix() {
    let f = fujian().await;
    let t = &f.t;

    // 台江区: submitted on time, returned by 福州市, revised and resubmitted, approved, filed.
    t.set_time("2022-09-15T10:00:00+08:00");
    let taijiang = t.file_as(&f.taijiang, FJ, "350103", "plan", "once").await;
    let v = filing(t, &taijiang).await;
    assert_eq!(v["filing"]["state"], "submitted");
    assert_eq!(v["filing"]["pending_step"], json!({"level": "city", "action": "review"}));
    t.set_time("2022-09-16T10:00:00+08:00");
    let (s, b) = review(t, &f.fuzhou, &taijiang, "return", Some("缺少服务需求台账")).await;
    assert_eq!((s, b["state"].as_str()), (200, Some("returned")), "{b}");
    assert_eq!(b["returned_reason"], "缺少服务需求台账");
    t.set_time("2022-09-18T10:00:00+08:00");
    let (s, b) = t
        .put_as(
            &f.taijiang,
            &format!("/api/v1/filings/{taijiang}"),
            &json!({"title": "台江区试点实施方案（修订）", "body": "增加需求台账", "revision": b["revision"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = t
        .post_as(&f.taijiang, &format!("/api/v1/filings/{taijiang}/submit"), &json!({"revision": b["revision"]}))
        .await;
    assert_eq!((s, b["version"].as_u64()), (200, Some(2)), "{b}");
    t.set_time("2022-09-19T10:00:00+08:00");
    let (s, b) = review(t, &f.province, &taijiang, "file", None).await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "the province cannot act at the city's step: {b}");
    let (s, b) = review(t, &f.taijiang, &taijiang, "approve", None).await;
    assert_eq!(s, 403, "a lead does not review: {b}");
    let (s, b) = review(t, &f.fuzhou, &taijiang, "approve", None).await;
    assert_eq!((s, b["state"].as_str()), (200, Some("approved")), "{b}");
    let (s, b) = review(t, &f.fuzhou, &taijiang, "approve", None).await;
    assert_eq!(s, 403, "the next step is the province's: {b}");
    t.set_time("2022-09-20T10:00:00+08:00");
    let (s, b) = review(t, &f.province, &taijiang, "approve", None).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.wrong_step")), "the province files, it does not approve: {b}");
    let (s, b) = review(t, &f.province, &taijiang, "file", None).await;
    assert_eq!((s, b["state"].as_str()), (200, Some("filed")), "{b}");

    // Both versions stay readable, with every decision.
    let v = filing(t, &taijiang).await;
    let titles: Vec<&str> = v["versions"].as_array().unwrap().iter().map(|x| x["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["报送材料", "台江区试点实施方案（修订）"]);
    let decisions: Vec<&str> =
        v["reviews"].as_array().unwrap().iter().map(|x| x["decision"].as_str().unwrap()).collect();
    assert_eq!(decisions, ["return", "approve", "file"]);
    assert_eq!(v["filing"]["timeliness"], json!({"status": "on_time"}));

    // 平潭 goes straight to the province.
    t.set_time("2022-09-19T16:00:00+08:00");
    let pingtan = t.file_as(&f.pingtan, FJ, "350128", "plan", "once").await;
    assert_eq!(filing(t, &pingtan).await["filing"]["pending_step"], json!({"level": "province", "action": "file"}));
    let (s, b) = review(t, &f.fuzhou, &pingtan, "approve", None).await;
    assert_eq!(s, 403, "福州 has no step on 平潭's route: {b}");
    let (s, b) = review(t, &f.province, &pingtan, "file", None).await;
    assert_eq!((s, b["state"].as_str()), (200, Some("filed")), "{b}");

    // 闽侯县: three days late, approved by the city, awaiting the province.
    t.set_time("2022-09-23T09:00:00+08:00");
    let minhou = t.file_as(&f.minhou, FJ, "350121", "plan", "once").await;
    let stale = filing(t, &minhou).await["filing"]["revision"].clone();
    let (s, _) = review(t, &f.fuzhou, &minhou, "approve", None).await;
    assert_eq!(s, 200);
    let (s, b) = t
        .post_as(
            &f.fuzhou,
            &format!("/api/v1/filings/{minhou}/review"),
            &json!({"decision": "return", "reason": "迟报", "revision": stale}),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale")), "a decision on an old revision is refused: {b}");
    assert_eq!(filing(t, &minhou).await["filing"]["state"], "approved", "and changes nothing");
    assert_eq!(filing(t, &minhou).await["filing"]["timeliness"], json!({"status": "late", "days_late": 3}));

    // 思明区: submitted on time, returned by 厦门市, not yet resubmitted.
    t.set_time("2022-09-18T09:00:00+08:00");
    let siming = t.file_as(&f.siming, FJ, "350203", "plan", "once").await;
    let (s, _) = review(t, &f.xiamen, &siming, "return", Some("请补充经费保障")).await;
    assert_eq!(s, 200);

    // The matrix on the 30th: exactly those states, everything else missing.
    let (s, m) = t.get(&format!("/api/v1/programmes/{FJ}/compliance?as_of=2022-09-30")).await;
    assert_eq!(s, 200, "{m}");
    let columns: Vec<&str> =
        m["columns"].as_array().unwrap().iter().map(|c| c["deliverable"].as_str().unwrap()).collect();
    assert_eq!(columns, ["plan", "progress", "self-evaluation"]);
    let plan: std::collections::BTreeMap<String, String> = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["unit"].as_str().unwrap().to_owned(), r["cells"][0]["status"].as_str().unwrap().to_owned()))
        .collect();
    let expected: std::collections::BTreeMap<String, String> = [
        ("350103", "on_time"),
        ("350121", "in_review"),
        ("350128", "on_time"),
        ("350203", "returned"),
        ("350304", "missing"),
        ("350322", "missing"),
        ("350405", "missing"),
        ("350582", "missing"),
        ("350583", "missing"),
        ("350602", "missing"),
        ("350702", "missing"),
        ("350802", "missing"),
        ("350823", "missing"),
        ("350981", "missing"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(plan, expected);
    let minhou_row = m["rows"].as_array().unwrap().iter().find(|r| r["unit"] == "350121").unwrap();
    assert_eq!(minhou_row["cells"][0]["days_late"], 3);
    assert_eq!(minhou_row["cells"][1]["status"], "not_due");
    assert_eq!(
        m["overall"],
        json!({"on_time": 2, "late": 0, "missing": 10, "returned": 1, "in_review": 1, "not_due": 28,
               "due": 14, "met_on_time": 3, "on_time_rate": 3.0 / 14.0})
    );
    let fuzhou = m["cities"].as_array().unwrap().iter().find(|c| c["city"] == "350100").unwrap();
    assert_eq!((fuzhou["totals"]["due"].as_u64(), fuzhou["totals"]["met_on_time"].as_u64()), (Some(3), Some(2)));
    // The deadline board agrees: four plans filed by the 30th, ten overdue.
    let board = t.board(FJ, "deliverable=plan&as_of=2022-09-30").await;
    assert_eq!((board["totals"]["done"].as_u64(), board["totals"]["overdue"].as_u64()), (Some(4), Some(10)));
    // A city reviewer's matrix holds its own counties only.
    let (_, mine) = t.get_as(&f.fuzhou, &format!("/api/v1/programmes/{FJ}/compliance?as_of=2022-09-30")).await;
    let units: Vec<&str> = mine["rows"].as_array().unwrap().iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["350103", "350121", "350128"]);
    // It reads only its units' filings, and each line is the whole matrix's line for that unit.
    let whole: Vec<&serde_json::Value> =
        m["rows"].as_array().unwrap().iter().filter(|r| units.contains(&r["unit"].as_str().unwrap())).collect();
    assert_eq!(mine["rows"].as_array().unwrap().iter().collect::<Vec<_>>(), whole);
    let (_, xiamen) = t.get(&format!("/api/v1/programmes/{FJ}/compliance?region=350200&as_of=2022-09-30")).await;
    assert_eq!(xiamen["rows"].as_array().unwrap().len(), 1);
    assert_eq!(xiamen["rows"][0]["cells"][0]["status"], "returned");
}

/// Once a whole programme's matrix has been asked for, the programme's register of filings is
/// kept in memory and caught up by the changes to filings. After every kind of change — a draft,
/// a submission, a return, a resubmission, an approval, a filing, a write straight to the store
/// by another writer — the matrix served equals the
/// matrix of every filing read again; and a change of state alone leaves the board's first
/// submissions the very same copy (its rendered pages stay good).
#[tokio::test]
async fn the_matrix_kept_in_memory_follows_every_change() {
    use pilotgov::domain::access::Principal;
    use pilotgov::domain::register::Register;
    use pilotgov::domain::{Key, compliance};
    use std::sync::Arc;
    let f = fujian().await;
    let t = &f.t;
    let store = &t.app.state.store;
    let key = Key::parse(FJ).unwrap();
    let reader = Principal::system_reader("test");
    let check = |what: &'static str| {
        let (key, reader) = (&key, &reader);
        async move {
            let now = t.clock_now();
            let served = pilotgov::service::filings::compliance(store, reader, key, None, now).await.unwrap();
            let (_, parts) = store.board_parts(key).await.unwrap();
            let again = Register::new(store.filing_briefs(key).await.unwrap());
            let fresh =
                compliance::matrix(&parts.stages, &parts.deliverables, &parts.units, &again, |_| true, now).unwrap();
            assert_eq!(format!("{served:?}"), format!("{fresh:?}"), "after {what}");
            let held = store.filing_register(key, false).await.unwrap();
            assert_eq!(held.map(|r| r.len()), Some(again.len()), "the register stays in memory after {what}");
            serde_json::to_value(served.lines.iter().map(|l| format!("{:?}", l.cells)).collect::<Vec<_>>()).unwrap()
        }
    };
    t.set_time("2022-09-15T10:00:00+08:00");
    assert!(store.filing_register(&key, false).await.unwrap().is_none(), "nothing in memory before a matrix");
    check("nothing").await;
    let first = store.board_filings(&key).await.unwrap();

    let (s, draft) = t
        .post_as(
            &f.taijiang,
            &format!("/api/v1/programmes/{FJ}/filings"),
            &json!({"unit": "350103", "deliverable": "plan", "occurrence": "once", "title": "方案", "body": "正文"}),
        )
        .await;
    assert_eq!(s, 201, "{draft}");
    let before = check("a draft").await;
    let filing_key = draft["key"].as_str().unwrap().to_owned();
    assert!(Arc::ptr_eq(&first, &store.board_filings(&key).await.unwrap()), "a draft moves no first submission");
    let (s, b) = t
        .post_as(&f.taijiang, &format!("/api/v1/filings/{filing_key}/submit"), &json!({"revision": draft["revision"]}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_ne!(check("a submission").await, before, "the submission shows in the matrix");
    let submitted = store.board_filings(&key).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &submitted), "a submission moves a first submission");

    t.set_time("2022-09-16T10:00:00+08:00");
    let (s, b) = review(t, &f.fuzhou, &filing_key, "return", Some("缺少台账")).await;
    assert_eq!(s, 200, "{b}");
    let returned = check("a return").await;
    assert!(returned.to_string().contains("Returned"), "{returned}");
    assert!(Arc::ptr_eq(&submitted, &store.board_filings(&key).await.unwrap()), "a return moves no first submission");
    let (s, b) = t
        .post_as(&f.taijiang, &format!("/api/v1/filings/{filing_key}/submit"), &json!({"revision": b["revision"]}))
        .await;
    assert_eq!(s, 200, "{b}");
    check("a resubmission").await;
    let (s, _) = review(t, &f.fuzhou, &filing_key, "approve", None).await;
    assert_eq!(s, 200);
    check("an approval").await;
    let (s, _) = review(t, &f.province, &filing_key, "file", None).await;
    assert_eq!(s, 200);
    check("a filing").await;
    assert!(Arc::ptr_eq(&submitted, &store.board_filings(&key).await.unwrap()), "nor do reviews");

    // Another writer: 闽侯县's plan written straight to the store (moves and deletions by raw
    // writes: the store's own test of the changes).
    t.write_elsewhere(FJ, "350121", "plan", "once", "2022-09-19T16:00:00+08:00").await;
    check("a write by another writer").await;
}

#[tokio::test]
async fn leads_see_and_change_only_their_own_filings() {
    let f = fujian().await;
    let t = &f.t;
    t.set_time("2022-09-15T10:00:00+08:00");
    let taijiang = t.file_as(&f.taijiang, FJ, "350103", "plan", "once").await;
    let (s, _) = t.get_as(&f.minhou, &format!("/api/v1/filings/{taijiang}")).await;
    assert_eq!(s, 404, "another county's filing is invisible");
    let (s, _) = t
        .put_as(&f.minhou, &format!("/api/v1/filings/{taijiang}"), &json!({"title": "x", "body": "", "revision": 9}))
        .await;
    assert_eq!(s, 404);
    let (s, b) = t
        .post_as(
            &f.minhou,
            &format!("/api/v1/programmes/{FJ}/filings"),
            &json!({"unit": "350103", "deliverable": "progress", "title": "冒名"}),
        )
        .await;
    assert_eq!(s, 404, "nor can it file for another county: {b}");
    let (_, list) = t.get_as(&f.minhou, &format!("/api/v1/programmes/{FJ}/filings")).await;
    assert_eq!(list["total"], 0);
    let (_, list) = t.get_as(&f.fuzhou, &format!("/api/v1/programmes/{FJ}/filings")).await;
    assert_eq!(list["total"], 1, "the city sees its county's filing");
    let (_, list) = t.get_as(&f.xiamen, &format!("/api/v1/programmes/{FJ}/filings")).await;
    assert_eq!(list["total"], 0, "厦门 does not");
}

#[tokio::test]
async fn a_retried_create_makes_one_filing() {
    let f = fujian().await;
    let t = &f.t;
    let body = json!({"unit": "350103", "deliverable": "plan", "title": "方案"});
    let send = || {
        t.client
            .post(format!("/api/v1/programmes/{FJ}/filings"))
            .header("authorization", format!("Bearer {}", f.taijiang))
            .header("Idempotency-Key", "7b1c-plan-once")
            .body_json(&body)
            .send()
    };
    let first = send().await;
    first.assert_status(poem::http::StatusCode::CREATED);
    let first = first.json().await.value().object().get("key").string().to_owned();
    let again = send().await;
    again.assert_status_is_ok();
    assert_eq!(again.json().await.value().object().get("key").string(), first);
    let (_, list) = t.get(&format!("/api/v1/programmes/{FJ}/filings")).await;
    assert_eq!(list["total"], 1);
    // Without the key, a second draft for the same deadline is refused, not duplicated.
    let (s, b) = t.post_as(&f.taijiang, &format!("/api/v1/programmes/{FJ}/filings"), &body).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.duplicate_filing")), "{b}");
}

#[tokio::test]
async fn attachments_are_stored_with_their_hash_and_served_back() {
    let f = fujian().await;
    let t = &f.t;
    let (_, d) = t
        .post_as(
            &f.taijiang,
            &format!("/api/v1/programmes/{FJ}/filings"),
            &json!({"unit": "350103", "deliverable": "plan", "title": "方案"}),
        )
        .await;
    let key = d["key"].as_str().unwrap();
    let pdf = b"%PDF-1.4 pilot plan".to_vec();
    let upload = |bytes: Vec<u8>, name: &str, ty: &str, revision: u64| {
        t.client
            .post(format!("/api/v1/filings/{key}/attachments"))
            .header("authorization", format!("Bearer {}", f.taijiang))
            .multipart(
                TestForm::new()
                    .field(TestFormField::bytes(bytes).name("file").filename(name).content_type(ty))
                    .text("revision", revision.to_string()),
            )
            .send()
    };
    // (The test client cannot send a non-ASCII part name; UTF-8 names are covered where the
    // download headers are built.)
    let resp = upload(pdf.clone(), "taijiang-plan.pdf", "application/pdf", 1).await;
    resp.assert_status_is_ok();
    let a = resp.json().await;
    let a = a.value().object();
    assert_eq!(a.get("size").i64(), pdf.len() as i64);
    assert_eq!(a.get("sha256").string(), sha256_hex(&pdf));
    let id = a.get("key").string().to_owned();
    let resp = t
        .client
        .get(format!("/api/v1/attachments/{id}"))
        .header("authorization", format!("Bearer {}", f.fuzhou))
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_header("content-type", "application/pdf");
    resp.assert_header("x-content-type-options", "nosniff");
    let disposition = resp.0.headers().get("content-disposition").unwrap().to_str().unwrap().to_owned();
    assert_eq!(disposition, "attachment; filename=\"taijiang-plan.pdf\"; filename*=UTF-8''taijiang-plan.pdf");
    assert_eq!(resp.0.into_body().into_vec().await.unwrap(), pdf);
    let (s, _) = t.get_as(&f.xiamen, &format!("/api/v1/attachments/{id}")).await;
    assert_eq!(s, 404, "厦门 cannot fetch 台江's file");

    // An executable is refused; so is a stale revision; nothing is attached.
    let resp = upload(b"MZ\x90\x00".to_vec(), "setup.exe", "application/x-msdownload", 2).await;
    resp.assert_status(poem::http::StatusCode::UNPROCESSABLE_ENTITY);
    resp.assert_json(json!({"code": "rule.content_type", "message": "`application/x-msdownload` is not accepted; send PDF, Word, Excel, PowerPoint, images, text or ZIP"})).await;
    let resp = upload(pdf.clone(), "again.pdf", "application/pdf", 1).await;
    resp.assert_status(poem::http::StatusCode::CONFLICT);
    assert_eq!(filing(t, key).await["attachments"].as_array().unwrap().len(), 1);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn an_attachment_over_the_limit_is_refused() {
    let config = pilotgov::config::Config { attachment_limit: 1024, ..crate::helpers::suite_config() };
    let t = TestApp::open_with(config).await.unwrap();
    t.load_fixture("fujian-2022-reform-pilot.yaml").await;
    let lead = t.lead("taijiang-lead", "350103").await;
    let (_, d) = t
        .post_as(
            &lead,
            &format!("/api/v1/programmes/{FJ}/filings"),
            &json!({"unit": "350103", "deliverable": "plan", "title": "方案"}),
        )
        .await;
    let key = d["key"].as_str().unwrap();
    let resp = t
        .client
        .post(format!("/api/v1/filings/{key}/attachments"))
        .header("authorization", format!("Bearer {lead}"))
        .multipart(
            TestForm::new()
                .field(
                    TestFormField::bytes(vec![b'x'; 4096])
                        .name("file")
                        .filename("big.pdf")
                        .content_type("application/pdf"),
                )
                .text("revision", "1"),
        )
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::UNPROCESSABLE_ENTITY);
    resp.assert_json(json!({"code": "rule.attachment_size", "message": "4096 bytes is over the limit of 1024"})).await;
    assert_eq!(filing(&t, key).await["attachments"], json!([]));
}

#[tokio::test]
async fn filing_against_another_programmes_deliverable_is_refused() {
    let f = fujian().await;
    let (s, b) =
        f.t.post_as(
            &f.taijiang,
            &format!("/api/v1/programmes/{FJ}/filings"),
            &json!({"unit": "350103", "deliverable": "local-opinions", "title": "意见"}),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (422, Some("validation_failed")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("local-opinions"));
    let (_, list) = f.t.get(&format!("/api/v1/programmes/{FJ}/filings")).await;
    assert_eq!(list["total"], 0);
}
