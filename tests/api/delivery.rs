//! Webhook delivery against receivers on loopback: a WeCom robot that fails its first two
//! requests gets the run's digest of reminders exactly once after retries; an endpoint that
//! always fails ends in the dead-letter list, from which an admin replays it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use pilotgov::domain::access::Role;
use pilotgov::jobs::{Scheduler, tick};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Json;
use poem::{EndpointExt, Route, Server, handler, post};
use serde_json::{Value, json};

use crate::helpers::{TestApp, at};

#[derive(Clone, Default)]
struct Counters {
    robot: Arc<AtomicUsize>,
    broken: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<Value>>>,
}

#[handler]
fn robot_receiver(
    poem::web::Data(c): poem::web::Data<&Counters>,
    Json(body): Json<Value>,
) -> poem::Result<Json<Value>> {
    let n = c.robot.fetch_add(1, Ordering::SeqCst) + 1;
    if n <= 2 {
        return Err(poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR));
    }
    c.bodies.lock().unwrap().push(body);
    Ok(Json(json!({"errcode": 0, "errmsg": "ok"})))
}

#[handler]
fn broken_receiver(poem::web::Data(c): poem::web::Data<&Counters>) -> poem::http::StatusCode {
    c.broken.fetch_add(1, Ordering::SeqCst);
    poem::http::StatusCode::SERVICE_UNAVAILABLE
}

