//! The `cart_items` table. Lines are read joined with their product as it is now (the
//! catalogue's column list and row type).

use crate::catalog::store::{product_columns, ProductRow};
use crate::catalog::Product;
use crate::platform::{AppError, Db, Tx};

/// A cart row joined with its product as it is now.
pub struct CartRow {
    pub quantity: i64,
    pub product: Product,
}

#[derive(sqlx::FromRow)]
struct JoinedRow {
    quantity: i64,
    #[sqlx(flatten)]
    product: ProductRow,
}

impl From<JoinedRow> for CartRow {
    fn from(row: JoinedRow) -> Self {
        CartRow { quantity: row.quantity, product: row.product.into() }
    }
}

/// The customer's lines, oldest first.
pub async fn lines(db: &Db, user_id: i64) -> Result<Vec<CartRow>, AppError> {
    let sql = concat!(
        "SELECT c.quantity, ",
        product_columns!(),
        " FROM cart_items c JOIN products p ON p.id = c.product_id WHERE c.user_id = $1 ORDER BY c.added_at, p.id"
    );
    let rows: Vec<JoinedRow> = sqlx::query_as(sql).bind(user_id).fetch_all(db.read()).await?;
    Ok(rows.into_iter().map(CartRow::from).collect())
}

/// The product (on sale or not) and how many of it are in the customer's cart (0 if none).
pub async fn product_with_cart_quantity(
    db: &Db,
    user_id: i64,
    product_id: i64,
) -> Result<Option<(Product, i64)>, AppError> {
    let sql = concat!(
        "SELECT COALESCE(c.quantity, 0) AS quantity, ",
        product_columns!(),
        " FROM products p LEFT JOIN cart_items c ON c.product_id = p.id AND c.user_id = $1 WHERE p.id = $2"
    );
    let row: Option<JoinedRow> = sqlx::query_as(sql).bind(user_id).bind(product_id).fetch_optional(db.read()).await?;
    Ok(row.map(CartRow::from).map(|r| (r.product, r.quantity)))
}

/// Sets the line to `quantity` (inserting it if absent).
pub async fn upsert(db: &Db, user_id: i64, product_id: i64, quantity: i64, now_ms: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO cart_items (user_id, product_id, quantity, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = excluded.quantity",
    )
    .bind(user_id)
    .bind(product_id)
    .bind(quantity)
    .bind(now_ms)
    .execute(db.write())
    .await?;
    Ok(())
}

pub async fn remove(db: &Db, user_id: i64, product_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2")
        .bind(user_id)
        .bind(product_id)
        .execute(db.write())
        .await?;
    Ok(())
}

/// Removes the ordered lines from the cart inside the checkout's reservation, each only if it
/// still holds exactly the quantity that was priced. False (and the caller rolls back) when a
/// concurrent checkout took a line first or the customer changed it meanwhile: one cart makes
/// at most one order. Lines are taken in the order given (product id, the lock order).
pub async fn consume_lines(
    tx: &mut Tx,
    user_id: i64,
    lines: &[&crate::cart::model::CartLine],
) -> Result<bool, AppError> {
    for line in lines {
        let taken = sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2 AND quantity = $3")
            .bind(user_id)
            .bind(line.product_id)
            .bind(line.quantity)
            .execute(&mut **tx)
            .await?;
        if taken.rows_affected() != 1 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Puts an order's lines back into its customer's cart (the card was refused, the cart is
/// kept), adding to whatever was put in the cart since. `lines` are (product id, quantity)
/// in product-id order.
pub async fn restore_lines(tx: &mut Tx, user_id: i64, lines: &[(i64, i64)], now_ms: i64) -> Result<(), AppError> {
    for (product_id, quantity) in lines {
        sqlx::query(
            "INSERT INTO cart_items (user_id, product_id, quantity, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity",
        )
        .bind(user_id)
        .bind(product_id)
        .bind(quantity)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
