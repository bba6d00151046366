//! The KPI queries: read-only aggregates over the tables the orders, returns and refunds
//! stores own (nothing here writes). Each query is bounded by the quarter, [start, end) in UTC
//! ms, and groups in the database, so a quarter of any size answers in a few hundred rows:
//! daily series come back as 15-minute slots (`domain::kpi::SLOT_MS`) that the service puts on
//! local days.

use crate::platform::{AppError, Db};

/// Orders the shop took: refused ones (declined, payment failed) are not orders.
const ACCEPTED: &str = "status IN ('paid', 'payment_pending', 'cash_on_delivery')";

#[derive(sqlx::FromRow)]
struct SlotRow {
    slot: i64,
    n: i64,
}

/// `(slot start, events)` of `table`'s rows with `created_at` in [start, end) and `filter`.
async fn slots(db: &Db, table: &str, filter: &str, start: i64, end: i64) -> Result<Vec<(i64, u64)>, AppError> {
    let sql = format!(
        "SELECT CAST(created_at / {slot} AS BIGINT) AS slot, CAST(COUNT(*) AS BIGINT) AS n FROM {table} \
         WHERE created_at >= $1 AND created_at < $2 AND {filter} GROUP BY 1",
        slot = domain::kpi::SLOT_MS
    );
    let rows: Vec<SlotRow> = sqlx::query_as(&sql).bind(start).bind(end).fetch_all(db.read()).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.slot.saturating_mul(domain::kpi::SLOT_MS), u64::try_from(r.n).unwrap_or(0)))
        .collect())
}

/// Accepted orders per 15-minute slot.
pub async fn order_slots(db: &Db, start: i64, end: i64) -> Result<Vec<(i64, u64)>, AppError> {
    slots(db, "orders", ACCEPTED, start, end).await
}

/// Completed refunds per 15-minute slot of the day they were started.
pub async fn refund_slots(db: &Db, start: i64, end: i64) -> Result<Vec<(i64, u64)>, AppError> {
    slots(db, "refunds", "status = 'paid'", start, end).await
}

/// The first accepted order's time, if any.
pub async fn first_order_at(db: &Db) -> Result<Option<i64>, AppError> {
    let sql = format!("SELECT CAST(MIN(created_at) AS BIGINT) FROM orders WHERE {ACCEPTED}");
    Ok(sqlx::query_scalar::<_, Option<i64>>(&sql).fetch_one(db.read()).await?)
}

pub async fn return_requests(db: &Db, start: i64, end: i64) -> Result<u64, AppError> {
    let n: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM returns WHERE created_at >= $1 AND created_at < $2")
            .bind(start)
            .bind(end)
            .fetch_one(db.read())
            .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// `(requested, resolved)` of the quarter's requests closed or rejected so far: the first time
/// each reached one of those.
pub async fn resolutions(db: &Db, start: i64, end: i64) -> Result<Vec<(i64, i64)>, AppError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.created_at, CAST(MIN(e.created_at) AS BIGINT) FROM returns r \
         JOIN return_events e ON e.return_id = r.id AND e.to_status IN ('closed', 'rejected') \
         WHERE r.created_at >= $1 AND r.created_at < $2 GROUP BY r.id, r.created_at",
    )
    .bind(start)
    .bind(end)
    .fetch_all(db.read())
    .await?;
    Ok(rows)
}

/// The quarter's refunds by outcome, and how completed ones were paid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct RefundTotals {
    pub completed: i64,
    pub failed: i64,
    /// The value of exchanges (replacements instead of money).
    pub exchange_cents: i64,
    /// Store credit paid as refunds, without the bonuses.
    pub store_credit_cents: i64,
    /// Money paid back: to the card or by hand.
    pub refunded_cents: i64,
}

pub async fn refund_totals(db: &Db, start: i64, end: i64) -> Result<RefundTotals, AppError> {
    let totals: RefundTotals = sqlx::query_as(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END), 0) AS BIGINT) AS completed, \
         CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed, \
         CAST(COALESCE(SUM(CASE WHEN status = 'paid' AND payout = 'exchange' THEN amount_cents ELSE 0 END), 0) \
           AS BIGINT) AS exchange_cents, \
         CAST(COALESCE(SUM(CASE WHEN status = 'paid' THEN credit_cents - bonus_cents ELSE 0 END), 0) AS BIGINT) \
           AS store_credit_cents, \
         CAST(COALESCE(SUM(CASE WHEN status = 'paid' AND payout IN ('card', 'manual') THEN amount_cents ELSE 0 END), \
           0) AS BIGINT) AS refunded_cents \
         FROM refunds WHERE created_at >= $1 AND created_at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_one(db.read())
    .await?;
    Ok(totals)
}

/// Returned lines of the quarter's requests, grouped by product and reason.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReasonCount {
    pub product_id: i64,
    pub product_name: String,
    pub reason: String,
    pub n: i64,
}

pub async fn returned_lines(db: &Db, start: i64, end: i64) -> Result<Vec<ReasonCount>, AppError> {
    let rows: Vec<ReasonCount> = sqlx::query_as(
        "SELECT l.product_id, l.product_name, r.reason, CAST(COUNT(*) AS BIGINT) AS n FROM return_items i \
         JOIN returns r ON r.id = i.return_id JOIN order_lines l ON l.id = i.order_line_id \
         WHERE r.created_at >= $1 AND r.created_at < $2 GROUP BY l.product_id, l.product_name, r.reason",
    )
    .bind(start)
    .bind(end)
    .fetch_all(db.read())
    .await?;
    Ok(rows)
}
