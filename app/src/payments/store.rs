//! The owning store of `payments` (one record per order: method, amount, card brand and last
//! four, provider key and reference), `payment_jobs` (the card orders still to settle) and
//! `instances` (the heartbeats that decide who owns a job; see `jobs`). Writes that belong to a
//! checkout or a settlement take the caller's transaction.

use crate::orders::{OrderStatus, PaymentMethod};
use crate::platform::{AppError, Db, Tx};
use domain::card::CardSummary;

/// Where a payment record stands; stored as its `as_str` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Declined,
    DueOnDelivery,
}

impl PaymentStatus {
    /// The record's state when its order is reserved in `order_status`: a card is charged
    /// already when nothing was due, pending otherwise; cash is due on delivery.
    pub fn at_reservation(order_status: OrderStatus, by_card: bool) -> Self {
        match (order_status, by_card) {
            (OrderStatus::Paid, true) => Self::Succeeded,
            (_, true) => Self::Pending,
            (_, false) => Self::DueOnDelivery,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Declined => "declined",
            Self::DueOnDelivery => "due_on_delivery",
        }
    }
}

/// The payment record of an order being reserved.
pub struct NewPayment<'a> {
    pub order_id: i64,
    pub method: PaymentMethod,
    pub amount_cents: i64,
    pub status: PaymentStatus,
    pub card: Option<&'a CardSummary>,
    /// The key the provider knows the charge by.
    pub provider_key: &'a str,
    pub now_ms: i64,
}

pub async fn insert_payment(tx: &mut Tx, payment: &NewPayment<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO payments (order_id, method, amount_cents, status, card_brand, card_last4, provider_key, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(payment.order_id)
    .bind(payment.method.as_str())
    .bind(payment.amount_cents)
    .bind(payment.status.as_str())
    .bind(payment.card.map(|c| c.brand.as_str()))
    .bind(payment.card.map(|c| c.last4.as_str()))
    .bind(payment.provider_key)
    .bind(payment.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the payment's final state (and the provider's reference, if charged) and ends its
/// job, in the caller's transaction.
pub async fn close_payment(
    tx: &mut Tx,
    order_id: i64,
    status: PaymentStatus,
    reference: Option<&str>,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE payments SET status = $1, provider_reference = COALESCE($2, provider_reference), updated_at = $3 \
         WHERE order_id = $4",
    )
    .bind(status.as_str())
    .bind(reference)
    .bind(now_ms)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM payment_jobs WHERE order_id = $1").bind(order_id).execute(&mut **tx).await?;
    Ok(())
}

/// The job of a card order just reserved: `owner` is charging it now, and no worker touches it
/// before `lease_until` (when that checkout has certainly finished, one way or another).
pub async fn create_job(
    tx: &mut Tx,
    order_id: i64,
    owner: &str,
    lease_until: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO payment_jobs (order_id, owner, next_attempt_at, last_error, created_at) VALUES ($1, $2, $3, '', $4)",
    )
    .bind(order_id)
    .bind(owner)
    .bind(lease_until)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The checkout could not reach the provider: the worker takes over at `due_ms`.
pub async fn defer_job(tx: &mut Tx, order_id: i64, due_ms: i64, reason: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE payment_jobs SET next_attempt_at = $1, last_error = $2 WHERE order_id = $3")
        .bind(due_ms)
        .bind(reason)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Still pending: try again at `next_attempt_at`.
pub async fn retry_later(
    db: &Db,
    order_id: i64,
    attempts: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), AppError> {
    sqlx::query("UPDATE payment_jobs SET attempts = $1, next_attempt_at = $2, last_error = $3 WHERE order_id = $4")
        .bind(attempts)
        .bind(next_attempt_at)
        .bind(error)
        .bind(order_id)
        .execute(db.write())
        .await?;
    Ok(())
}

pub async fn pending_jobs(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM payment_jobs").fetch_one(db.read()).await?)
}

/// When the oldest waiting payment job was created (`None`: the queue is empty).
pub async fn oldest_job_created_at(db: &Db) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar("SELECT MIN(created_at) AS oldest FROM payment_jobs").fetch_one(db.read()).await?)
}

