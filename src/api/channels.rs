//! `/channels` and `/deliveries`: where reminders go besides the inbox (WeCom and DingTalk group
//! robots, generic JSON webhooks), and what became of each delivery.

use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::region;
use super::error::ApiError;
use super::{ApiTags, State};
use crate::domain::access::Access;
use crate::domain::outbound::{WebhookUrl, masked};
use crate::domain::{DomainError, RegionCode};
use crate::store::delivery::{ChannelRow, DeliveryRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ChannelKind {
    /// 企业微信群机器人.
    Wecom,
    /// 钉钉自定义机器人.
    Dingtalk,
    /// A JSON POST of the reminder.
    Generic,
    /// E-mail through the server's SMTP relay; the URL is `mailto:a@x.cn,b@y.cn`.
    Email,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChannelInput {
    pub kind: ChannelKind,
    /// The robot's or endpoint's URL (http or https); for e-mail, `mailto:` and the addresses.
    pub url: String,
    /// Reminders about units inside this region go here.
    pub region: String,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChannelView {
    pub key: String,
    pub kind: String,
    /// Masked: scheme, host and the last four characters (a robot's key never leaves the
    /// server); e-mail channels show their addresses.
    pub url: String,
    pub region: String,
    pub created_by: String,
}

impl From<&ChannelRow> for ChannelView {
    fn from(c: &ChannelRow) -> Self {
        Self {
            key: c.key.clone(),
            kind: c.kind.clone(),
            url: masked(&c.url),
            region: c.region.clone(),
            created_by: c.created_by.clone(),
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeliveryView {
    pub key: String,
    pub reminder: String,
    pub channel: String,
    pub kind: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: chrono::DateTime<chrono::FixedOffset>,
    /// Every attempt and its outcome.
    pub log: Vec<serde_json::Value>,
}

impl From<&DeliveryRow> for DeliveryView {
    fn from(d: &DeliveryRow) -> Self {
        Self {
            key: d.key.clone(),
            reminder: d.reminder.clone(),
            channel: d.channel.clone(),
            kind: d.kind.clone(),
            status: d.status.clone(),
            attempts: d.attempts,
            next_attempt_at: super::common::stamp(&d.next_attempt_at),
            log: d.log.iter().map(|e| shown_attempt(&d.kind, e)).collect(),
        }
    }
}

/// An attempt as shown. Attempts are recorded with a status code and a fixed message only; older
/// records kept the target's answer after a `: `, which is cut here so it is never shown.
fn shown_attempt(kind: &str, e: &serde_json::Value) -> serde_json::Value {
    let mut e = e.clone();
    if kind != "email"
        && let Some(d) = e.get("detail").and_then(|d| d.as_str()).map(str::to_owned)
    {
        e["detail"] = serde_json::Value::String(d.split(": ").next().unwrap_or_default().to_owned());
    }
    e
}

#[derive(ApiResponse)]
pub enum ChannelCreated {
    #[oai(status = 201)]
    Created(Json<ChannelView>),
}

pub struct ChannelsApi {
    pub state: State,
}

fn covers(auth: &Auth, path: &[String]) -> bool {
    path.iter().any(|c| c == auth.principal().region.as_str())
}

#[derive(Debug, Clone, Object)]
pub struct ChannelUrlInput {
    /// The new URL (a robot's new key or token); checked like a new channel's.
    pub url: String,
}

impl ChannelsApi {
    /// A channel's URL checked for its kind: e-mail addresses, or an http(s) URL the server may
    /// call (public addresses only, unless the operator allows the host).
    fn checked_url(&self, kind: ChannelKind, raw: &str) -> Result<String, ApiError> {
        let url = raw.trim();
        if kind == ChannelKind::Email {
            crate::jobs::delivery::mail_recipients(url).map_err(|m| DomainError::invalid("url", m))?;
            Ok(url.to_owned())
        } else {
            Ok(WebhookUrl::parse(url, &self.state.site.webhook_allow_hosts)?.as_str().to_owned())
        }
    }
}

#[OpenApi(tag = "ApiTags::Reminders")]
impl ChannelsApi {
    /// Send reminders about units inside a region to a robot or webhook (departments of that
    /// region or above).
    #[oai(path = "/channels", method = "post", operation_id = "createChannel")]
    async fn create(&self, auth: Auth, body: Json<ChannelInput>) -> Result<ChannelCreated, ApiError> {
        let r: RegionCode = region("region", &body.0.region)?;
        let path = r.implied_path();
        auth.may_create(Access::ManageChannel { region_path: &path })?;
        let url = self.checked_url(body.0.kind, &body.0.url)?;
        let c = ChannelRow {
            key: uuid::Uuid::new_v4().simple().to_string(),
            kind: match body.0.kind {
                ChannelKind::Wecom => "wecom".into(),
                ChannelKind::Dingtalk => "dingtalk".into(),
                ChannelKind::Generic => "generic".into(),
                ChannelKind::Email => "email".into(),
            },
            url,
            region: r.to_string(),
            created_by: auth.principal().username.clone(),
        };
        self.state
            .store
            .create_channel(&c, path.iter().map(|c| c.to_string()).collect(), &auth.actor(&self.state))
            .await?;
        Ok(ChannelCreated::Created(Json((&c).into())))
    }

    /// Channels for regions inside yours, their URLs masked.
    #[oai(path = "/channels", method = "get", operation_id = "listChannels")]
    async fn list(&self, auth: Auth) -> Result<Json<Vec<ChannelView>>, ApiError> {
        let all = self.state.store.channels().await?;
        Ok(Json(
            all.iter()
                .filter(|c| {
                    RegionCode::parse(&c.region).is_ok_and(|r| {
                        auth.principal().check(Access::ReadChannel { region_path: &r.implied_path() }).is_ok()
                    })
                })
                .map(Into::into)
                .collect(),
        ))
    }

    /// Replace a channel's URL, e.g. after a robot's key was reset (the region's province admin
    /// or city reviewer, or one above). The answer shows the new URL masked.
    #[oai(path = "/channels/:key", method = "put", operation_id = "replaceChannelUrl")]
    async fn replace(
        &self,
        auth: Auth,
        key: Path<String>,
        body: Json<ChannelUrlInput>,
    ) -> Result<Json<ChannelView>, ApiError> {
        let hidden = || ApiError::not_found(format!("channel `{}` does not exist", key.0));
        let c = self.state.store.channel(&key.0).await?.ok_or_else(hidden)?;
        let path = RegionCode::parse(&c.region).map_err(|_| hidden())?.implied_path();
        auth.may(Access::ManageChannel { region_path: &path })?;
        let kind = match c.kind.as_str() {
            "email" => ChannelKind::Email,
            "wecom" => ChannelKind::Wecom,
            "dingtalk" => ChannelKind::Dingtalk,
            _ => ChannelKind::Generic,
        };
        let url = self.checked_url(kind, &body.0.url)?;
        self.state
            .store
            .replace_channel_url(&c, &url, path.iter().map(|c| c.to_string()).collect(), &auth.actor(&self.state))
            .await?;
        Ok(Json((&ChannelRow { url, ..c }).into()))
    }

    /// Deliveries about units inside your region, optionally by status (`dead`: the dead-letter
    /// list). Province admins.
    #[oai(path = "/deliveries", method = "get", operation_id = "listDeliveries")]
    async fn deliveries(&self, auth: Auth, status: Query<Option<String>>) -> Result<Json<Vec<DeliveryView>>, ApiError> {
        auth.may(Access::ReadAudit)?;
        let all = self.state.store.deliveries(status.0.as_deref()).await?;
        Ok(Json(all.iter().filter(|d| covers(&auth, &d.region_path)).map(Into::into).collect()))
    }

    /// Put a dead delivery back in the queue. Province admins.
    #[oai(path = "/deliveries/:key/replay", method = "post", operation_id = "replayDelivery")]
    async fn replay(&self, auth: Auth, key: Path<String>) -> Result<Json<DeliveryView>, ApiError> {
        auth.may(Access::ReadAudit)?;
        let d = self
            .state
            .store
            .delivery(&key.0)
            .await?
            .filter(|d| covers(&auth, &d.region_path))
            .ok_or_else(|| ApiError::not_found(format!("delivery `{}` does not exist", key.0)))?;
        self.state
            .store
            .replay_delivery(&d.key, self.state.clock.now(), d.region_path.clone(), &auth.actor(&self.state))
            .await?;
        let d = self.state.store.delivery(&key.0).await?.ok_or_else(|| ApiError::not_found("delivery vanished"))?;
        Ok(Json((&d).into()))
    }
}
