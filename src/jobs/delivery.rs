//! Delivering reminders to outgoing channels: WeCom and DingTalk group robots, generic JSON
//! webhooks and e-mail over SMTP. A run's reminders go once to each channel whose region
//! contains their unit (to a robot as one digest); a failed attempt is retried with growing
//! pauses, and after the last one the delivery is dead (listed for an admin, who can replay it). Every attempt and its outcome is kept on the delivery.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use std::collections::HashMap;

use crate::domain::delivery::{Attempt, Channel, ChannelKind, Delivery, DeliveryStatus};
use crate::domain::digest;
use crate::domain::outbound::WebhookUrl;
use crate::domain::reminder::Reminder;
use crate::store::{Store, StoreError};

/// Pauses after the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure is final.
pub const BACKOFF_MINUTES: [i64; 4] = [1, 5, 15, 60];

/// Transports that need server configuration: e-mail goes through one SMTP relay; webhooks
/// reach only public addresses, or the hosts the operator allows (`webhook_allow_hosts`).
#[derive(Clone, Default)]
pub struct Outbox {
    pub mail: Option<Mail>,
    pub allow_hosts: Vec<String>,
    /// When each robot was last sent to, within the last minute (the robots' rate limit).
    pub sent: RobotWindow,
}

/// Group robots accept at most 20 messages a minute each (WeCom and DingTalk both say so) and
/// drop the rest; a delivery over the limit waits for the next minute instead of failing.
pub const ROBOT_MESSAGES_PER_MINUTE: usize = 20;

/// The instants each robot channel was sent to in the last minute, by channel key. Kept by
/// this process: each instance keeps its own count (documented in ARCHITECTURE.md).
#[derive(Clone, Default)]
pub struct RobotWindow(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<DateTime<Utc>>>>>);

impl RobotWindow {
    /// Takes a place for a message to `channel` at `now`, or says when the next one frees up.
    pub fn take(&self, channel: &str, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let sent = map.entry(channel.to_owned()).or_default();
        sent.retain(|t| *t > now - Duration::minutes(1));
        if sent.len() >= ROBOT_MESSAGES_PER_MINUTE {
            return Err(sent[0] + Duration::minutes(1));
        }
        sent.push(now);
        Ok(())
    }
}

/// A DingTalk robot URL with its signature (加签): `timestamp` in milliseconds and `sign`, the
/// Base64 of HMAC-SHA256 over `timestamp\nsecret` keyed with the secret, URL-encoded.
pub fn dingtalk_signed(url: &str, secret: &str, at: DateTime<Utc>) -> Result<String, String> {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let timestamp = at.timestamp_millis();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| "a bad signing secret")?;
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let mut u = url::Url::parse(url).map_err(|_| "the channel's address is not a URL")?;
    u.query_pairs_mut().append_pair("timestamp", &timestamp.to_string()).append_pair("sign", &sign);
    Ok(u.to_string())
}

/// An SMTP relay and the sender address reminders come from.
#[derive(Clone)]
pub struct Mail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mail {
    /// `url` as lettre reads it: `smtp://host:port` (plain, for a relay on a trusted network),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://user:pass@host` (TLS).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url {url:?}: {e}"))?
            .timeout(Some(StdDuration::from_secs(20)))
            .build();
        let from = from.parse::<Mailbox>().map_err(|e| format!("smtp_from {from:?}: {e}"))?;
        Ok(Self { transport, from })
    }
}

/// The addresses of an e-mail channel's `mailto:a@x.cn,b@y.cn` URL.
pub fn mail_recipients(url: &str) -> Result<Vec<Mailbox>, String> {
    let list = url.strip_prefix("mailto:").ok_or("an e-mail channel's URL is mailto:address[,address…]")?;
    let out: Vec<Mailbox> = list
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| a.parse::<Mailbox>().map_err(|e| format!("{a:?} is not an e-mail address ({e})")))
        .collect::<Result<_, _>>()?;
    if out.is_empty() || out.len() > 50 {
        return Err("between one and fifty addresses".into());
    }
    Ok(out)
}

