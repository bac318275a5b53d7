//! Administration while the server runs: accounts made, edited, disabled and reset inside one's
//! region; a forced password change; bulk imports that are all or nothing; the national region
//! table, its search and renames.

use pilotgov::domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Sends an accounts sheet as the request body.
async fn sheet(t: &TestApp, token: &str, uri: &str, bytes: Vec<u8>) -> (u16, Value) {
    let resp = t
        .client
        .post(uri)
        .header("authorization", format!("Bearer {token}"))
        .content_type("application/octet-stream")
        .body(bytes)
        .send()
        .await
        .0;
    let status = resp.status().as_u16();
    let text = resp.into_body().into_string().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn login_with(t: &TestApp, username: &str, password: &str) -> (u16, Value) {
    t.post("/api/v1/auth/login", &json!({"username": username, "password": password})).await
}

#[tokio::test]
async fn accounts_are_managed_inside_ones_region_and_a_given_password_must_be_changed() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    t.add_user("gz-admin", Role::ProvinceAdmin, "520000").await;
    t.add_user("xixiu-reviewer", Role::CityReviewer, "520402").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    t.add_user("jiuzhou-lead", Role::UnitLead, "520402109").await;
    let (gz, xixiu, fj) = (t.login("gz-admin").await, t.login("xixiu-reviewer").await, t.login("fj-admin").await);
    let lead = t.login("jiuzhou-lead").await;

    // A district reviewer makes unit leads inside its district, nothing above, nothing outside.
    let new_lead = json!({"username": "dongjie-lead", "display_name": "东街办事处", "role": "unit_lead",
                          "region": "520402002", "phone": "0851-33221100"});
    let (s, made) = t.post_as(&xixiu, "/api/v1/accounts", &new_lead).await;
    assert_eq!(s, 201, "{made}");
    let one_time = made["initial_password"].as_str().unwrap().to_owned();
    assert_eq!(one_time.len(), 12);
    assert_eq!(made["account"]["must_change_password"], true);
    for (body, why) in [
        (json!({"username": "x1", "display_name": "x", "role": "city_reviewer", "region": "520402"}), "a role above"),
        (json!({"username": "x2", "display_name": "x", "role": "unit_lead", "region": "350103"}), "outside"),
        (json!({"username": "x3", "display_name": "x", "role": "unit_lead", "region": "520400"}), "above its region"),
    ] {
        let (s, b) = t.post_as(&xixiu, "/api/v1/accounts", &body).await;
        assert_eq!(s, 403, "{why}: {b}");
    }
    let (s, b) = t
        .post_as(
            &lead,
            "/api/v1/accounts",
            &json!({"username": "x4", "display_name": "x", "role": "unit_lead", "region": "520402109"}),
        )
        .await;
    assert_eq!(s, 403, "a lead makes no accounts: {b}");
    let (s, b) = t
        .post_as(
            &xixiu,
            "/api/v1/accounts",
            &json!({"username": "dongjie-lead", "display_name": "x", "role": "unit_lead", "region": "520402002"}),
        )
        .await;
    assert_eq!(s, 422, "the name is taken: {b}");
    let (s, b) = t.post_as(&gz, "/api/v1/accounts", &json!({"username": "anshun-eval", "display_name": "安顺市评估组", "role": "evaluator", "region": "520400"})).await;
    assert_eq!(s, 201, "a province admin makes any role inside its province: {b}");

    // Lists: the reviewer sees the leads inside its district, the province everything in it,
    // Fujian nothing of Guizhou's.
    let names = |v: &Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap().to_owned()).collect()
    };
    let (_, mine) = t.get_as(&xixiu, "/api/v1/accounts").await;
    assert_eq!(names(&mine), ["dongjie-lead", "jiuzhou-lead"]);
    let (_, all) = t.get_as(&gz, "/api/v1/accounts?role=unit_lead&q=dongjie").await;
    assert_eq!(names(&all), ["dongjie-lead"]);
    let (_, none) = t.get_as(&fj, "/api/v1/accounts").await;
    assert_eq!(names(&none), ["fj-admin"]);
    assert_eq!(t.get_as(&fj, "/api/v1/accounts/dongjie-lead").await.0, 404);

    // The new account signs in, and may do nothing but change the password it was given.
    let (s, session) = login_with(&t, "dongjie-lead", &one_time).await;
    assert_eq!(s, 200, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();
    let (_, me) = t.get_as(&token, "/api/v1/auth/me").await;
    assert_eq!(me["must_change_password"], true, "{me}");
    let (s, b) = t.get_as(&token, "/api/v1/programmes").await;
    assert_eq!((s, b["code"].as_str()), (403, Some("password_change_required")), "{b}");
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let (s, b) = t.post_as(&token, "/api/v1/auth/password", &change("wrong-password", "dongjie-2019")).await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = t.post_as(&token, "/api/v1/auth/password", &change(&one_time, &one_time)).await;
    assert_eq!(s, 422, "the same password again: {b}");
    let (s, b) = t.post_as(&token, "/api/v1/auth/password", &change(&one_time, "dongjie-2019")).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(t.get_as(&token, "/api/v1/programmes").await.0, 200, "this session goes on");
    assert_eq!(login_with(&t, "dongjie-lead", &one_time).await.0, 401);
    let (s, _) = login_with(&t, "dongjie-lead", "dongjie-2019").await;
    assert_eq!(s, 200);

    // Name and phone: one's own, or by the reviewer; a phone that is not one is refused.
    let (s, b) = t
        .put_as(
            &token,
            "/api/v1/accounts/dongjie-lead",
            &json!({"display_name": "东街街道办事处", "phone": "138 0851 2345"}),
        )
        .await;
    assert_eq!((s, b["phone"].as_str()), (200, Some("13808512345")), "{b}");
    let (s, b) =
        t.put_as(&xixiu, "/api/v1/accounts/dongjie-lead", &json!({"display_name": "东街", "phone": "call me"})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("phone")), "{b}");
    assert_eq!(
        t.put_as(&token, "/api/v1/accounts/jiuzhou-lead", &json!({"display_name": "x"})).await.0,
        404,
        "not its own"
    );

    // Disabling ends the account's sessions at once; enabling lets it sign in again.
    let (s, b) = t.post_as(&xixiu, "/api/v1/accounts/dongjie-lead/disable", &json!({})).await;
    assert_eq!((s, b["disabled"].as_bool()), (200, Some(true)), "{b}");
    assert_eq!(t.get_as(&token, "/api/v1/auth/me").await.0, 401, "its session failed at once");
    assert_eq!(login_with(&t, "dongjie-lead", "dongjie-2019").await.0, 401);
    assert_eq!(t.post_as(&xixiu, "/api/v1/accounts/dongjie-lead/enable", &json!({})).await.0, 200);
    let (s, session) = login_with(&t, "dongjie-lead", "dongjie-2019").await;
    assert_eq!(s, 200);
    let token = session["token"].as_str().unwrap().to_owned();
    assert_eq!(t.post_as(&xixiu, "/api/v1/accounts/xixiu-reviewer/disable", &json!({})).await.0, 403, "not itself");
    assert_eq!(
        t.post_as(&fj, "/api/v1/accounts/dongjie-lead/disable", &json!({})).await.0,
        404,
        "not another province's"
    );

    // A reset: new one-time password, sessions end, the change is forced again.
    let (s, reset) = t.post_as(&xixiu, "/api/v1/accounts/dongjie-lead/reset-password", &json!({})).await;
    assert_eq!(s, 200, "{reset}");
    assert_eq!(t.get_as(&token, "/api/v1/auth/me").await.0, 401);
    let (s, session) = login_with(&t, "dongjie-lead", reset["initial_password"].as_str().unwrap()).await;
    assert_eq!((s, session["user"]["must_change_password"].as_bool()), (200, Some(true)), "{session}");

    // All of it in the audit trail, never a password or its hash.
    let (_, audit) = t.get_as(&gz, "/api/v1/audit?entity=user:dongjie-lead&limit=50").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for want in
        ["user.create", "user.change_password", "user.update", "user.disable", "user.enable", "user.reset_password"]
    {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert!(!audit.to_string().contains("argon2") && !audit.to_string().contains(&one_time));
}

