//! The rest of the monthly cycle through the pages, in-process: bulletins drafted, edited and
//! published under the next number; versions of a month side by side; rewards previewed then
//! allocated; Shizuishan's panel evaluations; the spreadsheets and the calendar link the pages
//! offer. Each form's refusals (role and region, form token, stale state, bad input) are clear
//! pages that change nothing; each change is audited.

use pilotgov::domain::access::Role;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::work::{Browser, HOST, field};

const XX: &str = "xixiu-2019-comprehensive-reform";
const SZS: &str = "shizuishan-2024-service-assistance";

async fn xixiu() -> TestApp {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    t.add_user("gz-admin", Role::ProvinceAdmin, "520000").await;
    t.add_user("xx-evaluator", Role::Evaluator, "520402").await;
    t.lead("nanjie-lead", "520402001").await;
    t.set_time("2019-05-06T10:00:00+08:00");
    t
}

/// Rows of a CSV download, header first, BOM removed.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel and WPS");
    text.split("\r\n").filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

#[tokio::test]
async fn a_bulletin_is_drafted_edited_and_published_under_the_next_number() {
    let t = xixiu().await;
    let admin = Browser::sign_in(&t, "gz-admin").await;
    let token = admin.token().await;
    let (s, _) = admin
        .post(&format!("/ui/p/{XX}/ranking/publish"), &[("csrf", &token), ("period", "2019-04"), ("confirm", "yes")])
        .await;
    assert_eq!(s, 303);
    let store = &t.app.state.store;

    // The archive offers the draft form to the admin, not to the lead; the lead cannot draft.
    let (_, page) = admin.get(&format!("/ui/p/{XX}/bulletins")).await;
    assert!(page.contains("起草通报") && page.contains("value=\"2019-04\" selected"), "{page}");
    let lead = Browser::sign_in(&t, "nanjie-lead").await;
    let (_, page) = lead.get(&format!("/ui/p/{XX}/bulletins")).await;
    assert!(!page.contains("起草通报"), "{page}");
    let draft = [("kind", "monthly"), ("month", "2019-04"), ("region", "")];
    let with = |tok: &str| {
        let mut f = vec![("csrf", tok.to_owned())];
        f.extend(draft.iter().map(|(k, v)| (*k, (*v).to_owned())));
        f
    };
    let audit = store.audit_count().await.unwrap();
    let lead_token = lead.token().await;
    let (s, page) = lead.post(&format!("/ui/p/{XX}/bulletins"), &as_refs(&with(&lead_token))).await;
    assert_eq!(s, 403, "{page}");
    let (s, page) = admin.post(&format!("/ui/p/{XX}/bulletins"), &as_refs(&with("forged"))).await;
    assert_eq!(s, 403, "a foreign form token: {page}");
    let (s, page) = admin
        .post(&format!("/ui/p/{XX}/bulletins"), &[("csrf", &token), ("kind", "monthly"), ("month", "2019-13")])
        .await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("“期间”填写有误"), "{page}");
    assert_eq!(store.audit_count().await.unwrap(), audit, "nothing written by refused forms");

    // Drafted: the page frames the print preview and says the number it will take.
    let (s, to) = admin.post(&format!("/ui/p/{XX}/bulletins"), &as_refs(&with(&token))).await;
    assert_eq!(s, 303, "{to}");
    assert!(to.starts_with("/ui/bulletins/") && to.ends_with("?done=drafted"), "{to}");
    let id = to.trim_start_matches("/ui/bulletins/").split('?').next().unwrap().to_owned();
    let (_, page) = admin.get(&to).await;
    assert!(page.contains("草稿已生成") && page.contains("发布后编为第1期") && page.contains("印发第1期"), "{page}");
    assert!(page.contains(&format!("<iframe src=\"/ui/bulletins/{id}/document\"")), "{page}");
    let (s, _) = lead.get(&format!("/ui/bulletins/{id}")).await;
    assert_eq!(s, 404, "a draft is not shown to those who may not publish it");
    let revision = field(&page, "revision");

    // Edited: a stale revision is refused; the remarks print in the preview.
    let remarks = "各镇（街道）要对照排名查找差距，5月20日前报送整改情况。";
    let edit = |rev: &str| {
        vec![
            ("csrf", token.clone()),
            ("revision", rev.to_owned()),
            ("title", "西秀区社会救助综合改革试点工作通报（2019年4月）".to_owned()),
            ("remarks", remarks.to_owned()),
        ]
    };
    let (s, to) = admin.post(&format!("/ui/bulletins/{id}/edit"), &as_refs(&edit(&revision))).await;
    assert_eq!((s, to.as_str()), (303, format!("/ui/bulletins/{id}?done=edited").as_str()));
    let (s, page) = admin.post(&format!("/ui/bulletins/{id}/edit"), &as_refs(&edit(&revision))).await;
    assert_eq!(s, 409, "the page's revision is stale now: {page}");
    let (s, preview) = admin.get(&format!("/ui/bulletins/{id}/document")).await;
    assert_eq!(s, 200);
    assert!(preview.contains(remarks) && preview.contains("草稿") && preview.contains("南街街道"), "{preview}");
    let (_, page) = admin.get(&format!("/ui/bulletins/{id}")).await;
    let revision = field(&page, "revision");

    // Published after a confirmation, numbered 第1期, then frozen; the archive lists it.
    let publish = format!("/ui/bulletins/{id}/publish");
    let (s, page) = admin.post(&publish, &[("csrf", &token), ("revision", &revision)]).await;
    assert_eq!(s, 422, "{page}");
    let audit = store.audit_count().await.unwrap();
    let (s, to) = admin.post(&publish, &[("csrf", &token), ("revision", &revision), ("confirm", "yes")]).await;
    assert_eq!((s, to.as_str()), (303, format!("/ui/bulletins/{id}?done=published").as_str()));
    assert_eq!(store.audit_count().await.unwrap(), audit + 1, "publishing is audited");
    let (_, page) = admin.get(&to).await;
    assert!(page.contains("已印发，编为第1期") && !page.contains("edit-form"), "{page}");
    let next = format!("{}", field(&page, "revision").parse::<u32>().unwrap_or(0));
    let (s, page) = admin.post(&publish, &[("csrf", &token), ("revision", &next), ("confirm", "yes")]).await;
    assert_eq!(s, 409, "published twice: {page}");
    let (s, _) = lead.get(&format!("/ui/bulletins/{id}")).await;
    assert_eq!(s, 200, "a published bulletin is read by the units");

    // A stage bulletin takes the next number.
    let (s, to) = admin
        .post(&format!("/ui/p/{XX}/bulletins"), &[("csrf", &token), ("kind", "stage"), ("stage", "mobilise")])
        .await;
    assert_eq!(s, 303, "{to}");
    let (_, page) = admin.get(&to).await;
    assert!(page.contains("印发第2期"), "{page}");
    let second = to.trim_start_matches("/ui/bulletins/").split('?').next().unwrap().to_owned();
    let rev = field(&page, "revision");
    let (s, _) = admin
        .post(&format!("/ui/bulletins/{second}/publish"), &[("csrf", &token), ("revision", &rev), ("confirm", "yes")])
        .await;
    assert_eq!(s, 303);
    let (_, archive) = admin.get(&format!("/ui/p/{XX}/bulletins")).await;
    let (two, one) = (archive.find("第2期").unwrap(), archive.find("第1期").unwrap());
    assert!(two < one, "the archive lists the newest number first: {archive}");

    // Every format downloads, named by its number.
    let (s, ctype, disposition, md) = admin.bytes(&format!("/ui/bulletins/{id}/document?format=markdown")).await;
    assert_eq!((s, ctype.as_str()), (200, "text/markdown; charset=utf-8"));
    assert!(disposition.contains("attachment") && disposition.contains(".md"), "{disposition}");
    assert!(String::from_utf8(md).unwrap().contains(remarks));
    let (s, _, _, txt) = admin.bytes(&format!("/ui/bulletins/{id}/document?format=text")).await;
    assert!(s == 200 && String::from_utf8(txt).unwrap().contains("第1期"));
    let (s, _, disposition, _) = admin.bytes(&format!("/ui/bulletins/{id}/document?format=html&download=1")).await;
    assert!(s == 200 && disposition.contains("attachment"), "{disposition}");
    let (s, _) = admin.get(&format!("/ui/bulletins/{id}/document?format=docx2")).await;
    assert_eq!(s, 400);
}

