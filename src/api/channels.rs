//! `/channels` and `/deliveries`: where reminders go besides the inbox (WeCom and DingTalk group
//! robots, generic JSON webhooks), and what became of each delivery.

use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::{region, shanghai};
use super::error::ApiError;
use super::{ApiTags, State};
use crate::domain::RegionCode;
use crate::domain::access::Access;
use crate::domain::delivery::{Attempt, Channel, ChannelKind as Kind, Delivery, DeliveryStatus};
use crate::domain::outbound::masked;
use crate::service::channels as service;

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

impl From<ChannelKind> for Kind {
    fn from(k: ChannelKind) -> Self {
        match k {
            ChannelKind::Wecom => Self::Wecom,
            ChannelKind::Dingtalk => Self::Dingtalk,
            ChannelKind::Generic => Self::Generic,
            ChannelKind::Email => Self::Email,
        }
    }
}

impl From<Kind> for ChannelKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Wecom => Self::Wecom,
            Kind::Dingtalk => Self::Dingtalk,
            Kind::Generic => Self::Generic,
            Kind::Email => Self::Email,
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DeliveryStatusDto {
    Pending,
    Delivered,
    /// Every retry failed: the dead-letter list.
    Dead,
}

impl From<DeliveryStatusDto> for DeliveryStatus {
    fn from(s: DeliveryStatusDto) -> Self {
        match s {
            DeliveryStatusDto::Pending => Self::Pending,
            DeliveryStatusDto::Delivered => Self::Delivered,
            DeliveryStatusDto::Dead => Self::Dead,
        }
    }
}

impl From<DeliveryStatus> for DeliveryStatusDto {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Dead => Self::Dead,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChannelInput {
    pub kind: ChannelKind,
    /// The robot's or endpoint's URL (http or https; any DingTalk-protocol host, e.g. a 浙政钉
    /// deployment); for e-mail, `mailto:` and the addresses.
    pub url: String,
    /// Reminders about units inside this region go here.
    pub region: String,
    /// A DingTalk robot's signing secret (加签, `SEC…`): messages then carry `timestamp` and
    /// `sign`. Write-only: never shown.
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChannelView {
    pub key: String,
    pub kind: ChannelKind,
    /// Masked: scheme, host and the last four characters (a robot's key never leaves the
    /// server); e-mail channels show their addresses.
    pub url: String,
    pub region: String,
    pub created_by: String,
    /// The robot signs its messages (加签).
    pub signed: bool,
}

impl From<&Channel> for ChannelView {
    fn from(c: &Channel) -> Self {
        Self {
            key: c.key.clone(),
            kind: c.kind.into(),
            url: masked(&c.url),
            region: c.region.to_string(),
            created_by: c.created_by.clone(),
            signed: c.secret.is_some(),
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeliveryView {
    pub key: String,
    /// The reminder's identity (`programme~unit~deliverable~occurrence~rule`), or for a robot
    /// the run's digest part (`digest~date~set~part`).
    pub reminder: String,
    pub channel: String,
    pub kind: ChannelKind,
    pub status: DeliveryStatusDto,
    pub attempts: i64,
    pub next_attempt_at: chrono::DateTime<chrono::FixedOffset>,
    /// Every attempt and its outcome.
    pub log: Vec<AttemptView>,
}

/// One try at sending.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AttemptView {
    pub attempt: i64,
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub ok: bool,
    /// A status code or a fixed message; never what the target answered.
    pub detail: String,
}

impl AttemptView {
    fn of(a: &Attempt, kind: Kind) -> Self {
        Self { attempt: a.attempt, at: shanghai(a.at), ok: a.ok, detail: a.shown_detail(kind).to_owned() }
    }
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            key: d.key.clone(),
            reminder: d.reminder.clone(),
            channel: d.channel.clone(),
            kind: d.kind.into(),
            status: d.status.into(),
            attempts: d.attempts,
            next_attempt_at: shanghai(d.next_attempt_at),
            log: d.log.iter().map(|a| AttemptView::of(a, d.kind)).collect(),
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

#[derive(Debug, Clone, Object)]
pub struct ChannelUrlInput {
    /// The new URL (a robot's new key or token); checked like a new channel's.
    pub url: String,
    /// The DingTalk signing secret to use from now on; absent: the robot does not sign.
    pub secret: Option<String>,
}

#[OpenApi(tag = "ApiTags::Reminders")]
impl ChannelsApi {
    /// Send reminders about units inside a region to a robot or webhook (departments of that
    /// region or above).
    #[oai(path = "/channels", method = "post", operation_id = "createChannel")]
    async fn create(&self, auth: Auth, body: Json<ChannelInput>) -> Result<ChannelCreated, ApiError> {
        let r: RegionCode = region("region", &body.0.region)?;
        let (state, allow) = (&self.state, &self.state.site.webhook_allow_hosts);
        let b = &body.0;
        let c = service::create(
            &state.store,
            auth.principal(),
            b.kind.into(),
            &b.url,
            b.secret.as_deref(),
            r,
            allow,
            state.now(),
        )
        .await?;
        Ok(ChannelCreated::Created(Json((&c).into())))
    }

    /// Channels for regions inside yours, their URLs masked.
    #[oai(path = "/channels", method = "get", operation_id = "listChannels")]
    async fn list(&self, auth: Auth) -> Result<Json<Vec<ChannelView>>, ApiError> {
        let all = service::list(&self.state.store, auth.principal()).await?;
        Ok(Json(all.iter().map(Into::into).collect()))
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
        let (state, allow) = (&self.state, &self.state.site.webhook_allow_hosts);
        let (url, secret) = (&body.0.url, body.0.secret.as_deref());
        let c = service::replace_url(&state.store, auth.principal(), &key.0, url, secret, allow, state.now()).await?;
        Ok(Json((&c).into()))
    }

    /// Deliveries about units inside your region, optionally by status (`dead`: the dead-letter
    /// list). Province admins.
    #[oai(path = "/deliveries", method = "get", operation_id = "listDeliveries")]
    async fn deliveries(
        &self,
        auth: Auth,
        status: Query<Option<DeliveryStatusDto>>,
    ) -> Result<Json<Vec<DeliveryView>>, ApiError> {
        auth.may(Access::ReadAudit)?;
        let all = self.state.store.deliveries(status.0.map(Into::into)).await?;
        Ok(Json(all.iter().filter(|d| auth.principal().can_read_unit(&d.region_path)).map(Into::into).collect()))
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
            .filter(|d| auth.principal().can_read_unit(&d.region_path))
            .ok_or_else(|| ApiError::not_found(format!("delivery `{}` does not exist", key.0)))?;
        self.state
            .store
            .replay_delivery(
                &d.key,
                self.state.clock.now(),
                d.region_path.iter().map(ToString::to_string).collect(),
                &auth.actor(&self.state),
            )
            .await?;
        let d = self.state.store.delivery(&key.0).await?.ok_or_else(|| ApiError::not_found("delivery vanished"))?;
        Ok(Json((&d).into()))
    }
}
