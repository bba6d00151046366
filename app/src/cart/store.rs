use sqlx::Row;

use crate::catalog::store::product_from_row;
use crate::catalog::Product;
use crate::platform::{AppError, Db};

/// A cart row joined with its product as it is now.
pub struct CartRow {
    pub quantity: i64,
    pub product: Product,
}

pub async fn lines(db: &Db, user_id: i64) -> Result<Vec<CartRow>, AppError> {
    let rows = sqlx::query(
        "SELECT c.quantity, p.id, p.name, p.description, p.price_cents, p.stock, p.discount_percent, \
         p.shipping_weight_grams, p.country_of_origin, p.requires_shipping, p.active \
         FROM cart_items c JOIN products p ON p.id = c.product_id WHERE c.user_id = $1 ORDER BY c.added_at, p.id",
    )
    .bind(user_id)
    .fetch_all(db.read())
    .await?;
    rows.iter().map(|row| Ok(cart_row(row)?)).collect()
}

fn cart_row(row: &sqlx::any::AnyRow) -> Result<CartRow, sqlx::Error> {
    Ok(CartRow { quantity: row.try_get("quantity")?, product: product_from_row(row)? })
}

pub async fn product_with_cart_quantity(
    db: &Db,
    user_id: i64,
    product_id: i64,
) -> Result<Option<(Product, i64)>, AppError> {
    let row = sqlx::query(
        "SELECT COALESCE(c.quantity, 0) AS quantity, p.id, p.name, p.description, p.price_cents, p.stock, p.discount_percent, \
         p.shipping_weight_grams, p.country_of_origin, p.requires_shipping, p.active \
         FROM products p LEFT JOIN cart_items c ON c.product_id = p.id AND c.user_id = $1 WHERE p.id = $2",
    )
    .bind(user_id)
    .bind(product_id)
    .fetch_optional(db.read())
    .await?;
    row.map(|row| Ok(cart_row(&row)?).map(|r: CartRow| (r.product, r.quantity))).transpose()
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
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
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
pub async fn restore_lines(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: i64,
    lines: &[(i64, i64)],
    now_ms: i64,
) -> Result<(), AppError> {
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
