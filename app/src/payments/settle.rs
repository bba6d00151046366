//! Settling a pending card payment, used by the checkout and by the payment worker. Each
//! transition only applies to an order that is still `payment_pending`, so a late duplicate
//! changes nothing. The `mark_*` functions work inside a caller's transaction so the checkout
//! can record its answer in the same commit.
//!
//! Every card order with something to pay has a row in `payment_jobs` from the moment it is
//! reserved until it is settled: the order can be resolved from the database alone after any
//! interruption (see `jobs` for who processes which job).

use sqlx::Row;

use crate::flash_sales;
use crate::orders::OrderStatus;
use crate::platform::{AppError, Db, Tx};

/// Charged: order paid, payment succeeded, job done.
pub async fn mark_paid(tx: &mut Tx, order_id: i64, reference: &str, now_ms: i64) -> Result<bool, AppError> {
    if !leave_pending(tx, order_id, OrderStatus::Paid, "", now_ms).await? {
        return Ok(false);
    }
    close_payment(tx, order_id, "succeeded", Some(reference), now_ms).await?;
    Ok(true)
}

/// Whether a refused order's lines go back into the customer's cart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cart {
    Restore,
    Leave,
}

/// Not charged and not going to be: the order is `declined` (card refused at checkout) or
/// `payment_failed`; its stock and flash-sale units are released (and, when asked, its lines
/// put back into the cart). Rows are locked in the checkout's order: cart lines, then
/// products with their flash sales, each by product id.
pub async fn mark_failed(
    tx: &mut Tx,
    order_id: i64,
    status: OrderStatus,
    message: &str,
    cart: Cart,
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
    let rows = sqlx::query(
        "SELECT product_id, quantity, flash_sale_id FROM order_lines WHERE order_id = $1 ORDER BY product_id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let line: (i64, i64, Option<i64>) =
            (row.try_get("product_id")?, row.try_get("quantity")?, row.try_get("flash_sale_id")?);
        lines.push(line);
    }
    if cart == Cart::Restore {
        let quantities: Vec<(i64, i64)> = lines.iter().map(|(product, quantity, _)| (*product, *quantity)).collect();
        crate::cart::store::restore_lines(tx, user_id, &quantities, now_ms).await?;
    }
    for (product_id, quantity, sale) in &lines {
        sqlx::query("UPDATE products SET stock = stock + $1 WHERE id = $2")
            .bind(quantity)
            .bind(product_id)
            .execute(&mut **tx)
            .await?;
        if let Some(sale_id) = sale {
            flash_sales::store::return_units(tx, *sale_id, user_id, *quantity).await?;
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
pub async fn defer(tx: &mut Tx, order_id: i64, due_ms: i64, reason: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE payment_jobs SET next_attempt_at = $1, last_error = $2 WHERE order_id = $3")
        .bind(due_ms)
        .bind(reason)
        .bind(order_id)
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
    let changed = mark_failed(&mut tx, order_id, status, message, Cart::Leave, now_ms).await?;
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
