//! A simulated payment provider, served on its own loopback listener so the checkout talks to
//! it over real HTTP exactly as it would to a real one (swap it with PAYMENT_PROVIDER_URL).
//!
//! `POST /v1/charges` with `Idempotency-Key` and `{amount_cents, card_number, card_expiry}`:
//! 200 `{reference}`; 402 `{reason}` for cards ending in 0002 (a real decline); 422 `{error}`
//! for cards ending in 0069 (refused for good, but not a decline); 503 when a fault is
//! injected. A repeated key returns the first successful charge instead of charging twice.
//! The charge is made as soon as the request is accepted and the injected latency delays only
//! the answer, as with a real provider whose answer is slow or lost: the charge exists even
//! when the caller gave up waiting.
//!
//! `GET /v1/charges/{idempotency_key}`: 200 `{reference, amount_cents}` when a charge with that
//! key exists, 404 when none does. Lookups have no injected latency or failures.
//!
//! `POST /v1/refunds` with `Idempotency-Key` and `{charge_reference, amount_cents}`: 200
//! `{reference}`; a repeated key returns the first refund (never a second one); 503 when a
//! fault is injected (faults apply as to charges); 422 without a charge reference or a
//! positive amount. (This provider keeps charges in memory only, so it cannot check that the
//! referenced charge exists after a restart; a real one does.) `GET /v1/refunds/{key}`: 200
//! `{reference, amount_cents}` or 404, like charge lookups.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;

use super::faults::FaultSettings;

/// The provider's live state: fault settings (changed by admins at run time) and charges.
pub struct SimulatedProvider {
    faults: RwLock<FaultSettings>,
    charges: Mutex<HashMap<String, Charge>>,
    refunds: Mutex<HashMap<String, Charge>>,
    next_reference: AtomicU64,
    requests: AtomicU64,
}

struct Charge {
    reference: String,
    amount_cents: i64,
    /// Charge requests with this key answered 200 (the first and every replay).
    answered_ok: u32,
}

impl SimulatedProvider {
    pub fn new(faults: FaultSettings) -> Arc<Self> {
        Arc::new(Self {
            faults: RwLock::new(faults),
            charges: Mutex::new(HashMap::new()),
            refunds: Mutex::new(HashMap::new()),
            next_reference: AtomicU64::new(1),
            requests: AtomicU64::new(0),
        })
    }

    /// Distinct charges made (replays of a key are not new charges).
    pub fn charges_made(&self) -> usize {
        self.charges.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Distinct refunds made (replays of a key are not new refunds).
    pub fn refunds_made(&self) -> usize {
        self.refunds.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Charge and lookup requests received, whatever their answer.
    pub fn requests_received(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How many charge requests with `key` were answered 200.
    pub fn charges_answered(&self, key: &str) -> u32 {
        self.charges.lock().ok().and_then(|c| c.get(key).map(|charge| charge.answered_ok)).unwrap_or(0)
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
    let router = Router::new()
        .route("/v1/charges", post(charge))
        .route("/v1/charges/{key}", get(lookup))
        .route("/v1/refunds", post(refund))
        .route("/v1/refunds/{key}", get(lookup_refund))
        .with_state(provider);
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
    provider.requests.fetch_add(1, Ordering::Relaxed);
    let answer = decide(&provider, &headers, &body);
    let latency_ms = provider.faults().latency_ms;
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    answer
}

/// Makes (or replays) the charge and returns the answer to send once the latency has passed.
fn decide(provider: &SimulatedProvider, headers: &HeaderMap, body: &ChargeBody) -> Response {
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "Idempotency-Key is required" }))).into_response();
    };
    let Ok(mut charges) = provider.charges.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "provider state lost" }))).into_response();
    };
    if let Some(charge) = charges.get_mut(&key) {
        charge.answered_ok = charge.answered_ok.saturating_add(1);
        return Json(json!({ "reference": charge.reference, "replayed": true })).into_response();
    }
    let faults = provider.faults();
    if faults.failure_rate > 0.0 && rand::thread_rng().gen::<f64>() < faults.failure_rate {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": "processor unavailable" }))).into_response();
    }
    if body.card_number.ends_with("0002") {
        return (StatusCode::PAYMENT_REQUIRED, Json(json!({ "reason": "card declined by the issuer" })))
            .into_response();
    }
    if body.card_number.ends_with("0069") {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": "card not supported for this merchant" })))
            .into_response();
    }
    if body.amount_cents <= 0 {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": "amount must be positive" }))).into_response();
    }
    let reference = format!("ch_{:08}", provider.next_reference.fetch_add(1, Ordering::Relaxed));
    charges.insert(key, Charge { reference: reference.clone(), amount_cents: body.amount_cents, answered_ok: 1 });
    Json(json!({ "reference": reference })).into_response()
}

