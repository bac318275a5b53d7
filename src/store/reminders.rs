//! The calendar, reminders and job runs.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{AUDIT, Actor, head};
use super::rows::{codes, strings};
use super::rows::{decode, encode};
use super::{Store, StoreError, rows};
use crate::domain::calendar::{Calendar, Year};
use crate::domain::reminder::{Audience, Notice, Reminder};
use crate::domain::{Key, RegionCode};

/// A reminder as stored; its `identity` is unique, so it is created at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ReminderRow {
    identity: String,
    programme: String,
    unit: String,
    unit_name: String,
    unit_path: Vec<String>,
    deliverable: String,
    occurrence: String,
    due_on: String,
    kind: String,
    audience: String,
    send_date: String,
    message: String,
    recipients: Vec<String>,
    read_by: Vec<String>,
    sent_at: String,
}

impl ReminderRow {
    fn from_domain(r: &Reminder) -> Self {
        Self {
            identity: r.identity.clone(),
            programme: r.programme.to_string(),
            unit: r.unit.to_string(),
            unit_name: r.unit_name.clone(),
            unit_path: strings(&r.unit_path),
            deliverable: r.deliverable.clone(),
            occurrence: r.occurrence.clone(),
            due_on: r.due_on.to_string(),
            kind: r.notice.code(),
            audience: r.audience.as_str().to_owned(),
            send_date: r.send_date.to_string(),
            message: r.message.clone(),
            recipients: r.recipients.clone(),
            read_by: r.read_by.clone(),
            sent_at: r.sent_at.to_rfc3339(),
        }
    }

    fn into_domain(self) -> Result<Reminder, StoreError> {
        let bad = |e| StoreError::corrupt("reminder", e);
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::corrupt("reminder", e));
        Ok(Reminder {
            programme: Key::parse(&self.programme).map_err(bad)?,
            unit: RegionCode::parse(&self.unit).map_err(bad)?,
            unit_path: codes(&self.unit_path).map_err(bad)?,
            due_on: day(&self.due_on)?,
            notice: Notice::parse(&self.kind)
                .ok_or_else(|| StoreError::corrupt("reminder", format!("kind `{}`", self.kind)))?,
            audience: Audience::parse(&self.audience)
                .ok_or_else(|| StoreError::corrupt("reminder", format!("audience `{}`", self.audience)))?,
            send_date: day(&self.send_date)?,
            sent_at: super::rows::instant(&self.sent_at)?,
            identity: self.identity,
            unit_name: self.unit_name,
            deliverable: self.deliverable,
            occurrence: self.occurrence,
            message: self.message,
            recipients: self.recipients,
            read_by: self.read_by,
        })
    }
}

#[derive(Deserialize)]
struct CalendarRow {
    year: i64,
    holidays: Vec<String>,
    workdays: Vec<String>,
}

impl Store {
    /// A programme's reminder rules, if it has its own.
    pub async fn reminder_rules(
        &self,
        programme: &str,
    ) -> Result<Option<crate::domain::reminder::ReminderRules>, StoreError> {
        let out = self
            .query("SELECT VALUE rules FROM reminder_rules WHERE programme = $p", json!({ "p": programme }))
            .await?;
        rows(out.into_iter().next().unwrap_or_default())
            .into_iter()
            .next()
            .map(|v| decode("reminder rules", v))
            .transpose()
    }

    /// Every programme's own rules, by programme key.
    pub async fn all_reminder_rules(
        &self,
    ) -> Result<Vec<(String, crate::domain::reminder::ReminderRules)>, StoreError> {
        let out = self.query("SELECT programme, rules FROM reminder_rules", json!({})).await?;
        rows(out.into_iter().next().unwrap_or_default())
            .into_iter()
            .map(|v| {
                let key = v["programme"].as_str().unwrap_or_default().to_owned();
                Ok((key, decode("reminder rules", v["rules"].clone())?))
            })
            .collect()
    }

    pub async fn put_reminder_rules(
        &self,
        programme: &str,
        rules: &crate::domain::reminder::ReminderRules,
        path: Vec<String>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let row = json!({ "programme": programme, "rules": encode(rules) });
        self.replace_programme_doc("reminder_rules", "rules", row, "reminder_rules.update", path, actor).await
    }

    pub async fn upsert_calendar_year(&self, year: i32, y: &Year, source: &str) -> Result<(), StoreError> {
        let days = |s: &std::collections::BTreeSet<NaiveDate>| s.iter().map(|d| d.to_string()).collect::<Vec<_>>();
        self.query(
            "BEGIN TRANSACTION;
             DELETE calendar_year WHERE year = $y;
             CREATE calendar_year CONTENT { year: $y, holidays: $h, workdays: $w, source: $s };
             COMMIT TRANSACTION;",
            json!({ "y": year, "h": days(&y.holidays), "w": days(&y.workdays), "s": source }),
        )
        .await?;
        self.recent.calendar.forget(&());
        Ok(())
    }

    /// The calendar, up to `recent_ms` old (see `store::recent`); this instance forgets it when
    /// it writes a year.
    pub async fn recent_calendar(&self) -> Result<std::sync::Arc<Calendar>, StoreError> {
        let got =
            self.recent.calendar.get(&(), || async { Ok(Some(std::sync::Arc::new(self.calendar().await?))) }).await?;
        Ok(got.unwrap_or_default())
    }

