//! The owning store of `orders` and `order_lines`: the only SQL that writes them. Checkout
//! records an order through `insert_order` / `insert_lines` inside its reservation, settlement
//! moves it out of `payment_pending` through `leave_pending`, each in the caller's transaction.
//! The receipt reads the order's payment record through a join (the payments store owns that
//! table's writes).

use super::model::{Order, OrderLine, OrderStatus, OrderSummary, PaymentInfo, PaymentMethod};
use crate::cart::model::CartLine;
use crate::cart::pricing::Totals;
use crate::platform::{AppError, Db, Tx};

/// The one column list of `order_lines` (alias `l`); `LineRow` reads it.
macro_rules! line_columns {
    () => {
        "l.product_id, l.product_name, l.quantity, l.unit_price_cents, l.discounted_unit_cents, \
         l.discount_percent, l.subtotal_cents, l.shipping_cents, l.duty_cents, l.total_cents, l.flash_sale_id"
    };
}

/// The one column list of `orders` (alias `o`); `OrderRow` reads it.
macro_rules! order_columns {
    () => {
        "o.id, o.user_id, o.status, o.status_message, o.payment_method, o.subtotal_cents, o.discount_cents, \
         o.shipping_cents, o.duty_cents, o.total_cents, o.created_at, o.updated_at"
    };
}

/// An order as stored, with who placed it: the service decides who may see it.
pub struct StoredOrder {
    pub owner_id: i64,
    pub order: Order,
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    user_id: i64,
    status: String,
    status_message: String,
    payment_method: String,
    subtotal_cents: i64,
    discount_cents: i64,
    shipping_cents: i64,
    duty_cents: i64,
    total_cents: i64,
    created_at: i64,
    updated_at: i64,
    #[sqlx(flatten)]
    payment: PaymentRow,
}

/// The order's payment record (LEFT JOIN: every column may be missing).
#[derive(sqlx::FromRow)]
struct PaymentRow {
    payment_status: Option<String>,
    card_brand: Option<String>,
    card_last4: Option<String>,
    provider_reference: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    product_id: i64,
    product_name: String,
    quantity: i64,
    unit_price_cents: i64,
    discounted_unit_cents: i64,
    discount_percent: i64,
    subtotal_cents: i64,
    shipping_cents: i64,
    duty_cents: i64,
    total_cents: i64,
    flash_sale_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    status: String,
    total_cents: i64,
    item_count: i64,
    created_at: i64,
}

impl OrderRow {
    fn into_order(self, lines: Vec<OrderLine>) -> Result<StoredOrder, AppError> {
        let method = method_of(&self.payment_method)?;
        let PaymentRow { payment_status, card_brand, card_last4, provider_reference } = self.payment;
        let payment = payment_status.map(|status| PaymentInfo {
            method,
            status,
            card_brand,
            card_last4,
            reference: provider_reference,
        });
        let order = Order {
            id: self.id,
            status: parse_status(&self.status)?,
            status_message: self.status_message,
            payment_method: method,
            totals: Totals {
                subtotal_cents: self.subtotal_cents,
                discount_cents: self.discount_cents,
                shipping_cents: self.shipping_cents,
                duty_cents: self.duty_cents,
                grand_total_cents: self.total_cents,
            },
            created_at_ms: self.created_at,
            updated_at_ms: self.updated_at,
            lines,
            payment,
        };
        Ok(StoredOrder { owner_id: self.user_id, order })
    }
}

impl From<LineRow> for OrderLine {
    fn from(row: LineRow) -> Self {
        OrderLine {
            product_id: row.product_id,
            product_name: row.product_name,
            quantity: row.quantity,
            unit_price_cents: row.unit_price_cents,
            discounted_unit_cents: row.discounted_unit_cents,
            discount_percent: row.discount_percent,
            subtotal_cents: row.subtotal_cents,
            shipping_cents: row.shipping_cents,
            duty_cents: row.duty_cents,
            total_cents: row.total_cents,
            flash_sale_id: row.flash_sale_id,
        }
    }
}

impl SummaryRow {
    fn into_summary(self) -> Result<OrderSummary, AppError> {
        Ok(OrderSummary {
            id: self.id,
            status: parse_status(&self.status)?,
            total_cents: self.total_cents,
            item_count: self.item_count,
            created_at_ms: self.created_at,
        })
    }
}

fn parse_status(text: &str) -> Result<OrderStatus, AppError> {
    OrderStatus::parse(text).ok_or_else(|| AppError::internal(format!("unknown order status {text}")))
}

fn method_of(text: &str) -> Result<PaymentMethod, AppError> {
    PaymentMethod::parse(text).ok_or_else(|| AppError::internal(format!("unknown payment method {text}")))
}

