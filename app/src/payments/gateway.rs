//! The checkout's side of the payment boundary: HTTP with a timeout and an idempotency key per
//! order, one circuit breaker shared by every request in the process, and a short bounded
//! retry with exponential backoff and jitter for transient errors. Besides charging, the
//! gateway can ask whether a charge with a given key exists: nothing is ever marked "not
//! charged" on a guess.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use serde::Deserialize;
use serde_json::json;

use super::backoff::backoff_ms;
use super::breaker::{Breaker, BreakerConfig, BreakerState, OpenReason, Permit, Transition};
use crate::platform::now_ms;
use domain::card::Card;

#[derive(Clone, Debug)]
pub struct GatewaySettings {
    pub base_url: String,
    pub timeout: Duration,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub breaker: BreakerConfig,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ChargeError {
    /// The provider refused the card: final, not retried, not queued.
    Declined(String),
    /// The provider answered that this payment can never succeed (a 4xx other than a
    /// decline): final for the order, and proof the provider works, so no breaker failure.
    Rejected(String),
    /// The provider could not be reached or failed, or the breaker is open: try again later.
    Unavailable { reason: String, retry_at_ms: Option<i64> },
}

impl ChargeError {
    /// The provider's (or the breaker's) reason, as text.
    pub fn reason(&self) -> &str {
        match self {
            Self::Declined(reason) | Self::Rejected(reason) | Self::Unavailable { reason, .. } => reason,
        }
    }
}

/// Breaker facts for the admin API and dashboards.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BreakerStatus {
    pub state: &'static str,
    pub opened_total: u64,
    pub last_mttr_seconds: Option<f64>,
}

struct BreakerCell {
    breaker: Breaker,
    opened_total: u64,
    last_mttr_seconds: Option<f64>,
}

pub struct PaymentGateway {
    http: reqwest::Client,
    settings: GatewaySettings,
    breaker: Mutex<BreakerCell>,
}

#[derive(Deserialize)]
struct ChargeOk {
    reference: String,
}

#[derive(Deserialize)]
struct ChargeDeclined {
    reason: String,
}

#[derive(Deserialize)]
struct ProviderError {
    error: String,
}

enum Attempt {
    Charged(String),
    Declined(String),
    Rejected(String),
    Failed(&'static str, String),
}

/// What the provider knows of a charge key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Charged(String),
    NoCharge,
}

/// A breaker permit that is handed back when dropped: a call whose future is dropped (the
/// client went away, the server is stopping) must not hold the half-open probe for ever.
struct CallPermit<'a> {
    gateway: &'a PaymentGateway,
    permit: Option<Permit>,
}

impl CallPermit<'_> {
    fn finish(mut self, ok: bool) {
        if let Some(permit) = self.permit.take() {
            self.gateway.finish(permit, ok);
        }
    }
}

impl Drop for CallPermit<'_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            if let Ok(mut cell) = self.gateway.breaker.lock() {
                cell.breaker.on_abandoned(permit);
            }
        }
    }
}

impl PaymentGateway {
    pub fn new(settings: GatewaySettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(settings.timeout).pool_max_idle_per_host(64).build()?;
        crate::platform::metrics::export_breaker_state(BreakerState::Closed);
        Ok(Self {
            http,
            breaker: Mutex::new(BreakerCell {
                breaker: Breaker::new(settings.breaker.clone()),
                opened_total: 0,
                last_mttr_seconds: None,
            }),
            settings,
        })
    }

    pub fn status(&self) -> BreakerStatus {
        match self.breaker.lock() {
            Ok(cell) => BreakerStatus {
                state: cell.breaker.state().as_str(),
                opened_total: cell.opened_total,
                last_mttr_seconds: cell.last_mttr_seconds,
            },
            Err(_) => BreakerStatus { state: "unknown", opened_total: 0, last_mttr_seconds: None },
        }
    }

    /// While the breaker is open: how long until it lets a probe through.
    pub fn open_for_ms(&self, now_ms: i64) -> Option<i64> {
        let cell = self.breaker.lock().ok()?;
        cell.breaker.open_until_ms().map(|until| until - now_ms).filter(|wait| *wait > 0)
    }

    /// Whether a call made now would get past the breaker.
    pub fn admits_calls(&self, now_ms: i64) -> bool {
        self.breaker.lock().map(|cell| cell.breaker.admits(now_ms)).unwrap_or(false)
    }

