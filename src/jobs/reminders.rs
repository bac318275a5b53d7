//! The reminder job body: for every unmet deadline of every running programme, the reminders
//! due since the last run, to the unit's lead or the level above, each created once.

use std::collections::HashMap;

use chrono::{DateTime, Days, Utc};

use crate::domain::Audience as DeliverableAudience;
use crate::domain::deadline::local_day;
use crate::domain::reminder::{Audience, Due, ReminderRules, collapse, due_between};
use crate::domain::{Key, RegionCode, RegionLevel};
use crate::store::reminders::ReminderRow;
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
) -> Result<Vec<ReminderRow>, StoreError> {
    run_scoped(store, now, previous, dry_run, Scope::All).await
}

/// [`run`] for the programmes in `scope`.
pub async fn run_scoped(
    store: &Store,
    now: DateTime<Utc>,
    previous: Option<DateTime<Utc>>,
    dry_run: bool,
    scope: Scope<'_>,
) -> Result<Vec<ReminderRow>, StoreError> {
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
        let filings = store.filings(&p.key).await?;
        for d in &parts.deliverables {
            for o in d.deadline.occurrences(&parts.stages).map_err(StoreError::Refused)? {
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
                    let mut due = due_between(&rules, &calendar, o.due_on, after, today);
                    if catching_up {
                        due = collapse(due);
                    }
                    for r in due {
                        let row = reminder(
                            &p.key,
                            &u.region,
                            &u.name,
                            &u.path,
                            &d.key,
                            &d.title,
                            &o.key,
                            o.due_on,
                            &o.due_text,
                            r,
                            rules.escalate_to.as_ref(),
                            &users,
                            now,
                        );
                        if dry_run || store.insert_reminder(&row).await? {
                            created.push(row);
                        }
                    }
                }
            }
        }
    }
    Ok(created)
}

#[allow(clippy::too_many_arguments)]
fn reminder(
    programme: &Key,
    unit: &RegionCode,
    unit_name: &str,
    path: &[RegionCode],
    deliverable: &Key,
    title: &str,
    occurrence: &str,
    due_on: chrono::NaiveDate,
    due_text: &str,
    r: Due,
    escalate_to: Option<&RegionCode>,
    users: &[crate::store::accounts::UserRow],
    now: DateTime<Utc>,
) -> ReminderRow {
    let audience = r.kind.audience();
    let level_code = |level: RegionLevel| path.iter().find(|c| c.level() == level).map(|c| c.to_string());
    let recipients: Vec<String> = match audience {
        Audience::Lead => users
            .iter()
            .filter(|u| u.role == "unit_lead" && u.region == unit.as_str())
            .map(|u| u.username.clone())
            .collect(),
        Audience::City => {
            let city = level_code(RegionLevel::City);
            users
                .iter()
                .filter(|u| u.role == "city_reviewer" && Some(&u.region) == city.as_ref())
                .map(|u| u.username.clone())
                .collect()
        }
        // The programme may name who is told last: that region's reviewers, admins and leaders.
        Audience::Province => match escalate_to {
            Some(to) => users
                .iter()
                .filter(|u| u.region == to.as_str() && !matches!(u.role.as_str(), "unit_lead" | "evaluator"))
                .map(|u| u.username.clone())
                .collect(),
            None => {
                let province = level_code(RegionLevel::Province);
                users
                    .iter()
                    .filter(|u| u.role == "province_admin" && Some(&u.region) == province.as_ref())
                    .map(|u| u.username.clone())
                    .collect()
            }
        },
    };
    let message = match r.kind {
        crate::domain::reminder::Kind::Before(n) => {
            format!("【临近提醒】{unit_name}：{title}（{due_text}）还有{n}个工作日到期，请按时报送。")
        }
        crate::domain::reminder::Kind::OnTheDay => {
            format!("【到期提醒】{unit_name}：{title}（{due_text}）今日到期，请于今日内报送。")
        }
        crate::domain::reminder::Kind::Overdue => {
            format!("【催办】{unit_name}：{title}（{due_text}）已逾期未报送，请尽快报送。")
        }
        crate::domain::reminder::Kind::EscalateCity => {
            format!("【逾期报告】{unit_name}的{title}（{due_text}）逾期未报送，请市级督促。")
        }
        crate::domain::reminder::Kind::EscalateProvince => {
            format!("【逾期报告】{unit_name}的{title}（{due_text}）逾期未报送，请省级督办。")
        }
    };
    ReminderRow {
        identity: format!("{programme}~{unit}~{deliverable}~{occurrence}~{}", r.identity()),
        programme: programme.to_string(),
        unit: unit.to_string(),
        unit_name: unit_name.to_owned(),
        unit_path: path.iter().map(|c| c.to_string()).collect(),
        deliverable: deliverable.to_string(),
        occurrence: occurrence.to_owned(),
        due_on: due_on.to_string(),
        kind: r.kind.code(),
        audience: match audience {
            Audience::Lead => "lead".into(),
            Audience::City => "city".into(),
            Audience::Province => "province".into(),
        },
        send_date: r.date.to_string(),
        message,
        recipients,
        read_by: vec![],
        sent_at: now.to_rfc3339(),
    }
}

/// The reminders each unit would get at `now` (a preview; nothing is stored).
pub async fn preview(store: &Store, now: DateTime<Utc>) -> Result<HashMap<String, Vec<ReminderRow>>, StoreError> {
    let mut by_programme: HashMap<String, Vec<ReminderRow>> = HashMap::new();
    for r in run(store, now, None, true).await? {
        by_programme.entry(r.programme.clone()).or_default().push(r);
    }
    Ok(by_programme)
}