/// Starts the receivers on a free loopback port; returns its base URL.
async fn receivers(c: Counters) -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
    let app = Route::new().at("/robot", post(robot_receiver)).at("/broken", post(broken_receiver)).data(c);
    tokio::spawn(async move { Server::new_with_acceptor(acceptor).run(app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn webhooks_retry_then_deliver_once_and_dead_letters_can_be_replayed() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let counters = Counters::default();
    let base = receivers(counters.clone()).await;
    t.add_user("fz-reviewer", Role::CityReviewer, "350100").await;
    let fz = t.login("fz-reviewer").await;
    let (s, c) = t
        .post_as(&fz, "/api/v1/channels", &json!({"kind": "wecom", "url": format!("{base}/robot"), "region": "350100"}))
        .await;
    assert_eq!(s, 201, "{c}");
    let (s, b) = t
        .post_as(
            &fz,
            "/api/v1/channels",
            &json!({"kind": "generic", "url": format!("{base}/broken"), "region": "350200"}),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "福州 cannot route 厦门's reminders: {b}");
    let (s, _) = t
        .post("/api/v1/channels", &json!({"kind": "generic", "url": format!("{base}/broken"), "region": "350200"}))
        .await;
    assert_eq!(s, 201);
    let (s, b) =
        t.post("/api/v1/channels", &json!({"kind": "generic", "url": "ftp://example", "region": "350200"})).await;
    assert_eq!((s, b["code"].as_str()), (422, Some("validation_failed")), "{b}");

    // The 09:00 run three working days before the plan is due: 14 reminders, 3 of them in 福州
    // (台江区, 闽侯县, 平潭) and 1 in 厦门 (思明区).
    let jobs = crate::helpers::loopback_scheduler();
    let mut now = at("2022-09-15T09:00:00+08:00");
    let ran = tick(&t.app.state.store, &jobs, now).await.unwrap();
    assert_eq!(ran[0].sent, 14);
    // Keep ticking every minute for two hours: retries after 1, 5, 15 and 60 minutes.
    for _ in 0..120 {
        now += Duration::minutes(1);
        tick(&t.app.state.store, &jobs, now).await.unwrap();
    }
    let (_, all) = t.get("/api/v1/deliveries").await;
    let all = all.as_array().unwrap();
    let robot: Vec<&Value> = all.iter().filter(|d| d["kind"] == "wecom").collect();
    assert_eq!(robot.len(), 1, "one digest for the run: {robot:?}");
    assert_eq!(robot[0]["status"], "delivered", "{robot:?}");
    assert_eq!(counters.robot.load(Ordering::SeqCst), 3, "two refused requests, then the digest");
    let bodies = counters.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "the digest delivered exactly once");
    let text = bodies[0]["text"]["content"].as_str().unwrap();
    assert!(text.starts_with("【试点工作提醒汇总】9月15日 09:00 共3条\n【临近提醒】3条\n1. "), "{text}");
    for unit in ["台江区", "闽侯县", "平潭"] {
        assert!(text.contains(unit), "{unit} is in the digest: {text}");
    }
    assert!(!text.contains("思明区"), "厦门's reminder is not 福州's robot's");
    assert_eq!(robot[0]["attempts"], 3);
    assert_eq!(robot[0]["log"][0]["ok"], false);
    assert_eq!(robot[0]["log"][2]["ok"], true);

    let (_, dead) = t.get("/api/v1/deliveries?status=dead").await;
    let dead = dead.as_array().unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["attempts"], 5);
    assert_eq!(counters.broken.load(Ordering::SeqCst), 5, "attempts stop after the fifth");
    let key = dead[0]["key"].as_str().unwrap();
    let (s, d) = t.post(&format!("/api/v1/deliveries/{key}/replay"), &json!({})).await;
    assert_eq!((s, d["status"].as_str(), d["attempts"].as_i64()), (200, Some("pending"), Some(0)), "{d}");
    let (s, b) = t.post(&format!("/api/v1/deliveries/{key}/replay"), &json!({})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale")), "only a dead delivery is replayed: {b}");
    tick(&t.app.state.store, &jobs, now + Duration::minutes(1)).await.unwrap();
    assert_eq!(counters.broken.load(Ordering::SeqCst), 6, "the replay is attempted");
    let (s, _) = t.get_as(&fz, "/api/v1/deliveries").await;
    assert_eq!(s, 403, "the dead-letter list is the province admins'");
}

/// What the SMTP sink received: (envelope recipients, message text), in order.
type Mailbox = Arc<std::sync::Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server on loopback (RFC 5321 happy path) that refuses the first `refuse`
/// messages with a temporary 451 and records the rest: (envelope recipients, message text).
async fn smtp_sink(refuse: usize) -> (String, Mailbox) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got: Mailbox = Arc::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else { return };
            let (store, seen) = (store.clone(), seen.clone());
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut rcpt = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if upper.starts_with("MAIL FROM") {
                        rcpt.clear();
                        b"250 ok\r\n"
                    } else if upper.starts_with("RCPT TO") {
                        rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                        b"250 ok\r\n"
                    } else if upper == "DATA" {
                        w.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut text = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            text.push_str(&l);
                            text.push('\n');
                        }
                        if seen.fetch_add(1, Ordering::SeqCst) < refuse {
                            b"451 try again later\r\n"
                        } else {
                            store.lock().unwrap().push((rcpt.clone(), text));
                            b"250 queued\r\n"
                        }
                    } else if upper == "QUIT" {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else if upper == "RSET" || upper == "NOOP" {
                        b"250 ok\r\n"
                    } else {
                        b"502 not implemented\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("smtp://{addr}"), got)
}

/// The decoded subject and body of a message as the sink received it.
fn decode_mail(text: &str) -> (String, String) {
    use base64::Engine;
    let b64 = |s: &str| {
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s.trim()).expect("base64")).unwrap()
    };
    let (head, body) = text.split_once("\n\n").expect("headers, then body");
    let subject_line = head
        .lines()
        .skip_while(|l| !l.starts_with("Subject:"))
        .take_while(|l| l.starts_with("Subject:") || l.starts_with(' '))
        .collect::<Vec<_>>()
        .join("");
    // RFC 2047 encoded words: =?utf-8?b?…?=
    let subject = subject_line
        .trim_start_matches("Subject:")
        .split_whitespace()
        .map(|w| w.strip_prefix("=?utf-8?b?").and_then(|w| w.strip_suffix("?=")).map(b64).unwrap_or(w.to_owned()))
        .collect::<String>();
    let body =
        if head.contains("Content-Transfer-Encoding: base64") { b64(&body.replace('\n', "")) } else { body.to_owned() };
    (subject, body)
}

