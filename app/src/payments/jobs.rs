//! The background payment worker: settles the card orders in `payment_jobs` with exponential
//! backoff, until they are paid, refused, or resolved from the provider.
//!
//! Who processes which job (the ownership rule, decided in `adopt_orphans` and `due_jobs`):
//! - A job belongs to the instance named in `owner`: the one that reserved the order and holds
//!   its card details in memory. While that instance is alive (its heartbeat row in
//!   `instances` is younger than the liveness window) only it processes the job, so a live
//!   instance's jobs are never failed or charged by another.
//! - When the owner is gone (no heartbeat within the window: crashed, stopped, or restarted
//!   under a new id), any instance adopts the job with one conditional UPDATE; exactly one
//!   wins. An adopted job has no card: it is resolved by asking the provider whether a charge
//!   with the order's key exists (paid) or not (failed, nothing charged).
//! - Each run is claimed by moving `next_attempt_at` forward with a conditional UPDATE, so
//!   two passes never run the same job at once, and a pass only ever selects its own jobs:
//!   it neither spins on jobs it may not process nor lets them crowd out its own.
//!
//! Nothing is ever marked "nothing was charged" on a guess: only a decline, a refusal, or the
//! provider's own answer that no charge exists fails an order.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::task::JoinSet;

use super::backoff::backoff_ms;
use super::gateway::{ChargeError, Lookup};
use super::settle;
use super::store::{self, DueJob};
use crate::orders::OrderStatus;
use crate::platform::{now_ms, AppError, AppState};

#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub poll_interval: Duration,
    pub max_attempts: i64,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    pub parallel: usize,
    /// An instance without a heartbeat for this long is gone; its jobs may be adopted.
    pub liveness_ms: i64,
    /// How long a claimed run keeps other passes away (longer than any provider call).
    pub claim_ms: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(250),
            max_attempts: 10,
            backoff_base_ms: 1_000,
            backoff_max_ms: 30_000,
            parallel: 16,
            liveness_ms: 15_000,
            claim_ms: 60_000,
        }
    }
}

pub fn spawn(state: AppState, settings: WorkerSettings) {
    // The heartbeat has a task of its own: a pass waiting on a slow provider must not make
    // this instance look gone to the others.
    let beat_state = state.clone();
    let beat_every = Duration::from_millis(u64::try_from(settings.liveness_ms / 3).unwrap_or(1_000).max(100));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(beat_every);
        loop {
            tick.tick().await;
            if let Err(err) = heartbeat(&beat_state, now_ms()).await {
                tracing::error!(error = %err, "instance heartbeat failed");
            }
        }
    });
    tokio::spawn(async move {
        let settings = Arc::new(settings);
        loop {
            match run_once(&state, &settings).await {
                Ok(0) => tokio::time::sleep(settings.poll_interval).await,
                Ok(_) => {}
                Err(err) => {
                    tracing::error!(error = %err, "payment worker pass failed");
                    tokio::time::sleep(settings.poll_interval).await;
                }
            }
        }
    });
}

/// Records that this instance is alive (see the ownership rule above).
pub async fn heartbeat(state: &AppState, now: i64) -> Result<(), AppError> {
    store::heartbeat(&state.db, &state.instance_id, now).await
}

/// Processes this instance's jobs that are due now; returns how many it ran.
pub async fn run_once(state: &AppState, settings: &Arc<WorkerSettings>) -> Result<usize, AppError> {
    let now = now_ms();
    // While the breaker is open every call would be refused: leave the queue alone (and the
    // database writer to the checkouts) until it lets a probe through.
    if let Some(wait) = state.payments.open_for_ms(now) {
        tokio::time::sleep(Duration::from_millis(wait.clamp(0, 1_000) as u64)).await;
        return Ok(0);
    }
    adopt_orphans(state, settings, now).await?;
    let mut ran = 0;
    let mut running = JoinSet::new();
    for job in store::due_jobs(&state.db, &state.instance_id, now).await? {
        while running.len() >= settings.parallel {
            running.join_next().await;
        }
        if !state.payments.admits_calls(now_ms()) {
            break;
        }
        if !store::claim(&state.db, &state.instance_id, &job, now_ms() + settings.claim_ms).await? {
            continue;
        }
        ran += 1;
        let (state, settings) = (state.clone(), settings.clone());
        running.spawn(async move {
            let order_id = job.order_id;
            if let Err(err) = process(&state, &settings, job).await {
                tracing::error!(order_id, error = %err, "payment job failed to run");
            }
        });
    }
    while running.join_next().await.is_some() {}
    Ok(ran)
}

/// Takes over the jobs of instances that are gone; they are due at once.
async fn adopt_orphans(state: &AppState, settings: &WorkerSettings, now: i64) -> Result<(), AppError> {
    let adopted = store::adopt_orphans(&state.db, &state.instance_id, now, now - settings.liveness_ms).await?;
    if adopted > 0 {
        tracing::warn!(adopted, "payment jobs of a stopped instance taken over");
    }
    Ok(())
}