async fn lookup(State(provider): State<Arc<SimulatedProvider>>, Path(key): Path<String>) -> Response {
    provider.requests.fetch_add(1, Ordering::Relaxed);
    let found = provider.charges.lock().ok().and_then(|c| c.get(&key).map(|c| (c.reference.clone(), c.amount_cents)));
    match found {
        Some((reference, amount_cents)) => {
            Json(json!({ "reference": reference, "amount_cents": amount_cents })).into_response()
        }
        None => {
            (StatusCode::NOT_FOUND, Json(json!({ "error": "no charge with this idempotency key" }))).into_response()
        }
    }
}

#[derive(Deserialize)]
struct RefundBody {
    charge_reference: String,
    amount_cents: i64,
}

async fn refund(
    State(provider): State<Arc<SimulatedProvider>>,
    headers: HeaderMap,
    Json(body): Json<RefundBody>,
) -> Response {
    provider.requests.fetch_add(1, Ordering::Relaxed);
    let answer = decide_refund(&provider, &headers, &body);
    let latency_ms = provider.faults().latency_ms;
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    answer
}

/// Makes (or replays) the refund, like `decide` for charges.
fn decide_refund(provider: &SimulatedProvider, headers: &HeaderMap, body: &RefundBody) -> Response {
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "Idempotency-Key is required" }))).into_response();
    };
    let Ok(mut refunds) = provider.refunds.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "provider state lost" }))).into_response();
    };
    if let Some(refund) = refunds.get_mut(&key) {
        refund.answered_ok = refund.answered_ok.saturating_add(1);
        return Json(json!({ "reference": refund.reference, "replayed": true })).into_response();
    }
    let faults = provider.faults();
    if faults.failure_rate > 0.0 && rand::thread_rng().gen::<f64>() < faults.failure_rate {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": "processor unavailable" }))).into_response();
    }
    if body.charge_reference.trim().is_empty() || body.amount_cents <= 0 {
        let error = "a refund needs the original charge and a positive amount";
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": error }))).into_response();
    }
    let reference = format!("re_{:08}", provider.next_reference.fetch_add(1, Ordering::Relaxed));
    refunds.insert(key, Charge { reference: reference.clone(), amount_cents: body.amount_cents, answered_ok: 1 });
    Json(json!({ "reference": reference })).into_response()
}

async fn lookup_refund(State(provider): State<Arc<SimulatedProvider>>, Path(key): Path<String>) -> Response {
    provider.requests.fetch_add(1, Ordering::Relaxed);
    let found = provider.refunds.lock().ok().and_then(|r| r.get(&key).map(|r| (r.reference.clone(), r.amount_cents)));
    match found {
        Some((reference, amount_cents)) => {
            Json(json!({ "reference": reference, "amount_cents": amount_cents })).into_response()
        }
        None => {
            (StatusCode::NOT_FOUND, Json(json!({ "error": "no refund with this idempotency key" }))).into_response()
        }
    }
}
