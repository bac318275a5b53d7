//! Channels and deliveries: where reminders go besides the inbox (WeCom and DingTalk group
//! robots, generic JSON webhooks, e-mail), and each attempt to get one there.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::RegionCode;
use super::reminder::Reminder;

/// What a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wecom => "wecom",
            Self::Dingtalk => "dingtalk",
            Self::Generic => "generic",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Wecom, Self::Dingtalk, Self::Generic, Self::Email].into_iter().find(|k| k.as_str() == s)
    }
}

/// Reminders about units inside `region` go to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub key: String,
    pub kind: ChannelKind,
    /// A secret (a robot's key is in it): never shown unmasked.
    pub url: String,
    pub region: RegionCode,
    pub created_by: String,
    /// A DingTalk robot's signing secret (加签, `SEC…`): each message then carries a
    /// timestamp and its HMAC-SHA256 signature. Never shown.
    pub secret: Option<String>,
}

/// A DingTalk signing secret as the robot's settings show it: `SEC` and letters and digits.
/// Only DingTalk robots sign; empty means none.
pub fn signing_secret(kind: ChannelKind, raw: Option<&str>) -> Result<Option<String>, super::DomainError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if kind != ChannelKind::Dingtalk {
        return Err(super::DomainError::invalid("secret", "only a DingTalk robot signs its messages (加签)"));
    }
    if !(s.starts_with("SEC") && (10..=200).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric())) {
        return Err(super::DomainError::invalid(
            "secret",
            "a DingTalk signing secret starts with SEC followed by letters and digits, as the robot's 加签 setting shows it",
        ));
    }
    Ok(Some(s.to_owned()))
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Every retry failed (the dead-letter list); an admin may replay it.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead].into_iter().find(|k| k.as_str() == s)
    }
}

/// One try at sending, and how it went: a status code or a fixed message, never the target's
/// answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub detail: String,
}

impl Attempt {
    /// The detail as shown. Older records kept a webhook target's answer after a `: `; it is cut
    /// so it is never shown (an e-mail relay's answer is the server's own).
    pub fn shown_detail(&self, kind: ChannelKind) -> &str {
        match kind {
            ChannelKind::Email => &self.detail,
            _ => self.detail.split(": ").next().unwrap_or_default(),
        }
    }
}

/// One reminder on its way to one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `reminder@channel`: a reminder goes to a channel once.
    pub key: String,
    pub reminder: String,
    pub channel: String,
    /// The reminder's unit path, root first.
    pub region_path: Vec<RegionCode>,
    pub kind: ChannelKind,
    pub url: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub log: Vec<Attempt>,
}

impl Delivery {
    /// A reminder queued for a channel, to go at once (`mobiles`: see [`payload`]).
    pub fn queued(r: &Reminder, c: &Channel, mobiles: &[String]) -> Self {
        Self {
            key: format!("{}@{}", r.identity, c.key),
            reminder: r.identity.clone(),
            channel: c.key.clone(),
            region_path: r.unit_path.clone(),
            kind: c.kind,
            url: c.url.clone(),
            payload: payload(c.kind, r, mobiles),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: r.sent_at,
            log: vec![],
        }
    }
}

/// The body of a test message, as each kind of channel expects it.
pub fn test_payload(kind: ChannelKind, text: &str) -> String {
    match kind {
        ChannelKind::Email => json!({ "subject": "【测试】pilotgov 提醒渠道", "text": text }),
        ChannelKind::Wecom | ChannelKind::Dingtalk => return super::digest::robot_payload(kind, text, &[]),
        ChannelKind::Generic => json!({ "kind": "test", "message": text }),
    }
    .to_string()
}

/// The body a channel of `kind` expects for a reminder; `mobiles` are the phones of the
/// accounts it is for, which robots @mention (DingTalk names them in the text as well).
pub fn payload(kind: ChannelKind, r: &Reminder, mobiles: &[String]) -> String {
    match kind {
        // The subject names the kind of notice and the unit, so a mailbox reads like a list.
        ChannelKind::Email => json!({
            "subject": format!("{}{}", r.message.split('】').next().map(|t| format!("{t}】")).unwrap_or_default(), r.unit_name),
            "text": format!("{}\n\n截止：{}\n—— pilotgov 试点工作督办", r.message, r.due_on),
        }),
        // 企业微信群机器人 (https://developer.work.weixin.qq.com/document/path/91770) and 钉钉自定义
        // 机器人 text messages; robots are normally sent digests (`super::digest`).
        ChannelKind::Wecom | ChannelKind::Dingtalk => return super::digest::robot_payload(kind, &r.message, mobiles),
        ChannelKind::Generic => json!({
            "id": r.identity, "programme": r.programme.as_str(), "unit": r.unit.as_str(), "unit_name": r.unit_name,
            "deliverable": r.deliverable, "occurrence": r.occurrence, "due_on": r.due_on.to_string(),
            "kind": r.notice.code(), "audience": r.audience.as_str(), "message": r.message,
            "recipients": r.recipients, "sent_at": r.sent_at.to_rfc3339(),
        }),
    }
    .to_string()
}
