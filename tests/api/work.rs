//! The daily work through the dashboard's forms, in-process: a lead files, the city returns and
//! approves, the province files; and what each form refuses — another unit's deadline, a
//! decision at another level, a missing or foreign form token, a stale revision, a refused
//! attachment — each a clear page, nothing half-written.

use pilotgov::domain::access::Role;
use poem::http::StatusCode;
use poem::test::{TestForm, TestFormField};

use crate::helpers::{PASSWORD, TestApp};

const FJ: &str = "fj-2022-reform-pilot";

/// The host the test browser says it reached.
pub(crate) const HOST: &str = "pilotgov.test:8080";

pub(crate) struct Browser<'a> {
    t: &'a TestApp,
    cookie: String,
}

impl<'a> Browser<'a> {
    pub(crate) async fn sign_in(t: &'a TestApp, user: &str) -> Self {
        let resp = t.form_login(user, PASSWORD).await;
        resp.assert_status(StatusCode::SEE_OTHER);
        let cookie =
            resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
        Self { t, cookie }
    }

    /// A download: status, content type, content disposition and bytes.
    pub(crate) async fn bytes(&self, uri: &str) -> (u16, String, String, Vec<u8>) {
        let resp = self.t.client.get(uri).header("cookie", &self.cookie).send().await.0;
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let (ctype, disposition) = (header("content-type"), header("content-disposition"));
        (resp.status().as_u16(), ctype, disposition, resp.into_body().into_vec().await.unwrap())
    }

    pub(crate) async fn get(&self, uri: &str) -> (u16, String) {
        let resp = self.t.client.get(uri).header("cookie", &self.cookie).send().await.0;
        (resp.status().as_u16(), resp.into_body().into_string().await.unwrap())
    }

    /// The form token of the pages this browser is shown.
    pub(crate) async fn token(&self) -> String {
        let (_, home) = self.get("/ui").await;
        field(&home, "csrf")
    }

    /// Posts a form; answers the status and where it redirects (or the page's text).
    pub(crate) async fn post(&self, uri: &str, fields: &[(&str, &str)]) -> (u16, String) {
        // A browser names the host it reached (pages that print an absolute URL use it).
        let resp =
            self.t.client.post(uri).header("cookie", &self.cookie).header("host", HOST).form(&fields).send().await.0;
        let status = resp.status().as_u16();
        match resp.headers().get("location") {
            Some(l) => (status, l.to_str().unwrap().to_owned()),
            None => (status, resp.into_body().into_string().await.unwrap()),
        }
    }

    async fn upload(&self, filing: &str, token: &str, revision: &str, name: &str, ty: &str) -> (u16, String) {
        let form = TestForm::new()
            .text("csrf", token)
            .text("revision", revision)
            .field(TestFormField::bytes(b"%PDF-1.4 plan".to_vec()).name("file").filename(name).content_type(ty));
        let resp = self
            .t
            .client
            .post(format!("/ui/filings/{filing}/attachments"))
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await
            .0;
        let status = resp.status().as_u16();
        match resp.headers().get("location") {
            Some(l) => (status, l.to_str().unwrap().to_owned()),
            None => (status, resp.into_body().into_string().await.unwrap()),
        }
    }
}

/// The value of the first hidden field `name` on a page.
pub(crate) fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

async fn fujian() -> TestApp {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.lead("taijiang-lead", "350103").await;
    t.lead("minhou-lead", "350121").await;
    t.add_user("fz-reviewer", Role::CityReviewer, "350100").await;
    t.add_user("fj-admin", Role::ProvinceAdmin, "350000").await;
    t.set_time("2022-09-14T10:00:00+08:00");
    t
}

