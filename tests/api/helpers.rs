use std::sync::Arc;

use chrono::{DateTime, Utc};
use pilotgov::app::App;
use pilotgov::clock::FixedClock;
use pilotgov::config::Config;
use pilotgov::domain::RegionCode;
use pilotgov::domain::access::Role;
use pilotgov::service::accounts::{NewUser, create_user};
use pilotgov::service::import::{DEMO_FIXTURES, import_text, load_demo};
use pilotgov::store::audit::Actor;
use poem::endpoint::BoxEndpoint;
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::Value;

pub struct TestApp {
    pub app: App,
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    pub clock: Arc<FixedClock>,
    /// Token of the default account: a ministry-level province admin who sees everything.
    pub token: String,
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery";

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("test instant").with_timezone(&Utc)
}

/// The configuration the suite runs against: a private `mem://` store per test, or, when
/// `PILOTGOV_TEST_DATABASE_URL` names a SurrealDB server (`ws://127.0.0.1:PORT`, as `.ci/run`
/// sets it), a database of its own on that server.
pub fn suite_config() -> Config {
    let url = std::env::var("PILOTGOV_TEST_DATABASE_URL").unwrap_or_else(|_| "mem://".into());
    let database_name =
        if url.starts_with("ws") { format!("t{}", uuid::Uuid::new_v4().simple()) } else { "main".into() };
    Config {
        database_url: url,
        database_name,
        token_ttl_minutes: 10 * 365 * 24 * 60,
        // The tests' webhook receivers listen on loopback, which production refuses.
        webhook_allow_hosts: vec!["127.0.0.1".into()],
        // 44,700 regions per test would dominate the suite; the tests of the table turn it on.
        national_regions: false,
        ..Config::default()
    }
}

/// The default schedule, with deliveries allowed to the tests' loopback receivers.
pub fn loopback_scheduler() -> pilotgov::jobs::Scheduler {
    let mut s = pilotgov::jobs::Scheduler::default();
    s.outbox.allow_hosts = vec!["127.0.0.1".into()];
    s
}

/// The suite's configuration when it runs against a SurrealDB server (`ws://`); on `mem://`
/// there is no server to share, so `test` says why it stops and gets `None`.
pub fn shared_server(test: &str) -> Option<Config> {
    let config = suite_config();
    if config.database_url.starts_with("ws") {
        Some(config)
    } else {
        eprintln!("{test}: needs PILOTGOV_TEST_DATABASE_URL=ws://… (run by .ci/run)");
        None
    }
}

impl TestApp {
    /// A fresh app with the reference regions only, on the suite's database.
    pub async fn new() -> Self {
        Self::open_with(suite_config()).await.unwrap_or_else(|e| panic!("app builds: {e:#}"))
    }

    pub async fn with_url(url: &str) -> Self {
        Self::open(url).await.unwrap_or_else(|e| panic!("app builds: {e:#}"))
    }

