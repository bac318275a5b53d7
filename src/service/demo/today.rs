//! A demo programme whose dates run around the day the demo starts (【演示】, key `demo-today`), so
//! that every light and every queue has something on the first visit: a plan filed (备案) by some
//! counties, waiting for 审定 or 备案 at others, returned to one, overdue at the rest; a progress
//! report due in three days, in review at one county and a draft at another; later deadlines
//! still green. Generated from the start day, played through the same services as the API.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

use super::{decide, lead, who};
use crate::domain::Key;
use crate::domain::access::Principal;
use crate::domain::bulletin::chinese_date;
use crate::domain::deadline::local_day;
use crate::domain::filing::Decision;
use crate::service::filings::{self, NewFiling, ServiceError};
use crate::service::import::import_text;
use crate::store::{Store, audit::Actor};

pub const KEY: &str = "demo-today";

/// The units: Fuzhou's and Xiamen's counties, so the roll-up has two cities.
const UNITS: &[&str] = &["350102", "350103", "350104", "350111", "350121", "350122", "350128", "350203", "350206"];

/// The programme document, its dates counted from `today`.
pub fn document(today: NaiveDate) -> String {
    let day = |n: i64| chinese_date(today + Duration::days(n));
    let end = today + Duration::days(180);
    let end_text = format!("{}年{}月底", end.year(), end.month());
    let units: String = UNITS
        .iter()
        .enumerate()
        .map(|(i, code)| format!("- region: '{code}'\n  directions: [{}]\n  demonstration: false\n", i % 3 + 1))
        .collect();
    // Every deliverable: a fixed day, 审定 by the city, then 备案 at the province.
    let deliverable = |key: &str, title: &str, stage: &str, due: &str, description: String| {
        format!(
            "- key: {key}\n  title: {title}\n  description: {description}\n  stage: {stage}\n  deadline:\n    kind: fixed\n    due: {due}前\n  route:\n  - level: city\n    action: review\n  - level: province\n    action: file\n  audience: all\n"
        )
    };
    let (plan_due, progress_due, mid_due) = (day(-25), day(3), day(40));
    let deliverables = [
        deliverable(
            "plan",
            "试点实施方案",
            "deploy",
            &plan_due,
            format!("试点实施方案经设区市民政部门审定后，于{plan_due}前报省民政厅备案。"),
        ),
        deliverable(
            "progress",
            "试点阶段性工作情况",
            "implement",
            &progress_due,
            format!("各试点单位于{progress_due}前报送试点阶段性工作情况。"),
        ),
        deliverable(
            "mid-term",
            "中期评估报告",
            "implement",
            &mid_due,
            format!("各试点单位于{mid_due}前报送中期评估报告。"),
        ),
        deliverable(
            "self-evaluation",
            "试点自评报告",
            "summary",
            &end_text,
            format!("形成自评报告，总结典型经验，于{end_text}前报送省民政厅。"),
        ),
    ]
    .concat();
    format!(
        r#"format: pilotgov/programme@1
programme:
  key: {KEY}
  title: 【演示】福建省社会救助服务提升试点
  issuer: 福建省民政厅（演示数据）
  doc_number: null
  issued: {issued}
  period:
    start: {issued}
    end: {end_text}
  scope: '350000'
  unit_level: county
  rules:
    directions_per_unit:
      min: 1
      max: 2
    exceptions: []
  summary: 演示数据，不是真实文件：日期按演示启动之日生成，各单位处于不同状态（已备案、待审定、待备案、已退回、临近截止、逾期），便于体验填报、审核与督办。
  source: pilotgov serve --demo 生成的演示项目
stages:
- key: deploy
  name: 部署阶段
  start: {issued}
  end: {plan_due}
  description: 制定试点实施方案，经设区市民政部门审定后报省民政厅备案。
- key: implement
  name: 实施阶段
  start: {implement}
  end: {mid_due}
  description: 全面推行试点工作，按期报送工作进展。
- key: summary
  name: 总结阶段
  start: {summary}
  end: {end_text}
  description: 形成自评报告，总结典型经验。
directions:
- number: 1
  title: 低收入人口动态监测
  text: 依托低收入人口动态监测信息平台，及时发现、及时救助。
  kind: choice
  group: 试点方向
  responsible: []
- number: 2
  title: 服务类社会救助
  text: 通过政府购买服务，为困难群众提供照料护理、心理疏导、资源链接等服务。
  kind: choice
  group: 试点方向
  responsible: []
- number: 3
  title: 急难救助“一网通办”
  text: 推行急难临时救助“先行救助”“一网通办”。
  kind: choice
  group: 试点方向
  responsible: []
deliverables:
{deliverables}units:
{units}"#,
        issued = day(-60),
        implement = day(-24),
        summary = day(41),
    )
}

