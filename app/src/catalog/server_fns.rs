//! The admin product page's server functions: the caller's capability plus one service call.
//! Typed text from the forms is parsed here (see `form`), so each mistake gets its own message.

use leptos::prelude::*;

use super::form::ProductForm;
use super::Product;
use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "admin_products")]
pub async fn admin_products() -> Result<Vec<Product>, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::list_all(&state, &admin).await?)
}

/// Creates (no `form[id]`) or updates a product from the admin form.
#[server(prefix = "/rpc", endpoint = "admin_save_product")]
pub async fn save_product(form: ProductForm) -> Result<(), FnError> {
    use crate::platform::AppError;
    let (state, admin) = crate::accounts::guard::admin()?;
    let id = form.id;
    let draft = form.draft().map_err(AppError::Invalid)?;
    match id {
        Some(id) => super::service::update(&state, &admin, id, draft).await?,
        None => super::service::create(&state, &admin, draft).await?,
    };
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_restock")]
pub async fn restock(id: i64, stock: String) -> Result<(), FnError> {
    use crate::platform::AppError;
    let (state, admin) = crate::accounts::guard::admin()?;
    let stock = super::form::whole_number("stock", &stock).map_err(AppError::Invalid)?;
    super::service::set_stock(&state, &admin, id, stock).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_set_active")]
pub async fn set_product_active(id: i64, active: bool) -> Result<(), FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    super::service::set_active(&state, &admin, id, active).await?;
    Ok(())
}