    /// Charges `amount_cents` under the provider key `key`, making at most `attempts` calls.
    pub async fn charge(
        &self,
        key: &str,
        amount_cents: i64,
        card: &Card,
        attempts: u32,
    ) -> Result<String, ChargeError> {
        let mut last_reason = String::new();
        for attempt in 1..=attempts.max(1) {
            let permit = self.acquire()?;
            match self.call(key, amount_cents, card).await {
                Attempt::Charged(reference) => {
                    permit.finish(true);
                    metrics::counter!("payment_gateway_requests_total", "outcome" => "success").increment(1);
                    return Ok(reference);
                }
                Attempt::Declined(reason) => {
                    // A decline proves the provider works.
                    permit.finish(true);
                    metrics::counter!("payment_gateway_requests_total", "outcome" => "declined").increment(1);
                    return Err(ChargeError::Declined(reason));
                }
                Attempt::Rejected(reason) => {
                    permit.finish(true);
                    metrics::counter!("payment_gateway_requests_total", "outcome" => "rejected").increment(1);
                    return Err(ChargeError::Rejected(reason));
                }
                Attempt::Failed(outcome, reason) => {
                    permit.finish(false);
                    metrics::counter!("payment_gateway_requests_total", "outcome" => outcome).increment(1);
                    tracing::debug!(attempt, reason = %reason, "payment attempt failed");
                    last_reason = reason;
                }
            }
            if attempt < attempts {
                let jitter = rand::thread_rng().gen::<f64>();
                let delay = backoff_ms(attempt, self.settings.retry_base_ms, self.settings.retry_max_ms, jitter);
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
        }
        Err(ChargeError::Unavailable { reason: last_reason, retry_at_ms: None })
    }

    /// Asks the provider whether a charge with `key` exists. Only a clear answer counts: an
    /// error or timeout is `Unavailable`, never "no charge".
    pub async fn lookup(&self, key: &str) -> Result<Lookup, ChargeError> {
        let permit = self.acquire()?;
        let url = format!("{}/v1/charges/{key}", self.settings.base_url);
        let unavailable = |reason: String| ChargeError::Unavailable { reason, retry_at_ms: None };
        let response = match self.http.get(url).send().await {
            Ok(response) => response,
            Err(e) => {
                permit.finish(false);
                return Err(unavailable(format!("payment provider lookup failed: {e}")));
            }
        };
        let found = match response.status().as_u16() {
            200 => response.json::<ChargeOk>().await.map(|ok| Lookup::Charged(ok.reference)).map_err(|e| e.to_string()),
            404 => Ok(Lookup::NoCharge),
            status => Err(format!("payment provider lookup answered {status}")),
        };
        permit.finish(found.is_ok());
        metrics::counter!("payment_gateway_lookups_total", "outcome" => if found.is_ok() { "answered" } else { "failure" })
            .increment(1);
        found.map_err(unavailable)
    }

    /// Refunds `amount_cents` of the charge `charge_reference` under the refund's own key `key`,
    /// in one call through the breaker (the refund queue does the retrying). The provider answers
    /// a repeated key with the first refund, so a refund sent again is never paid twice. A
    /// refusal is `Rejected`; anything unclear is `Unavailable`.
    pub async fn refund(&self, key: &str, charge_reference: &str, amount_cents: i64) -> Result<String, ChargeError> {
        let permit = self.acquire()?;
        let url = format!("{}/v1/refunds", self.settings.base_url);
        let body = json!({ "charge_reference": charge_reference, "amount_cents": amount_cents });
        match self.post(url, key, &body).await {
            Attempt::Charged(reference) => {
                permit.finish(true);
                metrics::counter!("payment_gateway_requests_total", "outcome" => "refunded").increment(1);
                Ok(reference)
            }
            Attempt::Declined(reason) | Attempt::Rejected(reason) => {
                permit.finish(true);
                metrics::counter!("payment_gateway_requests_total", "outcome" => "refund_rejected").increment(1);
                Err(ChargeError::Rejected(reason))
            }
            Attempt::Failed(outcome, reason) => {
                permit.finish(false);
                metrics::counter!("payment_gateway_requests_total", "outcome" => outcome).increment(1);
                Err(ChargeError::Unavailable { reason, retry_at_ms: None })
            }
        }
    }

    /// Asks the provider whether a refund with `key` exists: its reference, or `None` when the
    /// provider says there is none. An error or timeout is `Unavailable`, never "no refund".
    pub async fn lookup_refund(&self, key: &str) -> Result<Option<String>, ChargeError> {
        let permit = self.acquire()?;
        let url = format!("{}/v1/refunds/{key}", self.settings.base_url);
        let unavailable = |reason: String| ChargeError::Unavailable { reason, retry_at_ms: None };
        let response = match self.http.get(url).send().await {
            Ok(response) => response,
            Err(e) => {
                permit.finish(false);
                return Err(unavailable(format!("payment provider refund lookup failed: {e}")));
            }
        };
        let found = match response.status().as_u16() {
            200 => response.json::<ChargeOk>().await.map(|ok| Some(ok.reference)).map_err(|e| e.to_string()),
            404 => Ok(None),
            status => Err(format!("payment provider refund lookup answered {status}")),
        };
        permit.finish(found.is_ok());
        found.map_err(unavailable)
    }

    fn acquire(&self) -> Result<CallPermit<'_>, ChargeError> {
        let now = now_ms();
        let Ok(mut cell) = self.breaker.lock() else {
            return Err(ChargeError::Unavailable { reason: "breaker unavailable".into(), retry_at_ms: None });
        };
        match cell.breaker.try_acquire(now) {
            Ok((permit, transition)) => {
                if let Some(t) = transition {
                    on_transition(&mut cell, t);
                }
                Ok(CallPermit { gateway: self, permit: Some(permit) })
            }
            Err(refused) => {
                metrics::counter!("payment_gateway_requests_total", "outcome" => "rejected_open").increment(1);
                Err(ChargeError::Unavailable {
                    reason: "payment provider circuit is open".into(),
                    retry_at_ms: Some(refused.retry_at_ms),
                })
            }
        }
    }

