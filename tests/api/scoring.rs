//! Xixiu 2019 replayed: monthly data filings from April to December (some late, some missing),
//! manual deductions and bonuses, nine published monthly rankings with ties, one appeal overturned
//! and one upheld, a published month corrected as a new version, and the year-end 以奖代补 split
//! exact to the fen. Then Shizuishan's weighted evaluation with its panel rules.

use pilotgov::domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const XX: &str = "xixiu-2019-comprehensive-reform";
const P: &str = "/api/v1/programmes/xixiu-2019-comprehensive-reform";
const JIUZHOU: &str = "520402109";
const DONGJIE: &str = "520402002";

fn entry<'a>(ranking: &'a Value, unit: &str) -> &'a Value {
    ranking["entries"].as_array().unwrap().iter().find(|e| e["unit"] == unit).unwrap()
}

#[tokio::test]
async fn xixiu_2019_scores_rankings_appeals_and_the_reward_split() {
    let t = TestApp::with_fixture("xixiu-2019-comprehensive-reform.yaml").await;
    let jiuzhou = t.lead("jiuzhou-lead", JIUZHOU).await;
    let dongjie = t.lead("dongjie-lead", DONGJIE).await;
    t.add_user("xixiu-reviewer", Role::CityReviewer, "520402").await;
    t.add_user("xixiu-evaluator", Role::Evaluator, "520402").await;
    let reviewer = t.login("xixiu-reviewer").await;
    let evaluator = t.login("xixiu-evaluator").await;
    let adjust = |kind: &'static str,
                  unit: &'static str,
                  period: &'static str,
                  item: &'static str,
                  points: f64,
                  reason: &'static str| {
        let t = &t;
        let evaluator = evaluator.clone();
        async move {
            let body =
                json!({"unit": unit, "period": period, "item": item, "kind": kind, "points": points, "reason": reason});
            t.post_as(&evaluator, &format!("{P}/adjustments"), &body).await
        }
    };

    let mut april_v1 = Value::Null;
    for month in 4..=12u32 {
        let m = format!("2019-{month:02}");
        // 旧州镇 always on time; 东街 late with May's electronic data, missing June's paper.
        t.set_time(&format!("{m}-18T10:00:00+08:00"));
        t.file_as(&jiuzhou, XX, JIUZHOU, "e-data", &m).await;
        if month != 5 {
            t.set_time(&format!("{m}-19T10:00:00+08:00"));
            t.file_as(&dongjie, XX, DONGJIE, "e-data", &m).await;
        }
        t.set_time(&format!("{m}-24T10:00:00+08:00"));
        t.file_as(&jiuzhou, XX, JIUZHOU, "paper-data", &m).await;
        if month != 6 {
            t.file_as(&dongjie, XX, DONGJIE, "paper-data", &m).await;
        }
        match month {
            4 => {
                t.set_time("2019-04-26T10:00:00+08:00");
                let (s, b) = adjust("bonus", JIUZHOU, "2019-04", "one-window", 3.0, "“一门受理”经验被市局推广").await;
                assert_eq!(s, 201, "{b}");
                // Above the cap, or above the item's full marks: refused, nothing stored.
                let (s, b) = adjust("bonus", JIUZHOU, "2019-04", "one-window", 6.0, "超过上限").await;
                assert_eq!((s, b["code"].as_str()), (422, Some("rule.bonus_cap")), "{b}");
                let (s, b) = adjust("deduction", DONGJIE, "2019-04", "one-window", 25.0, "超过满分").await;
                assert_eq!((s, b["code"].as_str()), (422, Some("rule.deduction_cap")), "{b}");
            }
            5 => {
                // The late e-data line appears in May and is appealed within the window; upheld.
                t.set_time("2019-05-22T10:00:00+08:00");
                t.file_as(&dongjie, XX, DONGJIE, "e-data", "2019-05").await;
                let (_, scores) = t.get(&format!("{P}/scores/2019-05?unit={DONGJIE}")).await;
                let line = scores[0]["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["id"] == "auto:late:e-data:2019-05")
                    .unwrap();
                assert_eq!(line["points"], 2.0, "two days late, one point a day");
                t.set_time("2019-05-25T10:00:00+08:00");
                let (s, a) = t
                    .post_as(
                        &dongjie,
                        &format!("{P}/appeals"),
                        &json!({"unit": DONGJIE, "target": "auto:late:e-data:2019-05", "reason": "系统故障"}),
                    )
                    .await;
                assert_eq!(s, 201, "{a}");
                let (s, d) = t
                    .post_as(
                        &reviewer,
                        &format!("/api/v1/appeals/{}/decide", a["key"].as_str().unwrap()),
                        &json!({"decision": "uphold", "reason": "未提供故障证明"}),
                    )
                    .await;
                assert_eq!((s, d["status"].as_str()), (200, Some("upheld")), "{d}");
                let (s, d) = t
                    .post_as(
                        &reviewer,
                        &format!("/api/v1/appeals/{}/decide", a["key"].as_str().unwrap()),
                        &json!({"decision": "overturn", "reason": "改判"}),
                    )
                    .await;
                assert_eq!((s, d["code"].as_str()), (409, Some("rule.appeal_decided")), "final: {d}");
                // April, already published, gets a late bonus: the published month does not move
                // until a correction is published as a new version.
                let (s, b) = adjust("bonus", DONGJIE, "2019-04", "reform-tasks", 2.0, "补报4月典型经验").await;
                assert_eq!(s, 201, "{b}");
                let (_, april) = t.get(&format!("{P}/rankings/2019-04")).await;
                assert_eq!(april, april_v1, "a published month is frozen");
                let (s, b) = t.post_as(&t.token, &format!("{P}/rankings/2019-04/publish"), &json!({})).await;
                assert_eq!((s, b["code"].as_str()), (409, Some("rule.already_published")), "{b}");
                let (s, v2) = t
                    .post(&format!("{P}/rankings/2019-04/publish"), &json!({"correction_reason": "补录东街办4月加分"}))
                    .await;
                assert_eq!((s, v2["version"].as_i64()), (201, Some(2)), "{v2}");
                assert_eq!(entry(&v2, DONGJIE)["score"], 102.0);
            }
            7 => {
                // A manual deduction, appealed and overturned before July is published.
                t.set_time("2019-07-10T10:00:00+08:00");
                let (s, d) = adjust("deduction", DONGJIE, "2019-07", "one-window", 4.0, "窗口未按时受理").await;
                assert_eq!(s, 201, "{d}");
                t.set_time("2019-07-12T10:00:00+08:00");
                let (s, a) = t
                    .post_as(
                        &dongjie,
                        &format!("{P}/appeals"),
                        &json!({"unit": DONGJIE, "target": d["key"], "reason": "当日系统停机，已补办"}),
                    )
                    .await;
                assert_eq!(s, 201, "{a}");
                let overturned = a["key"].as_str().unwrap().to_owned();
                let (s, _) = t
                    .post_as(
                        &evaluator,
                        &format!("/api/v1/appeals/{overturned}/decide"),
                        &json!({"decision": "overturn", "reason": "x"}),
                    )
                    .await;
                assert_eq!(s, 403, "an evaluator does not decide appeals");
                let (s, r) = t
                    .post_as(
                        &reviewer,
                        &format!("/api/v1/appeals/{overturned}/decide"),
                        &json!({"decision": "overturn", "reason": "情况属实"}),
                    )
                    .await;
                assert_eq!((s, r["status"].as_str()), (200, Some("overturned")), "{r}");
            }
            9 => {
                t.set_time("2019-09-05T10:00:00+08:00");
                let (s, d) = adjust("deduction", JIUZHOU, "2019-09", "reform-tasks", 1.0, "台账不全").await;
                assert_eq!(s, 201, "{d}");
                t.set_time("2019-09-20T10:00:00+08:00");
                let (s, b) = t
                    .post_as(
                        &jiuzhou,
                        &format!("{P}/appeals"),
                        &json!({"unit": JIUZHOU, "target": d["key"], "reason": "已补齐"}),
                    )
                    .await;
                assert_eq!((s, b["code"].as_str()), (422, Some("rule.appeal_window")), "after the window: {b}");
            }
            _ => {}
        }
        // Published on the first of the next month.
        let next = if month == 12 {
            "2020-01-01T10:00:00+08:00".to_owned()
        } else {
            format!("2019-{:02}-01T10:00:00+08:00", month + 1)
        };
        t.set_time(&next);
        let (s, r) = t.post(&format!("{P}/rankings/{m}/publish"), &json!({})).await;
        assert_eq!((s, r["version"].as_i64()), (201, Some(1)), "{m}: {r}");
        assert_eq!(r["entries"].as_array().unwrap().len(), 25);
        if month == 4 {
            april_v1 = r.clone();
        }
    }

    // The nine months as published.
    let scores = |r: &Value| -> (f64, f64, u64, u64) {
        (
            entry(r, JIUZHOU)["score"].as_f64().unwrap(),
            entry(r, DONGJIE)["score"].as_f64().unwrap(),
            entry(r, JIUZHOU)["rank"].as_u64().unwrap(),
            entry(r, DONGJIE)["rank"].as_u64().unwrap(),
        )
    };
    let (_, april) = t.get(&format!("{P}/rankings/2019-04")).await;
    assert_eq!(april["version"], 2, "the correction is what is shown now");
    assert_eq!(scores(&april), (103.0, 102.0, 1, 2));
    let (_, versions) = t.get(&format!("{P}/rankings/2019-04/versions")).await;
    assert_eq!(versions.as_array().unwrap().len(), 2, "both versions stay readable");
    assert_eq!(entry(&versions[0], DONGJIE)["score"], 100.0);
    assert_eq!(versions[1]["reason"], "补录东街办4月加分");
    let (_, may) = t.get(&format!("{P}/rankings/2019-05")).await;
    assert_eq!(scores(&may), (100.0, 98.0, 1, 2));
    assert_eq!(entry(&may, DONGJIE)["change"], 0);
    let (_, june) = t.get(&format!("{P}/rankings/2019-06")).await;
    assert_eq!(scores(&june), (100.0, 95.0, 1, 2), "June paper missing: five off");
    let (_, july) = t.get(&format!("{P}/rankings/2019-07")).await;
    assert_eq!(scores(&july), (100.0, 100.0, 1, 1), "the overturned deduction is gone; a tie shares first place");
    assert_eq!(july["entries"][0]["unit"], DONGJIE, "ties list by code");
    assert_eq!(july["entries"][2]["rank"], 3, "then the next rank is 3");
    // A page of a ranking: the same lines, and the count of all.
    let (s, page) = t.get(&format!("{P}/rankings/2019-07?offset=1&limit=2")).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["entries"].as_array().unwrap()[..], july["entries"].as_array().unwrap()[1..3]);
    assert_eq!((page["total"].clone(), page["version"].clone()), (july["total"].clone(), july["version"].clone()));
    assert_eq!(july["total"].as_u64(), Some(july["entries"].as_array().unwrap().len() as u64));
    let (_, beyond) = t.get(&format!("{P}/rankings/2019-07?offset=1000&limit=5")).await;
    assert_eq!((beyond["entries"].as_array().map(Vec::len), beyond["total"].clone()), (Some(0), july["total"].clone()));
    for bad in ["limit=0", "limit=501", "offset=-1"] {
        let (s, b) = t.get(&format!("{P}/rankings/2019-07?{bad}")).await;
        assert!(s == 400 || s == 422, "{bad}: {s} {b}");
    }
    let (_, sept) = t.get(&format!("{P}/rankings/2019-09")).await;
    assert_eq!(scores(&sept), (99.0, 100.0, 2, 1));
    assert_eq!(entry(&sept, JIUZHOU)["change"], -1);
    // Everyone else missed both monthly deadlines every month: a 23-way tie at 90.
    for m in 4..=12 {
        let (_, r) = t.get(&format!("{P}/rankings/2019-{m:02}")).await;
        assert!(r["version"].as_i64().is_some(), "2019-{m:02} published");
        let tied: Vec<&Value> = r["entries"].as_array().unwrap().iter().filter(|e| e["score"] == 90.0).collect();
        assert_eq!(tied.len(), 23);
        assert!(tied.iter().all(|e| e["rank"] == 3));
    }
    let (_, csv) = t.get(&format!("{P}/rankings/2019-07/csv")).await;
    let csv = csv.as_str().unwrap().to_owned();
    assert!(csv.starts_with("\u{feff}名次,单位代码,单位名称,得分,名次变化\r\n1,520402002,东街街道,100.00,"), "{csv}");
    let (_, appeals) = t.get(&format!("{P}/appeals")).await;
    let statuses: Vec<&str> = appeals.as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["upheld", "overturned"]);

    // Year end: annual scores and the split.
    let (_, annual) = t.get(&format!("{P}/annual-scores?year=2019")).await;
    let a = |u: &str| annual.as_array().unwrap().iter().find(|x| x["unit"] == u).unwrap()["annual"].as_f64().unwrap();
    assert_eq!(a(JIUZHOU), 100.22, "(103+100×7+99)/9, to the hundredth");
    assert_eq!(a("520402100"), 90.0);
    let fund = 100_000_000; // 100万元 in fen
    let (s, r) = t
        .post(&format!("{P}/rewards"), &json!({"label": "2019年度以奖代补", "year": 2019, "fund": fund, "method": {"kind": "proportional", "threshold": 60}, "cap": 6_000_000}))
        .await;
    assert_eq!(s, 201, "{r}");
    let shares = r["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 25);
    assert_eq!(shares.iter().map(|s| s["amount"].as_i64().unwrap()).sum::<i64>(), fund, "exact to the fen");
    assert!(shares.iter().all(|s| s["amount"].as_i64().unwrap() <= 6_000_000));
    let (s, b) = t
        .post(
            &format!("{P}/rewards"),
            &json!({"label": "负数", "year": 2019, "fund": -1, "method": {"kind": "proportional", "threshold": 0}}),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (422, Some("validation_failed")), "{b}");
    let (_, list) = t.get(&format!("{P}/rewards")).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "the refused one is not stored");
}

