//! Reading a notice into a draft programme through the API: the seed notices as pasted text
//! and as Word files give the same draft, each item pointing at the words it came from; bad
//! input gets a clear answer, and only departments that define programmes may ask.

use base64::Engine;
use pilotgov::domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn seed(name: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/notices/{name}.txt", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The characters `start..end` of `text` (the API counts characters, not bytes).
fn chars(text: &str, v: &Value) -> String {
    let (s, e) = (v["start"].as_u64().unwrap() as usize, v["end"].as_u64().unwrap() as usize);
    text.chars().skip(s).take(e - s).collect()
}

/// The notice as a Word file: one paragraph per line.
fn docx_of(text: &str) -> Vec<u8> {
    use docx_rs::{Docx, Paragraph, Run};
    let mut doc = Docx::new();
    for line in text.lines() {
        doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_text(line)));
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut buf).unwrap();
    buf.into_inner()
}

#[tokio::test]
async fn a_seed_notice_reads_into_a_draft_with_its_sources() {
    let t = TestApp::new().await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    let admin = t.login("fj-admin").await;
    let text = seed("fujian-2022-reform-pilot");
    let (s, d) = t.post_as(&admin, "/api/v1/programme-drafts", &json!({"text": text})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["header"]["issuer"]["value"], "福建省民政厅");
    assert_eq!(d["header"]["issued"]["value"], "2022年8月17日");
    assert_eq!(chars(&text, &d["header"]["issuer"]), "福建省民政厅", "the signature block");
    let stages: Vec<(&str, &str, &str)> = d["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["start"].as_str().unwrap(), s["end"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stages,
        [
            ("部署阶段", "2022年8月下旬", "2022年9月中旬"),
            ("实施阶段", "2022年9月下旬", "2023年9月"),
            ("总结阶段", "2023年10月", "2023年11月")
        ]
    );
    let plan = &d["deliverables"][0];
    assert_eq!((plan["title"].as_str(), plan["due"]["due"].as_str()), (Some("试点方案"), Some("2022年9月20日前")));
    assert_eq!(plan["route"], json!([{"level": "city", "action": "review"}, {"level": "province", "action": "file"}]));
    assert_eq!(plan["recipient"], "省民政厅社会救助处");
    assert_eq!(plan["stage"], 0, "read in the 部署阶段 section");
    assert_eq!(chars(&text, &plan["source"]), "2022年9月20日前", "the words the deadline was read from");
    let sentence = &plan["source"];
    let (a, b) =
        (sentence["sentence_start"].as_u64().unwrap() as usize, sentence["sentence_end"].as_u64().unwrap() as usize);
    assert_eq!(text.chars().skip(a).take(b - a).collect::<String>(), sentence["sentence"].as_str().unwrap());
    assert_eq!(d["directions"].as_array().unwrap().len(), 11);
    assert!(d["directions"].as_array().unwrap().iter().all(|x| x["kind"] == "choice"), "试点方向 are chosen");
    let quotas: Vec<(&str, u64, u64)> = d["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["kind"].as_str().unwrap(), q["min"].as_u64().unwrap(), q["max"].as_u64().unwrap()))
        .collect();
    assert_eq!(quotas, [("directions_per_group", 1, 2), ("units_per_group", 1, 2)]);
    assert_eq!(d["exceptions"][0]["name"], "平潭综合实验区");
    let unread: Vec<&str> = d["unread"].as_array().unwrap().iter().map(|u| u["sentence"].as_str().unwrap()).collect();
    assert!(unread.iter().any(|s| s.contains("一年左右")), "the approximate length is left to a person: {unread:?}");

    // The same notice as a Word file reads the same.
    let file = base64::engine::general_purpose::STANDARD.encode(docx_of(&text));
    let (s, w) = t.post_as(&admin, "/api/v1/programme-drafts", &json!({"file": file})).await;
    assert_eq!(s, 200, "{w}");
    let titles = |v: &Value| -> Vec<(String, String)> {
        v["deliverables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["title"].as_str().unwrap().to_owned(), x["due"].to_string()))
            .collect()
    };
    assert_eq!(titles(&w), titles(&d));
    let stage_names = |v: &Value| v["stages"].as_array().unwrap().iter().map(|s| s["name"].clone()).collect::<Vec<_>>();
    assert_eq!(stage_names(&w), stage_names(&d));

    // 西秀: recurring monthly deadlines and the demonstration townships it names.
    let text = seed("xixiu-2019-comprehensive-reform");
    let (s, d) = t.post_as(&admin, "/api/v1/programme-drafts", &json!({"text": text})).await;
    assert_eq!(s, 200);
    let monthly: Vec<(&str, Value, Value)> = d["deliverables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["due"]["kind"] == "recurring")
        .map(|x| (x["title"].as_str().unwrap(), x["due"]["opens_day"].clone(), x["due"]["due_day"].clone()))
        .collect();
    assert_eq!(monthly, [("动态电子信息", json!(15), json!(20)), ("经审核纸质资料", Value::Null, json!(25))]);
    assert_eq!(d["units"][0]["names"], json!(["旧州镇", "东街办"]));
    assert_eq!(d["units"][0]["demonstration"], true);
}

#[tokio::test]
async fn bad_notices_get_clear_answers_and_only_departments_that_define_may_ask() {
    let t = TestApp::new().await;
    let post = |body: Value| {
        let t = &t;
        async move { t.post("/api/v1/programme-drafts", &body).await }
    };
    let (s, b) = post(json!({"text": "   \n"})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("text")), "{b}");
    let (s, b) = post(json!({})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("text")), "neither text nor file: {b}");
    let (s, b) = post(json!({"text": "通知", "file": "UEsDBA=="})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("text")), "both: {b}");
    let junk = base64::engine::general_purpose::STANDARD.encode(b"PK\x03\x04this is no zip at all");
    let (s, b) = post(json!({"file": junk})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("file")), "{b}");
    assert!(b["message"].as_str().unwrap().contains(".docx"), "{b}");
    let (s, b) = post(json!({"file": "not base64 ¤"})).await;
    assert!((400..500).contains(&s), "{s} {b}");

    // A 5 MB paste (a notice with its scans is sent as a file up to the upload limit): refused
    // by its length in characters, with what to do; 25 MB refused before it is read.
    let big = json!({"text": "各单位要高度重视。".repeat(200_000)}).to_string().into_bytes();
    assert!(big.len() > 5_000_000);
    let (s, b) = t.post_raw("/api/v1/programme-drafts", big, true).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("validation_failed")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("1800000 characters"), "{b}");
    let huge = json!({"text": "各单位要高度重视。".repeat(1_000_000)}).to_string().into_bytes();
    let (s, b) = t.post_raw("/api/v1/programme-drafts", huge, true).await;
    assert_eq!((s, b["code"].as_str()), (413, Some("payload_too_large")), "{b}");

    // A notice with no dates reads as one with no stages or deadlines.
    let (s, d) = post(json!({"text": "各县(市、区)民政局:\n请认真组织实施,加强指导。\n某市民政局"})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!((d["stages"].as_array().unwrap().len(), d["deliverables"].as_array().unwrap().len()), (0, 0));
    assert_eq!(d["header"]["issuer"]["value"], "某市民政局");

    t.add_user("taijiang-lead", Role::UnitLead, "350103").await;
    let lead = t.login("taijiang-lead").await;
    let (s, b) = t.post_as(&lead, "/api/v1/programme-drafts", &json!({"text": "通知"})).await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{b}");
}

