//! Supervision orders (督办单) in Xixiu, May 2019: 南街街道 misses its electronic data (due 20
//! May); the district issues a blue order; the unit is reminded, answers, the order goes yellow
//! to 安顺市 and red to 贵州省, and the province closes it (销号). Who may do what follows the
//! region tree; every step is audited; the order prints as a Word document.

use pilotgov::domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, at};

const XP: &str = "/api/v1/programmes/xixiu-2019-comprehensive-reform";
const NANJIE: &str = "520402001";
const JIUZHOU: &str = "520402109";

fn order_of(unit: &str, respond_by: &str) -> Value {
    json!({"unit": unit, "deliverable": "e-data", "occurrence": "2019-05", "respond_by": respond_by})
}

async fn act(t: &TestApp, token: &str, o: &Value, what: &str, body: Value) -> (u16, Value) {
    let mut body = body;
    body["revision"] = o["revision"].clone();
    t.post_as(token, &format!("/api/v1/supervision-orders/{}/{what}", o["id"].as_str().unwrap()), &body).await
}

async fn reminders(t: &TestApp, when: &str) -> Vec<pilotgov::domain::reminder::Reminder> {
    pilotgov::jobs::reminders::run(&t.app.state.store, at(when), None, false).await.unwrap()
}

#[tokio::test]
async fn an_order_is_issued_answered_escalated_blue_yellow_red_and_closed_by_the_right_levels() {
    let (t, reviewer) = crate::bulletins::xixiu().await;
    let nanjie = t.lead("nanjie-lead", NANJIE).await;
    let jiuzhou = t.login("jiuzhou-lead").await;
    for (name, role, region) in [
        ("anshun-reviewer", Role::CityReviewer, "520400"),
        ("gz-admin", Role::ProvinceAdmin, "520000"),
        ("dongjie-office", Role::CityReviewer, "520402002"),
    ] {
        t.add_user(name, role, region).await;
    }
    let (anshun, gz, pingba) =
        (t.login("anshun-reviewer").await, t.login("gz-admin").await, t.login("dongjie-office").await);
    t.set_time("2019-05-22T10:00:00+08:00");
    let issue = |token: &str, body: Value| {
        let token = token.to_owned();
        let t = &t;
        async move { t.post_as(&token, &format!("{XP}/supervision-orders"), &body).await }
    };

    // A lead issues nothing; a neighbouring office does not see the unit; 旧州镇 filed May on time.
    let (s, b) = issue(&nanjie, order_of(NANJIE, "2019-05-27")).await;
    assert_eq!(s, 403, "{b}");
    let (s, b) = issue(&pingba, order_of(NANJIE, "2019-05-27")).await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = issue(&reviewer, order_of(JIUZHOU, "2019-05-27")).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.not_overdue")), "{b}");
    let (s, b) = issue(&reviewer, order_of(NANJIE, "2019-05-22")).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("respond_by")), "the answer date lies ahead: {b}");

    // The district's blue order, number 1; one live order per item (一事一单).
    let (s, o) = issue(&reviewer, order_of(NANJIE, "2019-05-27")).await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(
        (o["number"].as_u64(), o["colour"].as_str(), o["level"].as_str(), o["state"].as_str()),
        (Some(1), Some("blue"), Some("520402"), Some("open"))
    );
    assert_eq!(o["deliverable_title"], "动态电子信息");
    assert!(o["requirement"].as_str().unwrap().contains("动态电子信息"), "the standard wording: {o}");
    let (s, b) = issue(&reviewer, order_of(NANJIE, "2019-05-28")).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.duplicate_order")), "{b}");

    // A bulletin drafted now names the open order (督办情况).
    let (s, _) = t.post_as(&reviewer, &format!("{XP}/rankings/2019-04/publish"), &json!({})).await;
    assert_eq!(s, 201);
    let (s, b) =
        t.post_as(&reviewer, &format!("{XP}/bulletins"), &json!({"kind": "monthly", "period": "2019-04"})).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["content"]["orders"][0]["number"], 1, "{b}");
    let html = t.get_text(&format!("/api/v1/bulletins/{}/document", b["id"].as_str().unwrap())).await;
    assert!(
        html.contains("督办情况") && html.contains("南街街道：动态电子信息") && html.contains("蓝色督办第1号"),
        "{html}"
    );

    // The unit's lead is told at once, and again from the day before the answer is due.
    let sent = reminders(&t, "2019-05-23T09:00:00+08:00").await;
    let told: Vec<&pilotgov::domain::reminder::Reminder> =
        sent.iter().filter(|r| r.notice.code() == "order-due").collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].recipients, ["nanjie-lead"]);
    assert!(told[0].message.contains("蓝色督办单第1号") && told[0].message.contains("2019年5月27日前"));
    let sent = reminders(&t, "2019-05-26T09:00:00+08:00").await;
    assert!(sent.iter().any(|r| r.identity.ends_with("~order-1~blue~due")), "{sent:?}");
    let (_, inbox) = t.get_as(&nanjie, "/api/v1/inbox").await;
    assert_eq!(inbox.as_array().unwrap().iter().filter(|r| r["kind"] == "order-due").count(), 2, "{inbox}");

    // Only the unit answers; nothing is closed before it has.
    let (s, _) = act(&t, &jiuzhou, &o, "answer", json!({"text": "x", "promised": "2019-05-31"})).await;
    assert_eq!(s, 404, "another unit's lead does not see it");
    let (s, b) = act(&t, &reviewer, &o, "close", json!({})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.order_state")), "{b}");
    let (s, answered) = act(
        &t,
        &nanjie,
        &o,
        "answer",
        json!({"text": "因人员调整未及时报送，已安排专人补报。", "promised": "2019-05-31"}),
    )
    .await;
    assert_eq!((s, answered["state"].as_str()), (200, Some("answered")), "{answered}");
    let (s, b) = act(&t, &nanjie, &o, "answer", json!({"text": "再答", "promised": "2019-05-31"})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale")), "an answer on an old revision: {b}");

    // Not good enough: yellow at 安顺市, which the district then no longer closes; red at 贵州省.
    let (s, yellow) =
        act(&t, &reviewer, &answered, "escalate", json!({"reason": "未按时补报", "respond_by": "2019-05-29"})).await;
    assert_eq!(s, 200, "{yellow}");
    assert_eq!(
        (yellow["colour"].as_str(), yellow["level"].as_str(), yellow["state"].as_str()),
        (Some("yellow"), Some("520400"), Some("open"))
    );
    let (s, _) = act(&t, &reviewer, &yellow, "close", json!({})).await;
    assert_eq!(s, 403, "the order stands with the city now");
    let (s, red) =
        act(&t, &anshun, &yellow, "escalate", json!({"reason": "仍未补报", "respond_by": "2019-05-30"})).await;
    assert_eq!((s, red["colour"].as_str(), red["level"].as_str()), (200, Some("red"), Some("520000")), "{red}");
    let (s, b) = act(&t, &gz, &red, "escalate", json!({"reason": "再升级", "respond_by": "2019-06-05"})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.order_state")), "red is the highest: {b}");
    let sent = reminders(&t, "2019-05-24T09:00:00+08:00").await;
    assert!(sent.iter().any(|r| r.identity.ends_with("~order-1~red~issued")), "told of the red order: {sent:?}");
    let (s, again) =
        act(&t, &nanjie, &red, "answer", json!({"text": "已于5月24日补报。", "promised": "2019-05-24"})).await;
    assert_eq!(s, 200, "{again}");
    let (s, closed) = act(&t, &gz, &again, "close", json!({"remark": "已核实补报"})).await;
    assert_eq!((s, closed["state"].as_str()), (200, Some("closed")), "{closed}");
    let steps: Vec<&str> = closed["log"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["issue", "answer", "escalate", "escalate", "answer", "close"]);
    let (s, b) = act(&t, &nanjie, &closed, "answer", json!({"text": "x", "promised": "2019-06-01"})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.order_state")), "closed is final: {b}");

    // Each party lists what is theirs; every step is in the audit trail.
    let (_, mine) = t.get_as(&nanjie, &format!("{XP}/supervision-orders")).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, theirs) = t.get_as(&jiuzhou, &format!("{XP}/supervision-orders")).await;
    assert_eq!(theirs, json!([]));
    for (action, n) in [("issue", 1), ("answer", 2), ("escalate", 2), ("close", 1)] {
        let (_, page) = t.get(&format!("/api/v1/audit?action=supervision_order.{action}&limit=10")).await;
        assert_eq!(page["items"].as_array().unwrap().len(), n, "{action}: {page}");
    }

    // As Word, in the province's name (tests/check_exports.py opens it with python-docx).
    let resp = t
        .client
        .get(format!("/api/v1/supervision-orders/{}/document", closed["id"].as_str().unwrap()))
        .header("authorization", format!("Bearer {nanjie}"))
        .send()
        .await;
    resp.assert_status_is_ok();
    let docx = resp.0.into_body().into_vec().await.unwrap();
    let dir = crate::exports::check_dir();
    std::fs::write(dir.join("order.docx"), &docx).unwrap();
    let expected = json!({
        "issuer": "贵州省民政厅", "number": "红色督办　第1号", "unit": closed["unit_name"],
        "answer": closed["answer"], "state": "已销号",
    });
    std::fs::write(dir.join("order.json"), expected.to_string()).unwrap();
    // The same document as HTML, for README's picture of it.
    let stored = t.app.state.store.order(closed["id"].as_str().unwrap()).await.unwrap().unwrap();
    let html =
        pilotgov::render::official_html(&pilotgov::render::supervision_document::document(&stored, "贵州省民政厅"));
    std::fs::write(dir.join("order.html"), html.unwrap()).unwrap();
}

/// The same cycle on the pages: the district issues from the unit page, the lead answers on its
/// phone's unit page, the district closes; a neighbour sees nothing and a refused answer (a
/// promised day in the past) comes back as a clear page, never a 500.
#[tokio::test]
async fn the_unit_page_issues_answers_and_closes_an_order() {
    use crate::work::Browser;
    let (t, _) = crate::bulletins::xixiu().await;
    t.add_user("nanjie-lead", Role::UnitLead, NANJIE).await;
    t.set_time("2019-05-22T10:00:00+08:00");
    let district = Browser::sign_in(&t, "xixiu-reviewer").await;
    let lead = Browser::sign_in(&t, "nanjie-lead").await;
    let jiuzhou = Browser::sign_in(&t, "jiuzhou-lead").await;
    let unit_page = format!("/ui/p/xixiu-2019-comprehensive-reform/units/{NANJIE}");

    let (s, page) = district.get(&unit_page).await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"issue-form\"") && page.contains("value=\"e-data|2019-05\""), "overdue items offered");
    let (_, lead_page) = lead.get(&unit_page).await;
    assert!(!lead_page.contains("issue-form"), "a lead issues nothing");
    let token = district.token().await;
    let (s, to) = district
        .post(
            &format!("{unit_page}/orders"),
            &[("csrf", &token), ("item", "e-data|2019-05"), ("respond_by", "2019-05-27"), ("requirement", "")],
        )
        .await;
    assert_eq!((s, to.contains("done=order_issued")), (303, true), "{to}");
    let (_, page) = district.get(&unit_page).await;
    assert!(!page.contains("value=\"e-data|2019-05\""), "one live order per item: no longer offered");
    let (_, board) = district.get(&format!("/ui/p/xixiu-2019-comprehensive-reform?region={NANJIE}")).await;
    assert!(board.contains("在办督办单 1 件") && board.contains("蓝色督办第1号，待反馈"), "the board marks it");

    // The lead's home lists the order first in 我的待办, above its overdue deadlines.
    let (_, home) = lead.get("/ui").await;
    let mine = home.split("id=\"mine\"").nth(1).expect("我的待办");
    let first = mine.split("<p>").nth(1).unwrap();
    assert!(
        first.contains("蓝色督办")
            && first.contains("督办单第1号")
            && first.contains("请于2019年5月27日前反馈办理情况"),
        "{mine}"
    );
    assert!(first.contains(&format!("{NANJIE}#order-1\"")) && first.contains("还有5天"), "links to the order: {first}");

    let (_, page) = lead.get(&unit_page).await;
    assert!(page.contains("蓝色督办") && page.contains("第1号") && page.contains("2019年5月27日前"), "{page}");
    let id = page.split("/ui/supervision-orders/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let (s, ctype, _, bytes) = lead.bytes(&format!("/ui/supervision-orders/{id}/document")).await;
    assert_eq!((s, ctype.as_str(), &bytes[..2]), (200, pilotgov::render::docx::CONTENT_TYPE, &b"PK"[..]));
    let (s, _, _, _) = jiuzhou.bytes(&format!("/ui/supervision-orders/{id}/document")).await;
    assert_eq!(s, 404, "another unit's lead reads nothing of it");

    let token = lead.token().await;
    let revision = crate::work::field(page.split("id=\"answer-1\"").nth(1).unwrap(), "revision");
    let answer = |promised: &'static str| {
        let (token, revision) = (token.clone(), revision.clone());
        let lead = &lead;
        let id = id.clone();
        async move {
            lead.post(
                &format!("/ui/supervision-orders/{id}/answer"),
                &[("csrf", &token), ("revision", &revision), ("text", "已安排专人补报。"), ("promised", promised)],
            )
            .await
        }
    };
    let (s, page) = answer("2019-05-01").await;
    assert_eq!(s, 422, "a promise in the past");
    assert!(page.contains("promised"), "says which field: {page}");
    let (s, to) = answer("2019-05-25").await;
    assert_eq!((s, to.contains("done=order_answer")), (303, true), "{to}");

    let (_, page) = district.get(&unit_page).await;
    assert!(
        page.contains("已安排专人补报") && page.contains("id=\"close-1\""),
        "the district sees the answer and may close"
    );
    let token = district.token().await;
    let revision = crate::work::field(page.split("id=\"close-1\"").nth(1).unwrap(), "revision");
    let (s, to) = district
        .post(
            &format!("/ui/supervision-orders/{id}/close"),
            &[("csrf", &token), ("revision", &revision), ("remark", "已核实")],
        )
        .await;
    assert_eq!((s, to.contains("done=order_close")), (303, true), "{to}");
    let (_, page) = lead.get(&unit_page).await;
    assert!(page.contains("已销号") && !page.contains("id=\"answer-1\""), "closed: nothing more to answer");
    let (_, home) = lead.get("/ui").await;
    assert!(!home.contains("督办单第1号"), "answered and closed: no longer awaiting the lead");
}