/// An instant `days` from `today` at `hour` o'clock, Beijing time.
fn on(today: NaiveDate, days: i64, hour: u32) -> DateTime<Utc> {
    let d = (today + Duration::days(days)).and_time(NaiveTime::from_hms_opt(hour, 0, 0).expect("a valid hour"));
    Shanghai.from_local_datetime(&d).single().expect("Beijing time has no gaps").with_timezone(&Utc)
}

/// Creates (and unless `draft`, submits) a filing as `lead`; returns its key and revision.
async fn file(
    store: &Store,
    lead: &Principal,
    deliverable: &str,
    title: &str,
    at: DateTime<Utc>,
    draft: bool,
) -> Result<String, ServiceError> {
    let (programme, deliverable) = (Key::parse(KEY)?, Key::parse(deliverable)?);
    let new = NewFiling {
        programme: &programme,
        unit: &lead.region,
        deliverable: &deliverable,
        occurrence: "once",
        title,
        body: "一、工作进展\n二、主要做法\n三、存在问题和下一步打算",
        idempotency_key: None,
    };
    let (f, _) = filings::create(store, lead, new, at).await?;
    if !draft {
        filings::submit(store, lead, &f.key, f.revision, at).await?;
    }
    Ok(f.key)
}

/// Imports the programme and plays its filings, unless it is there already; returns whether it played.
pub async fn play(store: &Store, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    if store.programme(&Key::parse(KEY)?).await?.is_some() {
        return Ok(false);
    }
    let today = local_day(now);
    import_text(store, &document(today), &Actor::system("demo", now)).await?;
    let (fz, fj) = (who(store, "fz-reviewer").await?, who(store, "fj-admin").await?);
    let (taijiang, minhou, pingtan) =
        (who(store, "taijiang-lead").await?, who(store, "minhou-lead").await?, who(store, "pingtan-lead").await?);
    let (gulou, jinan) = (lead(store, "350102", now).await?, lead(store, "350111", now).await?);
    let plan = "试点实施方案";
    // 台江 and 闽侯: on time, 审定 and 备案 (台江's quoted as good practice).
    let k = file(store, &taijiang, "plan", plan, on(today, -30, 10), false).await?;
    decide(store, &fz, &k, Decision::Approve, None, on(today, -29, 9)).await?;
    let quote = "台江区建立低收入人口动态监测“一户一档”，社区网格员每月走访，发现即报、报即核、核即救。";
    decide(store, &fj, &k, Decision::File, Some(quote), on(today, -27, 9)).await?;
    let k = file(store, &minhou, "plan", plan, on(today, -26, 15), false).await?;
    decide(store, &fz, &k, Decision::Approve, None, on(today, -25, 9)).await?;
    decide(store, &fj, &k, Decision::File, None, on(today, -24, 9)).await?;
    // 鼓楼: five days late, 审定 by 福州, waiting for the province's 备案.
    let k = file(store, &gulou, "plan", plan, on(today, -20, 11), false).await?;
    decide(store, &fz, &k, Decision::Approve, None, on(today, -18, 10)).await?;
    // 晋安: on time, still waiting for 福州's 审定.
    file(store, &jinan, "plan", plan, on(today, -25, 16), false).await?;
    // 平潭: returned by 福州 with the reason; not yet resubmitted.
    let k = file(store, &pingtan, "plan", plan, on(today, -26, 10), false).await?;
    let reason = "请补充试点方向的具体措施、时间安排和资金保障。".to_owned();
    decide(store, &fz, &k, Decision::Return(reason), None, on(today, -24, 16)).await?;
    // The progress report, due in three days: 台江 has sent it (待审定), 平潭 has a draft.
    file(store, &taijiang, "progress", "台江区试点阶段性工作情况", on(today, -1, 10), false).await?;
    file(store, &pingtan, "progress", "平潭综合实验区试点阶段性工作情况", on(today, -2, 17), true).await?;
    // 仓山, 连江, 思明 and 湖里 have filed nothing: their plans are overdue.
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::document::{Document, parse};

    #[test]
    fn the_document_is_a_valid_programme_for_any_start_day() {
        let mut day: NaiveDate = "2026-01-01".parse().unwrap();
        while day < "2029-01-01".parse().unwrap() {
            let text = document(day);
            let Ok(Document::Programme(doc)) = parse(&text) else { panic!("{day}: not a programme\n{text}") };
            let (bundle, _, _) = doc.into_bundle().unwrap_or_else(|e| panic!("{day}: {e}\n{text}"));
            assert!(bundle.programme.title.starts_with("【演示】"), "marked as a demo");
            assert_eq!((bundle.deliverables.len(), bundle.units.len()), (4, UNITS.len()));
            day += Duration::days(1);
        }
    }
}