/// The draft comes as a programme document the import takes: 福建's scope found from its
/// issuer, its quotas, exception, stages and deadlines; after one edit (the key) it previews
/// clean and imports, and the imported programme's windows and deadlines are the fixture's.
/// 西秀's draft names its demonstration townships by region code.
#[tokio::test]
async fn the_draft_document_previews_and_imports_like_the_fixture() {
    let t = TestApp::new().await;
    let text = seed("fujian-2022-reform-pilot");
    let (s, d) = t.post("/api/v1/programme-drafts", &json!({"text": text})).await;
    assert_eq!(s, 200, "{d}");
    let mut doc = d["document"].clone();
    let head = &doc["programme"];
    assert_eq!((head["scope"].as_str(), head["unit_level"].as_str()), (Some("350000"), Some("county")), "{head}");
    assert_eq!(head["rules"]["directions_per_group"], json!({"min": 1, "max": 2}));
    assert_eq!(head["rules"]["units_per_group"], json!({"min": 1, "max": 2}));
    assert_eq!(head["rules"]["group_level"], "city");
    assert_eq!(head["rules"]["exceptions"][0]["region"], "350128", "平潭 resolved: {head}");
    assert_eq!(head["period"], json!({"start": "2022年8月17日", "end": "2023年11月底"}));

    // The one edit: a key of the department's choosing.
    doc["programme"]["key"] = json!("fj-from-notice");
    let (s, pv) = t.post("/api/v1/programmes/import/preview", &doc).await;
    assert_eq!(s, 200, "{pv}");
    assert_eq!(pv["importable"], true, "{pv}");
    let (s, b) = t.post("/api/v1/programmes/import", &doc).await;
    assert_eq!(s, 201, "{b}");

    // Stage windows and deadlines as the fixture has them.
    let (s, b) = t.post("/api/v1/programmes/import", &fixture_json("fujian-2022-reform-pilot")).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(windows(&t, "fj-from-notice").await, windows(&t, "fj-2022-reform-pilot").await);

    let (s, d) = t.post("/api/v1/programme-drafts", &json!({"text": seed("xixiu-2019-comprehensive-reform")})).await;
    assert_eq!(s, 200);
    let doc = &d["document"];
    assert_eq!(
        (doc["programme"]["scope"].as_str(), doc["programme"]["unit_level"].as_str()),
        (Some("520402"), Some("township"))
    );
    let units: Vec<(&str, bool)> = doc["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["region"].as_str().unwrap(), u["demonstration"].as_bool().unwrap()))
        .collect();
    assert_eq!(units.len(), 2, "旧州镇 and 东街办 (东街街道): {units:?}");
    assert!(units.iter().all(|(code, demo)| code.starts_with("520402") && *demo), "{units:?}");
}

/// 每年12月10日前 is read as a yearly deadline, drafted as the Decembers inside its stage, and
/// imports into one deadline a year; a date before the thing filed is not part of its name.
#[tokio::test]
async fn a_yearly_deadline_reads_drafts_and_imports_once_a_year() {
    let t = TestApp::new().await;
    let text = "福建省民政厅关于开展社会救助服务试点工作的通知\n\n各设区市民政局：\n一、时间安排\n\
        （一）部署阶段。2022年8月下旬至2022年9月中旬。各试点单位于2022年9月20日前将实施方案报省民政厅社会救助处备案。\n\
        （二）实施阶段。2022年9月下旬至2024年6月。各试点单位每年12月10日前向省民政厅报送年度工作总结。\n\
        （三）总结阶段。2024年7月至2024年8月。\n\n福建省民政厅\n2022年8月17日\n";
    let (s, d) = t.post("/api/v1/programme-drafts", &json!({"text": text})).await;
    assert_eq!(s, 200, "{d}");
    let titles: Vec<&str> =
        d["deliverables"].as_array().unwrap().iter().map(|x| x["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["实施方案", "年度工作总结"]);
    assert_eq!(d["deliverables"][1]["due"], json!({"kind": "recurring", "every": "year", "month": 12, "due_day": 10}));
    assert_eq!(chars(text, &d["deliverables"][1]["source"]), "每年12月10日前");
    let mut doc = d["document"].clone();
    let yearly = &doc["deliverables"][1]["deadline"];
    assert_eq!(
        (yearly["every"].as_str(), yearly["from"].as_str(), yearly["to"].as_str(), yearly["due_day"].as_u64()),
        (Some("year"), Some("2022-12"), Some("2023-12"), Some(10)),
        "the Decembers of the stage (September 2022 – June 2024): {}",
        doc["deliverables"]
    );
    doc["programme"]["key"] = json!("fj-yearly");
    let (s, b) = t.post("/api/v1/programmes/import", &doc).await;
    assert_eq!(s, 201, "{b}");
    let (s, occ) = t.get("/api/v1/programmes/fj-yearly/deliverables/deliverable-2/occurrences").await;
    assert_eq!(s, 200, "{occ}");
    let occ: Vec<(&str, &str, &str)> = occ
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["key"].as_str().unwrap(), o["due_on"].as_str().unwrap(), o["due_text"].as_str().unwrap()))
        .collect();
    assert_eq!(occ, [("2022", "2022-12-10", "2022年12月10日前"), ("2023", "2023-12-10", "2023年12月10日前")]);
}

/// An imported programme's stage windows (first and last day) and its deliverables' deadlines
/// (a stage named by its place in the order, so drafts' `stage-N` and fixtures' names compare).
async fn windows(t: &TestApp, key: &str) -> (Vec<(String, String)>, Vec<String>) {
    let (s, stages) = t.get(&format!("/api/v1/programmes/{key}/stages")).await;
    assert_eq!(s, 200, "{stages}");
    let stages = stages.as_array().unwrap();
    let seq = |k: &Value| stages.iter().find(|s| &s["key"] == k).map(|s| s["seq"].clone()).unwrap_or(Value::Null);
    let w: Vec<(String, String)> = stages
        .iter()
        .map(|s| {
            let day = |end: &str, which: &str| s["window"][end][which].as_str().unwrap().to_owned();
            (day("start", "first"), day("end", "last"))
        })
        .collect();
    let (_, dels) = t.get(&format!("/api/v1/programmes/{key}/deliverables")).await;
    let mut d: Vec<String> = dels
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let mut due = d["deadline"].clone();
            if let Some(k) = due.get("stage").cloned() {
                due["stage"] = seq(&k);
            }
            due.to_string()
        })
        .collect();
    d.sort();
    (w, d)
}

