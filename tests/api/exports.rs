//! Exports hold the API's numbers: the ranking, the compliance matrix and the reward split as
//! CSV and XLSX, and a unit's deadlines as an iCalendar feed behind a revocable secret URL.
//! The files and the API's figures are also written to a folder (`PILOTGOV_EXPORT_CHECK`, else
//! the test target's tmp dir) where `.ci/run` opens them with real readers (openpyxl, icalendar).

use serde_json::{Value, json};

use crate::bulletins::xixiu;
use crate::helpers::TestApp;

const XP: &str = "/api/v1/programmes/xixiu-2019-comprehensive-reform";
const JIUZHOU: &str = "520402109";

async fn bytes(t: &TestApp, token: Option<&str>, uri: &str) -> (u16, String, Vec<u8>) {
    let mut req = t.client.get(uri);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let resp = req.send().await.0;
    let status = resp.status().as_u16();
    let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, ctype, resp.into_body().into_vec().await.unwrap())
}

/// Rows of a CSV export, header first, BOM removed.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel and WPS");
    text.split("\r\n").filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

pub(crate) fn check_dir() -> std::path::PathBuf {
    let dir = std::env::var_os("PILOTGOV_EXPORT_CHECK")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("export-check"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn spreadsheets_and_calendar_feeds_hold_the_apis_numbers() {
    let (t, reviewer) = xixiu().await;
    t.set_time("2019-06-01T09:00:00+08:00");
    let (s, _) = t.post_as(&reviewer, &format!("{XP}/rankings/2019-05/publish"), &json!({})).await;
    assert_eq!(s, 201);
    let token = t.token.clone();
    let dir = check_dir();
    let mut expected = json!({});

    // The ranking: CSV rows = the API's entries; the XLSX is a workbook.
    let (_, ranking) = t.get(&format!("{XP}/rankings/2019-05")).await;
    let (s, ctype, csv) = bytes(&t, Some(&token), &format!("{XP}/rankings/2019-05/export?format=csv")).await;
    assert_eq!((s, ctype.as_str()), (200, "text/csv; charset=utf-8"));
    let rows = csv_rows(&csv);
    assert_eq!(rows[0], ["名次", "单位代码", "单位名称", "得分", "名次变化"]);
    let api: Vec<Vec<String>> = ranking["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            vec![
                e["rank"].to_string(),
                e["unit"].as_str().unwrap().to_owned(),
                e["name"].as_str().unwrap().to_owned(),
                format!("{:.2}", e["score"].as_f64().unwrap()),
            ]
        })
        .collect();
    let csv_ranks: Vec<Vec<String>> = rows[1..].iter().map(|r| r[..4].to_vec()).collect();
    assert_eq!(csv_ranks, api);
    expected["ranking"] = json!(api);
    let (s, ctype, xlsx) = bytes(&t, Some(&token), &format!("{XP}/rankings/2019-05/export")).await;
    assert_eq!((s, ctype.as_str()), (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    assert_eq!(&xlsx[..2], b"PK");
    std::fs::write(dir.join("ranking.xlsx"), &xlsx).unwrap();

    // The compliance matrix at the same instant: per unit, due / on time / late / missing.
    let (_, m) = t.get(&format!("{XP}/compliance?as_of=2019-06-01")).await;
    let api: Vec<Vec<Value>> = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let tally = &r["totals"];
            vec![
                r["unit"].clone(),
                tally["due"].clone(),
                tally["met_on_time"].clone(),
                tally["late"].clone(),
                tally["missing"].clone(),
            ]
        })
        .collect();
    let (s, _, csv) = bytes(&t, Some(&token), &format!("{XP}/compliance/export?format=csv&as_of=2019-06-01")).await;
    assert_eq!(s, 200);
    let rows = csv_rows(&csv);
    let n = rows[0].len();
    assert_eq!(rows[0][n - 5..], ["应报送", "按时报送", "逾期报送", "未报送", "按时报送率"]);
    let from_csv: Vec<Vec<Value>> = rows[1..]
        .iter()
        .map(|r| {
            let num = |i: usize| json!(r[i].parse::<u64>().unwrap());
            vec![json!(r[0]), num(n - 5), num(n - 4), num(n - 3), num(n - 2)]
        })
        .collect();
    assert_eq!(from_csv, api);
    let jiuzhou = rows.iter().find(|r| r[0] == JIUZHOU).unwrap();
    // Filed May paper data; April and May electronic data in review; the January plan never.
    let cells = &jiuzhou[2..n - 5];
    assert_eq!(cells.iter().filter(|c| *c == "按时").count(), 1, "{jiuzhou:?}");
    assert_eq!(cells.iter().filter(|c| *c == "审核中").count(), 3, "{jiuzhou:?}");
    assert_eq!(cells.iter().filter(|c| *c == "未报送").count(), 1, "{jiuzhou:?}");
    expected["compliance"] = json!(api);
    let (_, _, xlsx) = bytes(&t, Some(&token), &format!("{XP}/compliance/export?as_of=2019-06-01")).await;
    std::fs::write(dir.join("compliance.xlsx"), &xlsx).unwrap();

    // A reward split: amounts in yuan that add up to the fund.
    let (s, r) = t
        .post(
            &format!("{XP}/rewards"),
            &json!({"label": "2019年度以奖代补", "year": 2019, "fund": 10_000_000, "method": {"kind": "proportional", "threshold": 0}}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let key = r["key"].as_str().unwrap();
    let (_, _, csv) = bytes(&t, Some(&token), &format!("{XP}/rewards/{key}/export?format=csv")).await;
    let rows = csv_rows(&csv);
    assert_eq!(rows[0][..3], ["单位代码", "单位名称", "金额（元）"]);
    let fen: i64 = rows[1..].iter().map(|r| r[2].replace('.', "").parse::<i64>().unwrap()).sum();
    assert_eq!(fen, 10_000_000, "the shares add up to the fund, to the fen");
    let api: Vec<Value> = r["shares"].as_array().unwrap().iter().map(|s| json!([s["unit"], s["amount"]])).collect();
    expected["reward"] = json!(api);
    let (_, _, xlsx) = bytes(&t, Some(&token), &format!("{XP}/rewards/{key}/export")).await;
    std::fs::write(dir.join("reward.xlsx"), &xlsx).unwrap();

    // 旧州镇's calendar: one event per deadline of the unit on the board.
    let jiuzhou_lead = t.login("jiuzhou-lead").await;
    let (s, feed) = t.post_as(&jiuzhou_lead, &format!("{XP}/units/{JIUZHOU}/calendar-feeds"), &json!({})).await;
    assert_eq!(s, 201, "{feed}");
    let url = feed["url"].as_str().unwrap().to_owned();
    // Absolute when the request named its host (the test client may not): the path either way.
    let url = url[url.find("/api/v1/feeds/").expect("the feed's path")..].to_owned();
    let (s, ctype, ics) = bytes(&t, None, &url).await;
    assert_eq!((s, ctype.as_str()), (200, "text/calendar; charset=utf-8"));
    let ics = String::from_utf8(ics).unwrap();
    let board = t.board("xixiu-2019-comprehensive-reform", &format!("region={JIUZHOU}")).await;
    let due: Vec<String> =
        board["rows"].as_array().unwrap().iter().map(|r| r["due_on"].as_str().unwrap().replace('-', "")).collect();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), due.len(), "one event per deadline");
    for d in &due {
        assert!(ics.contains(&format!("DTSTART;VALUE=DATE:{d}")), "{d} missing");
    }
    assert!(ics.contains("SUMMARY:【已报送】") && ics.contains("BEGIN:VALARM"), "filed marked, open ones ring: {ics}");
    expected["feed_dates"] = json!(due);
    std::fs::write(dir.join("feed.ics"), &ics).unwrap();
    std::fs::write(dir.join("expected.json"), serde_json::to_string_pretty(&expected).unwrap()).unwrap();

    // Another unit's lead may not make a feed for 旧州镇; revoking makes the URL 404.
    let dongjie = t.login("dongjie-lead").await;
    let (s, _) = t.post_as(&dongjie, &format!("{XP}/units/{JIUZHOU}/calendar-feeds"), &json!({})).await;
    assert_eq!(s, 404);
    let (s, listed) = t.get_as(&jiuzhou_lead, &format!("{XP}/units/{JIUZHOU}/calendar-feeds")).await;
    assert_eq!((s, listed.as_array().unwrap().len()), (200, 1));
    assert!(listed[0].get("url").is_none(), "the secret is shown once: {listed}");
    let id = feed["id"].as_str().unwrap();
    let (s, _) = t.post_as(&jiuzhou_lead, &format!("/api/v1/calendar-feeds/{id}/revoke"), &json!({})).await;
    assert_eq!(s, 200);
    let (s, _, body) = bytes(&t, None, &url).await;
    assert_eq!(s, 404, "{}", String::from_utf8_lossy(&body));
    let (s, _, _) = bytes(&t, None, "/api/v1/feeds/not-a-real-token").await;
    assert_eq!(s, 404);
    let (s, b) = t.post_as(&jiuzhou_lead, &format!("/api/v1/calendar-feeds/{id}/revoke"), &json!({})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.revoked")), "{b}");
}
