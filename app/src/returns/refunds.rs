//! Refunds: the owning store of `refunds` and the durable refund queue's worker.
//!
//! A card refund is a row with `next_attempt_at` set: the worker sends it to the provider with
//! the refund's own `Idempotency-Key` (`provider_key`), referencing the original charge. The
//! provider answers a repeated key with the first refund, so however often a refund is sent —
//! a retry after a timeout, a crash between the provider's answer and the database, two
//! servers — it is paid once. While the provider is down (or the breaker open) the refund stays
//! pending with the reason and is retried with backoff, for as long as it takes; an admin can
//! make it due at once. Only the provider's clear refusal fails it, and only after asking the
//! provider whether the refund exists after all (never on a guess).
//!
//! Which server runs which refund: a refund needs no secret held in memory (unlike a charge,
//! whose card only the taking server has), so any server may run any due refund. Each run is
//! claimed with one conditional update that moves `next_attempt_at` past the run (and names
//! the `owner`), so no refund is run twice at once; a crashed run is taken up again when its
//! claim expires, or at once by another server when the owner's heartbeat (`instances`, see
//! `payments::jobs`) is older than `INSTANCE_LIVENESS_MS`.

use std::time::Duration;

use rand::Rng;

use super::model::{Payout, Refund, RefundState};
use crate::payments::backoff::backoff_ms;
use crate::payments::gateway::ChargeError;
use crate::platform::{now_ms, AppError, AppState, Db, Tx};

/// The one column list of `refunds`.
macro_rules! refund_columns {
    () => {
        "id, return_id, order_id, payout, status, amount_cents, credit_cents, bonus_cents, charge_reference, \
         provider_key, reference, attempts, next_attempt_at, last_error, created_at, paid_at FROM refunds"
    };
}

#[derive(sqlx::FromRow)]
struct RefundRow {
    id: i64,
    return_id: i64,
    order_id: i64,
    payout: String,
    status: String,
    amount_cents: i64,
    credit_cents: i64,
    bonus_cents: i64,
    charge_reference: Option<String>,
    provider_key: Option<String>,
    reference: Option<String>,
    attempts: i64,
    next_attempt_at: Option<i64>,
    last_error: String,
    created_at: i64,
    paid_at: Option<i64>,
}

/// A refund as stored, with what the worker needs.
#[derive(Clone, Debug)]
pub struct StoredRefund {
    pub refund: Refund,
    pub return_id: i64,
    pub order_id: i64,
    pub charge_reference: Option<String>,
    pub provider_key: Option<String>,
    pub next_attempt_at: Option<i64>,
}

impl TryFrom<RefundRow> for StoredRefund {
    type Error = AppError;

    fn try_from(row: RefundRow) -> Result<Self, AppError> {
        let bad = |what: &str, text: &str| AppError::internal(format!("unknown refund {what} '{text}'"));
        Ok(StoredRefund {
            refund: Refund {
                id: row.id,
                payout: Payout::parse(&row.payout).ok_or_else(|| bad("payout", &row.payout))?,
                state: RefundState::parse(&row.status).ok_or_else(|| bad("status", &row.status))?,
                amount_cents: row.amount_cents,
                credit_cents: row.credit_cents,
                bonus_cents: row.bonus_cents,
                last_error: row.last_error,
                attempts: row.attempts,
                reference: row.reference,
                created_at_ms: row.created_at,
                paid_at_ms: row.paid_at,
            },
            return_id: row.return_id,
            order_id: row.order_id,
            charge_reference: row.charge_reference,
            provider_key: row.provider_key,
            next_attempt_at: row.next_attempt_at,
        })
    }
}

pub async fn find_for_return(db: &Db, return_id: i64) -> Result<Option<StoredRefund>, AppError> {
    let sql = concat!("SELECT ", refund_columns!(), " WHERE return_id = $1");
    let row: Option<RefundRow> = sqlx::query_as(sql).bind(return_id).fetch_optional(db.read()).await?;
    row.map(StoredRefund::try_from).transpose()
}