fn as_refs<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn a_corrected_month_shows_its_versions_side_by_side_and_downloads_as_the_api_says() {
    let t = xixiu().await;
    let admin = Browser::sign_in(&t, "gz-admin").await;
    let token = admin.token().await;
    let publish = format!("/ui/p/{XX}/ranking/publish");
    let (s, _) = admin.post(&publish, &[("csrf", &token), ("period", "2019-04"), ("confirm", "yes")]).await;
    assert_eq!(s, 303);
    let (_, page) = admin.get(&format!("/ui/p/{XX}/ranking?period=2019-04")).await;
    assert!(!page.contains("各版本对照"), "one version has nothing to compare: {page}");

    // A deduction after publishing, then a correction: the versions side by side, the change marked.
    let evaluator = Browser::sign_in(&t, "xx-evaluator").await;
    let et = evaluator.token().await;
    let (s, _) = evaluator
        .post(
            &format!("/ui/p/{XX}/units/520402001/adjust"),
            &[
                ("csrf", &et),
                ("period", "2019-04"),
                ("item", "reform-tasks"),
                ("kind", "deduction"),
                ("points", "4"),
                ("reason", "督查发现台账不全"),
                ("evidence_kind", "note"),
                ("evidence", "5月5日实地督查记录"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (s, _) = admin.post(&publish, &[("csrf", &token), ("period", "2019-04"), ("reason", "补录督查扣分")]).await;
    assert_eq!(s, 303);
    let (_, page) = admin.get(&format!("/ui/p/{XX}/ranking?period=2019-04")).await;
    assert!(page.contains("各版本对照（2个版本") && page.contains("补录督查扣分"), "{page}");
    // The itemised table: 南街街道's 综合改革任务推进 item shows the deduction, marked.
    let itemised = page.split("class=\"itemised\"").nth(1).unwrap().split("</table>").next().unwrap();
    let nanjie =
        itemised.split("520402001?period=2019-04\">南街街道</a></td>").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(nanjie.contains("<td class=\"num diff\">16.00</td>"), "{nanjie}");
    let changed_row =
        page.split("<tr class=\"changed\">").nth(1).expect("a changed row").split("</tr>").next().unwrap();
    assert!(changed_row.contains("南街街道") && changed_row.contains("num diff"), "{changed_row}");

    // The page's downloads hold the API's numbers (the published second version).
    let (_, api) = t.get(&format!("/api/v1/programmes/{XX}/rankings/2019-04")).await;
    assert_eq!(api["version"], 2);
    let (s, ctype, disposition, csv) =
        admin.bytes(&format!("/ui/p/{XX}/export/ranking?period=2019-04&format=csv")).await;
    assert_eq!((s, ctype.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(disposition.contains("attachment"), "{disposition}");
    let rows = csv_rows(&csv);
    let entries = api["entries"].as_array().unwrap();
    assert_eq!(rows.len(), entries.len() + 1);
    for (row, e) in rows[1..].iter().zip(entries) {
        assert_eq!(row[1], e["unit"].as_str().unwrap());
        assert_eq!(row[3].parse::<f64>().unwrap(), e["score"].as_f64().unwrap());
    }
    let (s, ctype, _, xlsx) = admin.bytes(&format!("/ui/p/{XX}/export/ranking?period=2019-04")).await;
    assert_eq!((s, &xlsx[..2]), (200, &b"PK"[..]), "{ctype}");
    let (s, _, _, csv) = admin.bytes(&format!("/ui/p/{XX}/export/compliance?region=520402001&format=csv")).await;
    assert_eq!(s, 200);
    let rows = csv_rows(&csv);
    assert_eq!((rows.len(), rows[1][0].as_str()), (2, "520402001"), "narrowed to the region asked");
    let (s, _) = admin.get(&format!("/ui/p/{XX}/export/ranking?period=April")).await;
    assert_eq!(s, 400);
    let (s, _) = admin.get(&format!("/ui/p/{XX}/export/ranking?period=2019-04&format=pdf")).await;
    assert_eq!(s, 400);

    // The lead downloads only its own unit's line of the compliance table; nothing of another
    // programme's region.
    let lead = Browser::sign_in(&t, "nanjie-lead").await;
    let (s, _, _, csv) = lead.bytes(&format!("/ui/p/{XX}/export/compliance?format=csv")).await;
    assert_eq!(s, 200);
    let rows = csv_rows(&csv);
    assert!(rows[1..].iter().all(|r| r[0] == "520402001"), "{rows:?}");
    let (s, _) = lead.get("/ui/p/fj-2022-reform-pilot/export/compliance").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_reward_is_previewed_then_allocated_to_the_fen() {
    let t = xixiu().await;
    let admin = Browser::sign_in(&t, "gz-admin").await;
    let token = admin.token().await;
    let store = &t.app.state.store;
    let url = format!("/ui/p/{XX}/rewards");
    let form = |step: &str, fund: &str, confirm: bool| {
        let mut f = vec![
            ("csrf", token.clone()),
            ("label", "2019年度以奖代补".to_owned()),
            ("year", "2019".to_owned()),
            ("fund", fund.to_owned()),
            ("cap", "60000".to_owned()),
            ("method", "proportional".to_owned()),
            ("threshold", "60".to_owned()),
            ("step", step.to_owned()),
        ];
        if confirm {
            f.push(("confirm", "yes".to_owned()));
        }
        f
    };
    // (Signing in is audited: the lead signs in before the count is taken.)
    let lead = Browser::sign_in(&t, "nanjie-lead").await;
    let audit = store.audit_count().await.unwrap();

    // The preview shows every share and records nothing.
    let (s, page) = admin.post(&url, &as_refs(&form("preview", "1,000,000", false))).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("预览（尚未记录）：合计1000000.00元") && page.contains("占参与分配得分"), "{page}");
    assert_eq!(page.matches("<td class=\"num\">").count(), 25, "a share per unit");
    assert_eq!(store.audit_count().await.unwrap(), audit);
    let (_, list) = t.get(&format!("/api/v1/programmes/{XX}/rewards")).await;
    assert_eq!(list.as_array().unwrap().len(), 0);

    // Bad input, a missing confirmation, another role: clear pages, nothing recorded.
    let (s, page) = admin.post(&url, &as_refs(&form("preview", "五万", false))).await;
    assert_eq!(s, 422);
    assert!(
        page.contains("“资金总额”填写有误") && page.contains("id=\"fund\"") && page.contains("value=\"五万\""),
        "{page}"
    );
    let (s, _) = admin.post(&url, &as_refs(&form("allocate", "1000000", false))).await;
    assert_eq!(s, 422);
    let lt = lead.token().await;
    let mut theirs = form("allocate", "1000000", true);
    theirs[0].1 = lt;
    let (s, _) = lead.post(&url, &as_refs(&theirs)).await;
    assert_eq!(s, 403);
    let (_, page) = lead.get(&url).await;
    assert!(!page.contains("reward-form"), "{page}");
    assert_eq!(store.audit_count().await.unwrap(), audit);

    // Allocated: recorded once, audited, exact to the fen, capped; the XLSX and CSV hold it.
    let (s, to) = admin.post(&url, &as_refs(&form("allocate", "1000000", true))).await;
    assert_eq!(s, 303, "{to}");
    assert_eq!(store.audit_count().await.unwrap(), audit + 1);
    let (_, list) = t.get(&format!("/api/v1/programmes/{XX}/rewards")).await;
    let r = &list[0];
    let shares = r["shares"].as_array().unwrap();
    assert_eq!(shares.iter().map(|s| s["amount"].as_i64().unwrap()).sum::<i64>(), 100_000_000);
    assert!(shares.iter().all(|s| s["amount"].as_i64().unwrap() <= 6_000_000));
    let (_, page) = admin.get(&to).await;
    assert!(page.contains("已分配并记录") && page.contains("刚分配"), "{page}");
    let id = r["key"].as_str().unwrap();
    let (s, _, _, csv) = admin.bytes(&format!("/ui/p/{XX}/export/reward?id={id}&format=csv")).await;
    assert_eq!(s, 200);
    let rows = csv_rows(&csv);
    let fen = |v: &str| (v.parse::<f64>().unwrap() * 100.0).round() as i64;
    let by_unit: Vec<(String, i64)> = rows[1..].iter().map(|r| (r[0].clone(), fen(&r[2]))).collect();
    for s in shares {
        assert!(by_unit.contains(&(s["unit"].as_str().unwrap().to_owned(), s["amount"].as_i64().unwrap())), "{s}");
    }
    let (s, _, _, xlsx) = admin.bytes(&format!("/ui/p/{XX}/export/reward?id={id}")).await;
    assert_eq!((s, &xlsx[..2]), (200, &b"PK"[..]));
    let (s, _) = admin.get(&format!("/ui/p/{XX}/export/reward?id=nope")).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn shizuishan_enters_an_evaluation_with_a_valid_panel_in_the_page() {
    let t = TestApp::with_fixture("shizuishan-2024-service-assistance.yaml").await;
    t.add_user("szs-city", Role::CityReviewer, "640200").await;
    t.lead("dawukou-lead", "640202").await;
    let city = Browser::sign_in(&t, "szs-city").await;
    let token = city.token().await;
    let url = format!("/ui/p/{SZS}/evaluations");
    let (_, page) = city.get(&url).await;
    assert!(page.contains("录入评估结果") && page.contains("name=\"score_satisfaction\""), "{page}");
    let scores = [
        ("administration", "90"),
        ("standardisation", "80"),
        ("progress", "85"),
        ("quality-supervision", "88"),
        ("risk", "70"),
        ("implementation", "92"),
        ("effect", "86"),
        ("satisfaction", "94"),
        ("social-benefit", "78"),
    ];
    let form = |members: &[(&str, &str, &str)]| {
        let mut f = vec![("csrf", token.clone()), ("unit", "640202".to_owned()), ("phase", "final".to_owned())];
        for (i, (name, accountant, title)) in members.iter().enumerate() {
            f.push((leak(format!("name_{}", i + 1)), (*name).to_owned()));
            f.push((leak(format!("accountant_{}", i + 1)), (*accountant).to_owned()));
            f.push((leak(format!("title_{}", i + 1)), (*title).to_owned()));
        }
        for (k, v) in scores {
            f.push((leak(format!("score_{k}")), v.to_owned()));
        }
        f
    };
    let store = &t.app.state.store;
    let lead = Browser::sign_in(&t, "dawukou-lead").await;
    let audit = store.audit_count().await.unwrap();
    let even = [("甲", "yes", "senior"), ("乙", "no", "none"), ("丙", "no", "none"), ("丁", "no", "none")];
    let (s, page) = city.post(&url, &as_refs(&form(&even))).await;
    assert_eq!(s, 422);
    assert!(page.contains("评估小组须为不少于3人的单数"), "{page}");
    assert!(
        page.contains("已填写的内容保留")
            && page.contains("name=\"name_4\" value=\"丁\"")
            && page.contains("name=\"score_risk\" value=\"70\""),
        "the refused form keeps what was typed: {page}"
    );
    let junior = [("甲", "yes", "junior"), ("乙", "no", "senior"), ("丙", "no", "none")];
    let (s, page) = city.post(&url, &as_refs(&form(&junior))).await;
    assert_eq!(s, 422);
    assert!(page.contains("评估小组须有中级及以上职称的财会人员"), "{page}");
    assert_eq!(store.audit_count().await.unwrap(), audit, "refused evaluations are not stored");

    let (_, page) = lead.get(&url).await;
    assert!(!page.contains("evaluate-form"), "a lead does not evaluate: {page}");

    let good = [("民政局代表", "no", "none"), ("会计师", "yes", "intermediate"), ("服务对象代表", "no", "none")];
    let (s, to) = city.post(&url, &as_refs(&form(&good))).await;
    assert_eq!(s, 303, "{to}");
    assert_eq!(store.audit_count().await.unwrap(), audit + 1);
    let (_, list) = t.get(&format!("/api/v1/programmes/{SZS}/evaluations")).await;
    let e: &Value = &list[0];
    assert_eq!((e["total"].as_f64(), e["grade"].as_str()), (Some(86.0), Some("良好")));
    let (_, page) = city.get(&to).await;
    let row =
        page.split(&format!("id=\"e-{}\"", e["key"].as_str().unwrap())).nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(
        row.contains("终期评估")
            && row.contains("86.00")
            && row.contains("良好")
            && row.contains("会计师（财会，中级）"),
        "{row}"
    );
}

/// Field names built in a loop, as the fixed-lifetime pairs the test browser posts.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[tokio::test]
async fn a_lead_subscribes_its_unit_calendar_from_its_page() {
    let t = xixiu().await;
    t.lead("dongjie-lead", "520402002").await;
    let lead = Browser::sign_in(&t, "nanjie-lead").await;
    let unit = format!("/ui/p/{XX}/units/520402001");
    let (_, page) = lead.get(&unit).await;
    assert!(page.contains("订阅截止日历") && page.contains("生成订阅链接"), "{page}");
    let token = lead.token().await;
    let (s, page) = lead.post(&format!("{unit}/calendar"), &[("csrf", &token)]).await;
    assert_eq!(s, 200, "{page}");
    let url = page
        .split("id=\"feed-url\" value=\"")
        .nth(1)
        .map(|r| r.split('"').next().unwrap().replace("&#x2F;", "/"))
        .unwrap_or_default();
    assert!(url.starts_with(&format!("http://{HOST}/api/v1/feeds/")), "an absolute URL on the host reached: {url}");
    let path = &url[url.find("/api/v1/").unwrap()..];
    let (s, ctype, _, ics) = lead.bytes(path).await;
    assert_eq!((s, ctype.as_str()), (200, "text/calendar; charset=utf-8"));
    assert!(String::from_utf8(ics).unwrap().contains("BEGIN:VEVENT"));

    // Another unit's lead neither sees nor makes it; a foreign form is refused.
    let other = Browser::sign_in(&t, "dongjie-lead").await;
    let (s, _) = other.post(&format!("{unit}/calendar"), &[("csrf", &other.token().await)]).await;
    assert_eq!(s, 404);
    let (s, _) = lead.post(&format!("{unit}/calendar"), &[("csrf", "forged")]).await;
    assert_eq!(s, 403);

    // Revoked from the page: the URL answers 404.
    let (_, page) = lead.get(&unit).await;
    let id = page.split("/ui/calendar-feeds/").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
    let (s, to) = lead.post(&format!("/ui/calendar-feeds/{id}/revoke"), &[("csrf", &token)]).await;
    assert_eq!((s, to.as_str()), (303, format!("{unit}?done=feed_revoked#calendar").as_str()));
    let (s, _, _, _) = lead.bytes(path).await;
    assert_eq!(s, 404);
    let (s, _) = lead.post(&format!("/ui/calendar-feeds/{id}/revoke"), &[("csrf", &token)]).await;
    assert_eq!(s, 409, "already revoked");
}
