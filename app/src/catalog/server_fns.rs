// The admin product form posts one field per argument; the server macro generates several
// functions with that signature, so the lint is allowed for the module.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::Product;
use crate::error::FnError;
use crate::flash_sales::FlashSale;

/// What the storefront renders: products, running flash sales and the server's clock (so the
/// countdown starts from the same instant on the server and in the browser).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storefront {
    pub products: Vec<Product>,
    pub sales: Vec<FlashSale>,
    pub now_ms: i64,
}

impl Storefront {
    pub fn sale_for(&self, product_id: i64) -> Option<&FlashSale> {
        self.sales.iter().find(|s| s.product_id == product_id)
    }
}

#[server(prefix = "/rpc", endpoint = "storefront")]
pub async fn load_storefront() -> Result<Storefront, FnError> {
    let state = crate::platform::request::app_state()?;
    let now_ms = crate::platform::now_ms();
    let products = super::store::list_active(&state.db).await?;
    let sales = crate::flash_sales::service::running(&state, now_ms).await?.into_values().collect();
    Ok(Storefront { products, sales, now_ms })
}

#[server(prefix = "/rpc", endpoint = "product")]
pub async fn load_product(id: i64) -> Result<Storefront, FnError> {
    use crate::platform::AppError;
    let state = crate::platform::request::app_state()?;
    let now_ms = crate::platform::now_ms();
    let product = match super::store::find(&state.db, id).await? {
        Some(p) if p.active => p,
        _ => return Err(AppError::NotFound(format!("no product with id {id}")).into()),
    };
    let sales = crate::flash_sales::service::running(&state, now_ms).await?.remove(&id).into_iter().collect();
    Ok(Storefront { products: vec![product], sales, now_ms })
}

#[server(prefix = "/rpc", endpoint = "admin_products")]
pub async fn admin_products() -> Result<(Vec<Product>, Vec<FlashSale>), FnError> {
    use crate::accounts::guard::{current_user, require_admin};
    let state = crate::platform::request::app_state()?;
    require_admin(current_user()?.as_ref())?;
    let products = super::store::list_all(&state.db).await?;
    let sales = crate::flash_sales::service::upcoming(&state).await?;
    Ok((products, sales))
}

/// Creates (no `id`) or updates a product from the admin form. Money and numbers arrive as
/// typed text and are parsed here, so each mistake gets its own message.
#[server(prefix = "/rpc", endpoint = "admin_save_product")]
pub async fn save_product(
    id: Option<i64>,
    name: String,
    description: String,
    price: String,
    stock: String,
    discount_percent: String,
    shipping_weight_grams: String,
    country_of_origin: String,
    requires_shipping: Option<String>,
) -> Result<(), FnError> {
    use crate::accounts::guard::{current_user, require_admin};
    use crate::platform::AppError;
    let state = crate::platform::request::app_state()?;
    require_admin(current_user()?.as_ref())?;
    let number = |field: &str, text: &str| -> Result<i64, AppError> {
        text.trim().parse::<i64>().map_err(|_| AppError::Invalid(format!("{field} must be a whole number")))
    };
    let draft = super::model::ProductDraft {
        name,
        description,
        price_cents: super::money::parse_cents(&price).map_err(|e| AppError::Invalid(format!("price: {e}")))?,
        stock: if id.is_some() { 0 } else { number("stock", &stock)? },
        discount_percent: number("discount", &discount_percent)?,
        shipping_weight_grams: number("shipping weight", &shipping_weight_grams)?,
        country_of_origin,
        requires_shipping: requires_shipping.is_some(),
    }
    .validated()
    .map_err(AppError::Invalid)?;
    match id {
        Some(id) => {
            if !super::store::update(&state.db, id, &draft).await? {
                return Err(AppError::NotFound(format!("no product with id {id}")).into());
            }
        }
        None => {
            super::store::insert(&state.db, &draft).await?;
        }
    }
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_restock")]
pub async fn restock(id: i64, stock: String) -> Result<(), FnError> {
    use crate::accounts::guard::{current_user, require_admin};
    use crate::platform::AppError;
    let state = crate::platform::request::app_state()?;
    require_admin(current_user()?.as_ref())?;
    let stock = stock.trim().parse::<i64>().map_err(|_| AppError::Invalid("stock must be a whole number".into()))?;
    let stock = super::model::check_stock(stock).map_err(AppError::Invalid)?;
    if !super::store::set_stock(&state.db, id, stock).await? {
        return Err(AppError::NotFound(format!("no product with id {id}")).into());
    }
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_set_active")]
pub async fn set_product_active(id: i64, active: bool) -> Result<(), FnError> {
    use crate::accounts::guard::{current_user, require_admin};
    let state = crate::platform::request::app_state()?;
    require_admin(current_user()?.as_ref())?;
    super::store::set_active(&state.db, id, active).await?;
    Ok(())
}

/// Schedules a flash sale; start and end arrive as minutes from now (the admin form) to keep
/// time zones out of it.
#[server(prefix = "/rpc", endpoint = "admin_flash_sale")]
pub async fn schedule_flash_sale(
    product_id: i64,
    starts_in_minutes: String,
    duration_minutes: String,
    discount_percent: String,
    units_total: String,
    per_customer_limit: String,
) -> Result<(), FnError> {
    use crate::accounts::guard::{current_user, require_admin};
    use crate::platform::AppError;
    let state = crate::platform::request::app_state()?;
    require_admin(current_user()?.as_ref())?;
    let number = |field: &str, text: &str| -> Result<i64, AppError> {
        text.trim().parse::<i64>().map_err(|_| AppError::Invalid(format!("{field} must be a whole number")))
    };
    let now = crate::platform::now_ms();
    let starts_at_ms = now + number("starts in", &starts_in_minutes)?.max(0) * 60_000;
    let sale = crate::flash_sales::NewFlashSale {
        product_id,
        starts_at_ms,
        ends_at_ms: starts_at_ms + number("duration", &duration_minutes)? * 60_000,
        discount_percent: number("discount", &discount_percent)?,
        units_total: number("units", &units_total)?,
        per_customer_limit: number("per-customer limit", &per_customer_limit)?,
    };
    crate::flash_sales::service::schedule(&state, sale).await?;
    Ok(())
}