    /// Tokens live ten years here, so that tests which move the clock across a pilot's calendar
    /// keep their logins; expiry itself is tested with a short lifetime.
    /// Reopens an on-disk database after the previous app was dropped. Dropping the last handle
    /// shuts the embedded datastore down on a background task; this waits (bounded) until that
    /// task has released the lock file.
    pub async fn reopen(url: &str) -> Self {
        for _ in 0..200 {
            match Self::open(url).await {
                Ok(t) => return t,
                Err(e) if format!("{e:#}").contains("locked") => {
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                Err(e) => panic!("reopening: {e:#}"),
            }
        }
        panic!("the datastore was never released");
    }

    pub async fn open(url: &str) -> anyhow::Result<Self> {
        Self::open_with(Config {
            database_url: url.into(),
            token_ttl_minutes: 10 * 365 * 24 * 60,
            national_regions: false,
            ..Config::default()
        })
        .await
    }

    pub async fn open_with(config: Config) -> anyhow::Result<Self> {
        let clock = Arc::new(FixedClock::new(at("2022-08-17T09:00:00+08:00")));
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("pilotgov=debug").try_init();
        let app = App::build(config, clock.clone()).await?;
        let client = TestClient::new(app.endpoint().map_to_response().boxed());
        let mut t = Self { app, client, clock, token: String::new() };
        if t.app.state.store.user("ministry").await?.is_none() {
            t.add_user("ministry", Role::ProvinceAdmin, "000000").await;
        }
        t.token = t.login("ministry").await;
        Ok(t)
    }

    /// Creates an account (password [`PASSWORD`]).
    pub async fn add_user(&self, username: &str, role: Role, region: &str) {
        let region = RegionCode::parse(region).unwrap();
        let new = NewUser { username, display_name: username, role, region: &region, password: PASSWORD };
        create_user(&self.app.state.store, new, &Actor::system("test", self.clock_now())).await.expect("user created");
    }

    /// Logs in (through the API) and returns the token.
    pub async fn login(&self, username: &str) -> String {
        let resp = self
            .client
            .post("/api/v1/auth/login")
            .body_json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await;
        let (status, body) = read(resp.0).await;
        assert_eq!(status, 200, "login {username}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get_as(&self, token: &str, uri: &str) -> (u16, Value) {
        read(self.client.get(uri).header("authorization", format!("Bearer {token}")).send().await.0).await
    }

    pub async fn post_as(&self, token: &str, uri: &str, body: &Value) -> (u16, Value) {
        read(self.client.post(uri).header("authorization", format!("Bearer {token}")).body_json(body).send().await.0)
            .await
    }

    pub async fn put_as(&self, token: &str, uri: &str, body: &Value) -> (u16, Value) {
        read(self.client.put(uri).header("authorization", format!("Bearer {token}")).body_json(body).send().await.0)
            .await
    }

    /// With all five seed programmes loaded, as `serve --demo` does.
    pub async fn demo() -> Self {
        let t = Self::new().await;
        load_demo(&t.app.state.store, t.clock_now()).await.expect("demo loads");
        t
    }

    /// With one fixture (by file name) loaded.
    pub async fn with_fixture(name: &str) -> Self {
        let t = Self::new().await;
        t.load_fixture(name).await;
        t
    }

    pub async fn load_fixture(&self, name: &str) {
        let (_, text) = DEMO_FIXTURES.iter().find(|(n, _)| *n == name).expect("fixture exists");
        import_text(&self.app.state.store, text, &Actor::system("test", self.clock_now()))
            .await
            .expect("fixture loads");
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use pilotgov::clock::Clock;
        self.clock.now()
    }

    pub fn set_time(&self, s: &str) {
        self.clock.set(at(s));
    }

    pub async fn get(&self, uri: &str) -> (u16, Value) {
        self.get_as(&self.token, uri).await
    }

    pub async fn post(&self, uri: &str, body: &Value) -> (u16, Value) {
        self.post_as(&self.token, uri, body).await
    }

    pub async fn put(&self, uri: &str, body: &Value) -> (u16, Value) {
        self.put_as(&self.token, uri, body).await
    }

    pub async fn post_raw(&self, uri: &str, body: Vec<u8>, content_length: bool) -> (u16, Value) {
        let mut req = self
            .client
            .post(uri)
            .content_type("application/json")
            .header("authorization", format!("Bearer {}", self.token));
        if content_length {
            req = req.header("content-length", body.len().to_string());
        }
        read(req.body(body).send().await.0).await
    }

    /// The deadline board rows for a query string.
    pub async fn board(&self, programme: &str, query: &str) -> Value {
        let (status, body) = self.get(&format!("/api/v1/programmes/{programme}/deadlines?limit=500&{query}")).await;
        assert_eq!(status, 200, "board: {body}");
        body
    }

    /// A document (CSV, Markdown, text, iCalendar) as the default account reads it; must be 200.
    pub async fn get_text(&self, uri: &str) -> String {
        let resp = self.client.get(uri).header("authorization", format!("Bearer {}", self.token)).send().await;
        resp.assert_status_is_ok();
        resp.0.into_body().into_string().await.unwrap()
    }

    pub async fn count(&self, uri: &str) -> usize {
        let (status, body) = self.get(uri).await;
        assert_eq!(status, 200, "{uri}: {body}");
        body.as_array().map(|a| a.len()).or_else(|| body["total"].as_u64().map(|n| n as usize)).expect("list")
    }
}

async fn read(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.into_body().into_string().await.expect("body");
    let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, value)
}

impl TestApp {
    /// Posts the dashboard's login form as a browser does: first the form (which sets the CSRF
    /// cookie and field), then the post with both.
    pub async fn form_login(&self, username: &str, password: &str) -> poem::test::TestResponse {
        let (cookie, token) = self.csrf().await;
        self.client
            .post("/ui/login")
            .header("cookie", cookie)
            .form(&[("username", username), ("password", password), ("csrf", token.as_str())])
            .send()
            .await
    }