/// Queues the new reminders of one run for the channels that cover them: a robot gets one
/// digest (in parts when long, see `domain::digest`), a webhook or mailbox one message per
/// reminder. Messages @mention the phones of the accounts a reminder is for, where known.
pub async fn enqueue(store: &Store, reminders: &[Reminder]) -> Result<usize, StoreError> {
    if reminders.is_empty() {
        return Ok(0);
    }
    let channels = store.channels().await?;
    let phone_of: HashMap<String, String> =
        store.users().await?.into_iter().filter_map(|a| a.phone.map(|p| (a.username, p))).collect();
    let phones: HashMap<String, Vec<String>> = reminders
        .iter()
        .map(|r| (r.identity.clone(), r.recipients.iter().filter_map(|u| phone_of.get(u).cloned()).collect()))
        .collect();
    let titles: HashMap<String, String> = store
        .programmes(0, 10_000)
        .await?
        .0
        .into_iter()
        .map(|p| (p.programme.key.to_string(), p.programme.title))
        .collect();
    let mut n = 0;
    for c in &channels {
        let covered: Vec<&Reminder> = reminders.iter().filter(|r| r.unit_path.contains(&c.region)).collect();
        let queued = if digest::digests(c.kind) {
            digest::digest_deliveries(c, &covered, &titles, &phones)
        } else {
            covered.iter().map(|r| Delivery::queued(r, c, &phones[&r.identity])).collect()
        };
        for d in &queued {
            if store.enqueue_delivery(d).await? {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Sends every delivery that is due; returns how many were delivered now.
pub async fn deliver(store: &Store, outbox: &Outbox, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut delivered = 0;
    let secrets: std::collections::HashMap<String, String> =
        store.channels().await?.into_iter().filter_map(|c| c.secret.map(|s| (c.key, s))).collect();
    for d in store.due_deliveries(now).await? {
        if matches!(d.kind, ChannelKind::Wecom | ChannelKind::Dingtalk)
            && let Err(free_at) = outbox.sent.take(&d.channel, now)
        {
            // Over the robot's limit: waits, without spending an attempt.
            store.defer_delivery(&d.key, free_at).await?;
            continue;
        }
        if !store.claim_attempt(&d.key, d.attempts).await? {
            continue; // another worker has this attempt
        }
        let attempt = d.attempts + 1;
        let outcome =
            send_to(outbox, d.kind, &d.url, secrets.get(&d.channel).map(String::as_str), &d.payload, now).await;
        let entry = Attempt {
            attempt,
            at: now,
            ok: outcome.is_ok(),
            detail: match &outcome {
                Ok(s) | Err(s) => s.clone(),
            },
        };
        let (status, next) = match outcome {
            Ok(_) => (DeliveryStatus::Delivered, now),
            Err(_) if attempt as usize > BACKOFF_MINUTES.len() => (DeliveryStatus::Dead, now),
            Err(_) => (DeliveryStatus::Pending, now + Duration::minutes(BACKOFF_MINUTES[(attempt - 1) as usize])),
        };
        crate::metrics::delivery_attempt(d.kind.as_str(), status.as_str());
        if status == DeliveryStatus::Delivered {
            delivered += 1;
        } else {
            tracing::warn!(delivery = %d.key, kind = d.kind.as_str(), attempt, status = status.as_str(), "delivery failed");
        }
        store.record_attempt(&d.key, status, next, &entry).await?;
    }
    Ok(delivered)
}

/// One message to a channel of this kind at this URL (signed at `now` when the channel has a
/// secret): the outcome as the delivery log records it.
async fn send_to(
    outbox: &Outbox,
    kind: ChannelKind,
    url: &str,
    secret: Option<&str>,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<String, String> {
    match (kind, secret) {
        (ChannelKind::Email, _) => send_mail(outbox, url, payload).await,
        (ChannelKind::Dingtalk, Some(secret)) => {
            send(kind, &dingtalk_signed(url, secret, now)?, payload, &outbox.allow_hosts).await
        }
        _ => send(kind, url, payload, &outbox.allow_hosts).await,
    }
}

/// A test message to a channel (the "send a test message" button): the same transport, checks
/// and signature as reminders, nothing queued or retried.
pub async fn send_test(outbox: &Outbox, c: &Channel, text: &str, now: DateTime<Utc>) -> Result<String, String> {
    let payload = crate::domain::delivery::test_payload(c.kind, text);
    send_to(outbox, c.kind, &c.url, c.secret.as_deref(), &payload, now).await
}

/// One message through the relay; the relay's answer is the outcome.
async fn send_mail(outbox: &Outbox, url: &str, payload: &str) -> Result<String, String> {
    let mail = outbox.mail.as_ref().ok_or("e-mail is not configured on this server (smtp_url)")?;
    let body: serde_json::Value = serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
    let mut builder =
        Message::builder().from(mail.from.clone()).subject(body["subject"].as_str().unwrap_or("pilotgov"));
    for to in mail_recipients(url)? {
        builder = builder.to(to);
    }
    let message = builder
        .header(ContentType::TEXT_PLAIN)
        .body(body["text"].as_str().unwrap_or_default().to_owned())
        .map_err(|e| format!("cannot build the message: {e}"))?;
    let reply = mail.transport.send(message).await.map_err(|e| format!("SMTP: {e}"))?;
    Ok(format!("SMTP {}", reply.code()))
}

/// The most of a robot's answer read to find its `errcode`; the rest is never read.
const ANSWER_LIMIT: usize = 64 * 1024;

/// One POST to the address checked just now; robots answer 200 with `errcode` 0 when they accept
/// the message. Redirects are not followed, and what is recorded is the status code and a fixed
/// message — never the target's answer, which could carry what a probe of the network found.
async fn send(kind: ChannelKind, url: &str, payload: &str, allow: &[String]) -> Result<String, String> {
    let url = WebhookUrl::parse(url, allow).map_err(|_| "the channel's address is not allowed".to_owned())?;
    let candidates: Vec<IpAddr> = match url.literal() {
        Some(ip) => vec![ip],
        None => tokio::net::lookup_host((url.host(), url.port()))
            .await
            .map(|addrs| addrs.map(|a| a.ip()).collect())
            .unwrap_or_default(),
    };
    let ip = url.pick(&candidates, allow).map_err(str::to_owned)?;
    let mut builder = reqwest::Client::builder()
        .timeout(StdDuration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if url.literal().is_none() {
        // Connect to the address that was checked, not to a second DNS answer.
        builder = builder.resolve(url.host(), SocketAddr::new(ip, url.port()));
    }
    let client = builder.build().map_err(|_| "the HTTP client could not be set up".to_owned())?;
    let mut resp = client
        .post(url.as_str())
        .header("content-type", "application/json")
        .body(payload.to_owned())
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "no answer within 10 s".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "the request failed".to_owned()
            }
        })?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(format!("HTTP {} (redirects are not followed)", status.as_u16()));
    }
    if !status.is_success() {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    if kind != ChannelKind::Generic {
        let mut body = Vec::new();
        while body.len() < ANSWER_LIMIT {
            match resp.chunk().await {
                Ok(Some(c)) => body.extend_from_slice(&c),
                _ => break,
            }
        }
        let code = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["errcode"].as_i64());
        if code != Some(0) {
            return Err(format!("HTTP {}, the robot refused the message", status.as_u16()));
        }
    }
    Ok(format!("HTTP {}", status.as_u16()))
}
