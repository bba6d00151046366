use sqlx::Row;

use super::model::Product;
use crate::platform::{AppError, Db};

pub async fn list_active(db: &Db) -> Result<Vec<Product>, AppError> {
    let rows = sqlx::query(
        "SELECT id, name, description, price_cents, stock, discount_percent, shipping_weight_grams, country_of_origin, requires_shipping \
         FROM products WHERE active = 1 ORDER BY id",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
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
            })
        })
        .collect()
}

pub struct NewProduct<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub price_cents: i64,
    pub stock: i64,
    pub discount_percent: i64,
    pub shipping_weight_grams: i64,
    pub country_of_origin: &'a str,
    pub requires_shipping: bool,
}

pub async fn count(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM products")
        .fetch_one(db)
        .await?
        .try_get("n")?)
}

pub async fn insert(db: &Db, p: &NewProduct<'_>) -> Result<i64, AppError> {
    let row = sqlx::query(
        "INSERT INTO products (name, description, price_cents, stock, discount_percent, shipping_weight_grams, country_of_origin, requires_shipping, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) RETURNING id",
    )
    .bind(p.name)
    .bind(p.description)
    .bind(p.price_cents)
    .bind(p.stock)
    .bind(p.discount_percent)
    .bind(p.shipping_weight_grams)
    .bind(p.country_of_origin)
    .bind(i64::from(p.requires_shipping))
    .fetch_one(db)
    .await?;
    Ok(row.try_get("id")?)
}
