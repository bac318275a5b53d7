//! What operators watch, as Prometheus metrics (`/metrics`): requests by OpenAPI operation and
//! status with their latency (counted by `api::observe`), job runs, reminders created and every
//! delivery attempt's outcome.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Http {
    operation: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Job {
    job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Delivery {
    kind: String,
    outcome: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

struct Metrics {
    registry: Registry,
    requests: Family<Http, Counter>,
    latency: Family<Operation, Histogram, fn() -> Histogram>,
    job_runs: Family<Job, Counter>,
    reminders: Counter,
    deliveries: Family<Delivery, Counter>,
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("pilotgov");
        let requests = Family::<Http, Counter>::default();
        registry.register("http_requests", "HTTP requests by OpenAPI operation and status", requests.clone());
        let latency = Family::<Operation, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("http_request_duration_seconds", "HTTP request latency by operation", latency.clone());
        let job_runs = Family::<Job, Counter>::default();
        registry.register("job_runs", "Scheduled job runs", job_runs.clone());
        let reminders = Counter::default();
        registry.register("reminders_sent", "Reminders created (each once)", reminders.clone());
        let deliveries = Family::<Delivery, Counter>::default();
        registry.register(
            "delivery_attempts",
            "Outgoing delivery attempts by channel kind and outcome",
            deliveries.clone(),
        );
        Metrics { registry, requests, latency, job_runs, reminders, deliveries }
    })
}

/// The metrics in the Prometheus text exposition format.
pub fn render() -> String {
    let mut out = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &metrics().registry) {
        tracing::error!(error = %e, "metrics did not encode");
    }
    out
}

/// One request, as the HTTP middleware saw it.
pub fn request(operation: &str, status: u16, seconds: f64) {
    let m = metrics();
    m.requests.get_or_create(&Http { operation: operation.to_owned(), status: status.to_string() }).inc();
    m.latency.get_or_create(&Operation { operation: operation.to_owned() }).observe(seconds);
}

pub fn job_ran(job: &str) {
    metrics().job_runs.get_or_create(&Job { job: job.to_owned() }).inc();
}

pub fn reminders_created(n: usize) {
    metrics().reminders.inc_by(n as u64);
}

pub fn delivery_attempt(kind: &str, outcome: &str) {
    metrics().deliveries.get_or_create(&Delivery { kind: kind.to_owned(), outcome: outcome.to_owned() }).inc();
}
