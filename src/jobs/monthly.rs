//! The job of the 1st: for last month, draft each running programme's progress bulletin; where a
//! scored programme's ranking is not published yet, tell its admins in their inbox instead (the
//! bulletin waits for the ranking, which only a person publishes).

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::bulletin::Period;
use crate::domain::reminder::ranking_notice;
use crate::service::bulletins::{self, Request, last_month};
use crate::service::filings::ServiceError;
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
        let req = Request { period: Period::Month(month), region: None };
        if store.bulletins(&p.key).await?.iter().any(|b| b.period == req.period) {
            continue; // drafted (or published) already
        }
        match bulletins::compose(store, &p.key, &req, now).await {
            Ok(c) if c.is_quiet() => {}
            Ok(_) => {
                bulletins::draft(store, None, &p.key, &req, now).await.map_err(store_error)?;
                made += 1;
            }
            Err(ServiceError::Store(StoreError::Refused(e))) if e.is(crate::domain::Rule::RankingNotPublished) => {
                if store.insert_reminder(&ranking_notice(p, month, &users, now)).await? {
                    made += 1;
                }
            }
            Err(e) => return Err(store_error(e)),
        }
    }
    Ok(made)
}
