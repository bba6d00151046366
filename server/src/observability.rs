//! `/metrics` (Prometheus text), `/health` (liveness) and `/ready` (database reachable).

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use app::platform::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::json;

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

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
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)?
        .build_recorder();
    let handle = recorder.handle();
    if let Err(err) = metrics::set_global_recorder(recorder) {
        tracing::warn!(error = %err, "another metrics recorder is installed; /metrics will be empty");
    }
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(HANDLE.get_or_init(|| handle).clone())
}

pub async fn metrics(axum::Extension(handle): axum::Extension<PrometheusHandle>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render())
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
