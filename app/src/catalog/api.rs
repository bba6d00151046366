//! The catalogue's JSON endpoints: extraction plus one service call each.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::model::ProductDraft;
use super::{service, Product};
use crate::accounts::guard::Admin;
use crate::platform::{ApiJson, AppError, AppState};

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
    Ok(Json(service::on_sale(&state).await?))
}

async fn one_product(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Product>, AppError> {
    Ok(Json(service::find_on_sale(&state, id).await?))
}

async fn list_all(State(state): State<AppState>, admin: Admin) -> Result<Json<Vec<Product>>, AppError> {
    Ok(Json(service::list_all(&state, &admin).await?))
}

async fn create(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(draft): ApiJson<ProductDraft>,
) -> Result<(StatusCode, Json<Product>), AppError> {
    Ok((StatusCode::CREATED, Json(service::create(&state, &admin, draft).await?)))
}

async fn update(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
    ApiJson(draft): ApiJson<ProductDraft>,
) -> Result<Json<Product>, AppError> {
    Ok(Json(service::update(&state, &admin, id, draft).await?))
}

#[derive(Deserialize)]
struct StockBody {
    stock: i64,
}

async fn set_stock(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<StockBody>,
) -> Result<Json<Product>, AppError> {
    Ok(Json(service::set_stock(&state, &admin, id, body.stock).await?))
}

#[derive(Deserialize)]
struct ActiveBody {
    active: bool,
}

async fn set_active(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ActiveBody>,
) -> Result<Json<Product>, AppError> {
    Ok(Json(service::set_active(&state, &admin, id, body.active).await?))
}
