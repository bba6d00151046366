//! The orders JSON API: the `Customer` capability plus one call into `service`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::model::{Order, OrderSummary};
use super::service;
use crate::accounts::guard::Customer;
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/orders", get(list)).route("/api/orders/{id}", get(one))
}

async fn list(State(state): State<AppState>, customer: Customer) -> Result<Json<Vec<OrderSummary>>, AppError> {
    Ok(Json(service::list(&state, &customer).await?))
}

async fn one(State(state): State<AppState>, customer: Customer, Path(id): Path<i64>) -> Result<Json<Order>, AppError> {
    Ok(Json(service::get(&state, &customer, id).await?))
}
