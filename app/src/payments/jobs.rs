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
use sqlx::Row;
use tokio::task::JoinSet;

use super::backoff::backoff_ms;
use super::gateway::{ChargeError, Lookup};
use super::settle;
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
    /// How often expired idempotency keys are deleted.
    pub purge_every_ms: i64,
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
            purge_every_ms: 60_000,
        }
    }
}

struct Job {
    order_id: i64,
    attempts: i64,
    next_attempt_at: i64,
    amount_cents: i64,
    provider_key: String,
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
        let mut last_purge = 0;
        loop {
            let now = now_ms();
            if now - last_purge >= settings.purge_every_ms {
                last_purge = now;
                match crate::checkout::store::purge_expired_keys(&state.db, now).await {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "expired idempotency keys purged"),
                    Err(err) => tracing::error!(error = %err, "purging idempotency keys failed"),
                }
            }
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
    sqlx::query(
        "INSERT INTO instances (id, started_at, last_seen_at) VALUES ($1, $2, $2) \
         ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )
    .bind(&state.instance_id)
    .bind(now)
    .execute(state.db.write())
    .await?;
    Ok(())
}

/// Processes this instance's jobs that are due now; returns how many it ran.
pub async fn run_once(state: &AppState, settings: &Arc<WorkerSettings>) -> Result<usize, AppError> {
    let now = now_ms();
    metrics::gauge!("payment_jobs_pending").set(settle::pending_jobs(&state.db).await? as f64);
    // While the breaker is open every call would be refused: leave the queue alone (and the
    // database writer to the checkouts) until it lets a probe through.
    if let Some(wait) = state.payments.open_for_ms(now) {
        tokio::time::sleep(Duration::from_millis(wait.clamp(0, 1_000) as u64)).await;
        return Ok(0);
    }
    adopt_orphans(state, settings, now).await?;
    let mut ran = 0;
    let mut running = JoinSet::new();
    for job in due_jobs(state, now).await? {
        while running.len() >= settings.parallel {
            running.join_next().await;
        }
        if !state.payments.admits_calls(now_ms()) {
            break;
        }
        if !claim(state, settings, &job).await? {
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
    let adopted = sqlx::query(
        "UPDATE payment_jobs SET owner = $1, next_attempt_at = $2 WHERE owner <> $1 AND NOT EXISTS \
         (SELECT 1 FROM instances i WHERE i.id = payment_jobs.owner AND i.last_seen_at > $3)",
    )
    .bind(&state.instance_id)
    .bind(now)
    .bind(now - settings.liveness_ms)
    .execute(state.db.write())
    .await?
    .rows_affected();
    if adopted > 0 {
        tracing::warn!(adopted, "payment jobs of a stopped instance taken over");
    }
    Ok(())
}

async fn due_jobs(state: &AppState, now: i64) -> Result<Vec<Job>, AppError> {
    let rows = sqlx::query(
        "SELECT j.order_id, j.attempts, j.next_attempt_at, o.total_cents, p.provider_key FROM payment_jobs j \
         JOIN orders o ON o.id = j.order_id LEFT JOIN payments p ON p.order_id = j.order_id \
         WHERE j.owner = $1 AND j.next_attempt_at <= $2 ORDER BY j.next_attempt_at LIMIT 256",
    )
    .bind(&state.instance_id)
    .bind(now)
    .fetch_all(state.db.read())
    .await?;
    let mut jobs = Vec::with_capacity(rows.len());
    for r in &rows {
        let order_id: i64 = r.try_get("order_id")?;
        let provider_key: Option<String> = r.try_get("provider_key")?;
        jobs.push(Job {
            order_id,
            attempts: r.try_get("attempts")?,
            next_attempt_at: r.try_get("next_attempt_at")?,
            amount_cents: r.try_get("total_cents")?,
            // Orders from before per-order keys were charged under this one.
            provider_key: provider_key.unwrap_or_else(|| format!("order-{order_id}")),
        });
    }
    Ok(jobs)
}

/// Moves the job's next attempt out of reach of other passes while this one works on it.
async fn claim(state: &AppState, settings: &WorkerSettings, job: &Job) -> Result<bool, AppError> {
    let claimed = sqlx::query(
        "UPDATE payment_jobs SET next_attempt_at = $1 WHERE order_id = $2 AND owner = $3 AND next_attempt_at = $4",
    )
    .bind(now_ms() + settings.claim_ms)
    .bind(job.order_id)
    .bind(&state.instance_id)
    .bind(job.next_attempt_at)
    .execute(state.db.write())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

async fn process(state: &AppState, settings: &WorkerSettings, job: Job) -> Result<(), AppError> {
    let Some(card) = state.card_vault.get(job.order_id) else {
        return resolve_from_provider(state, settings, &job).await;
    };
    match state.payments.charge(&job.provider_key, job.amount_cents, &card, 1).await {
        Ok(reference) => {
            if settle::paid(&state.db, job.order_id, &reference, now_ms()).await? {
                metrics::counter!("payment_jobs_completed_total", "outcome" => "paid").increment(1);
                tracing::info!(order_id = job.order_id, attempts = job.attempts + 1, "queued payment succeeded");
            }
            state.card_vault.forget(job.order_id);
        }
        Err(ChargeError::Declined(reason)) => {
            let message = format!("card declined: {reason}; nothing was charged");
            settle::failed(&state.db, job.order_id, OrderStatus::PaymentFailed, &message, now_ms()).await?;
            metrics::counter!("payment_jobs_completed_total", "outcome" => "declined").increment(1);
            state.card_vault.forget(job.order_id);
        }
        Err(ChargeError::Rejected(reason)) => {
            let message = format!("the payment provider refused this payment ({reason}); nothing was charged");
            settle::failed(&state.db, job.order_id, OrderStatus::PaymentFailed, &message, now_ms()).await?;
            metrics::counter!("payment_jobs_completed_total", "outcome" => "rejected").increment(1);
            state.card_vault.forget(job.order_id);
        }
        Err(ChargeError::Unavailable { retry_at_ms: Some(retry_at), reason }) => {
            // Breaker open: no call was made, so no attempt is used up.
            let spread = rand::thread_rng().gen_range(0..250);
            settle::retry_later(&state.db, job.order_id, job.attempts, retry_at + spread, &reason).await?;
        }
        Err(ChargeError::Unavailable { reason, retry_at_ms: None }) => {
            let attempts = job.attempts + 1;
            if attempts >= settings.max_attempts {
                // Out of attempts, but a call that timed out may still have charged: the
                // provider decides from here on.
                state.card_vault.forget(job.order_id);
                tracing::warn!(order_id = job.order_id, attempts, "payment retries exhausted; asking the provider");
                return resolve_from_provider(state, settings, &Job { attempts, ..job }).await;
            }
            retry_with_backoff(state, settings, &job, attempts, &reason).await?;
        }
    }
    Ok(())
}

/// No card to charge (adopted after a crash, settle interrupted, or out of attempts): the
/// order is paid if the provider holds a charge with its key, failed if it says none exists,
/// and asked again later if it cannot answer.
async fn resolve_from_provider(state: &AppState, settings: &WorkerSettings, job: &Job) -> Result<(), AppError> {
    match state.payments.lookup(&job.provider_key).await {
        Ok(Lookup::Charged(reference)) => {
            if settle::paid(&state.db, job.order_id, &reference, now_ms()).await? {
                metrics::counter!("payment_jobs_completed_total", "outcome" => "paid_found").increment(1);
                tracing::info!(order_id = job.order_id, "charge found at the provider; order paid");
            }
        }
        Ok(Lookup::NoCharge) => {
            let message = if job.attempts >= settings.max_attempts {
                "the payment provider did not respond; nothing was charged, please order again"
            } else {
                "payment could not be completed after an interruption; nothing was charged, please order again"
            };
            if settle::failed(&state.db, job.order_id, OrderStatus::PaymentFailed, message, now_ms()).await? {
                metrics::counter!("payment_jobs_completed_total", "outcome" => "gave_up").increment(1);
                tracing::warn!(order_id = job.order_id, "no charge at the provider; order failed, stock released");
            }
        }
        Err(ChargeError::Unavailable { retry_at_ms: Some(retry_at), reason }) => {
            settle::retry_later(&state.db, job.order_id, job.attempts, retry_at, &reason).await?;
        }
        Err(err) => {
            let reason = match err {
                ChargeError::Declined(r) | ChargeError::Rejected(r) | ChargeError::Unavailable { reason: r, .. } => r,
            };
            retry_with_backoff(state, settings, job, job.attempts.saturating_add(1), &reason).await?;
        }
    }
    Ok(())
}

async fn retry_with_backoff(
    state: &AppState,
    settings: &WorkerSettings,
    job: &Job,
    attempts: i64,
    reason: &str,
) -> Result<(), AppError> {
    let jitter = rand::thread_rng().gen::<f64>();
    let exponent = u32::try_from(attempts).unwrap_or(u32::MAX);
    let delay = backoff_ms(exponent, settings.backoff_base_ms, settings.backoff_max_ms, jitter);
    let due = now_ms().saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
    settle::retry_later(&state.db, job.order_id, attempts, due, reason).await
}
