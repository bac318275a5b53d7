//! The reminder job body: for every unmet deadline of every running programme, the reminders
//! due since the last run, to the unit's lead or the level above, each created once.

use std::collections::HashMap;

use chrono::{DateTime, Days, Utc};

use crate::domain::Audience as DeliverableAudience;
use crate::domain::deadline::local_day;
use crate::domain::reminder::{
    Deadline, Reminder, ReminderRules, collapse, deadline_reminder, due_between, order_notices,
};
use crate::store::{Store, StoreError};

/// Chasing stops this many days after a programme's period ends.
const CHASE_AFTER_PERIOD_DAYS: u64 = 30;

/// Which programmes a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every programme (the CLI, previews).
    All,
    /// The programmes that follow the server's schedule (those without one of their own).
    ServerSchedule,
    /// One programme, on its own schedule.
    Programme(&'a str),
}

impl Scope<'_> {
    fn covers(self, programme: &str, rules: &ReminderRules) -> bool {
        match self {
            Self::All => true,
            Self::ServerSchedule => rules.schedule.is_none(),
            Self::Programme(key) => key == programme,
        }
    }
}

/// Creates (unless `dry_run`) the reminders due after the last run up to `now` for every
/// programme, and returns those created now (with `dry_run`, those that would be).
pub async fn run(
    store: &Store,
    now: DateTime<Utc>,
    previous: Option<DateTime<Utc>>,
    dry_run: bool,
) -> Result<Vec<Reminder>, StoreError> {
    run_scoped(store, now, previous, dry_run, Scope::All).await
}

/// [`run`] for the programmes in `scope`.
pub async fn run_scoped(
    store: &Store,
    now: DateTime<Utc>,
    previous: Option<DateTime<Utc>>,
    dry_run: bool,
    scope: Scope<'_>,
) -> Result<Vec<Reminder>, StoreError> {
    let today = local_day(now);
    let yesterday = today.pred_opt().expect("dates stay in range");
    let after = previous.map(local_day).unwrap_or(yesterday).min(yesterday);
    let catching_up = after < yesterday;
    let calendar = store.calendar().await?;
    let users = store.users().await?;
    let (programmes, _) = store.programmes(0, 10_000).await?;
    let mut created = Vec::new();
    for stored in programmes {
        let p = &stored.programme;
        let chase_until =
            p.period.last().checked_add_days(Days::new(CHASE_AFTER_PERIOD_DAYS)).expect("dates stay in range");
        if today > chase_until {
            continue;
        }
        let rules = store.reminder_rules(p.key.as_str()).await?.unwrap_or_default();
        if !scope.covers(p.key.as_str(), &rules) {
            continue;
        }
        let (_, parts) = store.board_parts(&p.key).await?;
        let filings = store.board_filings(&p.key).await?;
        for d in &parts.deliverables {
            for o in d.deadline.occurrences(&parts.stages).map_err(StoreError::Refused)? {
                // What falls due for this deadline does not depend on the unit: decided once,
                // and a deadline with nothing due today costs nothing per unit.
                let mut due = due_between(&rules, &calendar, o.due_on, after, today);
                if catching_up {
                    due = collapse(due);
                }
                if due.is_empty() {
                    continue;
                }
                for u in &parts.units {
                    if d.audience == DeliverableAudience::Demonstration && !u.demonstration {
                        continue;
                    }
                    let filed = filings
                        .get(&u.region)
                        .and_then(|v| v.iter().find(|(k, occ, _)| k == &d.key && occ == &o.key))
                        .is_some_and(|(_, _, at)| *at <= now);
                    if filed {
                        continue;
                    }
                    let deadline = Deadline {
                        programme: &p.key,
                        unit: &u.region,
                        unit_name: &u.name,
                        unit_path: &u.path,
                        deliverable: &d.key,
                        title: &d.title,
                        occurrence: &o.key,
                        due_on: o.due_on,
                        due_text: &o.due_text,
                    };
                    for &r in &due {
                        let reminder = deadline_reminder(&deadline, r, rules.escalate_to.as_ref(), &users, now);
                        if dry_run || store.insert_reminder(&reminder).await? {
                            created.push(reminder);
                        }
                    }
                }
            }
        }
    }
    // Supervision orders awaiting the unit's answer, of the programmes this run covers.
    for o in store.live_orders().await? {
        let rules = store.reminder_rules(o.programme.as_str()).await?.unwrap_or_default();
        if !scope.covers(o.programme.as_str(), &rules) {
            continue;
        }
        for reminder in order_notices(&o, &users, now) {
            if dry_run || store.insert_reminder(&reminder).await? {
                created.push(reminder);
            }
        }
    }
    Ok(created)
}

/// The reminders each unit would get at `now` (a preview; nothing is stored).
pub async fn preview(store: &Store, now: DateTime<Utc>) -> Result<HashMap<String, Vec<Reminder>>, StoreError> {
    let mut by_programme: HashMap<String, Vec<Reminder>> = HashMap::new();
    for r in run(store, now, None, true).await? {
        by_programme.entry(r.programme.to_string()).or_default().push(r);
    }
    Ok(by_programme)
}
