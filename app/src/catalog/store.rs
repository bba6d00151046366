use sqlx::any::AnyRow;
use sqlx::Row;

use super::model::{Product, ProductDraft};
use crate::platform::{AppError, Db};

const COLUMNS: &str = "id, name, description, price_cents, stock, discount_percent, shipping_weight_grams, \
                       country_of_origin, requires_shipping, active";

/// Maps a row holding the product columns (by name) to a `Product`.
pub fn product_from_row(row: &AnyRow) -> Result<Product, sqlx::Error> {
    Ok(Product {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        price_cents: row.try_get("price_cents")?,
        stock: row.try_get("stock")?,
        discount_percent: row.try_get("discount_percent")?,
        shipping_weight_grams: row.try_get("shipping_weight_grams")?,
        country_of_origin: row.try_get("country_of_origin")?,
        requires_shipping: row.try_get::<i64, _>("requires_shipping")? != 0,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

/// Products on sale, for the storefront.
pub async fn list_active(db: &Db) -> Result<Vec<Product>, AppError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM products WHERE active = 1 ORDER BY id"))
        .fetch_all(db.read())
        .await?;
    rows.iter().map(|r| product_from_row(r).map_err(AppError::from)).collect()
}

/// Every product, withdrawn ones included, for admins.
pub async fn list_all(db: &Db) -> Result<Vec<Product>, AppError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM products ORDER BY id")).fetch_all(db.read()).await?;
    rows.iter().map(|r| product_from_row(r).map_err(AppError::from)).collect()
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Product>, AppError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM products WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?;
    row.map(|r| product_from_row(&r).map_err(AppError::from)).transpose()
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

/// Updates the descriptive fields and price; stock changes go through `set_stock`.
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

pub async fn set_stock(db: &Db, id: i64, stock: i64) -> Result<bool, AppError> {
    let result =
        sqlx::query("UPDATE products SET stock = $1 WHERE id = $2").bind(stock).bind(id).execute(db.write()).await?;
    Ok(result.rows_affected() == 1)
}

pub async fn set_active(db: &Db, id: i64, active: bool) -> Result<bool, AppError> {
    let result = sqlx::query("UPDATE products SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id)
        .execute(db.write())
        .await?;
    Ok(result.rows_affected() == 1)
}