/// A new refund. Card refunds are queued (due now); the others are paid in the same
/// transaction by the caller.
pub struct NewRefund<'a> {
    pub return_id: i64,
    pub order_id: i64,
    pub payout: Payout,
    pub amount_cents: i64,
    pub credit_cents: i64,
    pub bonus_cents: i64,
    pub charge_reference: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, new: &NewRefund<'_>, now_ms: i64) -> Result<i64, AppError> {
    let queued = new.payout == Payout::Card;
    let key = queued.then(|| format!("rf{}-{}", new.return_id, uuid::Uuid::new_v4().simple()));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (return_id, order_id, payout, status, amount_cents, credit_cents, bonus_cents, \
         charge_reference, provider_key, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.return_id)
    .bind(new.order_id)
    .bind(new.payout.as_str())
    .bind(new.amount_cents)
    .bind(new.credit_cents)
    .bind(new.bonus_cents)
    .bind(new.charge_reference)
    .bind(key)
    .bind(queued.then_some(now_ms))
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// What refunds count against an order's paid total (pending or paid: money and credit, without
/// bonuses).
macro_rules! refunded_total {
    () => {
        "CAST(COALESCE(SUM(amount_cents + credit_cents - bonus_cents), 0) AS BIGINT)"
    };
}

/// What earlier returns of the order refunded: in total, and to the card.
pub async fn refunded_before<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Any>,
    order_id: i64,
    except_return_id: i64,
) -> Result<(i64, i64), AppError> {
    let row: (i64, i64) = sqlx::query_as(concat!(
        "SELECT ",
        refunded_total!(),
        " AS total, CAST(COALESCE(SUM(CASE WHEN payout = 'card' THEN amount_cents ELSE 0 END), 0) AS BIGINT) AS card \
         FROM refunds WHERE order_id = $1 AND return_id <> $2 AND status <> 'failed'"
    ))
    .bind(order_id)
    .bind(except_return_id)
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// What each of the customer's orders has refunded (as `refunded_before` counts it), by order.
pub async fn refunded_by_order(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
) -> Result<std::collections::HashMap<i64, i64>, AppError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(concat!(
        "SELECT order_id, ",
        refunded_total!(),
        " AS total FROM refunds WHERE status <> 'failed' \
         AND order_id IN (SELECT id FROM orders WHERE user_id = $1) GROUP BY order_id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Marks the refund paid; false when it was not pending (already paid: nothing happens twice).
pub async fn mark_paid(tx: &mut Tx, id: i64, reference: &str, now_ms: i64) -> Result<bool, AppError> {
    let paid = sqlx::query(
        "UPDATE refunds SET status = 'paid', reference = $1, paid_at = $2, next_attempt_at = NULL, last_error = '' \
         WHERE id = $3 AND status = 'pending'",
    )
    .bind(reference)
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(paid.rows_affected() == 1)
}

/// A card refund the provider refused for good becomes a manual one, paid with `reference`;
/// false when the return has no such refund.
pub async fn paid_by_hand(tx: &mut Tx, return_id: i64, reference: &str, now_ms: i64) -> Result<bool, AppError> {
    let paid = sqlx::query(
        "UPDATE refunds SET payout = 'manual', status = 'paid', reference = $1, paid_at = $2, next_attempt_at = NULL \
         WHERE return_id = $3 AND payout = 'card' AND status = 'failed'",
    )
    .bind(reference)
    .bind(now_ms)
    .bind(return_id)
    .execute(&mut **tx)
    .await?;
    Ok(paid.rows_affected() == 1)
}

async fn mark_failed(db: &Db, id: i64, attempts: i64, reason: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE refunds SET status = 'failed', attempts = $1, last_error = $2, next_attempt_at = NULL \
         WHERE id = $3 AND status = 'pending'",
    )
    .bind(attempts)
    .bind(reason)
    .bind(id)
    .execute(db.write())
    .await?;
    Ok(())
}

async fn retry_later(db: &Db, id: i64, attempts: i64, due_ms: i64, reason: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE refunds SET attempts = $1, next_attempt_at = $2, last_error = $3, owner = '' \
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(attempts)
    .bind(due_ms)
    .bind(reason)
    .bind(id)
    .execute(db.write())
    .await?;
    Ok(())
}

/// An admin's "retry now": a pending or failed card refund is due at once. False when there is
/// none to retry.
pub async fn retry_now(tx: &mut Tx, return_id: i64, now_ms: i64) -> Result<bool, AppError> {
    let due = sqlx::query(
        "UPDATE refunds SET status = 'pending', next_attempt_at = $1, owner = '' \
         WHERE return_id = $2 AND payout = 'card' AND status IN ('pending', 'failed')",
    )
    .bind(now_ms)
    .bind(return_id)
    .execute(&mut **tx)
    .await?;
    Ok(due.rows_affected() == 1)
}

/// Refunds due now, and those claimed by a server that is gone (no heartbeat in `instances`
/// since `alive_since_ms`): its run died with it, so it is taken over without waiting for the
/// claim to expire. The provider key makes a second sending of a refund harmless.
async fn due(db: &Db, me: &str, now_ms: i64, alive_since_ms: i64) -> Result<Vec<StoredRefund>, AppError> {
    let sql = concat!(
        "SELECT ",
        refund_columns!(),
        " WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND (next_attempt_at <= $1 \
         OR (owner <> '' AND owner <> $3 AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = refunds.owner \
         AND i.last_seen_at > $2))) ORDER BY next_attempt_at LIMIT 16"
    );
    let rows: Vec<RefundRow> =
        sqlx::query_as(sql).bind(now_ms).bind(alive_since_ms).bind(me).fetch_all(db.read()).await?;
    rows.into_iter().map(StoredRefund::try_from).collect()
}

/// Claims one run of a due refund (see the module comment): exactly one claimer wins.
async fn claim(db: &Db, refund: &StoredRefund, owner: &str, until_ms: i64) -> Result<bool, AppError> {
    let claimed = sqlx::query(
        "UPDATE refunds SET next_attempt_at = $1, owner = $2 WHERE id = $3 AND status = 'pending' \
         AND next_attempt_at = $4",
    )
    .bind(until_ms)
    .bind(owner)
    .bind(refund.refund.id)
    .bind(refund.next_attempt_at)
    .execute(db.write())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// The refund queue's length, for the `refunds_pending` gauge (refreshed when /metrics is read).
pub async fn pending_count(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM refunds WHERE status = 'pending'").fetch_one(db.read()).await?)
}

// ---------------------------------------------------------------------------------------------
// The worker

/// How long a claimed run keeps other passes away (longer than any provider call).
pub(super) const CLAIM_MS: i64 = 60_000;
/// Retries stay frequent: a refund waits at most this long after the provider heals.
const BACKOFF_MAX_MS: u64 = 10_000;

/// How often the worker also deletes stale draft photos.
const DRAFT_SWEEP_EVERY_MS: i64 = 5 * 60_000;

pub fn spawn(state: AppState, poll: Duration) {
    tokio::spawn(async move {
        let mut next_sweep = 0;
        loop {
            next_sweep = sweep_drafts_when_due(&state, next_sweep).await;
            match run_once(&state).await {
                Ok(0) => tokio::time::sleep(poll).await,
                Ok(_) => {}
                Err(err) => {
                    tracing::error!(error = %err, "refund worker pass failed");
                    tokio::time::sleep(poll).await;
                }
            }
        }
    });
}

/// Deletes the draft photos older than `RETURNS_DRAFT_PHOTO_TTL_HOURS` when a sweep is due;
/// returns when the next one is.
async fn sweep_drafts_when_due(state: &AppState, due_ms: i64) -> i64 {
    let now = now_ms();
    if now < due_ms {
        return due_ms;
    }
    let settings = &state.returns;
    match super::photos::sweep_drafts(&state.db, &settings.upload_dir, settings.draft_photo_ttl_ms, now).await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "stale draft photos deleted"),
        Err(err) => tracing::error!(error = %err, "draft photo sweep failed"),
    }
    now.saturating_add(DRAFT_SWEEP_EVERY_MS)
}

/// Runs the refunds that are due now, and the exchange payments waiting for the provider;
/// returns how many it ran.
pub async fn run_once(state: &AppState) -> Result<usize, AppError> {
    let now = now_ms();
    if let Some(wait) = state.payments.open_for_ms(now) {
        tokio::time::sleep(Duration::from_millis(wait.clamp(0, 1_000) as u64)).await;
        return Ok(0);
    }
    let mut ran = 0;
    let alive_since = now.saturating_sub(state.returns.instance_liveness_ms);
    for refund in due(&state.db, &state.instance_id, now, alive_since).await? {
        if !claim(&state.db, &refund, &state.instance_id, now_ms() + CLAIM_MS).await? {
            continue;
        }
        ran += 1;
        if let Err(err) = process(state, &refund).await {
            tracing::error!(refund_id = refund.refund.id, error = %err, "refund run failed");
        }
    }
    Ok(ran + super::exchange_payments::run_once(state, now, alive_since).await?)
}

async fn process(state: &AppState, refund: &StoredRefund) -> Result<(), AppError> {
    let (Some(key), Some(charge)) = (refund.provider_key.as_deref(), refund.charge_reference.as_deref()) else {
        return Err(AppError::internal("card refund without a provider key or charge"));
    };
    let id = refund.refund.id;
    match send_to_card(state, key, charge, refund.refund.amount_cents, refund.refund.attempts).await {
        Sent::Paid(reference) => paid(state, refund, &reference).await,
        Sent::Later { attempts, due_ms, reason, called } => {
            if called {
                metrics::counter!("refunds_total", "method" => "card", "outcome" => "deferred").increment(1);
                tracing::warn!(refund_id = id, reason = %reason, "refund pending: provider unavailable");
            }
            retry_later(&state.db, id, attempts, due_ms, &reason).await
        }
        Sent::Refused { attempts, reason } => {
            metrics::counter!("refunds_total", "method" => "card", "outcome" => "failed").increment(1);
            state.sli.refund_failed(id, &reason);
            let message = format!("the payment provider refused the refund: {reason}");
            mark_failed(&state.db, id, attempts, &message).await
        }
    }
}

/// What sending money back to a card came to.
pub(super) enum Sent {
    Paid(String),
    /// Not now (the provider is down or the breaker open): due again at `due_ms`. `called`: the
    /// provider was called (an attempt was used up).
    Later {
        attempts: i64,
        due_ms: i64,
        reason: String,
        called: bool,
    },
    /// The provider refused it, and it has no refund under this key.
    Refused {
        attempts: i64,
        reason: String,
    },
}

/// Sends a refund of `amount_cents` of the charge `charge` under the key `key`, by the queue's
/// rules (see the module comment); `attempts` is how many calls were made before. Used by the
/// refund queue and for paying back an exchange's price difference.
pub(super) async fn send_to_card(state: &AppState, key: &str, charge: &str, amount_cents: i64, attempts: i64) -> Sent {
    let attempts = attempts.saturating_add(1);
    match state.payments.refund(key, charge, amount_cents).await {
        Ok(reference) => Sent::Paid(reference),
        Err(ChargeError::Unavailable { reason, retry_at_ms: Some(retry_at) }) => {
            // The breaker is open: no call was made, so no attempt is used up.
            Sent::Later { attempts: attempts - 1, due_ms: retry_at, reason, called: false }
        }
        Err(ChargeError::Unavailable { reason, retry_at_ms: None }) => {
            Sent::Later { attempts, due_ms: now_ms().saturating_add(backoff(state, attempts)), reason, called: true }
        }
        Err(ChargeError::Declined(reason) | ChargeError::Rejected(reason)) => {
            // Fail it only if the provider says no refund with this key exists.
            match state.payments.lookup_refund(key).await {
                Ok(Some(reference)) => Sent::Paid(reference),
                Ok(None) => Sent::Refused { attempts, reason },
                Err(err) => {
                    let due_ms = now_ms().saturating_add(backoff(state, attempts));
                    Sent::Later { attempts, due_ms, reason: err.reason().to_owned(), called: true }
                }
            }
        }
    }
}

async fn paid(state: &AppState, refund: &StoredRefund, reference: &str) -> Result<(), AppError> {
    if super::service::refund_paid(state, refund.return_id, refund.refund.id, reference).await? {
        let seconds = (now_ms() - refund.refund.created_at_ms).max(0) as f64 / 1000.0;
        metrics::histogram!("refund_duration_seconds").record(seconds);
        metrics::counter!("refunds_total", "method" => "card", "outcome" => "paid").increment(1);
        state.sli.refund_paid(refund.refund.id, (now_ms() - refund.refund.created_at_ms).max(0));
        tracing::info!(refund_id = refund.refund.id, reference, "refund paid");
    }
    Ok(())
}

pub(super) fn backoff(state: &AppState, attempts: i64) -> i64 {
    let jitter = rand::thread_rng().gen::<f64>();
    let exponent = u32::try_from(attempts).unwrap_or(u32::MAX);
    let base = state.returns.refund_backoff_base_ms;
    i64::try_from(backoff_ms(exponent, base, BACKOFF_MAX_MS, jitter)).unwrap_or(i64::MAX)
}
