//! Setting up a programme of a province outside the fixtures while the server runs: its regions
//! from the national table, a preview that points at every mistake, then the import — over the
//! API and through the pages.

use pilotgov::domain::access::Role;
use poem::test::TestForm;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp};

const BAD: &str = include_str!("data/jiangxi-bad.yaml");

/// The document with both mistakes corrected.
fn fixed() -> String {
    BAD.replace("due: 2028年1月31日前", "due: 2027年12月20日前")
        .replace("- {region: '360112', directions: [1, 2]}\n", "")
}

fn as_json(yaml: &str) -> Value {
    serde_yaml_ng::from_str(yaml).unwrap()
}

#[tokio::test]
async fn a_programme_of_another_province_is_previewed_corrected_and_imported() {
    let t = TestApp::new().await;
    assert!(pilotgov::service::regions::load_national(&t.app.state.store).await.unwrap() > 44_000);
    t.add_user("jx-admin", Role::ProvinceAdmin, "360000").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let (jx, fj) = (t.login("jx-admin").await, t.login("fj-admin").await);

    // The API preview: both mistakes, each at its place; the deadlines and the quota standing.
    let (s, pv) = t.post_as(&jx, "/api/v1/programmes/import/preview", &as_json(BAD)).await;
    assert_eq!(s, 200, "{pv}");
    assert_eq!(pv["importable"], false);
    let at: Vec<&str> = pv["problems"].as_array().unwrap().iter().map(|p| p["place"].as_str().unwrap()).collect();
    assert_eq!(at, ["deliverables[1]", "units[2]"], "{pv}");
    assert_eq!(pv["problems"][0]["rule"], "rule.within_period");
    assert_eq!(pv["deliverables"][0]["deadlines"][0]["due_on"], "2027-01-15");
    let nanchang = pv["quotas"].as_array().unwrap().iter().find(|q| q["group"] == "360100").unwrap();
    assert_eq!((nanchang["units"].as_u64(), nanchang["units_max"].as_u64()), (Some(2), Some(2)), "{pv}");
    assert_eq!(t.post_as(&fj, "/api/v1/programmes/import/preview", &as_json(BAD)).await.0, 403, "not Fujian's");
    assert_eq!(t.get("/api/v1/programmes/jx-2027-assistance-pilot").await.0, 404, "a preview stores nothing");

    // The pages: upload, read the problems in Chinese, correct, import.
    let resp = t.form_login("jx-admin", PASSWORD).await;
    let cookie = resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let resp = t.client.get("/ui/programmes/new").header("cookie", cookie.clone()).send().await;
    resp.assert_status_is_ok();
    let page = resp.0.into_body().into_string().await.unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let preview = |text: String| {
        let (t, cookie, csrf) = (&t, cookie.clone(), csrf.clone());
        async move {
            let resp = t
                .client
                .post("/ui/programmes/new/preview")
                .header("cookie", cookie)
                .multipart(TestForm::new().text("csrf", csrf).text("text", text))
                .send()
                .await
                .0;
            let status = resp.status().as_u16();
            (status, resp.into_body().into_string().await.unwrap())
        }
    };
    let (s, body) = preview(BAD.to_owned()).await;
    assert_eq!(s, 422);
    assert!(
        body.contains("有2处需要改正") && body.contains("第2个报送材料") && body.contains("第3个试点单位"),
        "{body}"
    );
    assert!(!body.contains("id=\"import\""), "nothing to import yet");
    let (s, body) = preview("format: pilotgov/programme@1\nprogramme: [".to_owned()).await;
    assert_eq!(s, 422, "a document that does not read is a page, not an error: {body}");
    let (s, body) = preview(fixed()).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("东湖区") && body.contains("2027年1月15日") && body.contains("部署阶段"), "{body}");
    // The page escapes `/` in attribute values as HTML does; the browser reads it back.
    let document =
        body.split("name=\"document\" value=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#x2F;", "/");
    let resp = t
        .client
        .post("/ui/programmes/new")
        .header("cookie", cookie.clone())
        .content_type("application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&document={}", document.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    resp.assert_header("location", "/ui/p/jx-2027-assistance-pilot");
    let (s, units) = t.get_as(&jx, "/api/v1/programmes/jx-2027-assistance-pilot/units").await;
    assert_eq!((s, units["total"].as_u64()), (200, Some(3)), "{units}");
    let (_, audit) = t.get_as(&jx, "/api/v1/audit?action=programme.import").await;
    assert_eq!(audit["items"][0]["actor"], "jx-admin", "{audit}");

    // More units from a sheet: a third 南昌 unit breaks the quota of two, so nothing is admitted
    // (row 4 named) until that row goes.
    let sheet = |csv: &str| {
        let (t, cookie, csrf) = (&t, cookie.clone(), csrf.clone());
        let bytes = csv.as_bytes().to_vec();
        async move {
            let form = TestForm::new().text("csrf", csrf).field(
                poem::test::TestFormField::bytes(bytes).name("file").filename("units.csv").content_type("text/csv"),
            );
            let resp = t
                .client
                .post("/ui/p/jx-2027-assistance-pilot/admit/preview")
                .header("cookie", cookie)
                .multipart(form)
                .send()
                .await
                .0;
            let status = resp.status().as_u16();
            (status, resp.into_body().into_string().await.unwrap())
        }
    };
    let rows = "区划代码,单位名称,试点方向,负责人\n360402,濂溪区,1,张主任\n360403,浔阳区,1、2,李科长\n";
    let (s, body) = sheet(&format!("{rows}360121,南昌县,2,王股长\n")).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("id=\"row-4\" class=\"bad\"") && !body.contains("id=\"import\""), "{body}");
    let (s, body) = sheet(rows).await;
    assert_eq!(s, 200, "{body}");
    let encoded =
        body.split("name=\"sheet\" value=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#x2F;", "/");
    let resp = t
        .client
        .post("/ui/p/jx-2027-assistance-pilot/admit")
        .header("cookie", cookie.clone())
        .content_type("application/x-www-form-urlencoded")
        .body(format!(
            "csrf={csrf}&filename=units.csv&sheet={}",
            encoded.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
        ))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    let (_, units) = t.get_as(&jx, "/api/v1/programmes/jx-2027-assistance-pilot/units").await;
    assert_eq!(units["total"], 5, "{units}");
    let lead = units["items"].as_array().unwrap().iter().find(|u| u["region"] == "360403").unwrap();
    assert_eq!(
        (lead["directions"].clone(), lead["lead"]["name"].clone()),
        (serde_json::json!([1, 2]), serde_json::json!("李科长"))
    );
    let (_, audit) = t.get_as(&jx, "/api/v1/audit?action=unit.create").await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "one record per admitted unit: {audit}");
}
