//! Demo activity for `serve --demo`: a few weeks of real use replayed through the same services
//! the API calls, at the instants they would have happened, so that the dashboard has filings,
//! published rankings and bulletins to show. Played once: a second start finds them and stops.
//! `today` adds a programme dated around the demo's first start.

pub mod today;

use chrono::{DateTime, Utc};

use crate::domain::access::Principal;
use crate::domain::bulletin::{Kind, Period};
use crate::domain::deadline::YearMonth;
use crate::domain::filing::Decision;
use crate::domain::{Key, RegionCode};
use crate::service::accounts::{DEMO_PASSWORD, NewUser, create_user};
use crate::service::bulletins::{self, Request};
use crate::service::filings::{self, NewFiling, ServiceError};
use crate::service::scoring;
use crate::store::{Store, StoreError, audit::Actor};

const XIXIU: &str = "xixiu-2019-comprehensive-reform";
const FUJIAN: &str = "fj-2022-reform-pilot";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("demo instants are valid").with_timezone(&Utc)
}

async fn who(store: &Store, name: &str) -> Result<Principal, ServiceError> {
    let user = store.user(name).await?.ok_or_else(|| StoreError::NotFound(format!("demo account {name}")))?;
    Ok(user.principal())
}

/// The demo lead of a unit that has no named demo account (`lead-<code>`, "<name>试点负责人"),
/// created on first use with the demo password, so every demo filing has a real author.
async fn lead(store: &Store, region: &str, now: DateTime<Utc>) -> Result<Principal, ServiceError> {
    let username = format!("lead-{region}");
    if let Some(u) = store.user(&username).await? {
        return Ok(u.principal());
    }
    let code = RegionCode::parse(region)?;
    let name = store.region(&code).await?.map(|r| r.name).unwrap_or_else(|| region.to_owned());
    let display_name = format!("{name}试点负责人");
    let new = NewUser {
        username: &username,
        display_name: &display_name,
        role: crate::domain::access::Role::UnitLead,
        region: &code,
        password: DEMO_PASSWORD,
    };
    create_user(store, new, &Actor::system("demo", now)).await?;
    who(store, &username).await
}

/// One township's month in Xixiu by `pattern` (0–9): half on time, two late, one returned and
/// resubmitted, two missing. The district files (备案) what arrives the next day.
async fn township(
    store: &Store,
    lead: &Principal,
    xixiu: &Principal,
    month: &str,
    pattern: usize,
) -> Result<(), ServiceError> {
    let unit = lead.region.to_string();
    let when = |day: usize| format!("{month}-{day:02}T10:00:00+08:00");
    let (e_day, p_day) = match pattern {
        0..=4 | 7 => (17, 23),
        5 | 6 => (17 + pattern, 22 + pattern),
        _ => return Ok(()),
    };
    let e = file(store, lead, XIXIU, &unit, "e-data", month, "动态电子信息", &when(e_day)).await?;
    review(store, xixiu, &e, Decision::File, None, &when(e_day + 1)).await?;
    let p = file(store, lead, XIXIU, &unit, "paper-data", month, "经审核纸质资料", &when(p_day)).await?;
    if pattern == 7 {
        let reason = Decision::Return("低保动态管理台账缺少本月新增对象的入户核查记录，请补充后重新报送。".to_owned());
        review(store, xixiu, &p, reason, None, &when(p_day + 1)).await?;
        let f = filings::get(store, lead, &p).await?;
        filings::submit(store, lead, &p, f.revision, at(&when(p_day + 1))).await?;
    }
    review(store, xixiu, &p, Decision::File, None, &when(p_day + 2)).await?;
    Ok(())
}

/// Files (creates and submits) one deadline as `lead`; returns the filing's key.
async fn file(
    store: &Store,
    lead: &Principal,
    programme: &str,
    unit: &str,
    deliverable: &str,
    occurrence: &str,
    title: &str,
    when: &str,
) -> Result<String, ServiceError> {
    let (programme, unit, deliverable) = (Key::parse(programme)?, RegionCode::parse(unit)?, Key::parse(deliverable)?);
    let new = NewFiling {
        programme: &programme,
        unit: &unit,
        deliverable: &deliverable,
        occurrence,
        title,
        body: "详见附件。",
        idempotency_key: None,
    };
    let (f, _) = filings::create(store, lead, new, at(when)).await?;
    let f = filings::submit(store, lead, &f.key, f.revision, at(when)).await?;
    Ok(f.key)
}

/// Decides a filing's pending step as `by` at the instant `when` (RFC 3339).
async fn review(
    store: &Store,
    by: &Principal,
    key: &str,
    decision: Decision,
    exemplary: Option<&str>,
    when: &str,
) -> Result<(), ServiceError> {
    decide(store, by, key, decision, exemplary, at(when)).await
}