/// A deliverable a person adds to a draft.
fn added(key: &str, title: &str, stage: Option<&str>, deadline: Value) -> Value {
    json!({ "key": key, "title": title, "description": title, "stage": stage, "deadline": deadline,
            "route": [{"level": "city", "action": "file"}], "audience": "all" })
}

/// An edit a person makes to a draft, and why the reader left it to them.
type Edit = (&'static str, fn(&mut Value));

/// Every seed's draft, after the edits listed for it (and a key of the department's choosing),
/// previews clean and imports into a programme whose stage windows and deadlines are its
/// fixture's. The lists are what a person does; each says why the reader could not.
#[tokio::test]
async fn each_seed_imports_like_its_fixture_after_the_edits_it_lists() {
    let seeds: [(&str, &str, Vec<Edit>); 5] = [
        ("fujian-2022-reform-pilot", "fj-2022-reform-pilot", vec![]),
        (
            "xixiu-2019-comprehensive-reform",
            "xixiu-2019-comprehensive-reform",
            vec![("the monthly filings begin in April (the sentence names no start)", |d| {
                for i in 0..2 {
                    d["deliverables"][i]["deadline"]["from"] = json!("2019-04");
                }
            })],
        ),
        (
            "fuzhou-2020-hardship-support",
            "fuzhou-2020-hardship-support",
            vec![
                ("one stage, the programme's period (the notice has no 实施步骤)", |d| {
                    d["stages"] = json!([{ "key": "implement", "name": "组织实施", "start": "2020年4月16日",
                                           "end": "2020年12月底", "description": "" }]);
                }),
                ("the year-end tasks due 2020年底前 (stated as tasks, not filings)", |d| {
                    let due = json!({"kind": "fixed", "due": "2020年12月底前"});
                    d["deliverables"].as_array_mut().unwrap().push(added("year-end", "年度任务", None, due));
                }),
                (
                    "the quarterly coordination meeting (每季度召开一次协调会议: a meeting, not a filing)",
                    |d| {
                        let due = json!({"kind": "recurring", "every": "quarter", "from": "2020-04", "to": "2020-12",
                                     "due_day": "last", "text": "每季度召开一次协调会议"});
                        d["deliverables"].as_array_mut().unwrap().push(added("meetings", "协调会议", None, due));
                    },
                ),
            ],
        ),
        (
            "guangdong-2022-safety-net",
            "gd-2022-safety-net",
            vec![
                ("the year, 2022 (the notice says only 今年): issued and period", |d| {
                    d["programme"]["issued"] = json!("2022年1月1日");
                    d["programme"]["period"] = json!({"start": "2022年1月1日", "end": "2022年12月31日"});
                }),
                ("one stage, the year", |d| {
                    d["stages"] = json!([{ "key": "year", "name": "全年", "start": "2022年1月1日",
                                           "end": "2022年12月31日", "description": "" }]);
                }),
                (
                    "于4月30日前制定出台本地实施意见, pinned to 2022 (read, but left unpinned without a year)",
                    |d| {
                        let due = json!({"kind": "fixed", "due": "2022年4月30日前"});
                        d["deliverables"].as_array_mut().unwrap().push(added(
                            "local-opinions",
                            "本地实施意见",
                            None,
                            due,
                        ));
                    },
                ),
            ],
        ),
        (
            "shizuishan-2024-service-assistance",
            "shizuishan-2024-service-assistance",
            vec![
                ("the mid-term evaluation, 150 days into the pilot (the fixture's reading of 中期)", |d| {
                    let due =
                        json!({"kind": "relative_to_stage", "stage": "stage-2", "anchor": "start", "offset_days": 150});
                    d["deliverables"].as_array_mut().unwrap().push(added(
                        "mid-term",
                        "中期评估报告",
                        Some("stage-2"),
                        due,
                    ));
                }),
                ("the final evaluation, when the pilot ends (事后回访 has no date)", |d| {
                    let due =
                        json!({"kind": "relative_to_stage", "stage": "stage-2", "anchor": "end", "offset_days": 0});
                    d["deliverables"].as_array_mut().unwrap().push(added(
                        "final",
                        "期末绩效评估报告",
                        Some("stage-2"),
                        due,
                    ));
                }),
            ],
        ),
    ];
    let t = TestApp::new().await;
    let mut report = String::new();
    for (name, fixture_key, edits) in seeds {
        let (s, d) = t.post("/api/v1/programme-drafts", &json!({"text": seed(name)})).await;
        assert_eq!(s, 200, "{name}: {d}");
        let mut doc = d["document"].clone();
        doc["programme"]["key"] = json!(format!("draft-of-{}", &name[..name.find('-').unwrap()]));
        for (_, edit) in &edits {
            edit(&mut doc);
        }
        let (s, pv) = t.post("/api/v1/programmes/import/preview", &doc).await;
        assert_eq!((s, pv["importable"].as_bool()), (200, Some(true)), "{name}: {pv}");
        let (s, b) = t.post("/api/v1/programmes/import", &doc).await;
        assert_eq!(s, 201, "{name}: {b}");
        let (s, b) = t.post("/api/v1/programmes/import", &fixture_json(name)).await;
        assert_eq!(s, 201, "{name}: {b}");
        let key = doc["programme"]["key"].as_str().unwrap().to_owned();
        assert_eq!(windows(&t, &key).await, windows(&t, fixture_key).await, "{name} after {} edits", edits.len());
        report.push_str(&format!(
            "{name}: {} edit(s){}\n",
            edits.len(),
            edits.iter().map(|(why, _)| format!("; {why}")).collect::<String>()
        ));
    }
    println!("{report}");
}

/// A fixture as the import endpoint takes it (JSON).
fn fixture_json(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

/// The page's HTML-escaped text read back as the browser reads it.
fn unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The setup page: 福建's notice uploaded as a Word file shows the notice with every item marked
/// where it was read, beside the draft; the draft, with one edit (its key), previews clean and
/// offers the import. A file that is not a notice, an empty paste and a lead each get a clear page.
#[tokio::test]
async fn the_setup_page_reads_a_notice_into_a_draft_that_previews_clean() {
    use poem::test::{TestForm, TestFormField};
    let t = TestApp::new().await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    t.add_user("gl-lead", Role::UnitLead, "350102").await;
    let session = |user: &'static str| {
        let t = &t;
        async move {
            let resp = t.form_login(user, crate::helpers::PASSWORD).await;
            let cookie =
                resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
            let page = t.client.get("/ui/").header("cookie", cookie.clone()).send().await.0;
            let page = page.into_body().into_string().await.unwrap();
            let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            (cookie, csrf)
        }
    };
    let (cookie, csrf) = session("fj-admin").await;
    let new = t.client.get("/ui/programmes/new").header("cookie", cookie.clone()).send().await.0;
    assert!(new.into_body().into_string().await.unwrap().contains("id=\"notice-form\""), "the setup page offers it");
    let post = |form: TestForm, cookie: String, path: &'static str| {
        let t = &t;
        async move {
            let resp = t.client.post(path).header("cookie", cookie).multipart(form).send().await.0;
            let status = resp.status().as_u16();
            (status, resp.into_body().into_string().await.unwrap())
        }
    };
    let text = seed("fujian-2022-reform-pilot");
    let file = TestFormField::bytes(docx_of(&text)).name("file").filename("minzhu-2022-98.docx");
    let (s, page) =
        post(TestForm::new().text("csrf", csrf.clone()).field(file), cookie.clone(), "/ui/programmes/new/notice").await;
    assert_eq!(s, 200, "{page}");
    // Each item marked in the notice where it was read, and listed with a link to its mark.
    let source = page.split("id=\"source\">").nth(1).unwrap().split("</div>").next().unwrap();
    let marked = |class: &str| source.matches(&format!("class=\"k-{class}\">")).count();
    assert!(marked("stage") >= 3 && marked("deliverable") >= 2 && marked("direction") >= 10, "{page}");
    // Every character of the notice is on the page, marks aside.
    let mut plain = String::new();
    let mut rest = source;
    while let Some(i) = rest.find('<') {
        plain.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find('>').unwrap() + 1..];
    }
    plain.push_str(rest);
    let lines = |s: &str| s.trim_end().lines().map(|l| l.trim_end().to_owned()).collect::<Vec<_>>();
    assert_eq!(lines(&unescape(&plain)), lines(&text));
    let stage_mark = source.split("class=\"k-stage\">").nth(1).unwrap().split("</mark>").next().unwrap();
    assert!(stage_mark.contains("部署阶段") && stage_mark.contains("2022年8月下旬"), "{stage_mark}");
    assert!(page.contains("部署阶段：2022年8月下旬至2022年9月中旬"), "the stage's window in the list");
    assert!(page.contains("试点方案 · 2022年9月20日前"), "the plan's deadline in the list");
    for anchor in page.split("href=\"#src-").skip(1).map(|r| r.split('"').next().unwrap()) {
        assert!(page.contains(&format!("id=\"src-{anchor}\"")), "every link lands on a mark: src-{anchor}");
    }
    // The draft, edited and previewed as the existing setup flow does it.
    let draft = unescape(
        page.split("name=\"text\" rows=\"24\" spellcheck=\"false\">")
            .nth(1)
            .unwrap()
            .split("</textarea>")
            .next()
            .unwrap(),
    );
    assert!(draft.contains("scope: '350000'") || draft.contains("scope: \"350000\""), "{draft}");
    let key = draft.lines().find(|l| l.trim_start().starts_with("key: draft-")).unwrap().to_owned();
    let edited = draft.replacen(&key, "  key: fj-from-the-page", 1);
    let (s, preview) = post(
        TestForm::new().text("csrf", csrf.clone()).text("text", edited),
        cookie.clone(),
        "/ui/programmes/new/preview",
    )
    .await;
    assert_eq!(s, 200, "{preview}");
    assert!(preview.contains("id=\"import\"") && preview.contains("2022年9月20日前"), "{preview}");

    // Bad input: each a page that says what to do.
    let not_docx = TestFormField::bytes(b"PK\x03\x04 not a zip".to_vec()).name("file").filename("notice.docx");
    let (s, page) =
        post(TestForm::new().text("csrf", csrf.clone()).field(not_docx), cookie.clone(), "/ui/programmes/new/notice")
            .await;
    assert!(s == 422 && page.contains("未能读取通知") && page.contains(".docx"), "{s} {page}");
    let (s, page) = post(
        TestForm::new().text("csrf", csrf.clone()).text("text", " \n"),
        cookie.clone(),
        "/ui/programmes/new/notice",
    )
    .await;
    assert!(s == 422 && page.contains("请粘贴通知的全文"), "{s} {page}");
    let (s, _) =
        post(TestForm::new().text("csrf", "forged").text("text", text.clone()), cookie, "/ui/programmes/new/notice")
            .await;
    assert_eq!(s, 403, "a form without the session's token");
    let (lead_cookie, lead_csrf) = session("gl-lead").await;
    let (s, page) =
        post(TestForm::new().text("csrf", lead_csrf).text("text", text), lead_cookie, "/ui/programmes/new/notice")
            .await;
    assert!(s == 403 && page.contains("无权访问"), "{s} {page}");
}