#[tokio::test]
async fn a_report_goes_round_through_the_forms() {
    let t = fujian().await;
    let lead = Browser::sign_in(&t, "taijiang-lead").await;
    let (_, home) = lead.get("/ui").await;
    assert!(home.contains(&format!("/ui/p/{FJ}/units/350103")), "the lead's home leads to its unit: {home}");
    // What awaits the lead comes first: the plan due within the week, with the days left.
    let mine = home.split("id=\"mine\"").nth(1).expect("a list of what awaits the lead");
    assert!(mine.contains("试点实施方案") && mine.contains("剩6天"), "{mine}");
    let (s, unit) = lead.get(&format!("/ui/p/{FJ}/units/350103")).await;
    assert_eq!(s, 200);
    assert!(unit.contains("填报"), "{unit}");
    let token = field(&unit, "csrf");

    // Open the plan's filing: a draft, then the same one again.
    let open = format!("/ui/p/{FJ}/units/350103/filings");
    let (s, to) = lead.post(&open, &[("csrf", &token), ("deliverable", "plan"), ("occurrence", "once")]).await;
    assert_eq!(s, 303, "{to}");
    let id = to.trim_start_matches("/ui/filings/").split('?').next().unwrap().to_owned();
    let (s, again) = lead.post(&open, &[("csrf", &token), ("deliverable", "plan"), ("occurrence", "once")]).await;
    assert_eq!((s, again.as_str()), (303, format!("/ui/filings/{id}").as_str()));
    let (_, page) = lead.get(&to).await;
    assert!(page.contains("已创建草稿") && page.contains(">草稿</span>") && page.contains("上传附件"), "{page}");

    // Edit, attach, submit, each against the revision the page showed.
    let rev = field(&page, "revision");
    let (s, to) = lead
        .post(
            &format!("/ui/filings/{id}/edit"),
            &[("csrf", &token), ("revision", &rev), ("title", "台江区试点实施方案"), ("body", "一、工作目标")],
        )
        .await;
    assert_eq!((s, to.as_str()), (303, format!("/ui/filings/{id}?done=saved").as_str()));
    let (_, page) = lead.get(&to).await;
    let (s, to) = lead.upload(&id, &token, &field(&page, "revision"), "plan.pdf", "application/pdf").await;
    assert_eq!(s, 303, "{to}");
    let (_, page) = lead.get(&to).await;
    assert!(page.contains("plan.pdf"), "{page}");
    let (s, _) = lead
        .post(&format!("/ui/filings/{id}/submit"), &[("csrf", &token), ("revision", &field(&page, "revision"))])
        .await;
    assert_eq!(s, 303);

    // The city's queue has it; returning needs a reason; the queue comes back after a decision.
    let city = Browser::sign_in(&t, "fz-reviewer").await;
    let (_, board) = city.get(&format!("/ui/p/{FJ}?status=done")).await;
    assert!(
        board.contains("台江区") && board.contains("审核中"),
        "a filing in review is not shown as finished: {board}"
    );
    let (_, queue) = city.get("/ui/queue").await;
    assert!(queue.contains(&format!("/ui/filings/{id}")) && queue.contains("台江区"), "{queue}");
    let (_, page) = city.get(&format!("/ui/filings/{id}")).await;
    assert!(page.contains("审核意见") && page.contains("审定通过"), "{page}");
    let (ctoken, rev) = (field(&page, "csrf"), field(&page, "revision"));
    let review = format!("/ui/filings/{id}/review");
    let (s, refusal) =
        city.post(&review, &[("csrf", &ctoken), ("revision", &rev), ("decision", "return"), ("reason", " ")]).await;
    assert_eq!(s, 422, "{refusal}");
    assert!(refusal.contains("理由"), "{refusal}");
    let (s, to) = city
        .post(&review, &[("csrf", &ctoken), ("revision", &rev), ("decision", "return"), ("reason", "缺少需求台账")])
        .await;
    assert_eq!((s, to.as_str()), (303, "/ui/queue?done=returned"));

    // The lead sees the reason, edits and resubmits.
    let (_, page) = lead.get(&format!("/ui/filings/{id}")).await;
    assert!(page.contains("已退回修改") && page.contains("缺少需求台账"), "{page}");
    let (s, _) = lead
        .post(
            &format!("/ui/filings/{id}/edit"),
            &[
                ("csrf", &token),
                ("revision", &field(&page, "revision")),
                ("title", "台江区试点实施方案（修订）"),
                ("body", "附需求台账"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (_, page) = lead.get(&format!("/ui/filings/{id}")).await;
    assert!(page.contains("修改后重新提交"), "{page}");
    let (s, _) = lead
        .post(&format!("/ui/filings/{id}/submit"), &[("csrf", &token), ("revision", &field(&page, "revision"))])
        .await;
    assert_eq!(s, 303);

    // The city approves; the province files (备案).
    let (_, page) = city.get(&format!("/ui/filings/{id}")).await;
    let (s, _) = city
        .post(&review, &[("csrf", &ctoken), ("revision", &field(&page, "revision")), ("decision", "approve")])
        .await;
    assert_eq!(s, 303);
    let province = Browser::sign_in(&t, "fj-admin").await;
    let (_, queue) = province.get("/ui/queue").await;
    assert!(queue.contains(&format!("/ui/filings/{id}")), "{queue}");
    let (_, page) = province.get(&format!("/ui/filings/{id}")).await;
    assert!(page.contains("value=\"file\""), "the province files: {page}");
    let (s, _) = province
        .post(
            &review,
            &[("csrf", &field(&page, "csrf")), ("revision", &field(&page, "revision")), ("decision", "file")],
        )
        .await;
    assert_eq!(s, 303);

    // The API agrees: filed, on time, with both versions and three decisions, all audited.
    let (s, f) = t.get(&format!("/api/v1/filings/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(f["filing"]["state"], "filed");
    assert_eq!(f["filing"]["timeliness"]["status"], "on_time", "{f}");
    assert_eq!(f["versions"].as_array().unwrap().len(), 2);
    assert_eq!(f["reviews"].as_array().unwrap().len(), 3);
    let (_, audit) = t.get(&format!("/api/v1/audit?entity=filing:{id}&limit=50")).await;
    // (The test clock stands still, so the entries share one instant: compared as a set.)
    let mut actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort_unstable();
    let mut expected = [
        "filing.create",
        "filing.update",
        "filing.attach",
        "filing.submit",
        "filing.review.return",
        "filing.update",
        "filing.submit",
        "filing.review.approve",
        "filing.review.file",
    ];
    expected.sort_unstable();
    assert_eq!(actions, expected);
    let (_, page) = lead.get(&format!("/ui/filings/{id}")).await;
    assert!(page.contains("已备案") && !page.contains("提交报送"), "{page}");
}

#[tokio::test]
async fn the_forms_refuse_what_is_not_yours_and_what_is_stale() {
    let t = fujian().await;
    let lead = Browser::sign_in(&t, "taijiang-lead").await;
    let token = lead.token().await;
    let other = Browser::sign_in(&t, "minhou-lead").await;
    let audit_before = t.app.state.store.audit_count().await.unwrap();

    // Another unit's deadline: not there for this lead; nothing created.
    let (s, _) = lead
        .post(
            &format!("/ui/p/{FJ}/units/350121/filings"),
            &[("csrf", &token), ("deliverable", "plan"), ("occurrence", "once")],
        )
        .await;
    assert_eq!(s, 404);
    // No token, or another session's: refused, nothing created.
    let open = format!("/ui/p/{FJ}/units/350103/filings");
    let (s, page) = lead.post(&open, &[("deliverable", "plan"), ("occurrence", "once")]).await;
    assert_eq!(s, 403, "{page}");
    assert!(page.contains("页面已过期"), "{page}");
    let (s, _) =
        lead.post(&open, &[("csrf", &other.token().await), ("deliverable", "plan"), ("occurrence", "once")]).await;
    assert_eq!(s, 403);
    // A post from another site's page is refused even with the token.
    let resp = t
        .client
        .post(&open)
        .header("cookie", &lead.cookie)
        .header("origin", "https://evil.example")
        .form(&[("csrf", token.as_str()), ("deliverable", "plan"), ("occurrence", "once")])
        .send()
        .await;
    resp.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(t.app.state.store.audit_count().await.unwrap(), audit_before, "nothing was written");

    // The lead's draft; another lead cannot open it, the city cannot edit it.
    let (_, to) = lead.post(&open, &[("csrf", &token), ("deliverable", "plan"), ("occurrence", "once")]).await;
    let id = to.trim_start_matches("/ui/filings/").split('?').next().unwrap().to_owned();
    let (s, _) = other.get(&format!("/ui/filings/{id}")).await;
    assert_eq!(s, 404);
    let city = Browser::sign_in(&t, "fz-reviewer").await;
    let (s, page) = city.get(&format!("/ui/filings/{id}")).await;
    assert_eq!(s, 200);
    assert!(!page.contains("name=\"title\""), "a reviewer is not shown the lead's form");
    let (s, _) = city
        .post(
            &format!("/ui/filings/{id}/edit"),
            &[("csrf", &city.token().await), ("revision", "1"), ("title", "x"), ("body", "y")],
        )
        .await;
    assert_eq!(s, 403);

    // A stale edit: refused with the current text, and what was typed shown, not lost.
    let edit = format!("/ui/filings/{id}/edit");
    let (s, _) = lead.post(&edit, &[("csrf", &token), ("revision", "1"), ("title", "第一稿"), ("body", "甲")]).await;
    assert_eq!(s, 303);
    let (s, page) =
        lead.post(&edit, &[("csrf", &token), ("revision", "1"), ("title", "另一稿"), ("body", "乙方案正文")]).await;
    assert_eq!(s, 409, "{page}");
    assert!(page.contains("已被修改") && page.contains("第一稿") && page.contains("乙方案正文"), "{page}");

    // A refused attachment type: a page saying so, nothing attached.
    let (_, page) = lead.get(&format!("/ui/filings/{id}")).await;
    let (s, page) = lead.upload(&id, &token, &field(&page, "revision"), "run.exe", "application/x-msdownload").await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("未能办理") && page.contains("not accepted"), "{page}");
    assert!(page.contains("不接受这种文件类型"), "the refusal in the page's words: {page}");
    let (_, f) = t.get(&format!("/api/v1/filings/{id}")).await;
    assert!(f["filing"]["attachments"].as_array().unwrap().is_empty());

    // Too large for the limit: refused before it is read, as a page (the API's refusal is JSON).
    let huge = (t.app.config.attachment_limit + 128 * 1024).to_string();
    for (uri, page) in
        [(format!("/ui/filings/{id}/attachments"), true), (format!("/api/v1/filings/{id}/attachments"), false)]
    {
        let resp = t
            .client
            .post(uri)
            .header("cookie", &lead.cookie)
            .header("content-type", "multipart/form-data; boundary=x")
            .header("content-length", huge.as_str())
            .body("--x--")
            .send()
            .await;
        resp.assert_status(poem::http::StatusCode::PAYLOAD_TOO_LARGE);
        let body = resp.0.into_body().into_string().await.unwrap();
        if page {
            assert!(body.contains("文件过大") && body.contains("20 MB") && body.contains("<header>"), "{body}");
        } else {
            assert!(body.contains("payload_too_large"), "{body}");
        }
    }
    let (_, f) = t.get(&format!("/api/v1/filings/{id}")).await;
    assert!(f["filing"]["attachments"].as_array().unwrap().is_empty());

    // Submitted: the province cannot decide at the city's step.
    let (_, page) = lead.get(&format!("/ui/filings/{id}")).await;
    let (s, _) = lead
        .post(&format!("/ui/filings/{id}/submit"), &[("csrf", &token), ("revision", &field(&page, "revision"))])
        .await;
    assert_eq!(s, 303);
    let province = Browser::sign_in(&t, "fj-admin").await;
    let (_, queue) = province.get("/ui/queue").await;
    assert!(!queue.contains(&id), "it waits at the city, not in the province's queue");
    let (_, page) = province.get(&format!("/ui/filings/{id}")).await;
    assert!(!page.contains("审核意见"), "no decision form at another level");
    let (_, f) = t.get(&format!("/api/v1/filings/{id}")).await;
    let revision = f["filing"]["revision"].to_string();
    let (s, _) = province
        .post(
            &format!("/ui/filings/{id}/review"),
            &[("csrf", &province.token().await), ("revision", &revision), ("decision", "approve")],
        )
        .await;
    assert_eq!(s, 403);

    // An unknown dashboard address is a page, not the API's JSON.
    let (s, page) = lead.get("/ui/no-such-page").await;
    assert_eq!(s, 404);
    assert!(page.contains("<html") && page.contains("返回首页"), "{page}");

    // Reminders: the inbox lists them and marks one read.
    pilotgov::jobs::reminders::run(&t.app.state.store, crate::helpers::at("2022-09-15T09:00:00+08:00"), None, false)
        .await
        .unwrap();
    let minhou = Browser::sign_in(&t, "minhou-lead").await;
    let (_, inbox) = minhou.get("/ui/inbox").await;
    assert!(inbox.contains("未读1条") && inbox.contains("临近提醒"), "{inbox}");
    let action = format!("/ui/inbox/{}", inbox.split("action=\"/ui/inbox/").nth(1).unwrap().split('"').next().unwrap());
    let (s, to) = minhou.post(&action, &[("csrf", &minhou.token().await)]).await;
    assert_eq!((s, to.as_str()), (303, "/ui/inbox?done=read"));
    let (_, inbox) = minhou.get("/ui/inbox").await;
    assert!(inbox.contains("未读0条"), "{inbox}");
}

#[tokio::test]
async fn a_running_programme_changes_through_its_settings_and_unit_pages() {
    let t = fujian().await;
    let city = Browser::sign_in(&t, "fz-reviewer").await;
    let lead = Browser::sign_in(&t, "minhou-lead").await;
    let unit = format!("/ui/p/{FJ}/units/350121");
    let manage = format!("{unit}/manage");
    let (s, page) = city.get(&unit).await;
    assert_eq!(s, 200);
    assert!(page.contains("单位管理") && page.contains("name=\"direction\" value=\"1\" checked"), "{page}");
    let (_, own) = lead.get(&unit).await;
    assert!(!own.contains("单位管理"), "a lead does not manage its unit");
    let token = city.token().await;
    let audit_before = t.app.state.store.audit_count().await.unwrap();

    // Three directions break the per-unit bound: refused with the rule named, nothing written.
    let fields =
        [("csrf", token.as_str()), ("action", "change"), ("direction", "1"), ("direction", "2"), ("direction", "3")];
    let (s, page) = city.post(&manage, &fields).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("试点方向数量不符合每个单位的要求"), "{page}");
    assert_eq!(t.app.state.store.audit_count().await.unwrap(), audit_before);
    let fields = [
        ("csrf", token.as_str()),
        ("action", "change"),
        ("direction", "1"),
        ("lead_name", "林主任"),
        ("lead_phone", "13800000000"),
    ];
    let (s, to) = city.post(&manage, &fields).await;
    assert_eq!((s, to.as_str()), (303, format!("{unit}?done=changed").as_str()));
    let (_, u) = t.get(&format!("/api/v1/programmes/{FJ}/units/350121")).await;
    assert_eq!(u["lead"]["name"], "林主任");

    // Withdrawn: the page says so, the lead files no more; taken back under the quotas.
    let (s, page) = city.post(&manage, &[("csrf", token.as_str()), ("action", "withdraw"), ("reason", "")]).await;
    assert_eq!(s, 422, "a withdrawal says why: {page}");
    let (s, to) = city.post(&manage, &[("csrf", token.as_str()), ("action", "withdraw"), ("reason", "撤县设区")]).await;
    assert_eq!((s, to.as_str()), (303, format!("{unit}?done=withdrawn").as_str()));
    let (_, page) = city.get(&to).await;
    assert!(page.contains("退出试点：撤县设区（fz-reviewer办理）") && page.contains("恢复为试点单位"), "{page}");
    let (_, own) = lead.get(&unit).await;
    assert!(own.contains("退出试点") && !own.contains(">填报<"), "{own}");
    let (s, to) = city.post(&manage, &[("csrf", token.as_str()), ("action", "reinstate")]).await;
    assert_eq!((s, to.as_str()), (303, format!("{unit}?done=reinstated").as_str()));
    let (_, own) = lead.get(&unit).await;
    assert!(own.contains(">填报<"), "{own}");

    // 项目设置 belongs to the province that defines the programme.
    let settings = format!("/ui/p/{FJ}/settings");
    let (s, _) = city.get(&settings).await;
    assert_eq!(s, 403);
    let admin = Browser::sign_in(&t, "fj-admin").await;
    let (s, page) = admin.get(&settings).await;
    assert_eq!(s, 200);
    assert!(page.contains("项目信息和遴选规则") && page.contains("部署阶段"), "{page}");
    let token = admin.token().await;
    let head = |max: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("title", "福建省社会救助改革创新试点工作".to_owned()),
            ("directions_per_unit_min", "1".to_owned()),
            ("directions_per_unit_max", "2".to_owned()),
            ("units_per_group_min", "1".to_owned()),
            ("units_per_group_max", max.to_owned()),
            ("directions_per_group_min", "1".to_owned()),
            ("directions_per_group_max", "2".to_owned()),
        ]
    };
    let as_refs = |v: &[(&'static str, String)]| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let post = |fields: Vec<(&'static str, String)>, to: String| {
        let admin = &admin;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post(&to, &f).await
        }
    };
    let (s, page) = post(as_refs(&head("1")), format!("{settings}/head")).await;
    assert_eq!(s, 422, "福州 has two units: {page}");
    assert!(page.contains("超过了同一地区的试点单位名额"), "{page}");
    let (s, to) = post(as_refs(&head("3")), format!("{settings}/head")).await;
    assert_eq!((s, to.as_str()), (303, format!("{settings}?done=head").as_str()));
    let stage = vec![
        ("csrf", token.clone()),
        ("key", "deploy".to_owned()),
        ("name", "动员部署阶段".to_owned()),
        ("start", "2022年8月下旬".to_owned()),
        ("end", "2022年9月中旬".to_owned()),
    ];
    let (s, _) = post(stage, format!("{settings}/stage")).await;
    assert_eq!(s, 303);
    let (_, st) = t.get(&format!("/api/v1/programmes/{FJ}/stages/deploy")).await;
    assert_eq!(st["name"], "动员部署阶段");
    let add = |due: &str| {
        vec![
            ("csrf", token.clone()),
            ("mode", "add".to_owned()),
            ("key", "mid-report".to_owned()),
            ("title", "中期报告".to_owned()),
            ("due", due.to_owned()),
            ("stage", "implement".to_owned()),
            ("route", "市级审定 → 省级备案".to_owned()),
        ]
    };
    let (s, page) = post(add("2024年3月底前"), format!("{settings}/deliverable")).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("日期超出了试点期"), "{page}");
    let (s, _) = post(add("2023年3月底前"), format!("{settings}/deliverable")).await;
    assert_eq!(s, 303);
    let (_, d) = t.get(&format!("/api/v1/programmes/{FJ}/deliverables/mid-report")).await;
    assert_eq!(
        d["route"],
        serde_json::json!([{"level": "city", "action": "review"}, {"level": "province", "action": "file"}]),
        "{d}"
    );
    let (_, page) = admin.get(&settings).await;
    assert!(page.contains("中期报告") && page.contains("动员部署阶段"));
}

