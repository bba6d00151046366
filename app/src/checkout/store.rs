//! The checkout's transactions. The first reserves: idempotency key, the ordered cart lines,
//! stock, flash-sale units, order, lines, payment record and the payment job change together
//! or not at all (cash and zero-total orders are also closed in it). The second closes a card
//! attempt with its outcome and the idempotent answer.
//!
//! Lock order, the same in every transaction that takes these rows (so two of them never wait
//! on each other in a cycle on PostgreSQL): idempotency key, then cart lines by product id,
//! then products and their flash sales by product id.

use sqlx::Row;

use crate::cart::model::{Cart, CartLine};
use crate::checkout::card::CardSummary;
use crate::flash_sales;
use crate::orders::{OrderStatus, PaymentMethod};
use crate::platform::{AppError, Db, Tx};

/// What an idempotency key remembers.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub fingerprint: String,
    /// The answer's status; 0 while the attempt has not recorded one.
    pub status_code: i64,
    pub response: String,
    pub order_id: Option<i64>,
    pub created_at: i64,
}

/// Why the reservation did not happen; nothing was written.
pub enum ReserveError {
    /// The key was used before: answer from its record.
    Replay(KeyRecord),
    /// A line of the cart was ordered (or changed) by a concurrent checkout.
    CartChanged,
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

pub struct IdempotencyKey<'a> {
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub expires_at: i64,
}

pub struct Reservation<'a> {
    pub user_id: i64,
    pub key: Option<IdempotencyKey<'a>>,
    pub cart: &'a Cart,
    pub method: PaymentMethod,
    pub card: Option<CardSummary>,
    /// The instance that will charge the card, and until when its checkout may be in flight.
    pub owner: &'a str,
    pub lease_until: i64,
    pub now_ms: i64,
}

/// A reserved order.
#[derive(Clone, Debug)]
pub struct Reserved {
    pub order_id: i64,
    pub status: OrderStatus,
    pub provider_key: String,
}

/// Reserves stock and records the order.
pub async fn reserve(db: &Db, r: &Reservation<'_>) -> Result<Reserved, ReserveError> {
    let mut tx = db.write().begin().await?;
    if let Some(key) = &r.key {
        if !claim_key(&mut tx, r.user_id, key, r.now_ms).await? {
            tx.rollback().await?;
            return match find_key(db, r.user_id, key.key, r.now_ms).await? {
                Some(record) => Err(ReserveError::Replay(record)),
                None => Err(ReserveError::CartChanged),
            };
        }
    }
    let mut lines: Vec<&CartLine> = r.cart.lines.iter().collect();
    lines.sort_by_key(|l| l.product_id);
    if !crate::cart::store::consume_lines(&mut tx, r.user_id, &lines).await? {
        tx.rollback().await?;
        return Err(ReserveError::CartChanged);
    }
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
    let reserved = record_order(&mut tx, r).await?;
    if let Some(key) = &r.key {
        let answer = (reserved.status != OrderStatus::PaymentPending)
            .then(|| serde_json::json!({ "order_id": reserved.order_id, "status": reserved.status }).to_string());
        link_key(&mut tx, r.user_id, key.key, reserved.order_id, answer.as_deref()).await?;
    }
    tx.commit().await?;
    Ok(reserved)
}

/// Inserts order, lines and payment record; a card order with something to pay also gets the
/// job row that lets the worker settle it from the database alone, whatever happens next.
async fn record_order(tx: &mut Tx, r: &Reservation<'_>) -> Result<Reserved, ReserveError> {
    let t = &r.cart.totals;
    let status = match r.method {
        PaymentMethod::Card if t.grand_total_cents == 0 => OrderStatus::Paid,
        PaymentMethod::Card => OrderStatus::PaymentPending,
        PaymentMethod::Cash => OrderStatus::CashOnDelivery,
    };
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
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    for line in &r.cart.lines {
        insert_line(tx, order_id, line).await?;
    }
    // Random per order: a restored backup or another installation reusing this order id can
    // never be mistaken by the provider for this charge.
    let provider_key = format!("ord{order_id}-{}", uuid::Uuid::new_v4().simple());
    let (payment_status, brand, last4) = match (status, &r.card) {
        (OrderStatus::Paid, Some(card)) => ("succeeded", Some(card.brand.as_str()), Some(card.last4.as_str())),
        (_, Some(card)) => ("pending", Some(card.brand.as_str()), Some(card.last4.as_str())),
        _ => ("due_on_delivery", None, None),
    };
    sqlx::query(
        "INSERT INTO payments (order_id, method, amount_cents, status, card_brand, card_last4, provider_key, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(order_id)
    .bind(r.method.as_str())
    .bind(t.grand_total_cents)
    .bind(payment_status)
    .bind(brand)
    .bind(last4)
    .bind(&provider_key)
    .bind(r.now_ms)
    .execute(&mut **tx)
    .await?;
    if status == OrderStatus::PaymentPending {
        crate::payments::settle::create_job(tx, order_id, r.owner, r.lease_until, r.now_ms).await?;
    }
    Ok(Reserved { order_id, status, provider_key })
}

async fn insert_line(tx: &mut Tx, order_id: i64, line: &CartLine) -> Result<(), sqlx::Error> {
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

/// Takes the key for this attempt; false when it is already taken (and not expired). An
/// expired record is replaced: the key is free again.
async fn claim_key(tx: &mut Tx, user_id: i64, key: &IdempotencyKey<'_>, now_ms: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at <= $3")
        .bind(user_id)
        .bind(key.key)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_fingerprint, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, key) DO NOTHING",
    )
    .bind(user_id)
    .bind(key.key)
    .bind(key.fingerprint)
    .bind(now_ms)
    .bind(key.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

async fn link_key(
    tx: &mut Tx,
    user_id: i64,
    key: &str,
    order_id: i64,
    answer: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys SET order_id = $1, status_code = $2, response = $3 WHERE user_id = $4 AND key = $5",
    )
    .bind(order_id)
    .bind(if answer.is_some() { 200_i64 } else { 0 })
    .bind(answer.unwrap_or(""))
    .bind(user_id)
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The record of `key`, unless it expired.
pub async fn find_key(db: &Db, user_id: i64, key: &str, now_ms: i64) -> Result<Option<KeyRecord>, AppError> {
    let row = sqlx::query(
        "SELECT request_fingerprint, status_code, response, order_id, created_at FROM idempotency_keys \
         WHERE user_id = $1 AND key = $2 AND expires_at > $3",
    )
    .bind(user_id)
    .bind(key)
    .bind(now_ms)
    .fetch_optional(db.read())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(KeyRecord {
        fingerprint: row.try_get("request_fingerprint")?,
        status_code: row.try_get("status_code")?,
        response: row.try_get("response")?,
        order_id: row.try_get("order_id")?,
        created_at: row.try_get("created_at")?,
    }))
}

/// Records the attempt's answer under its key so replays get it.
pub async fn close_attempt(
    tx: &mut Tx,
    user_id: i64,
    key: Option<&str>,
    status_code: u16,
    answer: &str,
) -> Result<(), AppError> {
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

/// Deletes expired keys; returns how many.
pub async fn purge_expired_keys(db: &Db, now_ms: i64) -> Result<u64, AppError> {
    let purged =
        sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1").bind(now_ms).execute(db.write()).await?;
    Ok(purged.rows_affected())
}
