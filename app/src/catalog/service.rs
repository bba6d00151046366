//! Catalogue operations, shared by the JSON API and the server functions: what the storefront
//! may show, and the admin's changes (each takes the `Admin` capability). An unknown product is
//! a 404 everywhere, with one message.

use super::model::{check_stock, Product, ProductDraft};
use super::store;
use crate::accounts::guard::Admin;
use crate::platform::{AppError, AppState, Tx};

/// The answer for a product that does not exist (or, to shoppers, is not on sale).
pub fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("no product with id {id}"))
}

/// Products on sale, by id.
pub async fn on_sale(state: &AppState) -> Result<Vec<Product>, AppError> {
    store::list_active(&state.db).await
}

/// A product that is on sale; a withdrawn or unknown one is a 404.
pub async fn find_on_sale(state: &AppState, id: i64) -> Result<Product, AppError> {
    store::find(&state.db, id).await?.filter(|p| p.active).ok_or_else(|| not_found(id))
}

/// Every product, withdrawn ones included.
pub async fn list_all(state: &AppState, _admin: &Admin) -> Result<Vec<Product>, AppError> {
    store::list_all(&state.db).await
}

/// The product as stored after a change.
async fn changed(state: &AppState, id: i64) -> Result<Product, AppError> {
    store::find(&state.db, id).await?.ok_or_else(|| not_found(id))
}

pub async fn create(state: &AppState, admin: &Admin, draft: ProductDraft) -> Result<Product, AppError> {
    let draft = draft.validated().map_err(AppError::Invalid)?;
    let id = store::insert(&state.db, &draft).await?;
    tracing::info!(product_id = id, admin_user_id = admin.id(), "product created");
    changed(state, id).await
}

/// Changes the descriptive fields and price; the stock stays (see `set_stock`).
pub async fn update(state: &AppState, admin: &Admin, id: i64, draft: ProductDraft) -> Result<Product, AppError> {
    let draft = draft.validated().map_err(AppError::Invalid)?;
    if !store::update(&state.db, id, &draft).await? {
        return Err(not_found(id));
    }
    tracing::info!(product_id = id, admin_user_id = admin.id(), "product updated");
    changed(state, id).await
}

/// Restocking: the stock becomes `stock`.
pub async fn set_stock(state: &AppState, admin: &Admin, id: i64, stock: i64) -> Result<Product, AppError> {
    let stock = check_stock(stock).map_err(AppError::Invalid)?;
    if !store::set_stock(&state.db, id, stock).await? {
        return Err(not_found(id));
    }
    tracing::info!(product_id = id, stock, admin_user_id = admin.id(), "product restocked");
    changed(state, id).await
}

/// Puts a product on sale or withdraws it.
pub async fn set_active(state: &AppState, admin: &Admin, id: i64, active: bool) -> Result<Product, AppError> {
    if !store::set_active(&state.db, id, active).await? {
        return Err(not_found(id));
    }
    tracing::info!(product_id = id, active, admin_user_id = admin.id(), "product availability changed");
    changed(state, id).await
}

/// Holds the product's row for the rest of `tx`, so changes that depend on the product (a flash
/// sale being scheduled for it) queue up behind each other; a 404 for an unknown product.
pub async fn hold(tx: &mut Tx, _admin: &Admin, id: i64) -> Result<(), AppError> {
    if store::lock(tx, id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}