#[tokio::test]
async fn a_programme_built_in_forms_is_previewed_and_imported() {
    let t = fujian().await;
    let admin = Browser::sign_in(&t, "fj-admin").await;
    let (s, page) = admin.get("/ui/programmes/new").await;
    assert!(s == 200 && page.contains("逐项填写"), "{page}");
    let token = admin.token().await;
    let form = |due: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("key", "fj-2026-service".to_owned()),
            ("title", "福建省服务类社会救助试点".to_owned()),
            ("issuer", "福建省民政厅".to_owned()),
            ("issued", "2026年3月1日".to_owned()),
            ("period_start", "2026年3月1日".to_owned()),
            ("period_end", "2026年12月底".to_owned()),
            ("scope", "350000".to_owned()),
            ("unit_level", "county".to_owned()),
            ("group_level", "city".to_owned()),
            ("units_per_group_max", "2".to_owned()),
            ("stage_name", "部署阶段".to_owned()),
            ("stage_start", "2026年3月".to_owned()),
            ("stage_end", "2026年4月".to_owned()),
            ("stage_name", "实施阶段".to_owned()),
            ("stage_start", "2026年5月".to_owned()),
            ("stage_end", "2026年11月".to_owned()),
            ("directions", "服务类救助\n救助+医保".to_owned()),
            ("direction_kind", "choice".to_owned()),
            ("deliverable_title", "试点实施方案".to_owned()),
            ("deliverable_due", due.to_owned()),
            ("deliverable_route", "city-review-province-file".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post("/ui/programmes/new/build", &f).await
        }
    };
    let (s, page) = post(form("2027年1月20日前")).await;
    assert_eq!(s, 422, "a deadline after the period is pointed at: {page}");
    assert!(page.contains("日期超出了试点期") || page.contains("试点期"), "{page}");
    let (s, page) = post(form("2026年4月20日前")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("部署阶段") && page.contains("2026年4月20日前"), "{page}");
    let document = field(&page, "document").replace("&#x2F;", "/");
    assert!(!document.is_empty(), "the preview offers the import");
    let (s, to) = admin.post("/ui/programmes/new", &[("csrf", token.as_str()), ("document", document.as_str())]).await;
    assert_eq!((s, to.as_str()), (303, "/ui/p/fj-2026-service"), "{to}");
    let (_, d) = t.get("/api/v1/programmes/fj-2026-service/deliverables/deliverable-1").await;
    assert_eq!(d["title"], "试点实施方案");
    let (_, dirs) = t.get("/api/v1/programmes/fj-2026-service/directions").await;
    assert_eq!(dirs.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_province_admin_recodes_a_county_and_the_trail_names_it_in_chinese() {
    let t = fujian().await;
    let city = Browser::sign_in(&t, "fz-reviewer").await;
    let (s, _) = city.get("/ui/regions").await;
    assert_eq!(s, 403, "regions are the province's");
    let admin = Browser::sign_in(&t, "fj-admin").await;
    let (s, page) = admin.get("/ui/regions?q=%E9%97%BD%E4%BE%AF").await;
    assert!(s == 200 && page.contains("福建省 福州市 闽侯县") && page.contains("350121"), "{page}");
    let token = admin.token().await;
    let (s, to) = admin
        .post("/ui/regions/350121/recode", &[("csrf", token.as_str()), ("code", "350199"), ("name", "闽侯区")])
        .await;
    assert_eq!(s, 303, "{to}");
    let (_, page) = admin.get(&to).await;
    assert!(page.contains("已改用新代码") && page.contains("350199"), "{page}");
    let (s, u) = t.get(&format!("/api/v1/programmes/{FJ}/units/350199")).await;
    assert_eq!((s, u["name"].as_str()), (200, Some("闽侯区")), "{u}");
    let (_, trail) = admin.get("/ui/audit?action=region.recode").await;
    assert!(trail.contains("行政区划 · 撤并或改用新代码"), "{trail}");
}

#[tokio::test]
async fn accounts_are_found_by_region_and_status_and_their_contact_is_edited() {
    let t = fujian().await;
    let admin = Browser::sign_in(&t, "fj-admin").await;
    let (s, page) = admin.get("/ui/accounts?region=350121").await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"a-minhou-lead\"") && !page.contains("id=\"a-taijiang-lead\""), "{page}");
    assert!(page.contains("<option value=\"350121\" selected>闽侯县</option>"), "{page}");
    let token = admin.token().await;
    let (s, to) = admin
        .post(
            "/ui/accounts/minhou-lead/edit",
            &[("csrf", token.as_str()), ("display_name", "闽侯县民政局"), ("phone", "13905910000")],
        )
        .await;
    assert_eq!((s, to.as_str()), (303, "/ui/accounts?done=edited"));
    let (_, a) = t.get("/api/v1/accounts/minhou-lead").await;
    assert_eq!((a["display_name"].as_str(), a["phone"].as_str()), (Some("闽侯县民政局"), Some("13905910000")), "{a}");
    let (s, page) = admin
        .post("/ui/accounts/minhou-lead/edit", &[("csrf", token.as_str()), ("display_name", ""), ("phone", "")])
        .await;
    assert_eq!(s, 422, "a name is required: {page}");
    let (s, _) = admin.post("/ui/accounts/minhou-lead/disable", &[("csrf", token.as_str())]).await;
    assert_eq!(s, 303);
    let (_, page) = admin.get("/ui/accounts?status=disabled").await;
    assert!(page.contains("id=\"a-minhou-lead\"") && !page.contains("id=\"a-fz-reviewer\""), "{page}");
}

