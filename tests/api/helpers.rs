use std::sync::Arc;

use chrono::{DateTime, Utc};
use pilotgov::app::App;
use pilotgov::clock::FixedClock;
use pilotgov::config::Config;
use pilotgov::service::import::{DEMO_FIXTURES, import_text, load_demo};
use poem::endpoint::BoxEndpoint;
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::Value;

pub struct TestApp {
    pub app: App,
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    pub clock: Arc<FixedClock>,
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant")
        .with_timezone(&Utc)
}

impl TestApp {
    /// A fresh in-memory app with the reference regions only.
    pub async fn new() -> Self {
        Self::with_url("mem://").await
    }

    pub async fn with_url(url: &str) -> Self {
        Self::open(url)
            .await
            .unwrap_or_else(|e| panic!("app builds: {e:#}"))
    }

    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let clock = Arc::new(FixedClock::new(at("2022-08-17T09:00:00+08:00")));
        let config = Config {
            database_url: url.into(),
            ..Config::default()
        };
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("pilotgov=debug")
            .try_init();
        let app = App::build(config, clock.clone()).await?;
        let client = TestClient::new(app.endpoint().map_to_response().boxed());
        Ok(Self { app, client, clock })
    }

    /// With all five seed programmes loaded, as `serve --demo` does.
    pub async fn demo() -> Self {
        let t = Self::new().await;
        load_demo(&t.app.state.store, t.clock_now())
            .await
            .expect("demo loads");
        t
    }

    /// With one fixture (by file name) loaded.
    pub async fn with_fixture(name: &str) -> Self {
        let t = Self::new().await;
        let (_, text) = DEMO_FIXTURES
            .iter()
            .find(|(n, _)| *n == name)
            .expect("fixture exists");
        import_text(&t.app.state.store, text, t.clock_now())
            .await
            .expect("fixture loads");
        t
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use pilotgov::clock::Clock;
        self.clock.now()
    }

    pub fn set_time(&self, s: &str) {
        self.clock.set(at(s));
    }

    pub async fn get(&self, uri: &str) -> (u16, Value) {
        let resp = self.client.get(uri).send().await;
        read(resp.0).await
    }

    pub async fn post(&self, uri: &str, body: &Value) -> (u16, Value) {
        let resp = self.client.post(uri).body_json(body).send().await;
        read(resp.0).await
    }

    pub async fn put(&self, uri: &str, body: &Value) -> (u16, Value) {
        let resp = self.client.put(uri).body_json(body).send().await;
        read(resp.0).await
    }

    pub async fn post_raw(&self, uri: &str, body: Vec<u8>, content_length: bool) -> (u16, Value) {
        let mut req = self.client.post(uri).content_type("application/json");
        if content_length {
            req = req.header("content-length", body.len().to_string());
        }
        read(req.body(body).send().await.0).await
    }

    /// The deadline board rows for a query string.
    pub async fn board(&self, programme: &str, query: &str) -> Value {
        let (status, body) = self
            .get(&format!(
                "/api/v1/programmes/{programme}/deadlines?limit=500&{query}"
            ))
            .await;
        assert_eq!(status, 200, "board: {body}");
        body
    }

    pub async fn count(&self, uri: &str) -> usize {
        let (status, body) = self.get(uri).await;
        assert_eq!(status, 200, "{uri}: {body}");
        body.as_array()
            .map(|a| a.len())
            .or_else(|| body["total"].as_u64().map(|n| n as usize))
            .expect("list")
    }
}

async fn read(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.into_body().into_string().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// Rows of a board matching a unit and deliverable.
pub fn rows<'a>(board: &'a Value, unit: &str, deliverable: &str) -> Vec<&'a Value> {
    board["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["unit"] == unit && r["deliverable"] == deliverable)
        .collect()
}

/// The status of the single row for a unit, deliverable and occurrence.
pub fn status_of(board: &Value, unit: &str, deliverable: &str, occurrence: &str) -> (String, i64) {
    let r = rows(board, unit, deliverable)
        .into_iter()
        .find(|r| r["occurrence"] == occurrence)
        .unwrap_or_else(|| panic!("no row {unit}/{deliverable}/{occurrence}"));
    (
        r["status"].as_str().expect("status").to_owned(),
        r["days_left"].as_i64().expect("days"),
    )
}
