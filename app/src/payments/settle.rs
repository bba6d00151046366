//! Settling a pending card payment, used by the checkout and by the retry worker. Each
//! transition only applies to an order that is still `payment_pending`, so a late duplicate
//! (checkout and worker racing) changes nothing. The `mark_*` functions work inside a caller's
//! transaction so the checkout can close its attempt in the same commit.

use sqlx::{Any, Row, Transaction};

use crate::flash_sales;
use crate::orders::OrderStatus;
use crate::platform::{AppError, Db};

pub type Tx = Transaction<'static, Any>;

/// Charged: order paid, payment succeeded, job (if any) done.
pub async fn mark_paid(tx: &mut Tx, order_id: i64, reference: &str, now_ms: i64) -> Result<bool, AppError> {
    if !leave_pending(tx, order_id, OrderStatus::Paid, "", now_ms).await? {
        return Ok(false);
    }
    close_payment(tx, order_id, "succeeded", Some(reference), now_ms).await?;
    Ok(true)
}

/// Not charged and not going to be: the order is `declined` (card refused at checkout) or
/// `payment_failed` (retries exhausted); its stock and flash-sale units are released.
pub async fn mark_failed(
    tx: &mut Tx,
    order_id: i64,
    status: OrderStatus,
    message: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    if !leave_pending(tx, order_id, status, message, now_ms).await? {
        return Ok(false);
    }
    let user_id: i64 = sqlx::query("SELECT user_id FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("user_id")?;
    let lines = sqlx::query("SELECT product_id, quantity, flash_sale_id FROM order_lines WHERE order_id = $1")
        .bind(order_id)
        .fetch_all(&mut **tx)
        .await?;
    for line in &lines {
        let product_id: i64 = line.try_get("product_id")?;
        let quantity: i64 = line.try_get("quantity")?;
        sqlx::query("UPDATE products SET stock = stock + $1 WHERE id = $2")
            .bind(quantity)
            .bind(product_id)
            .execute(&mut **tx)
            .await?;
        if let Some(sale_id) = line.try_get::<Option<i64>, _>("flash_sale_id")? {
            flash_sales::store::return_units(tx, sale_id, user_id, quantity).await?;
        }
    }
    let payment_status = if status == OrderStatus::Declined { "declined" } else { "failed" };
    close_payment(tx, order_id, payment_status, None, now_ms).await?;
    Ok(true)
}

/// Moves an order that is still `payment_pending` to `status`; false when it was settled already.
async fn leave_pending(
    tx: &mut Tx,
    order_id: i64,
    status: OrderStatus,
    message: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let changed = sqlx::query(
        "UPDATE orders SET status = $1, status_message = $2, updated_at = $3 WHERE id = $4 AND status = 'payment_pending'",
    )
    .bind(status.as_str())
    .bind(message)
    .bind(now_ms)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// Records the payment's final state (and the provider's reference, if charged); ends its job.
async fn close_payment(
    tx: &mut Tx,
    order_id: i64,
    status: &str,
    reference: Option<&str>,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE payments SET status = $1, provider_reference = COALESCE($2, provider_reference), updated_at = $3 \
         WHERE order_id = $4",
    )
    .bind(status)
    .bind(reference)
    .bind(now_ms)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM payment_jobs WHERE order_id = $1").bind(order_id).execute(&mut **tx).await?;
    Ok(())
}

/// Hands the order to the background worker: first attempt at `due_ms`.
pub async fn queue(
    tx: &mut Tx,
    order_id: i64,
    owner: &str,
    due_ms: i64,
    reason: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO payment_jobs (order_id, owner, next_attempt_at, last_error, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(order_id)
    .bind(owner)
    .bind(due_ms)
    .bind(reason)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn paid(db: &Db, order_id: i64, reference: &str, now_ms: i64) -> Result<bool, AppError> {
    let mut tx = db.write().begin().await?;
    let changed = mark_paid(&mut tx, order_id, reference, now_ms).await?;
    tx.commit().await?;
    Ok(changed)
}

pub async fn failed(db: &Db, order_id: i64, status: OrderStatus, message: &str, now_ms: i64) -> Result<bool, AppError> {
    let mut tx = db.write().begin().await?;
    let changed = mark_failed(&mut tx, order_id, status, message, now_ms).await?;
    tx.commit().await?;
    Ok(changed)
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
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM payment_jobs").fetch_one(db.read()).await?.try_get("n")?)
}

/// Card orders left `payment_pending` without a job: the process stopped between reserving
/// stock and settling the payment. Their card details went with it, so they are failed and
/// their stock released. Returns how many.
pub async fn fail_abandoned(db: &Db, older_than_ms: i64, now_ms: i64) -> Result<usize, AppError> {
    let rows = sqlx::query(
        "SELECT o.id FROM orders o WHERE o.status = 'payment_pending' AND o.updated_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM payment_jobs j WHERE j.order_id = o.id) LIMIT 100",
    )
    .bind(older_than_ms)
    .fetch_all(db.read())
    .await?;
    let mut count = 0;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let message = "payment could not be confirmed after an interruption; nothing was charged, please order again";
        if failed(db, id, OrderStatus::PaymentFailed, message, now_ms).await? {
            tracing::warn!(order_id = id, "abandoned pending order failed; stock released");
            count += 1;
        }
    }
    Ok(count)
}
