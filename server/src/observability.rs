//! `/metrics` (Prometheus text), `/health` (liveness) and `/ready` (database reachable).
//!
//! Metrics are not public: they are served on their own listener (`METRICS_ADDR`, loopback by
//! default) and, only when `METRICS_TOKEN` is set, on the shop listener too; with a token every
//! scrape on either needs `Authorization: Bearer <token>`.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use app::payments::breaker::BreakerState;
use app::platform::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics::Unit;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::json;

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Outage lengths: 1 s to 10 min.
const RECOVERY_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 180.0, 300.0, 450.0, 600.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder once and returns its handle. The lock makes the check
/// and the install one step: two servers starting together (tests) must not end up with the
/// handle of a recorder that lost the race to be installed.
pub fn prometheus() -> Result<PrometheusHandle, BuildError> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    // Full-name matchers are consulted before suffix matchers.
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full("payment_outage_recovery_seconds".to_owned()), RECOVERY_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full("refund_duration_seconds".to_owned()), RECOVERY_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full("rma_cycle_seconds".to_owned()), RMA_CYCLE_BUCKETS)?
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)?
        .build_recorder();
    let handle = recorder.handle();
    match metrics::set_global_recorder(recorder) {
        Ok(()) => describe(),
        Err(err) => tracing::warn!(error = %err, "another metrics recorder is installed; /metrics will be empty"),
    }
    // A thread, not a task: it must outlive the runtime of the server that installed it.
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
        std::thread::sleep(Duration::from_secs(5));
        upkeep.run_upkeep();
    });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "cannot start the metrics upkeep thread");
    }
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// HELP text for every metric the server emits. A metric added anywhere needs a line here
/// (the ops tests fail on a family without HELP).
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("http_requests_total", "HTTP requests answered, by method, route template and status.");
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by method, route template and status."
    );
    describe_counter!("http_panics_total", "Handler panics, answered with 500.");
    describe_counter!("orders_submitted_total", "Checkouts submitted.");
    describe_counter!("orders_accepted_total", "Orders accepted, by mode: paid, queued (payment pending) or cash.");
    describe_counter!("orders_rejected_total", "Checkouts refused, by reason.");
    describe_histogram!("checkout_duration_seconds", Unit::Seconds, "Time to process an accepted checkout.");
    describe_counter!("payment_gateway_requests_total", "Calls to the payment provider, by outcome.");
    describe_counter!(
        "payment_gateway_lookups_total",
        "Lookups of an earlier charge at the payment provider, by outcome."
    );
    describe_gauge!(
        "circuit_breaker_state",
        "Payment provider circuit breaker: 1 for the current state (closed, open, half_open), 0 for the others."
    );
    describe_counter!("circuit_breaker_opened_total", "Times the payment provider circuit breaker opened.");
    describe_histogram!(
        "payment_outage_recovery_seconds",
        Unit::Seconds,
        "Payment provider outages: time from the breaker opening to its closing again."
    );
    describe_gauge!("payment_jobs_pending", "Card payments waiting in the background retry queue.");
    describe_counter!("payment_jobs_completed_total", "Background payment jobs finished, by outcome.");
    describe_counter!("returns_created_total", "Return requests created.");
    describe_counter!("return_transitions_total", "Return status changes, by target status.");
    describe_counter!(
        "refunds_total",
        "Refund outcomes, by method (card, store_credit, manual, exchange) and outcome."
    );
    describe_histogram!("refund_duration_seconds", Unit::Seconds, "Card refunds: time from start to paid.");
    describe_histogram!("rma_cycle_seconds", Unit::Seconds, "Returns: time from the request to closing it.");
    describe_gauge!("refunds_pending", "Refunds waiting in the durable refund queue.");
}

/// An hour to two months.
const RMA_CYCLE_BUCKETS: &[f64] = &[3_600.0, 86_400.0, 259_200.0, 604_800.0, 1_209_600.0, 2_592_000.0, 5_184_000.0];

/// What a scrape needs: the recorder, the application (for values read at scrape time) and
/// the token, when one is required.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    state: AppState,
    token: Option<Arc<str>>,
}

impl Metrics {
    pub fn new(handle: PrometheusHandle, state: AppState, token: Option<String>) -> Self {
        Self { handle, state, token: token.map(Arc::from) }
    }
}

/// The router of the metrics listener, or of the shop's `/metrics` when a token is set.
pub fn routes<S>(metrics: Metrics) -> Router<S> {
    Router::new().route("/metrics", get(serve_metrics)).with_state(metrics)
}

async fn serve_metrics(State(metrics): State<Metrics>, headers: HeaderMap) -> Response {
    if let Some(token) = &metrics.token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(presented.as_bytes(), token.as_bytes()) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "metrics token required\n")
                .into_response();
        }
    }
    let body = render(&metrics).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Sets a queue-length gauge from the database, at most 1 s late; a slow or failing count
