//! A simulated payment provider, served on its own loopback listener so the checkout talks to
//! it over real HTTP exactly as it would to a real one (swap it with PAYMENT_PROVIDER_URL).
//!
//! `POST /v1/charges` with `Idempotency-Key` and `{amount_cents, card_number, card_expiry}`:
//! 200 `{reference}`, 402 `{reason}` for cards ending in 0002 (a real decline), 503 when a fault
//! is injected. A repeated key returns the first successful charge instead of charging twice.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;

use super::faults::FaultSettings;

/// The provider's live state: fault settings (changed by admins at run time) and charges.
pub struct SimulatedProvider {
    faults: RwLock<FaultSettings>,
    charges: Mutex<HashMap<String, String>>,
    next_reference: AtomicU64,
}

impl SimulatedProvider {
    pub fn new(faults: FaultSettings) -> Arc<Self> {
        Arc::new(Self {
            faults: RwLock::new(faults),
            charges: Mutex::new(HashMap::new()),
            next_reference: AtomicU64::new(1),
        })
    }

    pub fn faults(&self) -> FaultSettings {
        self.faults.read().map(|f| *f).unwrap_or_default()
    }

    pub fn set_faults(&self, faults: FaultSettings) {
        if let Ok(mut current) = self.faults.write() {
            *current = faults;
        }
        tracing::warn!(
            failure_rate = faults.failure_rate,
            latency_ms = faults.latency_ms,
            "payment provider faults changed"
        );
    }
}

/// Starts the provider on 127.0.0.1 (random port) and returns its base URL.
pub async fn serve(provider: Arc<SimulatedProvider>) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let router = Router::new().route("/v1/charges", post(charge)).with_state(provider);
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::error!(error = %err, "simulated payment provider stopped");
        }
    });
    Ok(url)
}

#[derive(Deserialize)]
struct ChargeBody {
    amount_cents: i64,
    card_number: String,
}

async fn charge(
    State(provider): State<Arc<SimulatedProvider>>,
    headers: HeaderMap,
    Json(body): Json<ChargeBody>,
) -> Response {
    let faults = provider.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "Idempotency-Key is required" }))).into_response();
    };
    if let Some(reference) = provider.charges.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Json(json!({ "reference": reference, "replayed": true })).into_response();
    }
    if faults.failure_rate > 0.0 && rand::thread_rng().gen::<f64>() < faults.failure_rate {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": "processor unavailable" }))).into_response();
    }
    if body.card_number.ends_with("0002") {
        return (StatusCode::PAYMENT_REQUIRED, Json(json!({ "reason": "card declined by the issuer" })))
            .into_response();
    }
    if body.amount_cents <= 0 {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": "amount must be positive" }))).into_response();
    }
    let reference = format!("ch_{:08}", provider.next_reference.fetch_add(1, Ordering::Relaxed));
    if let Ok(mut charges) = provider.charges.lock() {
        charges.insert(key, reference.clone());
    }
    Json(json!({ "reference": reference })).into_response()
}
