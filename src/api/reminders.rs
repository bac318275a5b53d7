//! `/inbox` and `/programmes/{key}/reminders`: reminders (临近提醒), chasing (催办) and escalations
//! as their recipients and the departments above see them.

use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::instant;
use super::error::ApiError;
use super::params::KeyParam;
use super::{ApiTags, State};
use crate::domain::Key;
use crate::domain::access::Access;
use crate::domain::reminder::Reminder;
use crate::domain::reminder::{Audience, ReminderRules};

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReminderView {
    /// Stable identity, URL-safe: programme~unit~deliverable~occurrence~rule.
    pub id: String,
    pub programme: String,
    pub unit: String,
    pub unit_name: String,
    pub deliverable: String,
    pub occurrence: String,
    pub due_on: chrono::NaiveDate,
    /// `before-7`, `before-3`, `before-1`, `on-the-day`, `overdue`, `escalate-city`,
    /// `escalate-province`, `ranking-due` (a month's ranking awaits publishing), or `order-due`
    /// (a supervision order awaits the unit's answer).
    #[oai(validator(
        pattern = r"^(before-[0-9]+|on-the-day|overdue|escalate-city|escalate-province|ranking-due|order-due)$"
    ))]
    pub kind: String,
    pub audience: ReminderAudience,
    pub send_date: chrono::NaiveDate,
    pub message: String,
    pub recipients: Vec<String>,
    pub sent_at: chrono::DateTime<chrono::FixedOffset>,
    /// Read by the account asking (inbox only).
    pub read: bool,
}

/// Who a reminder is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReminderAudience {
    /// The unit's own lead.
    Lead,
    /// The reviewers of the unit's city.
    City,
    /// The province (or the region the programme escalates to).
    Province,
}

impl From<Audience> for ReminderAudience {
    fn from(a: Audience) -> Self {
        match a {
            Audience::Lead => Self::Lead,
            Audience::City => Self::City,
            Audience::Province => Self::Province,
        }
    }
}

fn view(r: &Reminder, me: &str) -> ReminderView {
    ReminderView {
        id: r.identity.clone(),
        programme: r.programme.to_string(),
        unit: r.unit.to_string(),
        unit_name: r.unit_name.clone(),
        deliverable: r.deliverable.clone(),
        occurrence: r.occurrence.clone(),
        due_on: r.due_on,
        kind: r.notice.code(),
        audience: r.audience.into(),
        send_date: r.send_date,
        message: r.message.clone(),
        recipients: r.recipients.clone(),
        sent_at: super::common::shanghai(r.sent_at),
        read: r.is_read_by(me),
    }
}

#[derive(ApiResponse)]
pub enum Marked {
    /// Marked read.
    #[oai(status = 204)]
    Done,
}

pub struct RemindersApi {
    pub state: State,
}

impl RemindersApi {
    async fn gate(&self, auth: &Auth, k: &Key) -> Result<Key, ApiError> {
        let k = k.clone();
        let reach = self.state.store.recent_reach(&k).await?.ok_or_else(|| super::programmes::not_found(k.as_str()))?;
        auth.may(Access::ReadProgramme { reach: &reach })?;
        Ok(k)
    }
}

fn visible(auth: &Auth, r: &Reminder) -> bool {
    auth.principal().can_read_unit(&r.unit_path)
}

/// When units and the levels above are reminded.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReminderRulesDto {
    /// Working days before the due day on which the lead is reminded (at most five, 1–30).
    pub before_working_days: Vec<u32>,
    pub on_the_day: bool,
    /// Chase every working day while overdue.
    pub overdue_daily: bool,
    /// Days after the due day to tell the city's reviewers; none: never.
    pub escalate_city_after_days: Option<u32>,
    /// Days after the due day to tell the province; none: never.
    pub escalate_province_after_days: Option<u32>,
    /// When the reminder job runs for this programme, as a cron expression with seconds
    /// (`sec min hour day month weekday`, e.g. `0 30 8 * * Mon-Fri`); none: the server's 09:00.
    pub schedule: Option<String>,
    /// IANA time zone of the schedule; none: Asia/Shanghai.
    pub time_zone: Option<String>,
    /// Region told at the last escalation instead of the province; must lie in the programme.
    pub escalate_to: Option<String>,
}

