use axum::extract::{rejection::JsonRejection, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::model::{check_stock, ProductDraft};
use super::{store, Product};
use crate::accounts::api::json_body;
use crate::accounts::guard::Admin;
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/products", get(list_products))
        .route("/api/products/{id}", get(one_product))
        .route("/api/admin/products", get(list_all).post(create))
        .route("/api/admin/products/{id}", post(update))
        .route("/api/admin/products/{id}/stock", post(set_stock))
        .route("/api/admin/products/{id}/active", post(set_active))
}

async fn list_products(State(state): State<AppState>) -> Result<Json<Vec<Product>>, AppError> {
    Ok(Json(store::list_active(&state.db).await?))
}

async fn one_product(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Product>, AppError> {
    match store::find(&state.db, id).await? {
        Some(p) if p.active => Ok(Json(p)),
        _ => Err(not_found(id)),
    }
}

async fn list_all(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Vec<Product>>, AppError> {
    Ok(Json(store::list_all(&state.db).await?))
}

async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Result<Json<ProductDraft>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Product>), AppError> {
    let draft = json_body(body)?.validated().map_err(AppError::Invalid)?;
    let id = store::insert(&state.db, &draft).await?;
    let product = store::find(&state.db, id).await?.ok_or_else(|| AppError::internal("created product vanished"))?;
    Ok((axum::http::StatusCode::CREATED, Json(product)))
}

async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    body: Result<Json<ProductDraft>, JsonRejection>,
) -> Result<Json<Product>, AppError> {
    let draft = json_body(body)?.validated().map_err(AppError::Invalid)?;
    if !store::update(&state.db, id, &draft).await? {
        return Err(not_found(id));
    }
    changed(&state, id).await
}

#[derive(Deserialize)]
struct StockBody {
    stock: i64,
}

async fn set_stock(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    body: Result<Json<StockBody>, JsonRejection>,
) -> Result<Json<Product>, AppError> {
    let stock = check_stock(json_body(body)?.stock).map_err(AppError::Invalid)?;
    if !store::set_stock(&state.db, id, stock).await? {
        return Err(not_found(id));
    }
    tracing::info!(product_id = id, stock, admin_user_id = admin.id, "product restocked");
    changed(&state, id).await
}

#[derive(Deserialize)]
struct ActiveBody {
    active: bool,
}

async fn set_active(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    body: Result<Json<ActiveBody>, JsonRejection>,
) -> Result<Json<Product>, AppError> {
    let active = json_body(body)?.active;
    if !store::set_active(&state.db, id, active).await? {
        return Err(not_found(id));
    }
    changed(&state, id).await
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("no product with id {id}"))
}

/// The product as stored after a change, for the answer.
async fn changed(state: &AppState, id: i64) -> Result<Json<Product>, AppError> {
    store::find(&state.db, id).await?.map(Json).ok_or_else(|| not_found(id))
}