#[tokio::test]
async fn email_goes_through_the_smtp_relay_and_temporary_refusals_are_retried() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let (url, got) = smtp_sink(1).await;
    let bad = [
        ("mailto:", "between one and fifty"),
        ("mailto:not-an-address", "not an e-mail address"),
        ("https://example.gov.cn/hook", "mailto:"),
    ];
    for (u, says) in bad {
        let (s, b) = t.post("/api/v1/channels", &json!({"kind": "email", "url": u, "region": "350100"})).await;
        assert_eq!((s, b["field"].as_str()), (422, Some("url")), "{b}");
        assert!(b["message"].as_str().unwrap().contains(says), "{b}");
    }
    let (s, c) = t
        .post(
            "/api/v1/channels",
            &json!({"kind": "email", "url": "mailto:jzk@mzj.fuzhou.gov.cn, 督办 <duban@mzj.fuzhou.gov.cn>", "region": "350100"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let mut jobs = Scheduler::default();
    jobs.outbox.mail =
        Some(pilotgov::jobs::delivery::Mail::new(&url, "福建省民政厅 <noreply@mzt.fujian.gov.cn>").unwrap());
    let mut now = at("2022-09-15T09:00:00+08:00");
    tick(&t.app.state.store, &jobs, now).await.unwrap();
    for _ in 0..10 {
        now += Duration::minutes(1);
        tick(&t.app.state.store, &jobs, now).await.unwrap();
    }
    let (_, all) = t.get("/api/v1/deliveries").await;
    let mail: Vec<&Value> = all.as_array().unwrap().iter().filter(|d| d["kind"] == "email").collect();
    assert_eq!(mail.len(), 3, "福州's three units");
    assert!(mail.iter().all(|d| d["status"] == "delivered"), "{mail:?}");
    assert_eq!(mail.iter().filter(|d| d["attempts"] == 2).count(), 1, "the refused one went on the retry");
    assert!(mail.iter().any(|d| d["log"][0]["detail"].as_str().unwrap().contains("451")), "{mail:?}");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "each reminder mailed once");
    for (rcpt, text) in &got {
        assert_eq!(rcpt, &["jzk@mzj.fuzhou.gov.cn", "duban@mzj.fuzhou.gov.cn"]);
        let (subject, body) = decode_mail(text);
        assert!(subject.starts_with("【临近提醒】"), "{subject}");
        assert!(body.contains("试点实施方案") && body.contains("截止：2022-09-20"), "{body}");
    }
    // Without a relay configured the delivery says so, and is retried like any failure.
    let plain = Scheduler::default();
    let (s, _) = t
        .post("/api/v1/channels", &json!({"kind": "email", "url": "mailto:xm@mzj.xm.gov.cn", "region": "350200"}))
        .await;
    assert_eq!(s, 201);
    tick(&t.app.state.store, &plain, at("2022-09-19T09:00:00+08:00")).await.unwrap();
    let (_, all) = t.get("/api/v1/deliveries").await;
    let xm: Vec<&Value> =
        all.as_array().unwrap().iter().filter(|d| d["kind"] == "email" && d["status"] == "pending").collect();
    assert!(!xm.is_empty());
    assert!(xm[0]["log"][0]["detail"].as_str().unwrap().contains("smtp_url"), "{:?}", xm[0]);
}

/// The channels page: a city adds its group robot (the key never shown again), tries it with a
/// test message — a robot that fails says so, one that answers says so — and cannot touch
/// another city's channel.
#[tokio::test]
async fn the_channels_page_adds_masks_and_tests_a_robot() {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let counters = Counters::default();
    let base = receivers(counters.clone()).await;
    t.add_user("fz-reviewer", Role::CityReviewer, "350100").await;
    t.add_user("xm-reviewer", Role::CityReviewer, "350200").await;
    let cookie = |user: &'static str| {
        let t = &t;
        async move {
            let resp = t.form_login(user, crate::helpers::PASSWORD).await;
            resp.0.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned()
        }
    };
    let (fz, xm) = (cookie("fz-reviewer").await, cookie("xm-reviewer").await);
    let page = |cookie: String| {
        let t = &t;
        async move {
            let resp = t.client.get("/ui/channels").header("cookie", cookie).send().await.0;
            resp.into_body().into_string().await.unwrap()
        }
    };
    let body = page(fz.clone()).await;
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let post = |cookie: String, uri: String, form: String| {
        let t = &t;
        async move {
            let resp = t
                .client
                .post(uri)
                .header("cookie", cookie)
                .content_type("application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await
                .0;
            (resp.status().as_u16(), resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned()))
        }
    };
    let url = format!("{base}/robot?key=SECRET-abcdefgh1234");
    let form = format!(
        "csrf={csrf}&kind=wecom&region=350100&url={}",
        url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
    );
    let (s, to) = post(fz.clone(), "/ui/channels".into(), form).await;
    assert_eq!((s, to.as_deref()), (303, Some("/ui/channels?done=created")));
    let body = page(fz.clone()).await;
    assert!(body.contains("企业微信群机器人") && !body.contains("SECRET-abcdefgh"), "masked: {body}");
    let key = body.split("id=\"c-").nth(1).unwrap().split('"').next().unwrap().to_owned();
    // The receiver refuses its first two messages, then answers errcode 0.
    for want in ["done=failed", "done=failed", "done=sent"] {
        let (s, to) = post(fz.clone(), format!("/ui/channels/{key}/test"), format!("csrf={csrf}")).await;
        assert_eq!(s, 303);
        assert!(to.as_deref().unwrap().contains(want), "{to:?}");
    }
    let got = counters.bodies.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(got[0]["text"]["content"].as_str().unwrap().contains("【测试】"), "{got:?}");
    // 厦门 does not see 福州's channel, and cannot test or re-key it.
    assert!(!page(xm.clone()).await.contains(&key));
    let xm_page = page(xm.clone()).await;
    let xm_csrf = xm_page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let (s, _) = post(xm, format!("/ui/channels/{key}/test"), format!("csrf={xm_csrf}")).await;
    assert_eq!(s, 404);
    assert_eq!(counters.robot.load(Ordering::SeqCst), 3, "nothing more was sent");
}

