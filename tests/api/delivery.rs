//! Webhook delivery against receivers on loopback: a WeCom robot that fails its first two
//! requests gets every reminder exactly once after retries; an endpoint that always fails ends
//! in the dead-letter list, from which an admin replays it.

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
    let jobs = Scheduler::default();
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
    assert_eq!(robot.len(), 3);
    assert!(robot.iter().all(|d| d["status"] == "delivered"), "{robot:?}");
    assert_eq!(counters.robot.load(Ordering::SeqCst), 5, "two refused requests, then one per reminder");
    let bodies = counters.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 3, "each reminder delivered exactly once");
    assert!(
        bodies
            .iter()
            .all(|b| b["msgtype"] == "text" && b["text"]["content"].as_str().unwrap().starts_with("【临近提醒】"))
    );
    let retried: Vec<&Value> = robot.iter().copied().filter(|d| d["attempts"] == 2).collect();
    assert_eq!(retried.len(), 2);
    assert_eq!(retried[0]["log"][0]["ok"], false);
    assert_eq!(retried[0]["log"][1]["ok"], true);

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