    /// The login form's CSRF cookie (`name=value`) and hidden-field token.
    pub async fn csrf(&self) -> (String, String) {
        let resp = self.client.get("/ui/login").send().await.0;
        let cookie = resp.headers().get("set-cookie").expect("csrf cookie").to_str().unwrap().to_owned();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let page = resp.into_body().into_string().await.unwrap();
        let token = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("csrf field")
            .to_owned();
        (cookie, token)
    }
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
    (r["status"].as_str().expect("status").to_owned(), r["days_left"].as_i64().expect("days"))
}

impl TestApp {
    /// As the given lead: draft and submit a filing for one deadline at the clock's now; returns
    /// the filing's key.
    pub async fn file_as(
        &self,
        token: &str,
        programme: &str,
        unit: &str,
        deliverable: &str,
        occurrence: &str,
    ) -> String {
        let (s, f) = self
            .post_as(
                token,
                &format!("/api/v1/programmes/{programme}/filings"),
                &serde_json::json!({"unit": unit, "deliverable": deliverable, "occurrence": occurrence, "title": "报送材料", "body": "正文"}),
            )
            .await;
        assert_eq!(s, 201, "create filing: {f}");
        let key = f["key"].as_str().unwrap().to_owned();
        let (s, f) = self
            .post_as(token, &format!("/api/v1/filings/{key}/submit"), &serde_json::json!({"revision": f["revision"]}))
            .await;
        assert_eq!(s, 200, "submit filing: {f}");
        key
    }

    /// A submitted filing of one deadline, written straight to the store at `at` — as another
    /// instance, or any writer but this one's services, would; keyed `elsewhere-<unit>-<deliverable>`.
    pub async fn write_elsewhere(&self, programme: &str, unit: &str, deliverable: &str, occurrence: &str, at: &str) {
        let code = pilotgov::domain::RegionCode::parse(unit).unwrap();
        let at = crate::helpers::at(at);
        let mut f = pilotgov::domain::filing::Filing::draft(
            format!("elsewhere-{unit}-{deliverable}"),
            pilotgov::domain::Key::parse(programme).unwrap(),
            code.clone(),
            code.implied_path(),
            pilotgov::domain::Key::parse(deliverable).unwrap(),
            occurrence.into(),
            vec![],
            "试点方案",
            "正文",
            "another-instance",
        )
        .unwrap();
        f.submit(at).unwrap();
        let actor = pilotgov::store::audit::Actor::system("another-instance", at);
        self.app.state.store.insert_filing(&f, None, &actor).await.unwrap();
    }

    /// Creates a unit lead for `unit` and logs in.
    pub async fn lead(&self, username: &str, unit: &str) -> String {
        self.add_user(username, Role::UnitLead, unit).await;
        self.login(username).await
    }
}