impl From<&ReminderRules> for ReminderRulesDto {
    fn from(r: &ReminderRules) -> Self {
        Self {
            before_working_days: r.before_working_days.clone(),
            on_the_day: r.on_the_day,
            overdue_daily: r.overdue_daily,
            escalate_city_after_days: r.escalate_city_after_days,
            escalate_province_after_days: r.escalate_province_after_days,
            schedule: r.schedule.clone(),
            time_zone: r.time_zone.clone(),
            escalate_to: r.escalate_to.as_ref().map(ToString::to_string),
        }
    }
}

#[OpenApi(tag = "ApiTags::Reminders")]
impl RemindersApi {
    /// The programme's reminder rules (the defaults unless it set its own).
    #[oai(path = "/programmes/:key/reminder-rules", method = "get", operation_id = "getReminderRules")]
    async fn get_rules(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<ReminderRulesDto>, ApiError> {
        let k = self.gate(&auth, &key.0).await?;
        let rules = self.state.store.reminder_rules(k.as_str()).await?.unwrap_or_default();
        Ok(Json((&rules).into()))
    }

    /// Set the programme's reminder rules.
    #[oai(path = "/programmes/:key/reminder-rules", method = "put", operation_id = "putReminderRules")]
    async fn put_rules(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        body: Json<ReminderRulesDto>,
    ) -> Result<Json<ReminderRulesDto>, ApiError> {
        let k = self.gate(&auth, &key.0).await?;
        let p = self.state.store.programme_required(&k).await?;
        let path = p.programme.scope.implied_path();
        auth.may(Access::DefineProgramme { scope_path: &path })?;
        let b = body.0;
        let rules = ReminderRules {
            before_working_days: b.before_working_days,
            on_the_day: b.on_the_day,
            overdue_daily: b.overdue_daily,
            escalate_city_after_days: b.escalate_city_after_days,
            escalate_province_after_days: b.escalate_province_after_days,
            schedule: b.schedule,
            time_zone: b.time_zone,
            escalate_to: b.escalate_to.map(|c| super::common::region("escalate_to", &c)).transpose()?,
        };
        rules.validate(&p.programme.scope)?;
        let path: Vec<String> = path.iter().map(|c| c.to_string()).collect();
        self.state.store.put_reminder_rules(k.as_str(), &rules, path, &auth.actor(&self.state)).await?;
        Ok(Json((&rules).into()))
    }

    /// Your inbox: the reminders addressed to you, newest first.
    #[oai(path = "/inbox", method = "get", operation_id = "inbox")]
    async fn inbox(&self, auth: Auth) -> Result<Json<Vec<ReminderView>>, ApiError> {
        let me = &auth.principal().username;
        Ok(Json(self.state.store.inbox(me).await?.iter().map(|r| view(r, me)).collect()))
    }

    /// Mark a reminder in your inbox read.
    #[oai(path = "/inbox/:id/read", method = "post", operation_id = "markReminderRead")]
    async fn read(&self, auth: Auth, id: Path<String>) -> Result<Marked, ApiError> {
        self.state.store.mark_read(&id.0, &auth.actor(&self.state)).await?;
        Ok(Marked::Done)
    }

    /// Reminders sent for a programme's units that you may see, in the order sent.
    #[oai(path = "/programmes/:key/reminders", method = "get", operation_id = "listReminders")]
    async fn list(&self, auth: Auth, key: Path<KeyParam>) -> Result<Json<Vec<ReminderView>>, ApiError> {
        let k = self.gate(&auth, &key.0).await?;
        let me = auth.principal().username.clone();
        Ok(Json(
            self.state.store.reminders(&k).await?.iter().filter(|r| visible(&auth, r)).map(|r| view(r, &me)).collect(),
        ))
    }

    /// What the reminder job would send at `at` (default now) for this programme; nothing is sent.
    #[oai(path = "/programmes/:key/reminders/preview", method = "get", operation_id = "previewReminders")]
    async fn preview(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        at: Query<Option<String>>,
    ) -> Result<Json<Vec<ReminderView>>, ApiError> {
        let k = self.gate(&auth, &key.0).await?;
        let at = match at.0.as_deref() {
            Some(s) => instant("at", s)?,
            None => self.state.clock.now(),
        };
        let me = auth.principal().username.clone();
        let mut all = crate::jobs::reminders::preview(&self.state.store, at).await?;
        Ok(Json(
            all.remove(k.as_str())
                .unwrap_or_default()
                .iter()
                .filter(|r| visible(&auth, r))
                .map(|r| view(r, &me))
                .collect(),
        ))
    }
}