#[tokio::test]
async fn shizuishan_evaluates_with_weighted_indicators_and_a_valid_panel() {
    let t = TestApp::with_fixture("shizuishan-2024-service-assistance.yaml").await;
    let p = "/api/v1/programmes/shizuishan-2024-service-assistance";
    let scores = json!({"administration": 90, "standardisation": 80, "progress": 85, "quality-supervision": 88, "risk": 70, "implementation": 92,
                        "effect": 86, "satisfaction": 94, "social-benefit": 78});
    let panel = |members: Value| json!({"unit": "640202", "phase": "final", "panel": members, "scores": scores});
    let good = json!([{"name": "民政局代表", "title": "none"}, {"name": "会计师", "accountant": true, "title": "intermediate"}, {"name": "服务对象代表", "title": "none"}]);
    let (s, e) = t.post(&format!("{p}/evaluations"), &panel(good)).await;
    assert_eq!(s, 201, "{e}");
    // 0.5×(0.15×90+0.15×80+0.2×85+0.2×88+0.15×70+0.15×92) + 0.5×(0.4×86+0.4×94+0.2×78)
    // = 0.5×84.4 + 0.5×87.6
    assert_eq!(e["total"], 86.0);
    assert_eq!(e["grade"], "良好");
    let even = json!([{"name": "甲", "accountant": true, "title": "senior"}, {"name": "乙", "title": "none"}, {"name": "丙", "title": "none"}, {"name": "丁", "title": "none"}]);
    let (s, b) = t.post(&format!("{p}/evaluations"), &panel(even)).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.panel_size")), "{b}");
    let junior = json!([{"name": "甲", "accountant": true, "title": "junior"}, {"name": "乙", "title": "senior"}, {"name": "丙", "title": "none"}]);
    let (s, b) = t.post(&format!("{p}/evaluations"), &panel(junior)).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.panel_accountant")), "{b}");
    let (_, list) = t.get(&format!("{p}/evaluations")).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "refused evaluations are not stored");
}

