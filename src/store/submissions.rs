//! First submissions against a deadline: the fact the deadline board turns green on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::rows::{decode, encode};
use super::{Store, StoreError, rows};
use crate::domain::board::Filings;
use crate::domain::{Key, RegionCode};

#[derive(Debug, Serialize, Deserialize)]
struct SubmissionRow {
    programme: String,
    unit: String,
    deliverable: String,
    occurrence: String,
    submitted_at: String,
}

impl Store {
    /// Records the first submission for a deadline and returns its instant; a later call for the
    /// same deadline keeps (and returns) the first, so a retried request changes nothing.
    pub async fn record_submission(
        &self,
        programme: &Key,
        unit: &RegionCode,
        deliverable: &Key,
        occurrence: &str,
        at: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, bool), StoreError> {
        let row = SubmissionRow {
            programme: programme.to_string(),
            unit: unit.to_string(),
            deliverable: deliverable.to_string(),
            occurrence: occurrence.to_owned(),
            submitted_at: at.to_rfc3339(),
        };
        match self
            .query(
                "CREATE submission CONTENT $row",
                json!({ "row": encode(&row) }),
            )
            .await
        {
            Ok(_) => Ok((at, true)),
            Err(StoreError::Conflict {
                retryable: false, ..
            }) => {
                let out = self
                    .query(
                        "SELECT * FROM submission WHERE programme = $p AND unit = $u AND deliverable = $d AND occurrence = $o",
                        json!({ "p": row.programme, "u": row.unit, "d": row.deliverable, "o": row.occurrence }),
                    )
                    .await?;
                let first = rows(out.into_iter().next().unwrap_or_default())
                    .into_iter()
                    .next()
                    .ok_or_else(|| StoreError::Internal("submission vanished".into()))?;
                let first: SubmissionRow = decode("submission", first)?;
                Ok((parse_instant(&first.submitted_at)?, false))
            }
            Err(e) => Err(e),
        }
    }

    /// Every first submission of a programme, grouped by unit for the board.
    pub async fn filings(&self, programme: &Key) -> Result<Filings, StoreError> {
        let out = self
            .query(
                "SELECT * FROM submission WHERE programme = $p",
                json!({ "p": programme.as_str() }),
            )
            .await?;
        let mut map: Filings = HashMap::new();
        for v in rows(out.into_iter().next().unwrap_or_default()) {
            let r: SubmissionRow = decode("submission", v)?;
            let unit =
                RegionCode::parse(&r.unit).map_err(|e| StoreError::corrupt("submission", e))?;
            let del =
                Key::parse(&r.deliverable).map_err(|e| StoreError::corrupt("submission", e))?;
            map.entry(unit)
                .or_default()
                .push((del, r.occurrence, parse_instant(&r.submitted_at)?));
        }
        Ok(map)
    }
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| StoreError::corrupt("instant", e))
}
