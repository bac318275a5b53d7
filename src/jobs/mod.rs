//! Scheduled work. The schedule (cron expressions in Asia/Shanghai) is kept apart from the job
//! bodies; a body is `run(&Store, now, …)` and can be called directly by tests and the CLI.
//!
//! Exactly once: each job's run for a scheduled instant is claimed in the database before it
//! runs (compare-and-set on the last run), so of several instances only one runs it; and each
//! reminder has a deterministic identity that the database keeps unique. After downtime the
//! next tick claims the latest scheduled instant once and its body covers the whole gap.

pub mod delivery;
pub mod reminders;

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Shanghai;

use crate::clock::Clock;
use crate::store::{Store, StoreError};

/// A named job and when it runs.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: &'static str,
    pub schedule: cron::Schedule,
}

/// The default schedule: reminders every day at 09:00 Asia/Shanghai.
pub fn default_jobs() -> Vec<Job> {
    vec![Job { name: "reminders", schedule: cron::Schedule::from_str("0 0 9 * * *").expect("a valid cron expression") }]
}

impl Job {
    /// The latest scheduled instant at or before `now` (within the last 40 days).
    pub fn last_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = (now - Duration::days(40)).with_timezone(&Shanghai);
        let mut last = None;
        for t in self.schedule.after(&from) {
            let t = t.with_timezone(&Utc);
            if t > now {
                break;
            }
            last = Some(t);
        }
        last
    }

    /// The next scheduled instant after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&now.with_timezone(&Shanghai)).next().map(|t| t.with_timezone(&Utc))
    }
}

/// What one tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub job: &'static str,
    pub scheduled_at: DateTime<Utc>,
    pub sent: usize,
}

/// Runs every job whose latest scheduled instant has not run yet. Safe to call as often as you
/// like, from any number of instances.
pub async fn tick(store: &Store, jobs: &[Job], now: DateTime<Utc>) -> Result<Vec<Ran>, StoreError> {
    let mut ran = Vec::new();
    for job in jobs {
        let Some(at) = job.last_due(now) else { continue };
        let previous = match store.claim_job(job.name, at).await {
            Ok(p) => p,
            Err(StoreError::Outdated(_)) => continue,
            Err(e) => return Err(e),
        };
        let sent = match job.name {
            "reminders" => {
                let created = reminders::run(store, now, previous, false).await?;
                delivery::enqueue(store, &created).await?;
                created.len()
            }
            _ => 0,
        };
        tracing::info!(job = job.name, %at, sent, "job ran");
        ran.push(Ran { job: job.name, scheduled_at: at, sent });
    }
    // Outgoing deliveries are due whenever their retry pause ends, not on a schedule.
    delivery::deliver(store, now).await?;
    Ok(ran)
}

/// The scheduler loop of `serve`: tick, then sleep until the next scheduled instant (at most a
/// minute, so a changed clock or a missed wake-up is noticed).
pub async fn run_forever(store: Store, clock: Arc<dyn Clock>, jobs: Vec<Job>) {
    loop {
        let now = clock.now();
        if let Err(e) = tick(&store, &jobs, now).await {
            tracing::error!(error = %e, "scheduled jobs failed; retrying at the next tick");
        }
        let next = jobs.iter().filter_map(|j| j.next_after(now)).min().unwrap_or(now + Duration::minutes(1));
        let wait = (next - clock.now()).to_std().unwrap_or_default().min(std::time::Duration::from_secs(60));
        tokio::time::sleep(wait.max(std::time::Duration::from_millis(200))).await;
    }
}