/// Decides a filing's pending step as `by` at `when`, on its current revision.
async fn decide(
    store: &Store,
    by: &Principal,
    key: &str,
    decision: Decision,
    exemplary: Option<&str>,
    when: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let f = filings::get(store, by, key).await?;
    filings::review(store, by, key, f.revision, decision, exemplary, when).await?;
    Ok(())
}

async fn bulletin(
    store: &Store,
    by: &Principal,
    programme: &str,
    period: &str,
    when: &str,
) -> Result<(), ServiceError> {
    let req = Request { period: Period::new(Kind::Monthly, period)?, region: None };
    let b = bulletins::draft(store, Some(by), &Key::parse(programme)?, &req, at(when)).await?;
    bulletins::publish(store, by, &b.key, b.revision, at(when)).await?;
    Ok(())
}

/// Plays what was not played before: the seed programmes' history, then the programme around
/// today (`now` is the first start); returns whether anything played.
pub async fn play(store: &Store, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let history = history(store, now).await?;
    let today = today::play(store, now).await?;
    Ok(history || today)
}

async fn history(store: &Store, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    if !store.bulletins(&Key::parse(XIXIU)?).await?.is_empty() {
        return Ok(false);
    }
    // 西秀区, April–June 2019: 旧州镇 files every month on time and the district files
    // (备案) it, quoting May's paper data as good practice; the other townships spread from
    // on time to late, returned and missing, so rankings and charts differ.
    let (jiuzhou, xixiu) = (who(store, "jiuzhou-lead").await?, who(store, "xixiu-reviewer").await?);
    let others: Vec<String> = store
        .units(&Key::parse(XIXIU)?)
        .await?
        .into_iter()
        .map(|u| u.unit.region.to_string())
        .filter(|r| r != "520402109")
        .collect();
    for (m, (month, next)) in
        [("2019-04", "2019-05"), ("2019-05", "2019-06"), ("2019-06", "2019-07")].into_iter().enumerate()
    {
        for (i, unit) in others.iter().enumerate() {
            township(store, &lead(store, unit, now).await?, &xixiu, month, (i * 7 + m * 3) % 10).await?;
        }
        let e = file(
            store,
            &jiuzhou,
            XIXIU,
            "520402109",
            "e-data",
            month,
            "动态电子信息",
            &format!("{month}-18T10:00:00+08:00"),
        )
        .await?;
        review(store, &xixiu, &e, Decision::File, None, &format!("{month}-19T09:00:00+08:00")).await?;
        let p = file(
            store,
            &jiuzhou,
            XIXIU,
            "520402109",
            "paper-data",
            month,
            "经审核纸质资料",
            &format!("{month}-24T10:00:00+08:00"),
        )
        .await?;
        let quote = (month == "2019-05")
            .then_some("旧州镇推行“一门受理、协同办理”，群众申请救助“只进一扇门”，当月受理申请当日办结率100%。");
        review(store, &xixiu, &p, Decision::File, quote, &format!("{month}-25T09:00:00+08:00")).await?;
        let publish_at = at(&format!("{next}-01T09:00:00+08:00"));
        scoring::publish(store, &xixiu, &Key::parse(XIXIU)?, YearMonth::parse(month)?, None, publish_at).await?;
        bulletin(store, &xixiu, XIXIU, month, &format!("{next}-01T10:00:00+08:00")).await?;
    }
    // 福建, September 2022: 台江区's plan on time (审定 by 福州, 备案 by the province as good
    // practice); 平潭 files directly, three days late; the rest of the province has not filed.
    let (taijiang, pingtan) = (who(store, "taijiang-lead").await?, who(store, "pingtan-lead").await?);
    let (fz, fj) = (who(store, "fz-reviewer").await?, who(store, "fj-admin").await?);
    let plan = file(
        store,
        &taijiang,
        FUJIAN,
        "350103",
        "plan",
        "once",
        "台江区社会救助改革创新试点实施方案",
        "2022-09-15T10:00:00+08:00",
    )
    .await?;
    review(store, &fz, &plan, Decision::Approve, None, "2022-09-16T10:00:00+08:00").await?;
    review(
        store,
        &fj,
        &plan,
        Decision::File,
        Some("台江区以党建引领“四救工作法”，党员干部包片联系困难群众，做到底数清、情况明、措施实。"),
        "2022-09-19T10:00:00+08:00",
    )
    .await?;
    file(store, &pingtan, FUJIAN, "350128", "plan", "once", "平潭综合实验区试点实施方案", "2022-09-23T16:00:00+08:00")
        .await?;
    bulletin(store, &fj, FUJIAN, "2022-09", "2022-10-08T09:00:00+08:00").await?;
    Ok(true)
}
