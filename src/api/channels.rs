//! `/channels` and `/deliveries`: where reminders go besides the inbox (WeCom and DingTalk group
//! robots, generic JSON webhooks), and what became of each delivery.

use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::region;
use super::error::ApiError;
use super::{ApiTags, State};
use crate::domain::access::Access;
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
    pub url: String,
    pub region: String,
    pub created_by: String,
}

impl From<&ChannelRow> for ChannelView {
    fn from(c: &ChannelRow) -> Self {
        Self {
            key: c.key.clone(),
            kind: c.kind.clone(),
            url: c.url.clone(),
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
    pub next_attempt_at: String,
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
            next_attempt_at: d.next_attempt_at.clone(),
            log: d.log.clone(),
        }
    }
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

#[OpenApi(tag = "ApiTags::Reminders")]
impl ChannelsApi {
    /// Send reminders about units inside a region to a robot or webhook (departments of that
    /// region or above).
    #[oai(path = "/channels", method = "post", operation_id = "createChannel")]
    async fn create(&self, auth: Auth, body: Json<ChannelInput>) -> Result<ChannelCreated, ApiError> {
        let r: RegionCode = region("region", &body.0.region)?;
        let path = r.implied_path();
        auth.may_create(Access::DefineProgramme { scope_path: &path })?;
        let url = body.0.url.trim().to_owned();
        if body.0.kind == ChannelKind::Email {
            crate::jobs::delivery::mail_recipients(&url).map_err(|m| DomainError::invalid("url", m))?;
        } else if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2000 {
            return Err(DomainError::invalid("url", "an http or https URL").into());
        }
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

    /// Channels for regions inside yours.
    #[oai(path = "/channels", method = "get", operation_id = "listChannels")]
    async fn list(&self, auth: Auth) -> Result<Json<Vec<ChannelView>>, ApiError> {
        let all = self.state.store.channels().await?;
        Ok(Json(
            all.iter()
                .filter(|c| {
                    RegionCode::parse(&c.region).is_ok_and(|r| {
                        covers(&auth, &r.implied_path().iter().map(|x| x.to_string()).collect::<Vec<_>>())
                    })
                })
                .map(Into::into)
                .collect(),
        ))
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
