use sqlx::any::AnyRow;
use sqlx::Row;

use super::model::{Order, OrderLine, OrderStatus, OrderSummary, PaymentInfo, PaymentMethod};
use crate::cart::pricing::Totals;
use crate::platform::{AppError, Db};

fn parse_status(text: &str) -> Result<OrderStatus, AppError> {
    OrderStatus::parse(text).ok_or_else(|| AppError::internal(format!("unknown order status {text}")))
}

fn method_of(text: &str) -> Result<PaymentMethod, AppError> {
    PaymentMethod::parse(text).ok_or_else(|| AppError::internal(format!("unknown payment method {text}")))
}

fn line_of(row: &AnyRow) -> Result<OrderLine, sqlx::Error> {
    Ok(OrderLine {
        product_id: row.try_get("product_id")?,
        product_name: row.try_get("product_name")?,
        quantity: row.try_get("quantity")?,
        unit_price_cents: row.try_get("unit_price_cents")?,
        discounted_unit_cents: row.try_get("discounted_unit_cents")?,
        discount_percent: row.try_get("discount_percent")?,
        subtotal_cents: row.try_get("subtotal_cents")?,
        shipping_cents: row.try_get("shipping_cents")?,
        duty_cents: row.try_get("duty_cents")?,
        total_cents: row.try_get("total_cents")?,
        flash_sale_id: row.try_get("flash_sale_id")?,
    })
}

/// The order if it belongs to `user_id` (anyone else's order is "not found").
pub async fn find_for_user(db: &Db, order_id: i64, user_id: i64) -> Result<Option<Order>, AppError> {
    let Some(row) = sqlx::query(
        "SELECT o.id, o.status, o.status_message, o.payment_method, o.subtotal_cents, o.discount_cents, o.shipping_cents, \
         o.duty_cents, o.total_cents, o.created_at, o.updated_at, p.status AS payment_status, p.card_brand, p.card_last4, \
         p.provider_reference FROM orders o LEFT JOIN payments p ON p.order_id = o.id WHERE o.id = $1 AND o.user_id = $2",
    )
    .bind(order_id)
    .bind(user_id)
    .fetch_optional(db.read())
    .await?
    else {
        return Ok(None);
    };
    let lines = sqlx::query("SELECT * FROM order_lines WHERE order_id = $1 ORDER BY id")
        .bind(order_id)
        .fetch_all(db.read())
        .await?
        .iter()
        .map(line_of)
        .collect::<Result<Vec<_>, _>>()?;
    let method = method_of(&row.try_get::<String, _>("payment_method")?)?;
    let payment_status: Option<String> = row.try_get("payment_status")?;
    Ok(Some(Order {
        id: row.try_get("id")?,
        status: parse_status(&row.try_get::<String, _>("status")?)?,
        status_message: row.try_get("status_message")?,
        payment_method: method,
        totals: Totals {
            subtotal_cents: row.try_get("subtotal_cents")?,
            discount_cents: row.try_get("discount_cents")?,
            shipping_cents: row.try_get("shipping_cents")?,
            duty_cents: row.try_get("duty_cents")?,
            grand_total_cents: row.try_get("total_cents")?,
        },
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        lines,
        payment: match payment_status {
            Some(status) => Some(PaymentInfo {
                method,
                status,
                card_brand: row.try_get("card_brand")?,
                card_last4: row.try_get("card_last4")?,
                reference: row.try_get("provider_reference")?,
            }),
            None => None,
        },
    }))
}

pub async fn list_for_user(db: &Db, user_id: i64) -> Result<Vec<OrderSummary>, AppError> {
    let rows = sqlx::query(
        "SELECT o.id, o.status, o.total_cents, o.created_at, \
         (SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_lines l WHERE l.order_id = o.id) AS item_count \
         FROM orders o WHERE o.user_id = $1 ORDER BY o.id DESC LIMIT 100",
    )
    .bind(user_id)
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OrderSummary {
                id: row.try_get("id")?,
                status: parse_status(&row.try_get::<String, _>("status")?)?,
                total_cents: row.try_get("total_cents")?,
                item_count: row.try_get("item_count")?,
                created_at_ms: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// An order's status and message, whoever owns it (for the checkout's own bookkeeping).
pub async fn status_of(db: &Db, order_id: i64) -> Result<Option<(OrderStatus, String)>, AppError> {
    let row = sqlx::query("SELECT status, status_message FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_optional(db.read())
        .await?;
    match row {
        Some(row) => Ok(Some((parse_status(&row.try_get::<String, _>("status")?)?, row.try_get("status_message")?))),
        None => Ok(None),
    }
}

/// The customer's newest order placed at or after `since_ms`, if any.
pub async fn latest_order_since(db: &Db, user_id: i64, since_ms: i64) -> Result<Option<i64>, AppError> {
    let row = sqlx::query("SELECT MAX(id) AS id FROM orders WHERE user_id = $1 AND created_at >= $2")
        .bind(user_id)
        .bind(since_ms)
        .fetch_one(db.read())
        .await?;
    Ok(row.try_get::<Option<i64>, _>("id")?)
}