/// The sheet as departments keep it; `bad` replaces row 7's region with a code that is not one.
fn accounts_csv(bad: bool) -> String {
    let mut text = String::from("用户名,姓名,角色,行政区划代码,手机\n");
    let towns = ["520402001", "520402002", "520402003", "520402004", "520402005", "520402100"];
    for (i, code) in towns.iter().enumerate() {
        // Data rows are 2..=7: the sixth town is row 7.
        let code = if bad && i == 5 { "520402999" } else { code };
        text.push_str(&format!("town-{i},乡镇{i},试点单位负责人,{code},1380851000{i}\n"));
    }
    text
}

#[tokio::test]
async fn an_import_whose_row_7_is_bad_changes_nothing_and_names_row_7() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    t.add_user("xixiu-reviewer", Role::CityReviewer, "520402").await;
    t.add_user("jiuzhou-lead", Role::UnitLead, "520402109").await;
    let xixiu = t.login("xixiu-reviewer").await;
    let before = t.app.state.store.users().await.unwrap().len();

    let (s, preview) = sheet(&t, &xixiu, "/api/v1/account-imports/preview", accounts_csv(true).into_bytes()).await;
    assert_eq!(s, 200, "{preview}");
    assert_eq!(preview["importable"], false);
    let rows = preview["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for r in rows {
        let want = if r["row"] == 7 { "region_unknown" } else { "ok" };
        assert_eq!(r["verdict"], want, "{r}");
    }
    assert_eq!(rows[0]["region_name"], "南街街道");
    let (s, b) = sheet(&t, &xixiu, "/api/v1/account-imports", accounts_csv(true).into_bytes()).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("rows[7].region_unknown")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("row 7"), "{b}");
    assert_eq!(t.app.state.store.users().await.unwrap().len(), before, "nothing was imported");

    // A name twice in one sheet, and one already taken, are named too.
    let twice = format!(
        "{}town-0,重名,试点单位负责人,520402001,\njiuzhou-lead,旧州,试点单位负责人,520402109,\n",
        accounts_csv(false)
    );
    let (_, p) = sheet(&t, &xixiu, "/api/v1/account-imports/preview", twice.into_bytes()).await;
    let verdicts: Vec<&str> = p["rows"].as_array().unwrap().iter().map(|r| r["verdict"].as_str().unwrap()).collect();
    assert_eq!(&verdicts[6..], ["duplicate_in_sheet", "username_taken"]);

    // The corrected sheet, as XLSX: six accounts at once, each with its one-time password.
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (r, line) in accounts_csv(false).lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            // Codes and phones typed as numbers, as spreadsheets keep them.
            match cell.parse::<f64>() {
                Ok(n) if r > 0 && c >= 3 => ws.write(r as u32, c as u16, n).unwrap(),
                _ => ws.write(r as u32, c as u16, cell).unwrap(),
            };
        }
    }
    let xlsx = book.save_to_buffer().unwrap();
    let (s, p) = sheet(&t, &xixiu, "/api/v1/account-imports/preview?format=xlsx", xlsx.clone()).await;
    assert_eq!((s, p["importable"].as_bool()), (200, Some(true)), "{p}");
    let (s, done) = sheet(&t, &xixiu, "/api/v1/account-imports", xlsx).await;
    assert_eq!(s, 201, "{done}");
    let made = done["accounts"].as_array().unwrap();
    assert_eq!(made.len(), 6);
    assert_eq!(made[5]["account"]["region"], "520402100");
    assert_eq!(made[5]["account"]["phone"], "13808510005");
    let (s, session) = login_with(&t, "town-5", made[5]["initial_password"].as_str().unwrap()).await;
    assert_eq!((s, session["user"]["must_change_password"].as_bool()), (200, Some(true)));
    assert_eq!(t.app.state.store.users().await.unwrap().len(), before + 6);

    // A lead imports nothing; a sheet without the columns is refused naming one.
    let lead = t.login("jiuzhou-lead").await;
    assert_eq!(sheet(&t, &lead, "/api/v1/account-imports", accounts_csv(false).into_bytes()).await.0, 403);
    let (s, b) = sheet(&t, &xixiu, "/api/v1/account-imports/preview", "姓名\n张三\n".as_bytes().to_vec()).await;
    assert_eq!(s, 422, "{b}");
    assert!(b["message"].as_str().unwrap().contains("用户名"), "{b}");
    let (s, _) = sheet(&t, &xixiu, "/api/v1/account-imports/preview?format=xlsx", b"PK\x03\x04 broken".to_vec()).await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn the_national_table_loads_once_is_searched_by_name_and_renames_survive() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    let store = &t.app.state.store;
    let bundled = store.child_regions(None, 0, 100).await.unwrap().1;
    let added = pilotgov::service::regions::load_national(store).await.unwrap();
    assert!(added > 44_000, "{added} added");
    assert!(store.child_regions(None, 0, 100).await.unwrap().1 > bundled, "every province is there now");
    let (_, root) = t.get("/api/v1/regions?limit=100").await;
    assert_eq!(root["total"], 31, "{root}");
    // Again: nothing is added, whether the marker says so or the table is compared row by row.
    assert_eq!(pilotgov::service::regions::load_national(store).await.unwrap(), 0);
    let national = pilotgov::service::regions::national().unwrap();
    assert_eq!(store.insert_missing_regions(&national).await.unwrap(), 0);

    let (s, found) = t.get("/api/v1/regions/search?q=旧州镇").await;
    assert_eq!(s, 200, "{found}");
    let hits = found["items"].as_array().unwrap();
    assert_eq!(hits.len(), 6, "six towns of that name in the country: {found}");
    let ours = hits.iter().find(|h| h["code"] == "520402109").expect("西秀区's 旧州镇");
    assert_eq!(ours["full_name"], "贵州省 安顺市 西秀区 旧州镇");
    let (_, found) = t.get("/api/v1/regions/search?q=东湖区").await;
    let hit = &found["items"][0];
    assert_eq!((hit["code"].as_str(), hit["full_name"].as_str()), (Some("360102"), Some("江西省 南昌市 东湖区")));
    let (_, inside) = t.get("/api/v1/regions/search?q=镇&under=520402&limit=500").await;
    assert!(inside["items"].as_array().unwrap().iter().all(|h| h["code"].as_str().unwrap().starts_with("520402")));
    assert_eq!(t.get("/api/v1/regions/search?q=").await.0, 422);
    let (_, kids) = t.get("/api/v1/regions?parent=441900&limit=100").await;
    assert!(kids["total"].as_u64().unwrap() > 20, "东莞市's towns hang under the city: {kids}");

    // 更名 by Guizhou's admin: audited, the unit takes the name, a reload keeps it.
    t.add_user("gz-admin", Role::ProvinceAdmin, "520000").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let (gz, fj) = (t.login("gz-admin").await, t.login("fj-admin").await);
    let rename = json!({"name": "旧州镇（更名）"});
    assert_eq!(t.put_as(&fj, "/api/v1/regions/520402109", &rename).await.0, 403);
    let (s, b) = t.put_as(&gz, "/api/v1/regions/520402109", &rename).await;
    assert_eq!((s, b["name"].as_str()), (200, Some("旧州镇（更名）")), "{b}");
    let (_, unit) = t.get("/api/v1/programmes/xixiu-2019-comprehensive-reform/units/520402109").await;
    assert_eq!(unit["name"], "旧州镇（更名）", "{unit}");
    assert_eq!(store.insert_missing_regions(&national).await.unwrap(), 0);
    let (_, r) = t.get("/api/v1/regions/520402109").await;
    assert_eq!(r["name"], "旧州镇（更名）", "a reload does not undo a rename");
    let (_, audit) = t.get("/api/v1/audit?entity=region:520402109").await;
    assert_eq!(audit["items"][0]["action"], "region.rename", "{audit}");
}

