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
    assert!(board.contains("class=\"red\"") && board.contains(">闽侯县</a>") && board.contains("逾期2天"), "{board}");
    assert!(!board.contains(">台江区</a>"), "台江区 filed on time and is not red");
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
    assert!(doc.contains("第1期") && !doc.contains("edit-form"), "a lead reads, does not edit: {doc}");
    // The page frames the bulletin as it prints.
    let (s, doc, _) = page(&t, &lead, &format!("/ui/bulletins/{}/document", b["id"].as_str().unwrap())).await;
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
    assert!(pilotgov::service::demo::play(store, t.clock_now()).await.unwrap());
    assert!(!pilotgov::service::demo::play(store, t.clock_now()).await.unwrap(), "a second start plays nothing");
    let (_, list) = t.get("/api/v1/programmes/xixiu-2019-comprehensive-reform/bulletins").await;
    let numbers: Vec<u64> = list.as_array().unwrap().iter().filter_map(|b| b["number"].as_u64()).collect();
    assert_eq!(numbers, [3, 2, 1], "{list}");
    let (_, june) = t.get("/api/v1/programmes/xixiu-2019-comprehensive-reform/rankings/2019-06").await;
    assert_eq!(june["version"].as_u64(), Some(1));
    let entries = june["entries"].as_array().unwrap();
    let jiuzhou = entries.iter().find(|e| e["name"] == "旧州镇").unwrap();
    assert_eq!(jiuzhou["rank"], 1, "旧州镇 files everything on time: {june}");
    let scores: std::collections::BTreeSet<String> = entries.iter().map(|e| e["score"].to_string()).collect();
    assert!(scores.len() >= 3, "on time, late, returned and missing score differently: {scores:?}");
    let (_, may) = t.get("/api/v1/programmes/xixiu-2019-comprehensive-reform/rankings/2019-05").await;
    let order = |r: &serde_json::Value| -> Vec<String> {
        r["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_ne!(order(&may), order(&june), "the order changes from month to month");
    // The programme around today: every state of a filing has an example.
    let (_, today) = t.get("/api/v1/programmes/demo-today/filings").await;
    let mut states: Vec<String> =
        today["items"].as_array().unwrap().iter().map(|f| f["state"].as_str().unwrap().to_owned()).collect();
    states.sort();
    assert_eq!(states, ["approved", "draft", "filed", "filed", "returned", "submitted", "submitted"], "{today}");
    let (_, fj) = t.get("/api/v1/programmes/fj-2022-reform-pilot/bulletins").await;
    assert_eq!(fj[0]["content"]["practice"][0]["unit"], "350103", "{fj}");
}

/// The `#mine` card of a home page.
fn mine(home: &str) -> &str {
    home.split("id=\"mine\"").nth(1).and_then(|s| s.split("</div>").next()).unwrap_or("")
}

/// Logs in through the form as a demo account.
async fn sign_in_demo(t: &TestApp, user: &str) -> String {
    let resp = t.form_login(user, pilotgov::service::accounts::DEMO_PASSWORD).await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    let cookie = resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn each_role_finds_what_awaits_it_and_the_board_narrows_as_asked() {
    let t = TestApp::demo().await;
    let store = &t.app.state.store;
    // The demo's programme around today is generated from the first start's day.
    t.set_time("2026-11-27T09:00:00+08:00");
    pilotgov::service::accounts::ensure_demo_users(store, t.clock_now()).await.unwrap();
    assert!(pilotgov::service::demo::play(store, t.clock_now()).await.unwrap());

    // The leader: the running programme by city, with the compliance matrix's on-time rates.
    let leader = sign_in_demo(&t, "fj-leader").await;
    let (_, home, _) = page(&t, &leader, "/ui").await;
    let (_, matrix) = t.get("/api/v1/programmes/demo-today/compliance").await;
    for city in matrix["cities"].as_array().unwrap() {
        let rate = city["totals"]["on_time_rate"].as_f64().unwrap();
        let shown = format!("{:.1}%", rate * 100.0);
        let link = format!("demo-today?region={}\"", city["city"].as_str().unwrap());
        let row = home.split(&link).nth(1).unwrap_or_else(|| panic!("{link} in {home}"));
        assert!(row.split("</tr>").next().unwrap().contains(&shown), "{shown}: {row}");
    }
    assert!(home.contains(">福州市<") && home.contains(">厦门市<"), "{home}");
    assert!(!home.contains("福建省社会救助改革创新试点工作 · 各地报送情况"), "an ended programme has no roll-up");

    // The city reviewer: two plans and reports wait for its 审定, the oldest 25 days.
    let fz = sign_in_demo(&t, "fz-reviewer").await;
    let (_, home, _) = page(&t, &fz, "/ui").await;
    assert!(
        home.contains("待审核材料 2 件") && home.contains("待审定 2 件") && home.contains("最久已等25天"),
        "{home}"
    );
    let fj = sign_in_demo(&t, "fj-admin").await;
    let (_, home, _) = page(&t, &fj, "/ui").await;
    assert!(home.contains("待备案 2 件"), "鼓楼's plan and, from 2022, 平潭's: {home}");

    // Leads: what was returned comes first with its reason; a draft; the nearest deadline; no
    // deadlines of programmes that have ended; the latest score.
    let pingtan = sign_in_demo(&t, "pingtan-lead").await;
    let (_, home, _) = page(&t, &pingtan, "/ui").await;
    let first = mine(&home).split("</p>").next().unwrap();
    assert!(first.contains("已退回修改") && first.contains("退回理由：请补充试点方向的具体措施"), "{home}");
    assert!(mine(&home).contains("平潭综合实验区试点阶段性工作情况") && mine(&home).contains("草稿"), "{home}");
    let minhou = sign_in_demo(&t, "minhou-lead").await;
    let (_, home, _) = page(&t, &minhou, "/ui").await;
    let first = mine(&home).split("</p>").next().unwrap();
    assert!(first.contains("试点阶段性工作情况") && first.contains("剩3天"), "{home}");
    assert!(first.contains("#d-progress-once"), "the link opens the deadline's row: {first}");
    assert!(!mine(&home).contains("逾期"), "the ended programmes' deadlines are not awaited: {home}");
    let jiuzhou = sign_in_demo(&t, "jiuzhou-lead").await;
    let (_, home, _) = page(&t, &jiuzhou, "/ui").await;
    assert!(home.contains("id=\"scores\"") && home.contains("2019年6月 第1名"), "{home}");

    // The board: a day in the past, a city, a deliverable; pages of 100; a filter it cannot read
    // is a 400 page that says which.
    let (s, board, _) = page(&t, &fj, "/ui/p/fj-2022-reform-pilot?as_of=2022-09-16&region=350100").await;
    assert_eq!(s, 200);
    assert!(board.contains("截至2022年9月16日") && board.contains("剩4天"), "{board}");
    assert!(!board.contains(">思明区<"), "Xiamen is not in 福州市: {board}");
    assert!(board.contains("<option value=\"350100\" selected>"), "the picker keeps the choice");
    let (_, board, _) = page(&t, &fj, "/ui/p/demo-today?deliverable=progress&status=yellow").await;
    assert!(board.contains("共8条"), "nine units, 台江 has filed: {board}");
    let xixiu = sign_in_demo(&t, "xixiu-reviewer").await;
    let (_, board, _) = page(&t, &xixiu, "/ui/p/xixiu-2019-comprehensive-reform").await;
    assert!(board.contains("第1/") && board.contains("rel=\"next\"") && !board.contains("rel=\"prev\""), "{board}");
    assert_eq!(board.matches("<tr class=").count(), 100);
    let (_, board, _) = page(&t, &xixiu, "/ui/p/xixiu-2019-comprehensive-reform?page=2&status=red").await;
    assert!(board.contains("第2/") && board.contains("rel=\"prev\""), "{board}");
    // The picker lists two levels below the viewer; a township is reached from its county.
    t.add_user("gz-admin", Role::ProvinceAdmin, "520000").await;
    let gz = sign_in(&t, "gz-admin").await;
    let (_, board, _) = page(&t, &gz, "/ui/p/xixiu-2019-comprehensive-reform").await;
    assert!(board.contains("<option value=\"520400\"") && board.contains("<option value=\"520402\""), "{board}");
    assert!(!board.contains("<option value=\"520402109\""), "{board}");
    let (_, board, _) = page(&t, &gz, "/ui/p/xixiu-2019-comprehensive-reform?region=520402109").await;
    assert!(board.contains("<option value=\"520402109\" selected>") && board.contains("共"), "{board}");
    let (_, board, _) = page(&t, &xixiu, "/ui/p/xixiu-2019-comprehensive-reform").await;
    assert!(board.contains("<option value=\"520402109\""), "the county's reviewer picks its townships: {board}");
    for bad in ["?status=purple", "?as_of=2022-13-01", "?region=35", "?deliverable=%20a%2F"] {
        let (s, body, _) = page(&t, &fj, &format!("/ui/p/demo-today{bad}")).await;
        assert_eq!(s, 400, "{bad}: {body}");
        assert!(body.contains("筛选条件有误") && body.contains("<header>"), "{bad}: {body}");
    }

    // Not a demo server: the login page names no accounts.
    let (_, login, _) = page(&t, "", "/ui/login").await;
    assert!(!login.contains("演示账号") && !login.contains("pilotgov-demo"), "{login}");
}
