//! The `flash_sales` and `flash_sale_purchases` tables.

use std::collections::HashMap;

use sqlx::Row;

use super::rules::{FlashSale, NewFlashSale};
use crate::platform::{AppError, Db, Tx};

const COLUMNS: &str =
    "id, product_id, starts_at, ends_at, discount_percent, units_total, units_sold, per_customer_limit";

#[derive(sqlx::FromRow)]
struct SaleRow {
    id: i64,
    product_id: i64,
    starts_at: i64,
    ends_at: i64,
    discount_percent: i64,
    units_total: i64,
    units_sold: i64,
    per_customer_limit: i64,
}

impl From<SaleRow> for FlashSale {
    fn from(row: SaleRow) -> Self {
        FlashSale {
            id: row.id,
            product_id: row.product_id,
            starts_at_ms: row.starts_at,
            ends_at_ms: row.ends_at,
            discount_percent: row.discount_percent,
            units_total: row.units_total,
            units_sold: row.units_sold,
            per_customer_limit: row.per_customer_limit,
        }
    }
}

/// Sales running at `now`, by product. Sales never overlap, so there is at most one each.
pub async fn running_uncached(db: &Db, now_ms: i64) -> Result<HashMap<i64, FlashSale>, AppError> {
    let rows: Vec<SaleRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM flash_sales WHERE starts_at <= $1 AND ends_at > $1"))
            .bind(now_ms)
            .fetch_all(db.read())
            .await?;
    Ok(rows.into_iter().map(FlashSale::from).map(|s| (s.product_id, s)).collect())
}

/// Current and future sales, soonest first (admin list).
pub async fn upcoming(db: &Db, now_ms: i64) -> Result<Vec<FlashSale>, AppError> {
    let rows: Vec<SaleRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM flash_sales WHERE ends_at > $1 ORDER BY starts_at, id"))
            .bind(now_ms)
            .fetch_all(db.read())
            .await?;
    Ok(rows.into_iter().map(FlashSale::from).collect())
}

/// For each of `sale_ids`: units sold so far (live, not cached) and units `user_id` bought.
pub async fn live_counts(db: &Db, user_id: i64, sale_ids: &[i64]) -> Result<HashMap<i64, (i64, i64)>, AppError> {
    let mut counts = HashMap::new();
    for sale_id in sale_ids {
        let row = sqlx::query(
            "SELECT s.units_sold, COALESCE(p.quantity, 0) AS bought FROM flash_sales s \
             LEFT JOIN flash_sale_purchases p ON p.sale_id = s.id AND p.user_id = $2 WHERE s.id = $1",
        )
        .bind(sale_id)
        .bind(user_id)
        .fetch_optional(db.read())
        .await?;
        if let Some(row) = row {
            counts.insert(*sale_id, (row.try_get::<i64, _>("units_sold")?, row.try_get::<i64, _>("bought")?));
        }
    }
    Ok(counts)
}

/// Whether another sale of the same product overlaps `sale` (call it inside the transaction
/// that inserts, with the product held, so two admins cannot race two overlapping sales in).
pub async fn overlaps_another(tx: &mut Tx, sale: &NewFlashSale) -> Result<bool, AppError> {
    let clash = sqlx::query("SELECT 1 FROM flash_sales WHERE product_id = $1 AND starts_at < $2 AND $3 < ends_at")
        .bind(sale.product_id)
        .bind(sale.ends_at_ms)
        .bind(sale.starts_at_ms)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(clash.is_some())
}

pub async fn insert(tx: &mut Tx, sale: &NewFlashSale, now_ms: i64) -> Result<i64, AppError> {
    let row = sqlx::query(
        "INSERT INTO flash_sales (product_id, starts_at, ends_at, discount_percent, units_total, per_customer_limit, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(sale.product_id)
    .bind(sale.starts_at_ms)
    .bind(sale.ends_at_ms)
    .bind(sale.discount_percent)
    .bind(sale.units_total)
    .bind(sale.per_customer_limit)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// Takes `quantity` sale units for `user_id` atomically: the sale must still run and have the
/// units, and the customer must stay within the limit. `false` leaves nothing changed.
pub async fn take_units(tx: &mut Tx, sale_id: i64, user_id: i64, quantity: i64, now_ms: i64) -> Result<bool, AppError> {
    let taken = sqlx::query(
        "UPDATE flash_sales SET units_sold = units_sold + $1 \
         WHERE id = $2 AND starts_at <= $3 AND ends_at > $3 AND units_sold + $1 <= units_total",
    )
    .bind(quantity)
    .bind(sale_id)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(false);
    }
    let counted = sqlx::query(
        "INSERT INTO flash_sale_purchases (sale_id, user_id, quantity) \
         SELECT $1, $2, $3 FROM flash_sales WHERE id = $1 AND $3 <= per_customer_limit \
         ON CONFLICT (sale_id, user_id) DO UPDATE SET quantity = flash_sale_purchases.quantity + excluded.quantity \
         WHERE flash_sale_purchases.quantity + excluded.quantity <= (SELECT per_customer_limit FROM flash_sales WHERE id = $1)",
    )
    .bind(sale_id)
    .bind(user_id)
    .bind(quantity)
    .execute(&mut **tx)
    .await?;
    Ok(counted.rows_affected() == 1)
}

/// Gives sale units back (payment declined or failed).
pub async fn return_units(tx: &mut Tx, sale_id: i64, user_id: i64, quantity: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE flash_sales SET units_sold = units_sold - $1 WHERE id = $2 AND units_sold >= $1")
        .bind(quantity)
        .bind(sale_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE flash_sale_purchases SET quantity = quantity - $1 WHERE sale_id = $2 AND user_id = $3 AND quantity >= $1")
        .bind(quantity)
        .bind(sale_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
