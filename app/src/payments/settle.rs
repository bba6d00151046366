//! Settling a pending card payment, used by the checkout and by the payment worker. Each
//! transition only applies to an order that is still `payment_pending`, so a late duplicate
//! changes nothing. Names say who owns the transaction: the `*_in` functions work inside the
//! caller's (the checkout records its idempotent answer in the same commit); the `commit_*`
//! functions open, run and commit one of their own (the worker).
//!
//! Every card order with something to pay has a row in `payment_jobs` from the moment it is
//! reserved until it is settled: the order can be resolved from the database alone after any
//! interruption (see `jobs` for who processes which job).

use super::store::{self, PaymentStatus};
use crate::orders::store as orders;
use crate::orders::OrderStatus;
use crate::platform::{AppError, Db, Tx};

/// Charged: order paid, payment succeeded, job done. False when the order had been settled.
pub async fn paid_in(tx: &mut Tx, order_id: i64, reference: &str, now_ms: i64) -> Result<bool, AppError> {
    if !orders::leave_pending(tx, order_id, OrderStatus::Paid, "", now_ms).await? {
        return Ok(false);
    }
    store::close_payment(tx, order_id, PaymentStatus::Succeeded, Some(reference), now_ms).await?;
    Ok(true)
}

/// Cash on delivery collected: the order is paid and its payment succeeded. False when the
/// order was not awaiting its cash (already paid, or not a cash order).
pub async fn cash_collected_in(tx: &mut Tx, order_id: i64, now_ms: i64) -> Result<bool, AppError> {
    if !orders::cash_collected(tx, order_id, now_ms).await? {
        return Ok(false);
    }
    store::close_payment(tx, order_id, PaymentStatus::Succeeded, Some("cash on delivery"), now_ms).await?;
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
/// products with their flash sales, each by product id. False when the order had been settled.
pub async fn failed_in(
    tx: &mut Tx,
    order_id: i64,
    status: OrderStatus,
    message: &str,
    cart: Cart,
    now_ms: i64,
) -> Result<bool, AppError> {
    if !orders::leave_pending(tx, order_id, status, message, now_ms).await? {
        return Ok(false);
    }
    let (user_id, lines) = orders::owner_and_lines(tx, order_id).await?;
    if cart == Cart::Restore {
        let quantities: Vec<(i64, i64)> = lines.iter().map(|l| (l.product_id, l.quantity)).collect();
        crate::cart::store::restore_lines(tx, user_id, &quantities, now_ms).await?;
    }
    for line in &lines {
        // Lines are in product-id order: the lock order `return_stock` asks for.
        crate::catalog::store::return_stock(tx, line.product_id, line.quantity).await?;
        if let Some(sale_id) = line.flash_sale_id {
            crate::flash_sales::store::return_units(tx, sale_id, user_id, line.quantity).await?;
        }
    }
    // Store credit the order used goes back to the customer.
    crate::store_credit::store::give_back_checkout(tx, user_id, order_id, now_ms).await?;
    let payment_status = if status == OrderStatus::Declined { PaymentStatus::Declined } else { PaymentStatus::Failed };
    store::close_payment(tx, order_id, payment_status, None, now_ms).await?;
    Ok(true)
}

/// The checkout could not reach the provider: the order stays `payment_pending` and the
/// worker takes it over at `due_ms`.
pub async fn deferred_in(tx: &mut Tx, order_id: i64, due_ms: i64, reason: &str) -> Result<(), AppError> {
    store::defer_job(tx, order_id, due_ms, reason).await
}

/// `paid_in`, in a transaction of its own.
pub async fn commit_paid(db: &Db, order_id: i64, reference: &str, now_ms: i64) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let changed = paid_in(&mut tx, order_id, reference, now_ms).await?;
    tx.commit().await?;
    Ok(changed)
}

/// `failed_in` (the cart left as it is), in a transaction of its own.
pub async fn commit_failed(
    db: &Db,
    order_id: i64,
    status: OrderStatus,
    message: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let changed = failed_in(&mut tx, order_id, status, message, Cart::Leave, now_ms).await?;
    tx.commit().await?;
    Ok(changed)
}
