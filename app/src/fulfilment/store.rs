//! The owning store of `shipments`: an order's shipping and delivery. The console's list reads
//! orders and users joined (their stores write them).

use super::model::{ConsoleOrder, OrderProgress, Stage};
use crate::platform::{AppError, Db, Tx};

/// The one column list of the console (orders `o`, users `u`, shipments `s`).
macro_rules! console_columns {
    () => {
        "o.id, o.user_id, u.username, o.status, o.payment_method, o.total_cents, o.created_at, \
         (SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_lines l WHERE l.order_id = o.id) AS item_count, \
         s.carrier, s.tracking, s.shipped_at, s.delivered_at \
         FROM orders o JOIN users u ON u.id = o.user_id LEFT JOIN shipments s ON s.order_id = o.id"
    };
}

#[derive(sqlx::FromRow)]
struct ConsoleRow {
    id: i64,
    user_id: i64,
    username: String,
    status: String,
    payment_method: String,
    total_cents: i64,
    created_at: i64,
    item_count: i64,
    carrier: Option<String>,
    tracking: Option<String>,
    shipped_at: Option<i64>,
    delivered_at: Option<i64>,
}

impl From<ConsoleRow> for ConsoleOrder {
    fn from(row: ConsoleRow) -> Self {
        let stage = match (row.shipped_at, row.delivered_at) {
            (_, Some(_)) => Stage::Delivered,
            (Some(_), None) => Stage::Shipped,
            _ => Stage::Processing,
        };
        ConsoleOrder {
            id: row.id,
            user_id: row.user_id,
            username: row.username,
            status: row.status,
            payment_method: row.payment_method,
            total_cents: row.total_cents,
            item_count: row.item_count,
            created_at_ms: row.created_at,
            progress: OrderProgress {
                order_id: row.id,
                stage,
                placed_at_ms: row.created_at,
                carrier: row.carrier,
                tracking: row.tracking,
                shipped_at_ms: row.shipped_at,
                delivered_at_ms: row.delivered_at,
            },
        }
    }
}

/// Newest 200 orders: payment status and stage ('' = any), search by exact id or username part.
pub async fn list(db: &Db, status: &str, stage: &str, search: &str) -> Result<Vec<ConsoleOrder>, AppError> {
    let sql = concat!(
        "SELECT ",
        console_columns!(),
        " WHERE ($1 = '' OR o.status = $1) AND ($2 = '' OR ($2 = 'processing' AND s.order_id IS NULL) \
         OR ($2 = 'shipped' AND s.order_id IS NOT NULL AND s.delivered_at IS NULL) \
         OR ($2 = 'delivered' AND s.delivered_at IS NOT NULL)) \
         AND ($3 = '' OR CAST(o.id AS TEXT) = $3 OR LOWER(u.username) LIKE $4 ESCAPE '\\') \
         ORDER BY o.id DESC LIMIT 200"
    );
    let pattern = format!("%{}%", like_literal(&search.to_lowercase()));
    let rows: Vec<ConsoleRow> =
        sqlx::query_as(sql).bind(status).bind(stage).bind(search).bind(pattern).fetch_all(db.read()).await?;
    Ok(rows.into_iter().map(ConsoleOrder::from).collect())
}

/// `text` matched literally by `LIKE … ESCAPE '\'`: its `%`, `_` and `\` escaped.
fn like_literal(text: &str) -> String {
    text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

pub async fn find(db: &Db, order_id: i64) -> Result<Option<ConsoleOrder>, AppError> {
    let sql = concat!("SELECT ", console_columns!(), " WHERE o.id = $1");
    let row: Option<ConsoleRow> = sqlx::query_as(sql).bind(order_id).fetch_optional(db.read()).await?;
    Ok(row.map(ConsoleOrder::from))
}

/// Records the shipment; false when the order was shipped already.
pub async fn insert_shipment(
    tx: &mut Tx,
    order_id: i64,
    carrier: &str,
    tracking: &str,
    by: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let inserted = sqlx::query(
        "INSERT INTO shipments (order_id, carrier, tracking, shipped_at, shipped_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(carrier)
    .bind(tracking)
    .bind(now_ms)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Marks the shipped order delivered; false when it was not shipped or already delivered.
pub async fn mark_delivered(tx: &mut Tx, order_id: i64, by: i64, now_ms: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE shipments SET delivered_at = $1, delivered_by = $2 WHERE order_id = $3 AND delivered_at IS NULL",
    )
    .bind(now_ms)
    .bind(by)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::like_literal;

    #[test]
    fn a_search_is_matched_literally() {
        assert_eq!(like_literal("sven_k"), "sven\\_k");
        assert_eq!(like_literal("50%\\"), "50\\%\\\\");
        assert_eq!(like_literal("plain"), "plain");
    }
}