#[tokio::test]
async fn fuzhou_earmarked_grants_and_guangdong_slow_work() {
    let t = TestApp::demo().await;
    let fz = "/api/v1/programmes/fuzhou-2020-hardship-support";
    let grants = json!({"kind": "fixed", "grants": [{"unit": "350103", "amount": 100_000_000}, {"unit": "350125", "amount": 200_000_000}]});
    let (s, r) = t
        .post(
            &format!("{fz}/rewards"),
            &json!({"label": "群众医疗互助机制启动资金", "year": 2020, "fund": 300_000_000, "method": grants}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let shares: Vec<(&str, i64)> = r["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["unit"].as_str().unwrap(), s["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(shares, [("350103", 100_000_000), ("350125", 200_000_000)]);
    let (s, b) = t
        .post(&format!("{fz}/rewards"), &json!({"label": "x", "year": 2020, "fund": 250_000_000, "method": grants}))
        .await;
    assert_eq!((s, b["code"].as_str()), (422, Some("rule.reward_total")), "{b}");

    // Guangdong: cities that never issued their local opinions lose points for slow work in
    // April; a bonus rewards good organisation.
    let gd = "/api/v1/programmes/gd-2022-safety-net";
    t.add_user("gd-evaluator", pilotgov::domain::access::Role::Evaluator, "440000").await;
    let ev = t.login("gd-evaluator").await;
    t.set_time("2022-05-03T10:00:00+08:00");
    let (s, b) = t
        .post_as(&ev, &format!("{gd}/adjustments"), &json!({"unit": "440300", "period": "2022-04", "item": "organisation", "kind": "bonus", "points": 5, "reason": "组织实施好"}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, r) = t.get(&format!("{gd}/rankings/2022-04")).await;
    assert_eq!(r["version"], Value::Null, "a live draft until published");
    assert_eq!((r["entries"][0]["unit"].as_str(), r["entries"][0]["score"].as_f64()), (Some("440300"), Some(95.0)));
    assert_eq!(r["entries"][1]["rank"], 2);
    assert_eq!(r["entries"][1]["score"], 90.0);
}