    fn finish(&self, permit: Permit, ok: bool) {
        let now = now_ms();
        if let Ok(mut cell) = self.breaker.lock() {
            let transition =
                if ok { cell.breaker.on_success(now, permit) } else { cell.breaker.on_failure(now, permit) };
            if let Some(t) = transition {
                on_transition(&mut cell, t);
            }
        }
    }

    async fn call(&self, key: &str, amount_cents: i64, card: &Card) -> Attempt {
        let url = format!("{}/v1/charges", self.settings.base_url);
        let body = json!({
            "amount_cents": amount_cents,
            "card_number": card.number(),
            "card_expiry": format!("{:02}/{}", card.expiry_month, card.expiry_year),
        });
        self.post(url, key, &body).await
    }

    /// Sends a request with an idempotency key and reads the provider's answer (a charge's or a
    /// refund's: both answer `{reference}`).
    async fn post(&self, url: String, key: &str, body: &serde_json::Value) -> Attempt {
        let sent = self.http.post(url).header("Idempotency-Key", key).json(body).send().await;
        let response = match sent {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Attempt::Failed("timeout", "payment provider timed out".into()),
            Err(e) => return Attempt::Failed("failure", format!("payment provider unreachable: {e}")),
        };
        match response.status().as_u16() {
            200 => match response.json::<ChargeOk>().await {
                Ok(ok) => Attempt::Charged(ok.reference),
                Err(e) => Attempt::Failed("failure", format!("unreadable provider answer: {e}")),
            },
            402 => {
                let reason = response
                    .json::<ChargeDeclined>()
                    .await
                    .map(|d| d.reason)
                    .unwrap_or_else(|_| "card declined".into());
                Attempt::Declined(reason)
            }
            // Timeouts, an idempotent request still in progress and rate limits pass; other
            // 4xx answers say this payment will never succeed.
            status @ (400..=499) if !matches!(status, 408 | 409 | 425 | 429) => {
                let reason = response
                    .json::<ProviderError>()
                    .await
                    .map(|e| e.error)
                    .unwrap_or_else(|_| format!("payment provider answered {status}"));
                Attempt::Rejected(reason)
            }
            status => Attempt::Failed("failure", format!("payment provider answered {status}")),
        }
    }
}

/// Logs and counts a breaker state change.
fn on_transition(cell: &mut BreakerCell, transition: Transition) {
    crate::platform::metrics::export_breaker_state(cell.breaker.state());
    match transition {
        Transition::Opened { reason } => {
            cell.opened_total += 1;
            metrics::counter!("circuit_breaker_opened_total").increment(1);
            let reason = match reason {
                OpenReason::ConsecutiveFailures(n) => format!("{n} consecutive failures"),
                OpenReason::FailureRate(r) => format!("failure rate {:.0}%", r * 100.0),
                OpenReason::ProbeFailed => "probe failed".to_owned(),
            };
            tracing::warn!(breaker = "payment_provider", reason = %reason, "circuit breaker opened");
        }
        Transition::HalfOpened => tracing::info!(breaker = "payment_provider", "circuit breaker half-open: probing"),
        Transition::Closed { outage_ms } => {
            let seconds = outage_ms as f64 / 1000.0;
            cell.last_mttr_seconds = Some(seconds);
            metrics::histogram!("payment_outage_recovery_seconds").record(seconds);
            tracing::info!(
                breaker = "payment_provider",
                mttr_seconds = seconds,
                "circuit breaker closed: provider recovered"
            );
        }
    }
}
