//! The cart's JSON endpoints: extraction plus one service call each.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::{service, Cart};
use crate::accounts::guard::Customer;
use crate::platform::{ApiJson, AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/cart", get(current))
        .route("/api/cart/add", post(add))
        .route("/api/cart/set", post(set))
        .route("/api/cart/remove", post(remove))
}

#[derive(Deserialize)]
struct LineBody {
    product_id: i64,
    quantity: i64,
}

#[derive(Deserialize)]
struct ProductBody {
    product_id: i64,
}

async fn current(State(state): State<AppState>, customer: Customer) -> Result<Json<Cart>, AppError> {
    Ok(Json(service::current(&state, &customer).await?))
}

async fn add(
    State(state): State<AppState>,
    customer: Customer,
    ApiJson(body): ApiJson<LineBody>,
) -> Result<Json<Cart>, AppError> {
    Ok(Json(service::add(&state, &customer, body.product_id, body.quantity).await?))
}

async fn set(
    State(state): State<AppState>,
    customer: Customer,
    ApiJson(body): ApiJson<LineBody>,
) -> Result<Json<Cart>, AppError> {
    Ok(Json(service::set_quantity(&state, &customer, body.product_id, body.quantity).await?))
}

async fn remove(
    State(state): State<AppState>,
    customer: Customer,
    ApiJson(body): ApiJson<ProductBody>,
) -> Result<Json<Cart>, AppError> {
    Ok(Json(service::remove(&state, &customer, body.product_id).await?))
}