/// The order with its lines and payment record, whoever placed it (see `StoredOrder`).
pub async fn find(db: &Db, order_id: i64) -> Result<Option<StoredOrder>, AppError> {
    let sql = concat!(
        "SELECT ",
        order_columns!(),
        ", p.status AS payment_status, p.card_brand, p.card_last4, p.provider_reference \
         FROM orders o LEFT JOIN payments p ON p.order_id = o.id WHERE o.id = $1"
    );
    let Some(row) = sqlx::query_as::<_, OrderRow>(sql).bind(order_id).fetch_optional(db.read()).await? else {
        return Ok(None);
    };
    let sql = concat!("SELECT ", line_columns!(), " FROM order_lines l WHERE l.order_id = $1 ORDER BY l.id");
    let lines: Vec<LineRow> = sqlx::query_as(sql).bind(order_id).fetch_all(db.read()).await?;
    row.into_order(lines.into_iter().map(OrderLine::from).collect()).map(Some)
}

/// The newest 100 orders placed by `owner_id`.
pub async fn list_placed_by(db: &Db, owner_id: i64) -> Result<Vec<OrderSummary>, AppError> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT o.id, o.status, o.total_cents, o.created_at, \
         (SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_lines l WHERE l.order_id = o.id) AS item_count \
         FROM orders o WHERE o.user_id = $1 ORDER BY o.id DESC LIMIT 100",
    )
    .bind(owner_id)
    .fetch_all(db.read())
    .await?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

/// An order's status and message, whoever owns it (for the checkout's own bookkeeping).
pub async fn status_of(db: &Db, order_id: i64) -> Result<Option<(OrderStatus, String)>, AppError> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT status, status_message FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_optional(db.read())
        .await?;
    row.map(|(status, message)| Ok((parse_status(&status)?, message))).transpose()
}

/// The customer's newest order placed at or after `since_ms`, if any.
pub async fn latest_order_since(db: &Db, user_id: i64, since_ms: i64) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar("SELECT MAX(id) AS id FROM orders WHERE user_id = $1 AND created_at >= $2")
        .bind(user_id)
        .bind(since_ms)
        .fetch_one(db.read())
        .await?)
}

/// An order about to be recorded (its lines follow with `insert_lines`).
pub struct NewOrder<'a> {
    pub user_id: i64,
    pub status: OrderStatus,
    pub method: PaymentMethod,
    pub totals: &'a Totals,
    pub now_ms: i64,
}

/// Records the order in the caller's transaction; returns its id.
pub async fn insert_order(tx: &mut Tx, order: &NewOrder<'_>) -> Result<i64, AppError> {
    let t = order.totals;
    Ok(sqlx::query_scalar(
        "INSERT INTO orders (user_id, status, payment_method, subtotal_cents, discount_cents, shipping_cents, duty_cents, \
         total_cents, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(order.user_id)
    .bind(order.status.as_str())
    .bind(order.method.as_str())
    .bind(t.subtotal_cents)
    .bind(t.discount_cents)
    .bind(t.shipping_cents)
    .bind(t.duty_cents)
    .bind(t.grand_total_cents)
    .bind(order.now_ms)
    .fetch_one(&mut **tx)
    .await?)
}

/// Records the order's lines as priced in the cart, in the caller's transaction.
pub async fn insert_lines(tx: &mut Tx, order_id: i64, lines: &[CartLine]) -> Result<(), AppError> {
    for line in lines {
        let p = &line.price;
        sqlx::query(
            "INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_cents, \
             discounted_unit_cents, discount_percent, subtotal_cents, shipping_cents, duty_cents, total_cents, \
             flash_sale_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
    }
    Ok(())
}

/// Moves an order that is still `payment_pending` to `status`; false when it was settled
/// already (a late duplicate changes nothing).
pub async fn leave_pending(
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

/// What an order took: a line's product, quantity and flash sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PlacedLine {
    pub product_id: i64,
    pub quantity: i64,
    pub flash_sale_id: Option<i64>,
}

/// Who placed the order, and its lines by product id (the lock order of every transaction
/// that takes product rows), read in the caller's transaction.
pub async fn owner_and_lines(tx: &mut Tx, order_id: i64) -> Result<(i64, Vec<PlacedLine>), AppError> {
    let owner: i64 =
        sqlx::query_scalar("SELECT user_id FROM orders WHERE id = $1").bind(order_id).fetch_one(&mut **tx).await?;
    let lines = sqlx::query_as(
        "SELECT product_id, quantity, flash_sale_id FROM order_lines WHERE order_id = $1 ORDER BY product_id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok((owner, lines))
}

/// A cash-on-delivery order whose cash was collected at delivery becomes paid; false when it is
/// not (or no longer) awaiting its cash.
pub async fn cash_collected(tx: &mut Tx, order_id: i64, now_ms: i64) -> Result<bool, AppError> {
    let changed =
        sqlx::query("UPDATE orders SET status = 'paid', updated_at = $1 WHERE id = $2 AND status = 'cash_on_delivery'")
            .bind(now_ms)
            .bind(order_id)
            .execute(&mut **tx)
            .await?;
    Ok(changed.rows_affected() == 1)
}

/// Locks the order's row for the rest of `tx` (PostgreSQL; SQLite has one writer), so changes
/// that depend on it (a return counting the units still returnable) queue up. False when the
/// order is not `user_id`'s.
pub async fn lock_placed_by(tx: &mut Tx, order_id: i64, user_id: i64) -> Result<bool, AppError> {
    let locked = sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1 AND user_id = $2")
        .bind(order_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(locked.rows_affected() == 1)
}