/// What a DingTalk robot checked: each request's signature against the secret, as DingTalk does
/// (HMAC-SHA256 over `timestamp\nsecret`, Base64), and the bodies it accepted.
#[derive(Clone, Default)]
struct DingTalk {
    secret: String,
    accepted: Arc<std::sync::Mutex<Vec<(i64, Value)>>>,
    refused: Arc<AtomicUsize>,
}

#[handler]
fn dingtalk_receiver(
    poem::web::Data(d): poem::web::Data<&DingTalk>,
    poem::web::Query(q): poem::web::Query<std::collections::HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let (Some(ts), Some(sign)) = (q.get("timestamp"), q.get("sign")) else {
        d.refused.fetch_add(1, Ordering::SeqCst);
        return Json(json!({"errcode": 310000, "errmsg": "sign not match"}));
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(d.secret.as_bytes()).unwrap();
    mac.update(format!("{ts}\n{}", d.secret).as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    if *sign != want {
        d.refused.fetch_add(1, Ordering::SeqCst);
        return Json(json!({"errcode": 310000, "errmsg": "sign not match"}));
    }
    d.accepted.lock().unwrap().push((ts.parse().unwrap(), body));
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}

/// A DingTalk robot with 加签 on loopback: every message carries a timestamp and a signature
/// the receiver verifies; the responsible lead's phone is @mentioned; a robot gets at most 20
/// messages a minute and the rest wait for the next minute without spending an attempt.
#[tokio::test]
async fn dingtalk_messages_are_signed_mention_the_lead_and_keep_to_twenty_a_minute() {
    const SECRET: &str = "SEC0123456789abcdefABCDEF";
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    let robot = DingTalk { secret: SECRET.into(), ..Default::default() };
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
    let app = Route::new().at("/robot/send", post(dingtalk_receiver)).data(robot.clone());
    tokio::spawn(async move { Server::new_with_acceptor(acceptor).run(app).await });
    let url = format!("http://{addr}/robot/send?access_token=0123456789abcdef");
    t.add_user("fz-reviewer", Role::CityReviewer, "350100").await;
    t.add_user("taijiang-lead", Role::UnitLead, "350103").await;
    let fz = t.login("fz-reviewer").await;
    let (s, b) =
        t.put("/api/v1/accounts/taijiang-lead", &json!({"display_name": "台江区民政局", "phone": "13805910001"})).await;
    assert_eq!(s, 200, "{b}");

    // Only DingTalk robots sign, with a secret as DingTalk shows it; it is never shown back.
    let channel = |kind: &str, secret: &str| json!({"kind": kind, "url": url, "region": "350100", "secret": secret});
    let (s, b) = t.post_as(&fz, "/api/v1/channels", &channel("wecom", SECRET)).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("secret")), "{b}");
    let (s, b) = t.post_as(&fz, "/api/v1/channels", &channel("dingtalk", "not-a-secret")).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("secret")), "{b}");
    let (s, c) = t.post_as(&fz, "/api/v1/channels", &channel("dingtalk", SECRET)).await;
    assert_eq!((s, c["signed"].as_bool()), (201, Some(true)), "{c}");
    let (_, list) = t.get_as(&fz, "/api/v1/channels").await;
    assert!(!list.to_string().contains(SECRET) && !list.to_string().contains("0123456789ab"), "{list}");
    let (_, audit) = t.get("/api/v1/audit?action=channel.create&limit=5").await;
    assert!(!audit.to_string().contains(SECRET), "the trail never holds the secret");

    // The 09:00 run of 15 September: 福州's three reminders, signed at the instant they go.
    let jobs = crate::helpers::loopback_scheduler();
    let now = at("2022-09-15T09:00:00+08:00");
    tick(&t.app.state.store, &jobs, now).await.unwrap();
    assert_eq!(robot.refused.load(Ordering::SeqCst), 0);
    let accepted = robot.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 1, "one digest for the run: {accepted:?}");
    assert!(accepted.iter().all(|(ts, _)| *ts == now.timestamp_millis()), "the timestamp is the sending instant");
    let digest = &accepted[0].1;
    let content = digest["text"]["content"].as_str().unwrap();
    assert!(content.contains("共3条") && content.contains("台江区"), "{content}");
    assert_eq!(digest["at"]["atMobiles"], json!(["13805910001"]), "{digest:?}");
    assert!(content.ends_with("@13805910001"), "{content}");

    // A wrong secret is refused by the robot: the test message says so.
    let (s, _) = t
        .put_as(
            &fz,
            &format!("/api/v1/channels/{}", c["key"].as_str().unwrap()),
            &json!({"url": url, "secret": "SECwrongwrongwrong"}),
        )
        .await;
    assert_eq!(s, 200);
    let stored = t.app.state.store.channel(c["key"].as_str().unwrap()).await.unwrap().unwrap();
    let test = pilotgov::jobs::delivery::send_test(&jobs.outbox, &stored, "测试", now).await;
    assert!(test.is_err() && robot.refused.load(Ordering::SeqCst) == 1, "{test:?}");
    let (s, _) = t
        .put_as(
            &fz,
            &format!("/api/v1/channels/{}", c["key"].as_str().unwrap()),
            &json!({"url": url, "secret": SECRET}),
        )
        .await;
    assert_eq!(s, 200);

    // Twenty-five messages at once: twenty now, five a minute later, none failed.
    let store = &t.app.state.store;
    let sent = pilotgov::jobs::reminders::run(store, now, None, true).await.unwrap();
    let template = sent.iter().find(|r| r.unit_path.iter().any(|c| c.as_str() == "350100")).unwrap().clone();
    let channels = store.channels().await.unwrap();
    let later = at("2022-09-16T09:00:00+08:00");
    for i in 0..25 {
        let r =
            pilotgov::domain::reminder::Reminder { identity: format!("burst-{i}"), sent_at: later, ..template.clone() };
        store.enqueue_delivery(&pilotgov::domain::delivery::Delivery::queued(&r, &channels[0], &[])).await.unwrap();
    }
    let before = robot.accepted.lock().unwrap().len();
    pilotgov::jobs::delivery::deliver(store, &jobs.outbox, later).await.unwrap();
    assert_eq!(robot.accepted.lock().unwrap().len() - before, 20, "a robot takes twenty a minute");
    pilotgov::jobs::delivery::deliver(store, &jobs.outbox, later + Duration::seconds(30)).await.unwrap();
    assert_eq!(robot.accepted.lock().unwrap().len() - before, 20, "still inside the minute");
    pilotgov::jobs::delivery::deliver(store, &jobs.outbox, later + Duration::seconds(61)).await.unwrap();
    assert_eq!(robot.accepted.lock().unwrap().len() - before, 25, "the rest a minute later");
    let (_, all) = t.get("/api/v1/deliveries").await;
    let burst: Vec<&Value> =
        all.as_array().unwrap().iter().filter(|d| d["reminder"].as_str().unwrap().starts_with("burst-")).collect();
    assert!(
        burst.iter().all(|d| d["status"] == "delivered" && d["attempts"] == 1),
        "waiting spent no attempt: {burst:?}"
    );
}