/// Instances with a heartbeat since `alive_since_ms`: (id, started_at, last_seen_at), newest first.
pub async fn live_instances(db: &Db, alive_since_ms: i64) -> Result<Vec<(String, i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, started_at, last_seen_at FROM instances WHERE last_seen_at > $1 ORDER BY started_at DESC LIMIT 20",
    )
    .bind(alive_since_ms)
    .fetch_all(db.read())
    .await?)
}

/// Records that `instance_id` is alive at `now_ms`.
pub async fn heartbeat(db: &Db, instance_id: &str, now_ms: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO instances (id, started_at, last_seen_at) VALUES ($1, $2, $2) \
         ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )
    .bind(instance_id)
    .bind(now_ms)
    .execute(db.write())
    .await?;
    Ok(())
}

/// Gives `instance_id` the jobs of every owner without a heartbeat since `alive_since_ms`,
/// due at `now_ms`, with one conditional UPDATE (of two instances adopting at once, each job
/// goes to exactly one). Returns how many it took.
pub async fn adopt_orphans(db: &Db, instance_id: &str, now_ms: i64, alive_since_ms: i64) -> Result<u64, AppError> {
    let adopted = sqlx::query(
        "UPDATE payment_jobs SET owner = $1, next_attempt_at = $2 WHERE owner <> $1 AND NOT EXISTS \
         (SELECT 1 FROM instances i WHERE i.id = payment_jobs.owner AND i.last_seen_at > $3)",
    )
    .bind(instance_id)
    .bind(now_ms)
    .bind(alive_since_ms)
    .execute(db.write())
    .await?;
    Ok(adopted.rows_affected())
}

/// A card order waiting for its next charge attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueJob {
    pub order_id: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub amount_cents: i64,
    pub provider_key: String,
}

#[derive(sqlx::FromRow)]
struct DueJobRow {
    order_id: i64,
    attempts: i64,
    next_attempt_at: i64,
    total_cents: i64,
    provider_key: Option<String>,
}

impl From<DueJobRow> for DueJob {
    fn from(row: DueJobRow) -> Self {
        DueJob {
            order_id: row.order_id,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            amount_cents: row.total_cents,
            // Orders from before per-order keys were charged under this one.
            provider_key: row.provider_key.unwrap_or_else(|| format!("order-{}", row.order_id)),
        }
    }
}

/// `owner`'s jobs due at `now_ms`, the longest-waiting first (at most 256).
pub async fn due_jobs(db: &Db, owner: &str, now_ms: i64) -> Result<Vec<DueJob>, AppError> {
    let rows: Vec<DueJobRow> = sqlx::query_as(
        "SELECT j.order_id, j.attempts, j.next_attempt_at, o.total_cents, p.provider_key FROM payment_jobs j \
         JOIN orders o ON o.id = j.order_id LEFT JOIN payments p ON p.order_id = j.order_id \
         WHERE j.owner = $1 AND j.next_attempt_at <= $2 ORDER BY j.next_attempt_at LIMIT 256",
    )
    .bind(owner)
    .bind(now_ms)
    .fetch_all(db.read())
    .await?;
    Ok(rows.into_iter().map(DueJob::from).collect())
}

/// Moves `job`'s next attempt to `until`, out of reach of other passes, if it is still
/// `owner`'s and still due when it was read; false when another pass claimed it first.
pub async fn claim(db: &Db, owner: &str, job: &DueJob, until: i64) -> Result<bool, AppError> {
    let claimed = sqlx::query(
        "UPDATE payment_jobs SET next_attempt_at = $1 WHERE order_id = $2 AND owner = $3 AND next_attempt_at = $4",
    )
    .bind(until)
    .bind(job.order_id)
    .bind(owner)
    .bind(job.next_attempt_at)
    .execute(db.write())
    .await?;
    Ok(claimed.rows_affected() == 1)
}