/// The account pages read and change only what the API would let the same person: a lead gets
/// no account page, a district reviewer sees its leads only, a forced change keeps every other
/// page closed, and a post without the session's form token changes nothing.
#[tokio::test]
async fn the_account_pages_show_and_change_only_what_is_ones_own() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    t.add_user("xixiu-reviewer", Role::CityReviewer, "520402").await;
    t.add_user("jiuzhou-lead", Role::UnitLead, "520402109").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let cookie = |user: &str| {
        let t = &t;
        let user = user.to_owned();
        async move {
            let resp = t.form_login(&user, crate::helpers::PASSWORD).await;
            resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned()
        }
    };
    let get = |cookie: String, uri: &'static str| {
        let t = &t;
        async move {
            let resp = t.client.get(uri).header("cookie", cookie).send().await.0;
            let status = resp.status().as_u16();
            let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            (status, resp.into_body().into_string().await.unwrap(), location)
        }
    };
    let (lead, xixiu, fj) = (cookie("jiuzhou-lead").await, cookie("xixiu-reviewer").await, cookie("fj-admin").await);
    assert_eq!(get(lead.clone(), "/ui/accounts").await.0, 403);
    let (s, body, _) = get(xixiu.clone(), "/ui/accounts").await;
    assert_eq!(s, 200);
    assert!(body.contains("jiuzhou-lead") && !body.contains("fj-admin"), "{body}");
    let offered = body.split("id=\"role\" name=\"role\"").nth(1).unwrap().split("</select>").next().unwrap();
    assert!(offered.contains("unit_lead") && !offered.contains("city_reviewer"), "only the lead's role: {offered}");
    let (_, body, _) = get(fj.clone(), "/ui/accounts").await;
    assert!(!body.contains("jiuzhou-lead"), "Fujian does not see Guizhou's accounts");

    // A post without the form token (another site's page) changes nothing.
    let resp = t
        .client
        .post("/ui/accounts/jiuzhou-lead/disable")
        .header("cookie", xixiu.clone())
        .content_type("application/x-www-form-urlencoded")
        .body("csrf=forged")
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::FORBIDDEN);
    assert!(!t.app.state.store.user("jiuzhou-lead").await.unwrap().unwrap().disabled);
    // Fujian's admin cannot reach Guizhou's lead through the page either.
    let (_, page, _) = get(fj.clone(), "/ui/accounts").await;
    let token = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let resp = t
        .client
        .post("/ui/accounts/jiuzhou-lead/disable")
        .header("cookie", fj.clone())
        .content_type("application/x-www-form-urlencoded")
        .body(format!("csrf={token}"))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);
    assert!(!t.app.state.store.user("jiuzhou-lead").await.unwrap().unwrap().disabled);

    // A reset from the page: the lead's session ends; with the new password only the password
    // page opens until it is changed.
    let (_, page, _) = get(xixiu.clone(), "/ui/accounts").await;
    let token = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let resp = t
        .client
        .post("/ui/accounts/jiuzhou-lead/reset")
        .header("cookie", xixiu.clone())
        .content_type("application/x-www-form-urlencoded")
        .body(format!("csrf={token}"))
        .send()
        .await;
    resp.assert_status_is_ok();
    let shown = resp.0.into_body().into_string().await.unwrap();
    let password = shown.split("<code class=\"password\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert_eq!(get(lead, "/ui").await.2.as_deref(), Some("/ui/login"), "the old session ended");
    let resp = t.form_login("jiuzhou-lead", &password).await;
    let fresh = resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let (s, _, to) = get(fresh.clone(), "/ui/p/xixiu-2019-comprehensive-reform").await;
    assert_eq!((s, to.as_deref()), (303, Some("/ui/password")));
    let (s, body, _) = get(fresh, "/ui/password").await;
    assert_eq!(s, 200);
    assert!(body.contains("初始密码"), "{body}");
}

