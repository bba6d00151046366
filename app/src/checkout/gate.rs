//! Managing event arrival at checkout: a token-bucket throttle (tower_governor's rate limiter)
//! whose limits an admin can change at run time, and a bound on how many checkouts run at
//! once, so accepted requests stay fast under overload and the rest get a quick 429 instead of
//! a long wait. Only a signed-in customer's well-formed checkout takes a token: anonymous and
//! invalid requests are refused before they reach the bucket, so they cannot drain it.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, SemaphorePermit};
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::GovernorError;

use crate::platform::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleKey {
    /// One bucket for the whole shop.
    Global,
    /// One bucket per signed-in customer.
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

/// The bucket a customer's checkout draws from. Checkouts are admitted in the service, not
/// by a request layer, so the extractor is never asked for a request's key.
#[derive(Clone, Copy, Debug)]
pub struct CheckoutKey(ThrottleKey);

impl CheckoutKey {
    fn for_customer(self, user_id: i64) -> String {
        match self.0 {
            ThrottleKey::Global => String::new(),
            ThrottleKey::User => format!("u{user_id}"),
        }
    }
}

impl KeyExtractor for CheckoutKey {
    type Key = String;

    fn extract<T>(&self, _req: &axum::http::Request<T>) -> Result<Self::Key, GovernorError> {
        Err(GovernorError::UnableToExtractKey)
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

    /// Takes a token for `user_id`'s checkout, or answers `Busy` with the wait.
    pub fn admit(&self, user_id: i64) -> Result<(), AppError> {
        let Ok((settings, Some(config))) = self.throttle.read().map(|t| (t.0, t.1.clone())) else {
            return Ok(());
        };
        let key = CheckoutKey(settings.key).for_customer(user_id);
        match config.limiter().check_key(&key) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                // Counted once, with every other refusal, by the checkout service (`busy`).
                Err(AppError::Busy { retry_after_secs: wait.as_secs().max(1) })
            }
        }
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
