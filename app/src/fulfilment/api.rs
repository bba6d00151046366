//! The admin orders console's JSON endpoints and the customer's order progress.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::model::{ConsoleFilter, ConsoleOrder, OrderProgress};
use super::service;
use crate::accounts::guard::{Admin, Customer};
use crate::platform::{ApiJson, AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/orders/{id}/progress", get(progress))
        .route("/api/admin/orders", get(list))
        .route("/api/admin/orders/{id}", get(one))
        .route("/api/admin/orders/{id}/ship", post(ship))
        .route("/api/admin/orders/{id}/deliver", post(deliver))
}

async fn progress(
    State(state): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
) -> Result<Json<OrderProgress>, AppError> {
    Ok(Json(service::progress(&state, &customer, id).await?))
}

async fn list(
    State(state): State<AppState>,
    admin: Admin,
    filter: Result<Query<ConsoleFilter>, QueryRejection>,
) -> Result<Json<Vec<ConsoleOrder>>, AppError> {
    let Query(filter) = filter.map_err(|e| AppError::Invalid(format!("invalid filter: {}", e.body_text())))?;
    Ok(Json(service::list(&state, &admin, &filter).await?))
}

async fn one(State(state): State<AppState>, admin: Admin, Path(id): Path<i64>) -> Result<Json<ConsoleOrder>, AppError> {
    Ok(Json(service::one(&state, &admin, id).await?))
}

#[derive(Deserialize)]
struct ShipBody {
    carrier: String,
    tracking: String,
}

async fn ship(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ShipBody>,
) -> Result<Json<ConsoleOrder>, AppError> {
    Ok(Json(service::ship(&state, &admin, id, &body.carrier, &body.tracking).await?))
}

async fn deliver(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Json<ConsoleOrder>, AppError> {
    Ok(Json(service::deliver(&state, &admin, id).await?))
}