    pub async fn calendar(&self) -> Result<Calendar, StoreError> {
        let out = self.query("SELECT year, holidays, workdays FROM calendar_year", json!({})).await?;
        let mut years = BTreeMap::new();
        for v in rows(out.into_iter().next().unwrap_or_default()) {
            let r: CalendarRow = decode("calendar year", v)?;
            let parse = |v: &[String]| {
                v.iter()
                    .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|e| StoreError::corrupt("calendar", e)))
                    .collect::<Result<_, _>>()
            };
            years.insert(r.year as i32, Year { holidays: parse(&r.holidays)?, workdays: parse(&r.workdays)? });
        }
        Ok(Calendar::new(years))
    }

    /// Creates the reminder unless one with its identity exists; true when created now.
    pub async fn insert_reminder(&self, r: &Reminder) -> Result<bool, StoreError> {
        match self.query("CREATE reminder CONTENT $row", json!({ "row": encode(&ReminderRow::from_domain(r)) })).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_duplicate_in("reminder_identity") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reminders of a programme in the order sent.
    pub async fn reminders(&self, programme: &Key) -> Result<Vec<Reminder>, StoreError> {
        self.select_rows::<ReminderRow>(
            "SELECT * FROM reminder WHERE programme = $p ORDER BY sent_at, identity",
            json!({ "p": programme.as_str() }),
        )
        .await
    }

    /// A user's inbox, newest first (the latest 500).
    pub async fn inbox(&self, username: &str) -> Result<Vec<Reminder>, StoreError> {
        self.select_rows::<ReminderRow>(
            "SELECT * FROM reminder WHERE $u IN recipients ORDER BY sent_at DESC, identity LIMIT 500",
            json!({ "u": username }),
        )
        .await
    }

    /// How many of a user's messages it has not read: the count every page's header shows. Read
    /// through `mailbox_unread` (migration 0021): the recipient's unread rows of the mailbox
    /// table the reminders' event keeps, instead of a pass over every reminder (SurrealDB 3.3.5
    /// tests an array's members by a table scan even with an index on the array).
    pub async fn unread_count(&self, username: &str) -> Result<u64, StoreError> {
        self.count_for(
            "SELECT count() AS n FROM mailbox WITH INDEX mailbox_unread WHERE username = $u AND read = false GROUP ALL",
            username,
        )
        .await
    }

    /// The unread count as it was read before migration 0021, by a pass over every reminder:
    /// kept for the benchmark, which prints it beside [`Store::unread_count`].
    pub async fn unread_count_by_scan(&self, username: &str) -> Result<u64, StoreError> {
        self.count_for(
            "SELECT count() AS n FROM reminder WHERE $u IN recipients AND $u NOTINSIDE read_by GROUP ALL",
            username,
        )
        .await
    }

    /// A `SELECT count() AS n … GROUP ALL` about one account (`$u`); 0 when nothing matched.
    async fn count_for(&self, sql: &str, username: &str) -> Result<u64, StoreError> {
        #[derive(Deserialize)]
        struct Count {
            n: u64,
        }
        Ok(self.select_one::<Count>(sql, json!({ "u": username }), "reminder").await?.map_or(0, |c| c.n))
    }

    /// Marks a reminder read by one of its recipients; not found for anyone else.
    pub async fn mark_read(&self, identity: &str, actor: &Actor) -> Result<(), StoreError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT read_by FROM reminder WHERE identity = $i AND $u IN recipients)[0];
             IF $before = NONE {{ THROW 'pilotgov:missing reminder' }};
             UPDATE reminder SET read_by = array::union(read_by, [$u]) WHERE identity = $i;
             LET $after = (SELECT read_by FROM reminder WHERE identity = $i)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "i": identity, "u": actor.username,
            "audit": head(actor, "reminder.read", &format!("reminder:{identity}"), None, None),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    /// When `job` last ran (the scheduled instant it ran for).
    pub async fn job_last_run(&self, job: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        #[derive(Deserialize)]
        struct R {
            last_run_at: String,
        }
        let out = self.query("SELECT last_run_at FROM job_run WHERE job = $j", json!({ "j": job })).await?;
        match rows(out.into_iter().next().unwrap_or_default()).into_iter().next() {
            Some(v) => Ok(Some(super::rows::instant(&decode::<R>("job run", v)?.last_run_at)?)),
            None => Ok(None),
        }
    }

    /// Claims the run of `job` scheduled for `at`: only one caller, across instances, gets it.
    /// Returns the previous run (none the first time), or `Err(Outdated)` if already claimed.
    pub async fn claim_job(&self, job: &str, at: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let previous = self.job_last_run(job).await?;
        match previous {
            Some(p) if p >= at => Err(StoreError::Outdated(format!("{job} already ran for {at}"))),
            Some(p) => {
                self.query(
                    "BEGIN TRANSACTION;
                     LET $done = UPDATE job_run SET last_run_at = $at_at WHERE job = $j AND last_run_at = $prev_at RETURN AFTER;
                     IF array::len($done) = 0 { THROW 'pilotgov:outdated another instance claimed this run' };
                     COMMIT TRANSACTION;",
                    json!({ "j": job, "at_at": at.to_rfc3339(), "prev_at": p.to_rfc3339() }),
                )
                .await?;
                Ok(Some(p))
            }
            None => match self
                .query(
                    "CREATE job_run CONTENT { job: $j, last_run_at: $at_at }",
                    json!({ "j": job, "at_at": at.to_rfc3339() }),
                )
                .await
            {
                Ok(_) => Ok(None),
                Err(e) if e.is_duplicate_in("job_run_job") => {
                    Err(StoreError::Outdated(format!("{job} claimed elsewhere")))
                }
                Err(e) => Err(e),
            },
        }
    }
}

super::rows::domain_rows! {
    ReminderRow => Reminder, "reminder";
}
