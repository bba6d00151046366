//! The background payment worker: retries pending card payments from `payment_jobs` with
//! exponential backoff until they are paid, declined, or out of attempts.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use sqlx::Row;
use tokio::task::JoinSet;

use super::backoff::backoff_ms;
use super::gateway::ChargeError;
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
    /// A job of another instance untouched this long is an orphan: its card details are gone.
    pub orphan_after_ms: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(250),
            max_attempts: 10,
            backoff_base_ms: 1_000,
            backoff_max_ms: 30_000,
            parallel: 16,
            orphan_after_ms: 120_000,
        }
    }
}

/// How often the worker looks for pending orders a crash left without a job.
const SWEEP_EVERY_MS: i64 = 10_000;

struct Job {
    order_id: i64,
    owner: String,
    attempts: i64,
    next_attempt_at: i64,
    amount_cents: i64,
}

pub fn spawn(state: AppState, settings: WorkerSettings) {
    tokio::spawn(async move {
        let settings = Arc::new(settings);
        let mut last_sweep = 0;
        loop {
            let now = now_ms();
            if now - last_sweep >= SWEEP_EVERY_MS {
                last_sweep = now;
                if let Err(err) = settle::fail_abandoned(&state.db, now - settings.orphan_after_ms, now).await {
                    tracing::error!(error = %err, "sweep of abandoned orders failed");
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

/// Processes the jobs that are due now; returns how many it attempted.
pub async fn run_once(state: &AppState, settings: &Arc<WorkerSettings>) -> Result<usize, AppError> {
    let now = now_ms();
    // While the breaker is open every attempt would be refused: leave the queue alone (and
    // the database writer to the checkouts) until it lets a probe through.
    if let Some(wait) = state.payments.open_for_ms(now) {
        tokio::time::sleep(Duration::from_millis(wait.clamp(0, 1_000) as u64)).await;
        return Ok(0);
    }
    let rows = sqlx::query(
        "SELECT j.order_id, j.owner, j.attempts, j.next_attempt_at, o.total_cents FROM payment_jobs j \
         JOIN orders o ON o.id = j.order_id WHERE j.next_attempt_at <= $1 ORDER BY j.next_attempt_at LIMIT 256",
    )
    .bind(now)
    .fetch_all(state.db.read())
    .await?;
    metrics::gauge!("payment_jobs_pending").set(settle::pending_jobs(&state.db).await? as f64);
    let jobs: Vec<Job> = rows
        .iter()
        .map(|r| {
            Ok(Job {
                order_id: r.try_get("order_id")?,
                owner: r.try_get("owner")?,
                attempts: r.try_get("attempts")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                amount_cents: r.try_get("total_cents")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let mut attempted = 0;
    let mut running = JoinSet::new();
    for job in jobs {
        while running.len() >= settings.parallel {
            running.join_next().await;
        }
        // Refused calls would only churn the database: stop the pass and wait for the breaker.
        if job.owner == state.instance_id && !state.payments.admits_calls(now_ms()) {
            break;
        }
        attempted += 1;
        let (state, settings) = (state.clone(), settings.clone());
        running.spawn(async move {
            let order_id = job.order_id;
            if let Err(err) = process(&state, &settings, job).await {
                tracing::error!(order_id, error = %err, "payment job failed to run");
            }
        });
    }
    while running.join_next().await.is_some() {}
    Ok(attempted)
}

async fn process(state: &AppState, settings: &WorkerSettings, job: Job) -> Result<(), AppError> {
    let now = now_ms();
    if job.owner != state.instance_id {
        if now - job.next_attempt_at >= settings.orphan_after_ms {
            let message = "payment could not be completed after a server restart; please order again";
            if settle::failed(&state.db, job.order_id, OrderStatus::PaymentFailed, message, now).await? {
                tracing::warn!(order_id = job.order_id, "orphaned payment job failed; stock released");
            }
        }
        return Ok(());
    }
    if !claim(state, &job, now).await? {
        return Ok(());
    }
    let Some(card) = state.card_vault.get(job.order_id) else {
        let message = "payment details were lost; please order again";
        settle::failed(&state.db, job.order_id, OrderStatus::PaymentFailed, message, now).await?;
        return Ok(());
    };
    match state.payments.charge(job.order_id, job.amount_cents, &card, 1).await {
        Ok(reference) => {
            if settle::paid(&state.db, job.order_id, &reference, now_ms()).await? {
                metrics::counter!("payment_jobs_completed_total", "outcome" => "paid").increment(1);
                tracing::info!(order_id = job.order_id, attempts = job.attempts + 1, "queued payment succeeded");
            }
            state.card_vault.forget(job.order_id);
        }
        Err(ChargeError::Declined(reason)) => {
            let message = format!("card declined: {reason}");
            settle::failed(&state.db, job.order_id, OrderStatus::PaymentFailed, &message, now_ms()).await?;
            metrics::counter!("payment_jobs_completed_total", "outcome" => "declined").increment(1);
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
                let message = "the payment provider did not respond; nothing was charged, please order again";
                settle::failed(&state.db, job.order_id, OrderStatus::PaymentFailed, message, now_ms()).await?;
                metrics::counter!("payment_jobs_completed_total", "outcome" => "gave_up").increment(1);
                tracing::warn!(order_id = job.order_id, attempts, "payment retries exhausted; stock released");
                state.card_vault.forget(job.order_id);
            } else {
                let jitter = rand::thread_rng().gen::<f64>();
                let delay =
                    backoff_ms(attempts as u32, settings.backoff_base_ms, settings.backoff_max_ms, jitter) as i64;
                settle::retry_later(&state.db, job.order_id, attempts, now_ms() + delay, &reason).await?;
            }
        }
    }
    Ok(())
}

/// Moves the job's next attempt out of reach of other passes while this one works on it.
async fn claim(state: &AppState, job: &Job, now: i64) -> Result<bool, AppError> {
    let claimed =
        sqlx::query("UPDATE payment_jobs SET next_attempt_at = $1 WHERE order_id = $2 AND next_attempt_at = $3")
            .bind(now + 60_000)
            .bind(job.order_id)
            .bind(job.next_attempt_at)
            .execute(state.db.write())
            .await?;
    Ok(claimed.rows_affected() == 1)
}
