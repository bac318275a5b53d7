//! A request id and timing for every request: the id is taken from `X-Request-Id` when it is
//! plain, else made, put on the request's log span and echoed in the response; the request is
//! counted by OpenAPI operation (or route class) and status in [`crate::metrics`].

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument;

/// Request ids, timing and counts for every request.
pub struct Observe;

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ObserveEndpoint(ep)
    }
}

pub struct ObserveEndpoint<E>(E);

/// An incoming `X-Request-Id` is kept when it is short and plain; otherwise a new one is made.
fn request_id(req: &Request) -> String {
    req.header("x-request-id")
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id)
}

/// 32 hex digits: a random number drawn once per process, then a counter. Unique across
/// instances like a UUID, without asking the kernel for randomness on every request.
fn new_request_id() -> String {
    static PROCESS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| uuid::Uuid::new_v4().as_u64_pair().0);
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!("{:016x}{:016x}", *PROCESS, NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// The path as logged: a secret in it (a calendar feed's token) is replaced, so that log files
/// and log shippers never hold a working feed URL.
pub fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    const SECRET_PREFIXES: [&str; 1] = ["/api/v1/feeds/"];
    for prefix in SECRET_PREFIXES {
        if let Some(rest) = path.strip_prefix(prefix)
            && !rest.is_empty()
        {
            return format!("{prefix}[redacted]").into();
        }
    }
    path.into()
}

/// The label for requests outside the OpenAPI operations.
fn route_class(path: &str) -> &'static str {
    match path {
        "/health" => "health",
        "/metrics" => "metrics",
        p if p.starts_with("/ui") => "dashboard",
        p if p.starts_with("/docs") => "docs",
        _ => "other",
    }
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let id = request_id(&req);
        let started = Instant::now();
        let class = route_class(req.uri().path());
        let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %logged_path(req.uri().path()));
        let mut resp = match self.0.call(req).instrument(span.clone()).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let elapsed = started.elapsed();
        let operation = resp.data::<poem_openapi::OperationId>().map_or(class, |o| o.0).to_owned();
        let status = resp.status().as_u16();
        crate::metrics::request(&operation, status, elapsed.as_secs_f64());
        if let Ok(v) = id.parse() {
            resp.headers_mut().insert("x-request-id", v);
        }
        // Whole microseconds, so the line reads `elapsed_ms=0.021`, not `0.021026000000000001`.
        let elapsed_ms = elapsed.as_micros() as f64 / 1000.0;
        span.in_scope(|| {
            tracing::info!(%operation, status, elapsed_ms, "request");
        });
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_secrets_never_reach_the_log() {
        assert_eq!(logged_path("/api/v1/feeds/AbC-123_secret"), "/api/v1/feeds/[redacted]");
        assert_eq!(logged_path("/api/v1/programmes/x"), "/api/v1/programmes/x");
    }

    #[test]
    fn request_ids_are_new_each_time_and_plain() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
        }
        // One process prefix, then the counter.
        assert_eq!(a[..16], b[..16]);
    }
}
