//! Managing event arrival at checkout: a token-bucket throttle (tower_governor) whose limits an
//! admin can change at run time, and a bound on how many checkouts run at once, so accepted
//! requests stay fast under overload and the rest get a quick 429 instead of a long wait.

use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::middleware::NoOpMiddleware;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, SemaphorePermit};
use tower::ServiceExt;
use tower_governor::governor::{Governor, GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::GovernorError;

use crate::accounts::CurrentUser;
use crate::platform::{AppError, AppState, ClientIp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleKey {
    /// One bucket for the whole shop.
    Global,
    /// One bucket per signed-in customer (per address for anonymous requests).
    User,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottleSettings {
    /// Sustained checkouts per second; 0 turns the throttle off.
    pub max_rps: u32,
    pub burst: u32,
    pub key: ThrottleKey,
}

impl ThrottleSettings {
    pub fn validated(self) -> Result<Self, String> {
        if self.max_rps > 1_000_000 {
            return Err("max_rps must be at most 1000000".into());
        }
        if self.max_rps > 0 && self.burst == 0 {
            return Err("burst must be at least 1 when the throttle is on".into());
        }
        Ok(self)
    }
}

/// The key tower_governor buckets requests by.
#[derive(Clone, Copy, Debug)]
pub struct CheckoutKey(ThrottleKey);

impl KeyExtractor for CheckoutKey {
    type Key = String;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<Self::Key, GovernorError> {
        Ok(match self.0 {
            ThrottleKey::Global => String::new(),
            ThrottleKey::User => match (req.extensions().get::<CurrentUser>(), req.extensions().get::<ClientIp>()) {
                (Some(user), _) => format!("u{}", user.id),
                (None, Some(ip)) => format!("a{}", ip.0),
                (None, None) => "anonymous".to_owned(),
            },
        })
    }
}

type Config = Arc<GovernorConfig<CheckoutKey, NoOpMiddleware>>;

pub struct CheckoutGate {
    throttle: RwLock<(ThrottleSettings, Option<Config>)>,
    running: Semaphore,
    queue_timeout: Duration,
}

impl CheckoutGate {
    pub fn new(throttle: ThrottleSettings, max_concurrent: usize, queue_timeout: Duration) -> Self {
        Self {
            throttle: RwLock::new((throttle, build(throttle))),
            running: Semaphore::new(max_concurrent),
            queue_timeout,
        }
    }

    pub fn throttle(&self) -> ThrottleSettings {
        self.throttle.read().map(|t| t.0).unwrap_or(ThrottleSettings { max_rps: 0, burst: 0, key: ThrottleKey::Global })
    }

    /// Replaces the limits; takes effect with the next request (fresh buckets).
    pub fn set_throttle(&self, settings: ThrottleSettings) {
        if let Ok(mut current) = self.throttle.write() {
            *current = (settings, build(settings));
        }
        tracing::warn!(max_rps = settings.max_rps, burst = settings.burst, key = ?settings.key, "checkout throttle changed");
    }

    fn config(&self) -> Option<Config> {
        self.throttle.read().ok().and_then(|t| t.1.clone())
    }

    /// Waits briefly for a checkout slot; `Busy` when none frees up in time.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(self.queue_timeout, self.running.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::Busy { retry_after_secs: 1 }),
        }
    }
}

fn build(settings: ThrottleSettings) -> Option<Config> {
    if settings.max_rps == 0 {
        return None;
    }
    let period = Duration::from_nanos(1_000_000_000 / u64::from(settings.max_rps));
    GovernorConfigBuilder::default()
        .period(period)
        .burst_size(settings.burst.max(1))
        .key_extractor(CheckoutKey(settings.key))
        .finish()
        .map(Arc::new)
}

/// Paths the throttle guards: the JSON checkout and the page's checkout server function.
pub fn is_checkout(path: &str) -> bool {
    path == "/api/checkout" || path == "/rpc/checkout"
}

/// Axum middleware: runs checkout requests through tower_governor with the current limits.
pub async fn throttle_checkout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_checkout(req.uri().path()) {
        return next.run(req).await;
    }
    let Some(config) = state.checkout_gate.config() else {
        return next.run(req).await;
    };
    let inner = tower::service_fn(move |req: Request| {
        let next = next.clone();
        async move { Ok::<_, Infallible>(next.run(req).await) }
    });
    let server_fn = req.uri().path().starts_with("/rpc/");
    let governed = Governor::new(inner, &config).error_handler(move |err| {
        let retry_after_secs = match err {
            GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
            _ => 1,
        };
        metrics::counter!("orders_rejected_total", "reason" => "throttled").increment(1);
        busy_response(retry_after_secs, server_fn)
    });
    match governed.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// A 429 in the shape the caller reads: the JSON API's `{error, retry_after_secs}`, or for the
/// page's server function the encoded `FnError`, so the storefront can show its busy banner.
fn busy_response(retry_after_secs: u64, server_fn: bool) -> Response {
    let busy = AppError::Busy { retry_after_secs };
    if !server_fn {
        return busy.into_response();
    }
    let error = crate::ui::errors::FnError::from(busy);
    let body = serde_json::to_vec(&error).unwrap_or_default();
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    headers.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    headers.insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(retry_after_secs));
    headers.insert(
        leptos::server_fn::error::SERVER_FN_ERROR_HEADER,
        axum::http::HeaderValue::from_static("/rpc/checkout"),
    );
    response
}
