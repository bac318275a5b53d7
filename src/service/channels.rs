//! Reminder channels (robots, webhooks, e-mail) of a region: created, listed and re-keyed by the
//! region's departments, and tried with a test message. The API and the pages both come here;
//! a channel's URL is a secret (a robot's key is in it) and leaves only masked.

use chrono::{DateTime, Utc};

use super::accounts::actor;
use super::error::{ServiceError, gate};
use crate::domain::access::{Access, Principal};
use crate::domain::delivery::{Channel, ChannelKind, signing_secret};
use crate::domain::outbound::WebhookUrl;
use crate::domain::{DomainError, RegionCode};
use crate::jobs::delivery::Outbox;
use crate::store::Store;

/// A channel's URL checked for its kind: e-mail addresses, or an http(s) URL the server may call
/// (public addresses only, unless the operator allows the host).
fn checked_url(kind: ChannelKind, raw: &str, allow: &[String]) -> Result<String, DomainError> {
    let url = raw.trim();
    if kind == ChannelKind::Email {
        crate::jobs::delivery::mail_recipients(url).map_err(|m| DomainError::invalid("url", m))?;
        Ok(url.to_owned())
    } else {
        Ok(WebhookUrl::parse(url, allow)?.as_str().to_owned())
    }
}

/// Sends reminders about units inside `region` to a new channel.
pub async fn create(
    store: &Store,
    p: &Principal,
    kind: ChannelKind,
    url: &str,
    secret: Option<&str>,
    region: RegionCode,
    allow: &[String],
    now: DateTime<Utc>,
) -> Result<Channel, ServiceError> {
    let path = region.implied_path();
    match p.check(Access::ManageChannel { region_path: &path }) {
        Ok(()) => {}
        Err(crate::domain::access::Denied::Forbidden(why)) => return Err(ServiceError::Forbidden(why)),
        Err(crate::domain::access::Denied::Hidden) => {
            return Err(ServiceError::Forbidden(format!("{} may not act outside its region", p.username)));
        }
    }
    let c = Channel {
        key: uuid::Uuid::new_v4().simple().to_string(),
        kind,
        url: checked_url(kind, url, allow)?,
        region,
        created_by: p.username.clone(),
        secret: signing_secret(kind, secret)?,
    };
    store.create_channel(&c, path.iter().map(|c| c.to_string()).collect(), &actor(p, now)).await?;
    Ok(c)
}

/// The channels `p` sees (those of regions at or below its own).
pub async fn list(store: &Store, p: &Principal) -> Result<Vec<Channel>, ServiceError> {
    Ok(store
        .channels()
        .await?
        .into_iter()
        .filter(|c| p.check(Access::ReadChannel { region_path: &c.region.implied_path() }).is_ok())
        .collect())
}

/// A channel `p` may change.
async fn managed(store: &Store, p: &Principal, key: &str) -> Result<Channel, ServiceError> {
    let c = store.channel(key).await?.ok_or_else(|| ServiceError::Hidden(format!("channel `{key}`")))?;
    gate(p, Access::ManageChannel { region_path: &c.region.implied_path() }, &format!("channel `{key}`"))?;
    Ok(c)
}

/// Replaces a channel's URL (a robot's key was reset) and its signing secret (none: the robot
/// no longer signs).
pub async fn replace_url(
    store: &Store,
    p: &Principal,
    key: &str,
    url: &str,
    secret: Option<&str>,
    allow: &[String],
    now: DateTime<Utc>,
) -> Result<Channel, ServiceError> {
    let c = managed(store, p, key).await?;
    let url = checked_url(c.kind, url, allow)?;
    let secret = signing_secret(c.kind, secret)?;
    let path = c.region.implied_path().iter().map(|c| c.to_string()).collect();
    store.replace_channel_url(&c, &url, secret.as_deref(), path, &actor(p, now)).await?;
    Ok(Channel { url, secret, ..c })
}

/// Sends a test message through a channel at once; the transport's answer (a status code or a
/// fixed message, never what the target said) either way.
pub async fn test(
    store: &Store,
    p: &Principal,
    key: &str,
    outbox: &Outbox,
    now: DateTime<Utc>,
) -> Result<Result<String, String>, ServiceError> {
    let c = managed(store, p, key).await?;
    let text =
        format!("【测试】这是 pilotgov 试点工作督办平台发往本群（{}）的测试消息，由{}发送。", c.region, p.display_name);
    Ok(crate::jobs::delivery::send_test(outbox, &c, &text, now).await)
}
