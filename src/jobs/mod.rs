//! Scheduled work. The schedule (cron expressions in Asia/Shanghai) is kept apart from the job
//! bodies; a body is `run(&Store, now, …)` and can be called directly by tests and the CLI.
//! Besides the server's jobs, a programme may run its reminders on a schedule of its own
//! (its reminder rules), read at every tick.
//!
//! Exactly once: each job's run for a scheduled instant is claimed in the database before it
//! runs (compare-and-set on the last run), so of several instances only one runs it; and each
//! reminder has a deterministic identity that the database keeps unique. After downtime the
//! next tick claims the latest scheduled instant once and its body covers the whole gap.

pub mod delivery;
pub mod monthly;
pub mod reminders;

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Shanghai;
use chrono_tz::Tz;

use crate::clock::Clock;
use crate::store::{Store, StoreError};

/// What a job does when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Reminders for the programmes that follow the server's schedule.
    Reminders,
    /// Reminders for one programme with a schedule of its own.
    ProgrammeReminders(String),
    /// On the 1st: last month's bulletin drafts, and a word to admins whose ranking awaits publishing.
    MonthlyDrafts,
}

/// A named job and when it runs.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub schedule: cron::Schedule,
    pub tz: Tz,
    pub body: Body,
}

fn job(name: &str, expr: &str, body: Body) -> Job {
    Job {
        name: name.into(),
        schedule: cron::Schedule::from_str(expr).expect("a valid cron expression"),
        tz: Shanghai,
        body,
    }
}

/// The server's jobs and where their output goes.
#[derive(Clone)]
pub struct Scheduler {
    pub jobs: Vec<Job>,
    pub outbox: delivery::Outbox,
}

impl Default for Scheduler {
    /// Reminders every day at 09:00, monthly drafts on the 1st at 08:00, Asia/Shanghai.
    fn default() -> Self {
        Self {
            jobs: vec![
                job("reminders", "0 0 9 * * *", Body::Reminders),
                job("monthly-drafts", "0 0 8 1 * *", Body::MonthlyDrafts),
            ],
            outbox: delivery::Outbox::default(),
        }
    }
}

impl Job {
    /// The latest scheduled instant at or before `now` (within the last 40 days).
    pub fn last_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = (now - Duration::days(40)).with_timezone(&self.tz);
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
        self.schedule.after(&now.with_timezone(&self.tz)).next().map(|t| t.with_timezone(&Utc))
    }
}

/// The jobs of programmes that run their reminders on a schedule of their own.
async fn programme_jobs(store: &Store) -> Result<Vec<Job>, StoreError> {
    let mut out = Vec::new();
    for (key, rules) in store.all_reminder_rules().await? {
        match rules.schedule() {
            Ok(Some((schedule, tz))) => {
                out.push(Job { name: format!("reminders@{key}"), schedule, tz, body: Body::ProgrammeReminders(key) })
            }
            Ok(None) => {}
            // Rules are checked when they are set; one stored before a check existed is skipped loudly.
            Err(e) => tracing::error!(programme = %key, error = %e, "reminder schedule unusable; skipped"),
        }
    }
    Ok(out)
}

/// What one tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub job: String,
    pub scheduled_at: DateTime<Utc>,
    pub sent: usize,
}

/// Runs every job whose latest scheduled instant has not run yet. Safe to call as often as you
/// like, from any number of instances.
pub async fn tick(store: &Store, scheduler: &Scheduler, now: DateTime<Utc>) -> Result<Vec<Ran>, StoreError> {
    let mut ran = Vec::new();
    let own = programme_jobs(store).await?;
    for job in scheduler.jobs.iter().chain(&own) {
        let Some(at) = job.last_due(now) else { continue };
        let previous = match store.claim_job(&job.name, at).await {
            Ok(p) => p,
            Err(StoreError::Outdated(_)) => continue,
            Err(e) => return Err(e),
        };
        let sent = match &job.body {
            Body::Reminders | Body::ProgrammeReminders(_) => {
                let scope = match &job.body {
                    Body::ProgrammeReminders(key) => reminders::Scope::Programme(key),
                    _ => reminders::Scope::ServerSchedule,
                };
                let created = reminders::run_scoped(store, now, previous, false, scope).await?;
                delivery::enqueue(store, &created).await?;
                crate::metrics::reminders_created(created.len());
                created.len()
            }
            Body::MonthlyDrafts => monthly::run(store, now).await?,
        };
        tracing::info!(job = %job.name, %at, sent, "job ran");
        crate::metrics::job_ran(&job.name);
        ran.push(Ran { job: job.name.clone(), scheduled_at: at, sent });
    }
    // Outgoing deliveries are due whenever their retry pause ends, not on a schedule.
    delivery::deliver(store, &scheduler.outbox, now).await?;
    Ok(ran)
}

/// The scheduler loop of `serve`: tick, then sleep until the next scheduled instant (at most a
/// minute, so a changed clock, a missed wake-up or a programme's own schedule is noticed).
pub async fn run_forever(store: Store, clock: Arc<dyn Clock>, scheduler: Scheduler) {
    loop {
        let now = clock.now();
        if let Err(e) = tick(&store, &scheduler, now).await {
            tracing::error!(error = %e, "scheduled jobs failed; retrying at the next tick");
        }
        let next = scheduler.jobs.iter().filter_map(|j| j.next_after(now)).min().unwrap_or(now + Duration::minutes(1));
        let wait = (next - clock.now()).to_std().unwrap_or_default().min(std::time::Duration::from_secs(60));
        tokio::time::sleep(wait.max(std::time::Duration::from_millis(200))).await;
    }
}
