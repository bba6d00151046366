//! The `products` table. This store alone writes it: stock changes only through `set_stock`
//! (an admin restock), `take_stock` (checkout) and `return_stock` (an order that was not
//! charged). Other stores may join `products p` for reads, selecting `product_columns!()` into a
//! `ProductRow`.

use sqlx::Row;

use super::model::{Product, ProductDraft};
use crate::platform::{AppError, Db, Tx};

/// The one product column list, for a query that names the table `p`. A macro, so queries stay
/// `&'static str` (`concat!`).
macro_rules! product_columns {
    () => {
        "p.id, p.name, p.description, p.price_cents, p.stock, p.discount_percent, p.shipping_weight_grams, \
         p.country_of_origin, p.requires_shipping, p.active"
    };
}
pub(crate) use product_columns;

/// A product as stored: the booleans are BIGINT 0/1 on both databases.
#[derive(Debug, sqlx::FromRow)]
pub struct ProductRow {
    id: i64,
    name: String,
    description: String,
    price_cents: i64,
    stock: i64,
    discount_percent: i64,
    shipping_weight_grams: i64,
    country_of_origin: String,
    requires_shipping: i64,
    active: i64,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Product {
            id: row.id,
            name: row.name,
            description: row.description,
            price_cents: row.price_cents,
            stock: row.stock,
            discount_percent: row.discount_percent,
            shipping_weight_grams: row.shipping_weight_grams,
            country_of_origin: row.country_of_origin,
            requires_shipping: row.requires_shipping != 0,
            active: row.active != 0,
        }
    }
}

/// Products on sale, for the storefront.
pub async fn list_active(db: &Db) -> Result<Vec<Product>, AppError> {
    let sql = concat!("SELECT ", product_columns!(), " FROM products p WHERE p.active = 1 ORDER BY p.id");
    let rows: Vec<ProductRow> = sqlx::query_as(sql).fetch_all(db.read()).await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

/// Every product, withdrawn ones included, for admins.
pub async fn list_all(db: &Db) -> Result<Vec<Product>, AppError> {
    let sql = concat!("SELECT ", product_columns!(), " FROM products p ORDER BY p.id");
    let rows: Vec<ProductRow> = sqlx::query_as(sql).fetch_all(db.read()).await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

/// The product with `id`, withdrawn or not.
pub async fn find(db: &Db, id: i64) -> Result<Option<Product>, AppError> {
    let sql = concat!("SELECT ", product_columns!(), " FROM products p WHERE p.id = $1");
    let row: Option<ProductRow> = sqlx::query_as(sql).bind(id).fetch_optional(db.read()).await?;
    Ok(row.map(Product::from))
}

/// The stock of a product as it is now (0 for an unknown one).
pub async fn current_stock(db: &Db, id: i64) -> Result<i64, AppError> {
    let row = sqlx::query("SELECT stock FROM products WHERE id = $1").bind(id).fetch_optional(db.read()).await?;
    Ok(row.map(|r| r.try_get("stock")).transpose()?.unwrap_or(0))
}

pub async fn count(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM products").fetch_one(db.read()).await?.try_get("n")?)
}

pub async fn insert(db: &Db, p: &ProductDraft) -> Result<i64, AppError> {
    let row = sqlx::query(
        "INSERT INTO products (name, description, price_cents, stock, discount_percent, shipping_weight_grams, \
         country_of_origin, requires_shipping, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) RETURNING id",
    )
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.price_cents)
    .bind(p.stock)
    .bind(p.discount_percent)
    .bind(p.shipping_weight_grams)
    .bind(&p.country_of_origin)
    .bind(i64::from(p.requires_shipping))
    .fetch_one(db.write())
    .await?;
    Ok(row.try_get("id")?)
}

/// Updates the descriptive fields and price; stock changes go through `set_stock`. False when
/// there is no such product.
pub async fn update(db: &Db, id: i64, p: &ProductDraft) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE products SET name = $1, description = $2, price_cents = $3, discount_percent = $4, \
         shipping_weight_grams = $5, country_of_origin = $6, requires_shipping = $7 WHERE id = $8",
    )
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.price_cents)
    .bind(p.discount_percent)
    .bind(p.shipping_weight_grams)
    .bind(&p.country_of_origin)
    .bind(i64::from(p.requires_shipping))
    .bind(id)
    .execute(db.write())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// An admin restock: the stock becomes `stock`. False when there is no such product.
pub async fn set_stock(db: &Db, id: i64, stock: i64) -> Result<bool, AppError> {
    let result =
        sqlx::query("UPDATE products SET stock = $1 WHERE id = $2").bind(stock).bind(id).execute(db.write()).await?;
    Ok(result.rows_affected() == 1)
}

/// False when there is no such product.
pub async fn set_active(db: &Db, id: i64, active: bool) -> Result<bool, AppError> {
    let result = sqlx::query("UPDATE products SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id)
        .execute(db.write())
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Locks the product's row for the rest of `tx` (PostgreSQL; SQLite has one writer anyway), so
/// concurrent changes that depend on it queue up. False when there is no such product.
pub async fn lock(tx: &mut Tx, id: i64) -> Result<bool, AppError> {
    let locked = sqlx::query("UPDATE products SET id = id WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(locked.rows_affected() == 1)
}

/// Takes `quantity` units of an active product's stock inside `tx`; false (nothing changed)
/// when it is withdrawn or has fewer. Stock never goes below zero (also a `CHECK`).
///
/// Lock order: this locks the product's row until `tx` ends. A caller taking several products
/// must take them in product-id order, after the cart lines, as checkout does, so two
/// transactions never wait on each other in a cycle on PostgreSQL.
pub async fn take_stock(tx: &mut Tx, product_id: i64, quantity: i64) -> Result<bool, AppError> {
    let taken = sqlx::query("UPDATE products SET stock = stock - $1 WHERE id = $2 AND active = 1 AND stock >= $1")
        .bind(quantity)
        .bind(product_id)
        .execute(&mut **tx)
        .await?;
    Ok(taken.rows_affected() == 1)
}

/// Gives `quantity` units back to the product's stock inside `tx` (an order that was not
/// charged). Same lock order as `take_stock`: callers return several products in product-id
/// order.
pub async fn return_stock(tx: &mut Tx, product_id: i64, quantity: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE products SET stock = stock + $1 WHERE id = $2")
        .bind(quantity)
        .bind(product_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