/// The audit trail in the browser: a province admin reads its province's changes, newest first,
/// with each field before and after; filters narrow it; others do not get the page.
#[tokio::test]
async fn the_audit_page_shows_ones_province_before_and_after() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    t.add_user("gz-admin", Role::ProvinceAdmin, "520000").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    t.add_user("xixiu-reviewer", Role::CityReviewer, "520402").await;
    t.add_user("jiuzhou-lead", Role::UnitLead, "520402109").await;
    let xixiu = t.login("xixiu-reviewer").await;
    let (s, _) = t
        .put_as(&xixiu, "/api/v1/accounts/jiuzhou-lead", &json!({"display_name": "旧州镇经办", "phone": "13800000001"}))
        .await;
    assert_eq!(s, 200);
    // A later instant: records of one instant have no order among themselves.
    t.set_time("2022-08-17T10:00:00+08:00");
    assert_eq!(t.post_as(&xixiu, "/api/v1/accounts/jiuzhou-lead/disable", &json!({})).await.0, 200);
    let cookie = |user: &'static str| {
        let t = &t;
        async move {
            let resp = t.form_login(user, crate::helpers::PASSWORD).await;
            resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned()
        }
    };
    let get = |cookie: String, uri: String| {
        let t = &t;
        async move {
            let resp = t.client.get(uri).header("cookie", cookie).send().await.0;
            (resp.status().as_u16(), resp.into_body().into_string().await.unwrap())
        }
    };
    let gz = cookie("gz-admin").await;
    let (s, body) = get(gz.clone(), "/ui/audit".into()).await;
    assert_eq!(s, 200, "{body}");
    let disable = body.find("user.disable").expect("the disable is listed");
    let update = body.find("user.update").expect("the update is listed");
    assert!(disable < update, "newest first");
    assert!(body.contains("旧州镇经办") && body.contains("13800000001"), "the fields after the change: {body}");
    let (_, only) = get(gz.clone(), "/ui/audit?action=user.update".into()).await;
    assert!(only.contains("user.update") && !only.contains("<b>user.disable</b>"), "{only}");
    let (s, _) = get(gz, "/ui/audit?from=27-11-2026".into()).await;
    assert_eq!(s, 400);
    let (_, fj) = get(cookie("fj-admin").await, "/ui/audit".into()).await;
    assert!(!fj.contains("user:jiuzhou-lead"), "another province's changes are not shown: {fj}");
    let (s, _) = get(cookie("xixiu-reviewer").await, "/ui/audit".into()).await;
    assert_eq!(s, 403);
}
