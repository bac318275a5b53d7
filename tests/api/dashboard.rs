//! The dashboard (`/ui`) in-process: login through the form, a session cookie, pages that show
//! each user their region's share, the traffic lights, security headers. (The real-browser check
//! runs in `.ci/run` against the demo server.)

use pilotgov::domain::access::Role;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

/// Logs in through the form; returns the session cookie.
async fn sign_in(t: &TestApp, user: &str) -> String {
    let resp = t.form_login(user, PASSWORD).await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    let cookie = resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

async fn page(t: &TestApp, cookie: &str, uri: &str) -> (u16, String, poem::http::HeaderMap) {
    let resp = t.client.get(uri).header("cookie", cookie).send().await.0;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.into_body().into_string().await.unwrap(), headers)
}

#[tokio::test]
async fn leaders_see_their_region_through_the_dashboard() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.load_fixture("guangdong-2022-safety-net.yaml").await;
    t.add_user("fj-leader", Role::Leader, "350000").await;
    let taijiang = t.lead("taijiang-lead", "350103").await;
    t.set_time("2022-09-15T10:00:00+08:00");
    t.file_as(&taijiang, "fj-2022-reform-pilot", "350103", "plan", "once").await;
    t.set_time("2022-09-22T10:00:00+08:00");

    // Not signed in: to the login page. A wrong password: the form again, with a message.
    let resp = t.client.get("/ui").send().await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    resp.assert_header("location", "/ui/login");
    let resp = t.form_login("fj-leader", "wrong").await;
    resp.assert_status(poem::http::StatusCode::UNAUTHORIZED);
    assert!(resp.0.into_body().into_string().await.unwrap().contains("用户名或密码错误"));

    // The provincial leader: both programmes' titles are not all theirs, only Fujian.
    let leader = sign_in(&t, "fj-leader").await;
    let (s, home, headers) = page(&t, &leader, "/ui").await;
    assert_eq!(s, 200);
    assert!(home.contains("福建省社会救助改革创新试点工作"), "{home}");
    assert!(!home.contains("广东省"), "Guangdong is not Fujian's: {home}");
    assert!(headers.get("content-security-policy").unwrap().to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    let (s, board, _) = page(&t, &leader, "/ui/p/fj-2022-reform-pilot?status=red").await;
    assert_eq!(s, 200);
    assert!(board.contains("class=\"red\"") && board.contains("闽侯县") && board.contains("逾期2天"), "{board}");
    assert!(!board.contains("台江区"), "台江区 filed on time and is not red");
    let (s, _, _) = page(&t, &leader, "/ui/p/gd-2022-safety-net").await;
    assert_eq!(s, 404, "another province's programme is not there");

    // 台江区's lead: only its own unit, on the board and as unit pages.
    let lead = sign_in(&t, "taijiang-lead").await;
    let (_, board, _) = page(&t, &lead, "/ui/p/fj-2022-reform-pilot").await;
    assert!(board.contains("台江区") && !board.contains("闽侯县"), "{board}");
    let (s, unit, _) = page(&t, &lead, "/ui/p/fj-2022-reform-pilot/units/350103").await;
    assert_eq!(s, 200);
    assert!(unit.contains("试点实施方案") && unit.contains("审核中"), "{unit}");
    let (s, _, _) = page(&t, &lead, "/ui/p/fj-2022-reform-pilot/units/350121").await;
    assert_eq!(s, 404, "闽侯县 is not 台江区's to see");

    // A published bulletin, in the archive and as a page.
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let admin = t.login("fj-admin").await;
    t.set_time("2022-10-08T09:00:00+08:00");
    let (s, b) = t
        .post_as(
            &admin,
            "/api/v1/programmes/fj-2022-reform-pilot/bulletins",
            &json!({"kind": "monthly", "period": "2022-09"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, archive, _) = page(&t, &lead, "/ui/p/fj-2022-reform-pilot/bulletins").await;
    assert!(!archive.contains(b["title"].as_str().unwrap()), "drafts are not shown to a lead");
    let (s, p) = t
        .post_as(
            &admin,
            &format!("/api/v1/bulletins/{}/publish", b["id"].as_str().unwrap()),
            &json!({"revision": b["revision"]}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let (_, archive, _) = page(&t, &lead, "/ui/p/fj-2022-reform-pilot/bulletins").await;
    assert!(archive.contains("第1期"), "{archive}");
    let (s, doc, _) = page(&t, &lead, &format!("/ui/bulletins/{}", b["id"].as_str().unwrap())).await;
    assert_eq!(s, 200);
    assert!(doc.contains("福建省民政厅工作通报") && doc.contains("闽侯县"), "{doc}");

    // Logging out takes the page's form token (without it: refused, still signed in), and ends
    // the session.
    let resp = t.client.post("/ui/logout").header("cookie", &lead).send().await;
    resp.assert_status(poem::http::StatusCode::FORBIDDEN);
    let (_, home, _) = page(&t, &lead, "/ui").await;
    let token = home.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let resp = t.client.post("/ui/logout").header("cookie", &lead).form(&[("csrf", token.as_str())]).send().await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    let (s, _, _) = page(&t, &lead, "/ui").await;
    assert_eq!(s, 303);
}

#[tokio::test]
async fn the_demo_history_plays_once_and_fills_the_dashboard() {
    let t = TestApp::demo().await;
    let store = &t.app.state.store;
    pilotgov::service::accounts::ensure_demo_users(store, t.clock_now()).await.unwrap();
    assert!(pilotgov::service::demo::play(store).await.unwrap());
    assert!(!pilotgov::service::demo::play(store).await.unwrap(), "a second start plays nothing");
    let (_, list) = t.get("/api/v1/programmes/xixiu-2019-comprehensive-reform/bulletins").await;
    let numbers: Vec<u64> = list.as_array().unwrap().iter().filter_map(|b| b["number"].as_u64()).collect();
    assert_eq!(numbers, [3, 2, 1], "{list}");
    let (_, june) = t.get("/api/v1/programmes/xixiu-2019-comprehensive-reform/rankings/2019-06").await;
    assert_eq!((june["version"].as_u64(), june["entries"][0]["name"].as_str()), (Some(1), Some("旧州镇")));
    let (_, fj) = t.get("/api/v1/programmes/fj-2022-reform-pilot/bulletins").await;
    assert_eq!(fj[0]["content"]["practice"][0]["unit"], "350103", "{fj}");
}