/// leaves the last value (and says so at debug level).
async fn refresh_queue_gauge<E: std::fmt::Display>(
    name: &'static str,
    count: impl std::future::Future<Output = Result<i64, E>>,
) {
    match tokio::time::timeout(Duration::from_secs(1), count).await {
        Ok(Ok(n)) => metrics::gauge!(name).set(n as f64),
        Ok(Err(err)) => tracing::debug!(error = %err, gauge = name, "queue gauge not refreshed"),
        Err(_) => tracing::debug!(gauge = name, "queue gauge not refreshed: the database took over 1 s"),
    }
}

/// Values that change while nobody updates them are refreshed now: the payment and refund
/// queues (counted here rather than on every pass of their workers, which also pause while the
/// breaker is open) and the breaker state.
async fn render(metrics: &Metrics) -> String {
    let state = &metrics.state;
    refresh_queue_gauge("payment_jobs_pending", app::payments::store::pending_jobs(&state.db)).await;
    refresh_queue_gauge("refunds_pending", app::returns::refunds::pending_count(&state.db)).await;
    let breaker = match state.payments.status().state {
        "closed" => Some(BreakerState::Closed),
        "open" => Some(BreakerState::Open),
        "half_open" => Some(BreakerState::HalfOpen),
        _ => None,
    };
    if let Some(breaker) = breaker {
        app::platform::metrics::export_breaker_state(breaker);
    }
    let mut text = metrics.handle.render();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&build_info());
    text.push_str(&process_metrics());
    text
}

fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    use std::fmt::Write;
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

fn build_info() -> String {
    let mut out = String::new();
    let labels = format!("{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
    family(&mut out, "retail_build_info", "gauge", "The running build; always 1.", &[(labels, "1".into())]);
    out
}

/// Process metrics from `/proc/self` (Linux; elsewhere none), named as Prometheus' own clients
/// name them.
pub fn process_metrics() -> String {
    let mut out = String::new();
    let Some(p) = ProcessStats::read() else {
        return out;
    };
    let one = |v: f64| vec![(String::new(), format!("{v}"))];
    family(
        &mut out,
        "process_cpu_seconds_total",
        "counter",
        "Total user and system CPU time spent in seconds.",
        &one(p.cpu_seconds),
    );
    family(
        &mut out,
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        &one(p.resident_bytes),
    );
    family(&mut out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", &one(p.virtual_bytes));
    family(
        &mut out,
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
        &one(p.start_time_seconds),
    );
    if let Some(fds) = p.open_fds {
        family(&mut out, "process_open_fds", "gauge", "Number of open file descriptors.", &one(fds));
    }
    if let Some(max) = p.max_fds {
        family(&mut out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", &one(max));
    }
    out
}

struct ProcessStats {
    cpu_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    start_time_seconds: f64,
    open_fds: Option<f64>,
    max_fds: Option<f64>,
}

impl ProcessStats {
    /// Clock ticks per second of `/proc` times (USER_HZ): 100 on every Linux architecture;
    /// Prometheus' Go client makes the same assumption.
    const TICKS: f64 = 100.0;

    fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name may contain spaces and parentheses: fields start after the last ')'.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        // fields[0] is field 3 (state) of proc(5).
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
        let (utime, stime, start_ticks, vsize) = (field(14)?, field(15)?, field(22)?, field(23)?);
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let rss_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())?;
        let boot_time = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse::<f64>().ok()))?;
        let open_fds = std::fs::read_dir("/proc/self/fd").ok().map(|dir| dir.count() as f64);
        let max_fds = std::fs::read_to_string("/proc/self/limits").ok().and_then(|limits| {
            limits
                .lines()
                .find_map(|l| l.strip_prefix("Max open files"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        });
        Some(Self {
            cpu_seconds: (utime + stime) / Self::TICKS,
            resident_bytes: rss_kib * 1024.0,
            virtual_bytes: vsize,
            start_time_seconds: boot_time + start_ticks / Self::TICKS,
            open_fds,
            max_fds,
        })
    }
}

pub async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "up" }))
}

pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let probe = tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(state.db.read())).await;
    match probe {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "status": "ready", "components": { "database": "up" } }))),
        outcome => {
            let detail = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out after 2 s".to_owned(),
            };
            tracing::warn!(component = "database", detail = %detail, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not_ready", "failing": ["database"], "components": { "database": "down" } })),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_metrics_are_read_from_proc() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let text = process_metrics();
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_virtual_memory_bytes",
            "process_start_time_seconds",
            "process_open_fds",
            "process_max_fds",
        ] {
            assert!(text.contains(&format!("# HELP {name} ")), "{name} in {text}");
            let value: f64 = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} has a value in {text}"));
            assert!(value >= 0.0, "{name} = {value}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