#[tokio::test]
async fn a_month_of_xixiu_goes_round_the_pages() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    t.add_user("gz-admin", Role::ProvinceAdmin, "520000").await;
    t.add_user("xx-evaluator", Role::Evaluator, "520402").await;
    t.lead("nanjie-lead", "520402001").await;
    t.set_time("2019-05-06T10:00:00+08:00");
    const XX: &str = "xixiu-2019-comprehensive-reform";
    let unit = format!("/ui/p/{XX}/units/520402001");
    let total = || async {
        let (_, s) = t.get(&format!("/api/v1/programmes/{XX}/scores/2019-04?unit=520402001")).await;
        s[0]["total"].as_f64().unwrap()
    };
    let before = total().await;

    // The evaluator enters a deduction with its evidence; one over the item's full marks is refused.
    let evaluator = Browser::sign_in(&t, "xx-evaluator").await;
    let (_, page) = evaluator.get(&format!("{unit}?period=2019-04")).await;
    assert!(page.contains("2019年4月 加减分"), "{page}");
    let token = evaluator.token().await;
    let adjust = format!("{unit}/adjust");
    let audit = t.app.state.store.audit_count().await.unwrap();
    let deduction = |points: &'static str| {
        [
            ("csrf", token.clone()),
            ("period", "2019-04".to_owned()),
            ("item", "reform-tasks".to_owned()),
            ("kind", "deduction".to_owned()),
            ("points", points.to_owned()),
            ("reason", "综合改革任务推进滞后".to_owned()),
            ("evidence_kind", "document".to_owned()),
            ("evidence", "西民通〔2019〕12号督查通报".to_owned()),
        ]
    };
    let over = deduction("25");
    let (s, page) = evaluator.post(&adjust, &pairs(&over)).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("扣分超过了该项满分"), "{page}");
    assert_eq!(t.app.state.store.audit_count().await.unwrap(), audit, "nothing written");
    let three = deduction("3");
    let (s, to) = evaluator.post(&adjust, &pairs(&three)).await;
    assert_eq!((s, to.as_str()), (303, format!("{unit}?period=2019-04&done=adjusted#scores").as_str()));
    assert_eq!(total().await, before - 3.0);
    let (_, page) = evaluator.get(&format!("{unit}?period=2019-04")).await;
    assert!(
        page.contains("综合改革任务推进滞后）<br><span class=\"muted\">依据：西民通〔2019〕12号督查通报"),
        "the line shows its evidence: {page}"
    );
    let (_, list) = t.get(&format!("/api/v1/programmes/{XX}/adjustments?period=2019-04")).await;
    let key = list[0]["key"].as_str().unwrap().to_owned();

    // The lead appeals it on its own page (once); the province overturns it and the score returns.
    let lead = Browser::sign_in(&t, "nanjie-lead").await;
    let (_, page) = lead.get(&format!("{unit}?period=2019-04")).await;
    assert!(page.contains(&format!("name=\"target\" value=\"{key}\"")) && !page.contains("加减分"), "{page}");
    let token = lead.token().await;
    let appeal = [("csrf", token.as_str()), ("target", key.as_str()), ("reason", "任务已按期推进，附佐证")];
    let (s, to) = lead.post(&format!("{unit}/appeal"), &appeal).await;
    assert_eq!((s, to.as_str()), (303, format!("{unit}?period=2019-04&done=appealed#scores").as_str()));
    let (s, page) = lead.post(&format!("{unit}/appeal"), &appeal).await;
    assert_eq!(s, 409, "{page}");
    let admin = Browser::sign_in(&t, "gz-admin").await;
    let (_, queue) = admin.get("/ui/queue").await;
    let waiting = queue.split("id=\"appeals\"").nth(1).expect("the queue lists the appeal");
    assert!(
        waiting.contains("南街街道") && waiting.contains("任务已按期推进，附佐证") && waiting.contains("2019年4月"),
        "{waiting}"
    );
    let (_, queue) = lead.get("/ui/queue").await;
    assert!(!queue.contains("id=\"appeals\""), "a lead decides no appeal: {queue}");
    let (_, page) = admin.get(&format!("{unit}?period=2019-04")).await;
    assert!(page.contains("待复核") && page.contains("撤销该扣分"), "{page}");
    let appeal_key = page.split("/ui/appeals/").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
    let token = admin.token().await;
    let decide = format!("/ui/appeals/{appeal_key}/decide");
    let (s, to) =
        admin.post(&decide, &[("csrf", token.as_str()), ("decision", "overturn"), ("reason", "佐证属实")]).await;
    assert_eq!((s, to.as_str()), (303, format!("{unit}?period=2019-04&done=decided#scores").as_str()));
    assert_eq!(total().await, before, "the overturned deduction no longer counts");
    let (_, queue) = admin.get("/ui/queue").await;
    assert!(!queue.contains("id=\"appeals\""), "a decided appeal leaves the queue: {queue}");
    let (s, page) = admin.post(&decide, &[("csrf", token.as_str()), ("decision", "uphold"), ("reason", "改判")]).await;
    assert_eq!(s, 409, "a decided appeal is final: {page}");
    assert!(page.contains("申诉已有结论"), "{page}");

    // The province publishes the month after confirming; once only, then corrections.
    let publish = format!("/ui/p/{XX}/ranking/publish");
    let (s, _) =
        lead.post(&publish, &[("csrf", lead.token().await.as_str()), ("period", "2019-04"), ("confirm", "yes")]).await;
    assert_eq!(s, 403, "a lead does not publish");
    let (s, page) = admin.post(&publish, &[("csrf", token.as_str()), ("period", "2019-04")]).await;
    assert_eq!(s, 422, "publishing is confirmed: {page}");
    let (s, to) = admin.post(&publish, &[("csrf", token.as_str()), ("period", "2019-04"), ("confirm", "yes")]).await;
    assert_eq!((s, to.as_str()), (303, format!("/ui/p/{XX}/ranking?period=2019-04&published=1").as_str()));
    let (_, page) = admin.get(&to).await;
    assert!(page.contains("已发布，排名已冻结") && page.contains("发布更正"), "{page}");
    let (s, page) = admin.post(&publish, &[("csrf", token.as_str()), ("period", "2019-04"), ("confirm", "yes")]).await;
    assert_eq!(s, 409, "{page}");
    let (s, to) =
        admin.post(&publish, &[("csrf", token.as_str()), ("period", "2019-04"), ("reason", "补录一项加分")]).await;
    assert_eq!((s, to.as_str()), (303, format!("/ui/p/{XX}/ranking?period=2019-04&published=2").as_str()));
}

/// A form's owned fields as the pairs `Browser::post` takes.
pub(crate) fn pairs<'a, const N: usize>(f: &'a [(&'static str, String); N]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
