//! The checkout's transactions. The first reserves: stock, flash-sale units, order, lines and
//! payment record change together or not at all (cash orders are also closed in it). The
//! second closes a card attempt with its outcome, the cart and the idempotent answer.

use sqlx::{Any, Row, Transaction};

use crate::cart::model::{Cart, CartLine};
use crate::checkout::card::CardSummary;
use crate::flash_sales;
use crate::orders::{OrderStatus, PaymentMethod};
use crate::platform::{AppError, Db};

/// Why the reservation did not happen; nothing was written.
pub enum ReserveError {
    /// The same key was used before: replay its stored answer (status 0 = still running).
    Replay {
        status_code: i64,
        response: String,
    },
    ShortStock {
        line: CartLine,
        available: i64,
    },
    FlashSaleGone {
        line: CartLine,
    },
    Db(AppError),
}

impl From<sqlx::Error> for ReserveError {
    fn from(e: sqlx::Error) -> Self {
        ReserveError::Db(e.into())
    }
}

impl From<AppError> for ReserveError {
    fn from(e: AppError) -> Self {
        ReserveError::Db(e)
    }
}

pub struct Reservation<'a> {
    pub user_id: i64,
    pub idempotency_key: Option<&'a str>,
    pub cart: &'a Cart,
    pub method: PaymentMethod,
    pub card: Option<CardSummary>,
    pub now_ms: i64,
}

/// Reserves stock and records the order. Lines are locked in product-id order so two
/// checkouts on PostgreSQL never wait on each other in a cycle.
pub async fn reserve(db: &Db, r: &Reservation<'_>) -> Result<i64, ReserveError> {
    let mut tx = db.write().begin().await?;
    if let Some(key) = r.idempotency_key {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(r.user_id)
        .bind(key)
        .bind(r.now_ms)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(stored_answer(db, r.user_id, key).await?);
        }
    }

    let mut lines: Vec<&CartLine> = r.cart.lines.iter().collect();
    lines.sort_by_key(|l| l.product_id);
    for line in &lines {
        let taken = sqlx::query("UPDATE products SET stock = stock - $1 WHERE id = $2 AND active = 1 AND stock >= $1")
            .bind(line.quantity)
            .bind(line.product_id)
            .execute(&mut *tx)
            .await?;
        if taken.rows_affected() != 1 {
            tx.rollback().await?;
            let available = current_stock(db, line.product_id).await?;
            return Err(ReserveError::ShortStock { line: (*line).clone(), available });
        }
        if let Some(sale) = &line.flash_sale {
            if !flash_sales::store::take_units(&mut tx, sale.sale_id, r.user_id, line.quantity, r.now_ms).await? {
                tx.rollback().await?;
                return Err(ReserveError::FlashSaleGone { line: (*line).clone() });
            }
        }
    }

    let status = match r.method {
        PaymentMethod::Card => OrderStatus::PaymentPending,
        PaymentMethod::Cash => OrderStatus::CashOnDelivery,
    };
    let t = &r.cart.totals;
    let order_id: i64 = sqlx::query(
        "INSERT INTO orders (user_id, status, payment_method, subtotal_cents, discount_cents, shipping_cents, duty_cents, \
         total_cents, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(r.user_id)
    .bind(status.as_str())
    .bind(r.method.as_str())
    .bind(t.subtotal_cents)
    .bind(t.discount_cents)
    .bind(t.shipping_cents)
    .bind(t.duty_cents)
    .bind(t.grand_total_cents)
    .bind(r.now_ms)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    for line in &r.cart.lines {
        insert_line(&mut tx, order_id, line).await?;
    }
    let (payment_status, brand, last4) = match (&r.method, &r.card) {
        (PaymentMethod::Card, Some(card)) => ("pending", Some(card.brand.as_str()), Some(card.last4.as_str())),
        _ => ("due_on_delivery", None, None),
    };
    sqlx::query(
        "INSERT INTO payments (order_id, method, amount_cents, status, card_brand, card_last4, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(order_id)
    .bind(r.method.as_str())
    .bind(t.grand_total_cents)
    .bind(payment_status)
    .bind(brand)
    .bind(last4)
    .bind(r.now_ms)
    .execute(&mut *tx)
    .await?;
    if r.method == PaymentMethod::Cash {
        let answer = serde_json::json!({ "order_id": order_id, "status": status });
        close_attempt(&mut tx, r.user_id, r.idempotency_key, true, 200, &answer.to_string()).await?;
    }
    tx.commit().await?;
    Ok(order_id)
}

async fn insert_line(tx: &mut Transaction<'static, Any>, order_id: i64, line: &CartLine) -> Result<(), sqlx::Error> {
    let p = &line.price;
    sqlx::query(
        "INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_cents, discounted_unit_cents, \
         discount_percent, subtotal_cents, shipping_cents, duty_cents, total_cents, flash_sale_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(order_id)
    .bind(line.product_id)
    .bind(&line.name)
    .bind(line.quantity)
    .bind(p.unit_price_cents)
    .bind(p.discounted_unit_cents)
    .bind(p.discount_percent)
    .bind(p.subtotal_cents)
    .bind(p.shipping_cents)
    .bind(p.duty_cents)
    .bind(p.total_cents)
    .bind(line.flash_sale.as_ref().map(|s| s.sale_id))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn current_stock(db: &Db, product_id: i64) -> Result<i64, AppError> {
    let row =
        sqlx::query("SELECT stock FROM products WHERE id = $1").bind(product_id).fetch_optional(db.read()).await?;
    Ok(row.map(|r| r.try_get("stock")).transpose()?.unwrap_or(0))
}

async fn stored_answer(db: &Db, user_id: i64, key: &str) -> Result<ReserveError, AppError> {
    let row = sqlx::query("SELECT status_code, response FROM idempotency_keys WHERE user_id = $1 AND key = $2")
        .bind(user_id)
        .bind(key)
        .fetch_one(db.write())
        .await?;
    Ok(ReserveError::Replay { status_code: row.try_get("status_code")?, response: row.try_get("response")? })
}

/// Ends an attempt inside `tx`: empties the cart when the order was accepted, and records the
/// answer under the idempotency key so replays get it.
pub async fn close_attempt(
    tx: &mut Transaction<'static, Any>,
    user_id: i64,
    key: Option<&str>,
    clear_cart: bool,
    status_code: u16,
    answer: &str,
) -> Result<(), AppError> {
    if clear_cart {
        sqlx::query("DELETE FROM cart_items WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    }
    if let Some(key) = key {
        sqlx::query("UPDATE idempotency_keys SET status_code = $1, response = $2 WHERE user_id = $3 AND key = $4")
            .bind(i64::from(status_code))
            .bind(answer)
            .bind(user_id)
            .bind(key)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
