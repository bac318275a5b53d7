//! Bulletins (通报) from the seed programmes: Xixiu's monthly bulletins with the published
//! ranking, units named for missed deadlines and a reviewer's good practice; Fujian's September
//! 2022 bulletin with the on-time rate by city. Each rendered as HTML, Markdown and chat text at a
//! fixed instant and compared with reviewed snapshots. Then what is refused: a month without a
//! published ranking, editing a published bulletin, reading a city's bulletin from another city.

use pilotgov::domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const XX: &str = "xixiu-2019-comprehensive-reform";
const XP: &str = "/api/v1/programmes/xixiu-2019-comprehensive-reform";
const JIUZHOU: &str = "520402109";
const DONGJIE: &str = "520402002";
const FJ: &str = "/api/v1/programmes/fj-2022-reform-pilot";

async fn document(t: &TestApp, id: &str, format: &str) -> String {
    t.get_text(&format!("/api/v1/bulletins/{id}/document?format={format}")).await
}

async fn draft(t: &TestApp, token: &str, programme: &str, body: Value) -> (u16, Value) {
    t.post_as(token, &format!("{programme}/bulletins"), &body).await
}

async fn publish(t: &TestApp, token: &str, b: &Value) -> Value {
    let (s, p) = t
        .post_as(
            token,
            &format!("/api/v1/bulletins/{}/publish", b["id"].as_str().unwrap()),
            &json!({"revision": b["revision"]}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    p
}

/// Xixiu, April and May 2019: 旧州镇 always on time (its May paper data marked as good
/// practice), 东街 late with May's electronic data and missing May's paper data, the other 23
/// townships filing nothing.
pub(crate) async fn xixiu() -> (TestApp, String) {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    let jiuzhou = t.lead("jiuzhou-lead", JIUZHOU).await;
    let dongjie = t.lead("dongjie-lead", DONGJIE).await;
    t.add_user("xixiu-reviewer", Role::CityReviewer, "520402").await;
    let reviewer = t.login("xixiu-reviewer").await;
    for m in ["2019-04", "2019-05"] {
        t.set_time(&format!("{m}-18T10:00:00+08:00"));
        t.file_as(&jiuzhou, XX, JIUZHOU, "e-data", m).await;
        if m == "2019-04" {
            t.file_as(&dongjie, XX, DONGJIE, "e-data", m).await;
        }
        t.set_time(&format!("{m}-24T10:00:00+08:00"));
        let paper = t.file_as(&jiuzhou, XX, JIUZHOU, "paper-data", m).await;
        if m == "2019-04" {
            t.file_as(&dongjie, XX, DONGJIE, "paper-data", m).await;
        } else {
            let (_, f) = t.get(&format!("/api/v1/filings/{paper}")).await;
            let (s, b) = t
                .post_as(
                    &reviewer,
                    &format!("/api/v1/filings/{paper}/review"),
                    &json!({"decision": "file", "revision": f["filing"]["revision"],
                            "exemplary": "旧州镇推行“一门受理、协同办理”，群众申请救助“只进一扇门”，当日受理率达100%。"}),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            assert_eq!(b["exemplary"].as_str().map(|q| q.starts_with("旧州镇")), Some(true), "{b}");
        }
    }
    t.set_time("2019-05-22T10:00:00+08:00");
    t.file_as(&dongjie, XX, DONGJIE, "e-data", "2019-05").await;
    (t, reviewer)
}

#[tokio::test]
async fn xixiu_monthly_bulletins_in_three_formats() {
    let (t, reviewer) = xixiu().await;
    // May's bulletin cannot be drafted before May's ranking is published.
    t.set_time("2019-05-01T09:00:00+08:00");
    let (s, b) = draft(&t, &reviewer, XP, json!({"kind": "monthly", "period": "2019-04"})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.ranking_not_published")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("/rankings/2019-04/publish"), "says what is missing: {b}");
    let (s, _) = t.post_as(&reviewer, &format!("{XP}/rankings/2019-04/publish"), &json!({})).await;
    assert_eq!(s, 201);
    let (s, april) = draft(&t, &reviewer, XP, json!({"kind": "monthly", "period": "2019-04"})).await;
    assert_eq!((s, april["status"].as_str(), april["number"].as_u64()), (201, Some("draft"), None), "{april}");
    let april = publish(&t, &reviewer, &april).await;
    assert_eq!(april["number"], 1);

    t.set_time("2019-06-01T09:00:00+08:00");
    // From June the district numbers its bulletins as documents (发文字号) and copies them to the
    // city; a lead may read the style but not set it, and a pattern without its number is refused.
    let style = json!({"number_pattern": "西民通〔{year}〕{n}号", "copy_to": "安顺市民政局"});
    let lead = t.login("jiuzhou-lead").await;
    let (s, b) = t.put_as(&lead, &format!("{XP}/bulletin-style"), &style).await;
    assert_eq!(s, 403, "{b}");
    let (s, b) =
        t.put_as(&reviewer, &format!("{XP}/bulletin-style"), &json!({"number_pattern": "西民通〔{year}〕号"})).await;
    assert_eq!(
        (s, b["code"].as_str(), b["field"].as_str()),
        (422, Some("validation_failed"), Some("number_pattern")),
        "{b}"
    );
    let (s, b) = t.put_as(&reviewer, &format!("{XP}/bulletin-style"), &style).await;
    assert_eq!((s, &b), (200, &style));
    let (_, b) = t.get_as(&lead, &format!("{XP}/bulletin-style")).await;
    assert_eq!(b, style);
    let (s, _) = t.post_as(&reviewer, &format!("{XP}/rankings/2019-05/publish"), &json!({})).await;
    assert_eq!(s, 201);
    let (s, may) = draft(&t, &reviewer, XP, json!({"kind": "monthly", "period": "2019-05"})).await;
    assert_eq!(s, 201, "{may}");
    assert_eq!(
        (may["copy_to"].as_str(), may["addressee"].as_str()),
        (Some("安顺市民政局"), Some("各试点乡镇（街道）"))
    );
    let c = &may["content"];
    assert_eq!(c["summary"]["units"], 25);
    assert_eq!(c["summary"]["due"], 50, "two monthly deadlines × 25 townships");
    assert_eq!((c["summary"]["on_time"].as_u64(), c["summary"]["late"].as_u64()), (Some(2), Some(1)));
    assert_eq!(c["summary"]["missing"], 47);
    assert_eq!(c["summary"]["on_time_permille"], 40);
    assert_eq!(c["summary"]["change_permille"], -40, "April was 4 on time of 50 (8.0%)");
    assert_eq!(c["ranking"][0]["unit"], JIUZHOU, "旧州镇 tops May: {c}");
    assert_eq!(c["ranking_version"], 1);
    let named: Vec<(&str, Option<i64>)> = c["named"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["unit"] == DONGJIE)
        .map(|n| (n["deliverable"].as_str().unwrap(), n["days_late"].as_i64()))
        .collect();
    assert_eq!(named, [("经审核纸质资料", None), ("动态电子信息", Some(2))], "东街 named for both");
    assert_eq!(c["practice"][0]["unit"], JIUZHOU);
    assert_eq!(c["upcoming"][0]["deliverable"], "动态电子信息");
    // Remarks on the draft, then publication freezes it as 第2期.
    let (s, edited) = t
        .put_as(
            &reviewer,
            &format!("/api/v1/bulletins/{}", may["id"].as_str().unwrap()),
            &json!({"revision": may["revision"], "remarks": "未按时报送的乡镇（街道）要于6月5日前补报，并书面说明原因。\n各乡镇（街道）要明确专人负责报送工作。",
                    "addressee": "各乡镇人民政府、街道办事处："}),
        )
        .await;
    assert_eq!(s, 200, "{edited}");
    assert_eq!(edited["addressee"], "各乡镇人民政府、街道办事处", "the colon is the document's, not the value's");
    let may = publish(&t, &reviewer, &edited).await;
    assert_eq!((may["number"].as_u64(), may["status"].as_str()), (Some(2), Some("published")));
    assert_eq!(may["doc_number"], "西民通〔2019〕2号", "numbered with the issue, in the year published");
    let id = may["id"].as_str().unwrap();
    let (_, april) = t.get(&format!("/api/v1/bulletins/{}", april["id"].as_str().unwrap())).await;
    assert!(april.get("doc_number").is_none(), "published before the pattern: keeps 第1期");

    // The Word file a department finishes in WPS (tests/check_exports.py opens it with
    // python-docx and checks page, margins, masthead, 发文字号, 主送, 署名, 版记 and the PAGE field).
    let resp = t
        .client
        .get(format!("/api/v1/bulletins/{id}/document?format=docx"))
        .header("authorization", format!("Bearer {reviewer}"))
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_content_type("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    let docx = resp.0.into_body().into_vec().await.unwrap();
    assert_eq!(&docx[..2], b"PK");
    std::fs::write(crate::exports::check_dir().join("bulletin.docx"), &docx).unwrap();
    let published: chrono::NaiveDate = may["published_at"].as_str().unwrap()[..10].parse().unwrap();
    let expected = json!({
        "doc_number": may["doc_number"], "title": may["title"], "addressee": may["addressee"],
        "copy_to": may["copy_to"], "issuer": may["content"]["issuer"],
        "date": published.format("%Y年%-m月%-d日").to_string(),
    });
    std::fs::write(crate::exports::check_dir().join("bulletin.json"), expected.to_string()).unwrap();

    let html = document(&t, id, "html").await;
    assert!(html.contains("<svg"), "with the trend chart");
    // GB/T 9704's elements: 主送 after the title, 署名 and 成文日期 after the body, the 版记 last,
    // page numbers in the page's margin (tests/check_exports.py prints it and reads each page).
    assert!(html.contains("各乡镇人民政府、街道办事处：") && html.contains("counter(page)"), "{html}");
    assert!(html.contains("西民通〔2019〕2号") && html.contains("抄送：安顺市民政局。"), "{html}");
    assert!(html.contains("<p>各乡镇（街道）要明确专人负责报送工作。</p>"), "one paragraph per line of remarks");
    let (sign, colophon) = (html.find("class=\"signature\"").unwrap(), html.find("class=\"colophon\"").unwrap());
    assert!(sign < colophon && html[colophon..].contains("印发"), "the 版记 closes the document");
    std::fs::write(crate::exports::check_dir().join("bulletin.html"), &html).unwrap();
    insta::assert_snapshot!("xixiu_2019_05_html", html);
    insta::assert_snapshot!("xixiu_2019_05_markdown", document(&t, id, "markdown").await);
    let text = document(&t, id, "text").await;
    assert!(text.chars().count() <= 1000, "a chat message stays short: {} characters", text.chars().count());
    insta::assert_snapshot!("xixiu_2019_05_text", text);

    // Published means final: no edit, no redraft, and the DB refuses it too.
    let (s, b) = t
        .put_as(&reviewer, &format!("/api/v1/bulletins/{id}"), &json!({"revision": may["revision"], "remarks": "改"}))
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.published")), "{b}");
    let (s, b) = draft(&t, &reviewer, XP, json!({"kind": "monthly", "period": "2019-05"})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.already_published")), "{b}");
    let (_, again) = t.get(&format!("/api/v1/bulletins/{id}")).await;
    assert_eq!(again, may, "unchanged");
    // A lead reads published bulletins, never drafts, and cannot write them.
    let jiuzhou = t.login("jiuzhou-lead").await;
    let (s, _) = t.get_as(&jiuzhou, &format!("/api/v1/bulletins/{id}")).await;
    assert_eq!(s, 200);
    let (s, b) = draft(&t, &jiuzhou, XP, json!({"kind": "monthly", "period": "2019-06"})).await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{b}");
}

#[tokio::test]
async fn fujian_september_2022_bulletin_by_city() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.add_user("fz-reviewer", Role::CityReviewer, "350100").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    t.add_user("xm-reviewer", Role::CityReviewer, "350200").await;
    let (fz, fj, xm) = (t.login("fz-reviewer").await, t.login("fj-admin").await, t.login("xm-reviewer").await);
    let taijiang = t.lead("taijiang-lead", "350103").await;
    let minhou = t.lead("minhou-lead", "350121").await;
    let siming = t.lead("siming-lead", "350203").await;
    // 台江区 on time, approved by 福州 and filed by the province as good practice; 闽侯县 three
    // days late; 思明区 on time; everyone else nothing.
    t.set_time("2022-09-15T10:00:00+08:00");
    let f = t.file_as(&taijiang, "fj-2022-reform-pilot", "350103", "plan", "once").await;
    t.file_as(&siming, "fj-2022-reform-pilot", "350203", "plan", "once").await;
    let (_, v) = t.get(&format!("/api/v1/filings/{f}")).await;
    let (s, v) = t
        .post_as(
            &fz,
            &format!("/api/v1/filings/{f}/review"),
            &json!({"decision": "approve", "revision": v["filing"]["revision"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = t
        .post_as(
            &fj,
            &format!("/api/v1/filings/{f}/review"),
            &json!({"decision": "file", "revision": v["revision"], "exemplary": "台江区以“四救工作法”为抓手，党员干部包片联系困难群众，做到底数清、情况明。"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    t.set_time("2022-09-23T16:00:00+08:00");
    t.file_as(&minhou, "fj-2022-reform-pilot", "350121", "plan", "once").await;

    t.set_time("2022-10-08T09:00:00+08:00");
    let (s, b) = draft(&t, &fj, FJ, json!({"kind": "monthly", "period": "2022-09"})).await;
    assert_eq!(s, 201, "{b}");
    let c = &b["content"];
    assert_eq!(c["summary"]["due"], c["summary"]["units"], "one plan per unit");
    assert_eq!((c["summary"]["on_time"].as_u64(), c["summary"]["late"].as_u64()), (Some(2), Some(1)));
    let fuzhou = c["city_rates"].as_array().unwrap().iter().find(|r| r["city"] == "350100").unwrap();
    assert_eq!(fuzhou["due"].as_u64().map(|d| d >= 2), Some(true), "{fuzhou}");
    assert_eq!(c["upcoming"][0]["deliverable"], "试点工作情况和阶段性成效", "due 1 November");
    assert!(c["ranking"].as_array().unwrap().is_empty(), "Fujian is not scored monthly");
    let b = publish(&t, &fj, &b).await;
    let id = b["id"].as_str().unwrap();
    insta::assert_snapshot!("fujian_2022_09_html", document(&t, id, "html").await);
    insta::assert_snapshot!("fujian_2022_09_markdown", document(&t, id, "markdown").await);
    insta::assert_snapshot!("fujian_2022_09_text", document(&t, id, "text").await);

    // 福州's own bulletin: 厦门 neither writes nor reads it; 台江区's lead reads it once published.
    let (s, city) = draft(&t, &fz, FJ, json!({"kind": "stage", "period": "deploy", "region": "350100"})).await;
    assert_eq!(s, 201, "{city}");
    assert!(
        city["content"]["named"].as_array().unwrap().iter().all(|n| n["unit"].as_str().unwrap().starts_with("3501"))
    );
    let (s, _) = draft(&t, &xm, FJ, json!({"kind": "stage", "period": "deploy", "region": "350100"})).await;
    assert_eq!(s, 404, "厦门 does not see 福州's bulletins");
    let city_id = city["id"].as_str().unwrap();
    let (s, _) = t.get_as(&taijiang, &format!("/api/v1/bulletins/{city_id}")).await;
    assert_eq!(s, 404, "a draft is not shown to a lead");
    publish(&t, &fz, &city).await;
    let (s, _) = t.get_as(&taijiang, &format!("/api/v1/bulletins/{city_id}")).await;
    assert_eq!(s, 200);
    let (s, _) = t.get_as(&xm, &format!("/api/v1/bulletins/{city_id}")).await;
    assert_eq!(s, 404);
    let (_, list) = t.get_as(&xm, &format!("{FJ}/bulletins")).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "厦门 sees the provincial bulletin only: {list}");
    // A region outside the programme, an unknown stage, a malformed month.
    for (body, field) in [
        (json!({"kind": "stage", "period": "deploy", "region": "440100"}), "region"),
        (json!({"kind": "stage", "period": "nope"}), "period"),
        (json!({"kind": "monthly", "period": "2022-13"}), "period"),
    ] {
        let (s, b) = draft(&t, &fj, FJ, body).await;
        assert_eq!((s, b["field"].as_str()), (422, Some(field)), "{b}");
    }
}

#[tokio::test]
async fn the_scheduler_drafts_on_the_first_or_asks_for_the_ranking() {
    let (t, reviewer) = xixiu().await;
    let store = &t.app.state.store;
    // 1 June: May's ranking is not published: the district's admins are told, no draft.
    t.add_user("xixiu-admin", Role::ProvinceAdmin, "520402").await;
    let made = pilotgov::jobs::monthly::run(store, crate::helpers::at("2019-06-01T08:00:00+08:00")).await.unwrap();
    assert_eq!(made, 1);
    let admin = t.login("xixiu-admin").await;
    let (_, inbox) = t.get_as(&admin, "/api/v1/inbox").await;
    assert!(inbox[0]["message"].as_str().unwrap().contains("2019年5月排名"), "{inbox}");
    assert_eq!(t.count(&format!("{XP}/bulletins")).await, 0);
    // Published later; the next run drafts, once.
    t.set_time("2019-06-01T10:00:00+08:00");
    let (s, _) = t.post_as(&reviewer, &format!("{XP}/rankings/2019-05/publish"), &json!({})).await;
    assert_eq!(s, 201);
    for _ in 0..2 {
        pilotgov::jobs::monthly::run(store, crate::helpers::at("2019-06-01T11:00:00+08:00")).await.unwrap();
    }
    let (_, list) = t.get(&format!("{XP}/bulletins")).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!((list[0]["period"].as_str(), list[0]["status"].as_str()), (Some("2019-05"), Some("draft")));
    assert_eq!(list[0]["created_by"], "system:monthly-drafts");
}