/// One run of a job: charge the card this instance holds for it, or, without one, ask the
/// provider what became of the charge.
async fn process(state: &AppState, settings: &WorkerSettings, job: DueJob) -> Result<(), AppError> {
    let Some(card) = state.card_vault.get(job.order_id) else {
        return resolve_from_provider(state, settings, &job).await;
    };
    let outcome = state.payments.charge(&job.provider_key, job.amount_cents, &card, 1).await;
    match outcome {
        Ok(reference) => {
            if settle::commit_paid(&state.db, job.order_id, &reference, now_ms()).await? {
                metrics::counter!("payment_jobs_completed_total", "outcome" => "paid").increment(1);
                state.sli.order_settled(true);
                tracing::info!(order_id = job.order_id, attempts = job.attempts + 1, "queued payment succeeded");
            }
            state.card_vault.forget(job.order_id);
        }
        Err(ChargeError::Declined(reason)) => {
            let message = format!("card declined: {reason}; nothing was charged");
            give_up(state, &job, &message, "declined").await?;
        }
        Err(ChargeError::Rejected(reason)) => {
            let message = format!("the payment provider refused this payment ({reason}); nothing was charged");
            give_up(state, &job, &message, "rejected").await?;
        }
        Err(ChargeError::Unavailable { retry_at_ms: Some(retry_at), reason }) => {
            // Breaker open: no call was made, so no attempt is used up.
            let spread = rand::thread_rng().gen_range(0..250);
            store::retry_later(&state.db, job.order_id, job.attempts, retry_at + spread, &reason).await?;
        }
        Err(ChargeError::Unavailable { reason, retry_at_ms: None }) => {
            let attempts = job.attempts + 1;
            if attempts >= settings.max_attempts {
                // Out of attempts, but a call that timed out may still have charged: the
                // provider decides from here on.
                state.card_vault.forget(job.order_id);
                tracing::warn!(order_id = job.order_id, attempts, "payment retries exhausted; asking the provider");
                return resolve_from_provider(state, settings, &DueJob { attempts, ..job }).await;
            }
            retry_with_backoff(state, settings, &job, attempts, &reason).await?;
        }
    }
    Ok(())
}

/// The provider refused the card for good: the order fails, nothing was charged.
async fn give_up(state: &AppState, job: &DueJob, message: &str, outcome: &'static str) -> Result<(), AppError> {
    settle::commit_failed(&state.db, job.order_id, OrderStatus::PaymentFailed, message, now_ms()).await?;
    metrics::counter!("payment_jobs_completed_total", "outcome" => outcome).increment(1);
    state.sli.order_settled(false);
    state.card_vault.forget(job.order_id);
    Ok(())
}

/// No card to charge (adopted after a crash, settle interrupted, or out of attempts): the
/// order is paid if the provider holds a charge with its key, failed if it says none exists,
/// and asked again later if it cannot answer.
async fn resolve_from_provider(state: &AppState, settings: &WorkerSettings, job: &DueJob) -> Result<(), AppError> {
    match state.payments.lookup(&job.provider_key).await {
        Ok(Lookup::Charged(reference)) => {
            if settle::commit_paid(&state.db, job.order_id, &reference, now_ms()).await? {
                metrics::counter!("payment_jobs_completed_total", "outcome" => "paid_found").increment(1);
                state.sli.order_settled(true);
                tracing::info!(order_id = job.order_id, "charge found at the provider; order paid");
            }
        }
        Ok(Lookup::NoCharge) => {
            let message = if job.attempts >= settings.max_attempts {
                "the payment provider did not respond; nothing was charged, please order again"
            } else {
                "payment could not be completed after an interruption; nothing was charged, please order again"
            };
            if settle::commit_failed(&state.db, job.order_id, OrderStatus::PaymentFailed, message, now_ms()).await? {
                metrics::counter!("payment_jobs_completed_total", "outcome" => "gave_up").increment(1);
                state.sli.order_settled(false);
                tracing::warn!(order_id = job.order_id, "no charge at the provider; order failed, stock released");
            }
        }
        Err(ChargeError::Unavailable { retry_at_ms: Some(retry_at), reason }) => {
            store::retry_later(&state.db, job.order_id, job.attempts, retry_at, &reason).await?;
        }
        Err(err) => {
            retry_with_backoff(state, settings, job, job.attempts.saturating_add(1), err.reason()).await?;
        }
    }
    Ok(())
}

async fn retry_with_backoff(
    state: &AppState,
    settings: &WorkerSettings,
    job: &DueJob,
    attempts: i64,
    reason: &str,
) -> Result<(), AppError> {
    let jitter = rand::thread_rng().gen::<f64>();
    let exponent = u32::try_from(attempts).unwrap_or(u32::MAX);
    let delay = backoff_ms(exponent, settings.backoff_base_ms, settings.backoff_max_ms, jitter);
    let due = now_ms().saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
    store::retry_later(&state.db, job.order_id, attempts, due, reason).await
}
