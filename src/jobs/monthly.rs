//! The job of the 1st: for last month, draft each running programme's progress bulletin; where a
//! scored programme's ranking is not published yet, tell its admins in their inbox instead (the
//! bulletin waits for the ranking, which only a person publishes).

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::bulletin::Kind;
use crate::domain::deadline::YearMonth;
use crate::service::bulletins::{self, Request, last_month};
use crate::service::filings::ServiceError;
use crate::store::reminders::ReminderRow;
use crate::store::{Store, StoreError};

fn store_error(e: ServiceError) -> StoreError {
    match e {
        ServiceError::Store(e) => e,
        other => StoreError::Internal(other.to_string()),
    }
}

/// Returns how many drafts and notices were made.
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let month = last_month(now);
    let first = NaiveDate::from_ymd_opt(month.year, month.month, 1).expect("a month has a first day");
    let users = store.users().await?;
    let (programmes, _) = store.programmes(0, 10_000).await?;
    let mut made = 0;
    for stored in programmes {
        let p = &stored.programme;
        if p.period.first() > month.last_day() || p.period.last() < first {
            continue;
        }
        let req = Request { kind: Kind::Monthly, period: month.to_string(), region: None };
        if store.bulletins(p.key.as_str()).await?.iter().any(|b| b.kind == "monthly" && b.period == req.period) {
            continue; // drafted (or published) already
        }
        match bulletins::compose(store, &p.key, &req, now).await {
            Ok(c) if c.summary.due == 0 && c.upcoming.is_empty() && c.ranking.is_empty() => {}
            Ok(_) => {
                bulletins::draft(store, None, &p.key, &req, now).await.map_err(store_error)?;
                made += 1;
            }
            Err(ServiceError::Store(StoreError::Refused(e))) if e.is(crate::domain::Rule::RankingNotPublished) => {
                let admins: Vec<String> = users
                    .iter()
                    .filter(|u| u.role == "province_admin" && u.region == p.scope.as_str())
                    .map(|u| u.username.clone())
                    .collect();
                if store.insert_reminder(&ranking_notice(p, month, admins, now)).await? {
                    made += 1;
                }
            }
            Err(e) => return Err(store_error(e)),
        }
    }
    Ok(made)
}

/// "Last month's ranking awaits publishing", once per programme and month.
fn ranking_notice(
    p: &crate::domain::Programme,
    month: YearMonth,
    recipients: Vec<String>,
    now: DateTime<Utc>,
) -> ReminderRow {
    ReminderRow {
        identity: format!("{}~ranking~{month}~publish", p.key),
        programme: p.key.to_string(),
        unit: p.scope.to_string(),
        unit_name: p.issuer.clone(),
        unit_path: p.scope.implied_path().iter().map(ToString::to_string).collect(),
        deliverable: "ranking".into(),
        occurrence: month.to_string(),
        due_on: month.last_day().to_string(),
        kind: "ranking-due".into(),
        audience: "province".into(),
        send_date: crate::domain::deadline::local_day(now).to_string(),
        message: format!(
            "【待发布】{}{}年{}月排名已可审核，请核对后发布，发布后生成本月进展通报草稿。",
            p.title, month.year, month.month
        ),
        recipients,
        read_by: vec![],
        sent_at: now.to_rfc3339(),
    }
}
