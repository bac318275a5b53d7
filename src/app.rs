//! Builds the application: opens the store, loads the bundled reference regions, and assembles
//! the HTTP endpoint (API, spec, docs, health) with its middleware.

use std::sync::Arc;

use anyhow::Context;
use poem::web::{Data, Json};
use poem::{Endpoint, EndpointExt, Route, get, handler};

use crate::api::{self, State};
use crate::clock::Clock;
use crate::config::Config;
use crate::service::import::{DEMO_FIXTURES, import_text};
use crate::store::Store;

pub struct App {
    pub state: State,
    pub config: Config,
}

impl App {
    /// Opens the database and makes sure the reference regions are present.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        prepare_data_dir(&config.database_url)?;
        let store = Store::open(&config.store())
            .await
            .with_context(|| format!("cannot open the database at {}", config.database_url))?;
        // Reference data shipped with the binary: the region tree and the working-day calendar.
        // Regions are only added, never replaced: a rename made through the API survives.
        let (regions, calendar) = (&DEMO_FIXTURES[0], &DEMO_FIXTURES[1]);
        let bundled = match crate::service::document::parse(regions.1) {
            Ok(crate::service::document::Document::Regions(d)) => d.into_regions(),
            _ => Err(crate::domain::DomainError::invalid("regions", "the bundled regions.yaml is not a region list")),
        }
        .with_context(|| format!("loading reference data from {}", regions.0))?;
        store.insert_missing_regions(&bundled).await.context("loading the bundled regions")?;
        if config.national_regions && !crate::service::regions::national_loaded(&store).await? {
            // The first start adds ~44,700 regions (about 13 s here): the server answers meanwhile
            // (the seeds' regions are already in), and the rest of the country appears when done.
            // Interrupted, the next start goes on where this one stopped.
            let store = store.clone();
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                match crate::service::regions::load_national(&store).await {
                    Ok(added) => {
                        tracing::info!(added, ms = started.elapsed().as_millis() as u64, "national region table loaded")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "loading the national region table failed; the next start retries")
                    }
                }
            });
        }
        import_text(&store, calendar.1, &crate::store::audit::Actor::system("startup", clock.now()))
            .await
            .with_context(|| format!("loading reference data from {}", calendar.0))?;
        Ok(Self {
            state: State {
                store,
                clock,
                throttle: Arc::new(crate::service::accounts::LoginThrottle::new(config.login_limits())),
                ranking_json: Default::default(),
                board_json: Default::default(),
                site: Arc::new(config.site()),
                outbox: Arc::new(config.outbox().map_err(|e| anyhow::anyhow!("e-mail configuration: {e}"))?),
            },
            config,
        })
    }

    /// The whole HTTP surface.
    pub fn endpoint(&self) -> impl Endpoint + 'static {
        let api = api::service(self.state.clone(), self.config.limits());
        let timeout = std::time::Duration::from_secs(self.config.request_timeout_secs.max(1));
        let spec = api.spec_endpoint();
        let docs = api.rapidoc();
        Route::new()
            .nest("/api/v1", api)
            .at("/api/v1/openapi.json", spec)
            .nest("/docs", docs)
            .at("/health", get(health))
            .at("/metrics", get(metrics))
            .nest(
                "/ui",
                crate::web::routes()
                    .catch_error(crate::web::unknown_page)
                    .data(crate::web::SessionTtl(self.config.limits().token_ttl)),
            )
            .at("/", get(to_dashboard))
            .with(api::limit::BodyLimit {
                default: self.config.body_limit,
                // Multipart framing adds a little to the file itself.
                uploads: self.config.attachment_limit + 64 * 1024,
            })
            .data(self.state.clone())
            .around(move |ep, req| async move {
                // A request that outlives the limit gets 503 instead of holding a connection.
                match tokio::time::timeout(timeout, ep.call(req)).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::warn!(limit_s = timeout.as_secs(), "request timed out");
                        Err(poem::Error::from_string(
                            "the request took too long; try again",
                            poem::http::StatusCode::SERVICE_UNAVAILABLE,
                        ))
                    }
                }
            })
            .catch_all_error(api::error::render_any)
            // A bug that panics (an overflow caught by overflow-checks, say) is answered 500 in
            // the usual shape and logged, instead of a dropped connection.
            .with(poem::middleware::CatchPanic::new().with_handler(|err: Box<dyn std::any::Any + Send>| {
                let what = err
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                tracing::error!(panic = %what, "a request panicked");
                poem::Response::builder()
                    .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                    .content_type("application/json; charset=utf-8")
                    .body(r#"{"code":"internal","message":"internal error"}"#)
            }))
            .with(api::observe::Observe)
    }
}

/// The OpenAPI document as committed in `openapi/openapi.json`.
pub fn spec_json(state: State) -> String {
    api::service(state, Config::default().limits()).spec()
}

/// Prometheus scrape endpoint (text format). Counts only; no names, regions or content.
#[handler]
fn metrics() -> poem::Response {
    poem::Response::builder()
        .header(poem::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render())
}

#[handler]
fn to_dashboard() -> poem::Response {
    poem::Response::builder()
        .status(poem::http::StatusCode::SEE_OTHER)
        .header(poem::http::header::LOCATION, "/ui")
        .finish()
}

#[handler]
async fn health(Data(state): Data<&State>) -> poem::Result<Json<serde_json::Value>> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(serde_json::json!({ "status": "ok", "database": "ok" }))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            Err(poem::Error::from_string("database unavailable", poem::http::StatusCode::SERVICE_UNAVAILABLE))
        }
    }
}

/// Creates the parent folder of an embedded database so the first run needs no setup, and says
/// plainly when it cannot.
fn prepare_data_dir(url: &str) -> anyhow::Result<()> {
    if let Some(path) = crate::store::disk_folder(url)
        && let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the data folder {}", parent.display()))?;
    }
    Ok(())
}
