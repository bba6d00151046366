use axum::extract::{rejection::JsonRejection, State};
use axum::routing::get;
use axum::{Json, Router};

use super::rules::{FlashSale, NewFlashSale};
use super::service;
use crate::accounts::api::json_body;
use crate::accounts::guard::Admin;
use crate::platform::{now_ms, AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/flash-sales", get(running)).route("/api/admin/flash-sales", get(upcoming).post(schedule))
}

async fn running(State(state): State<AppState>) -> Result<Json<Vec<FlashSale>>, AppError> {
    let mut sales: Vec<FlashSale> = super::service::running(&state, now_ms()).await?.into_values().collect();
    sales.sort_by_key(|s| s.product_id);
    Ok(Json(sales))
}

async fn upcoming(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Vec<FlashSale>>, AppError> {
    Ok(Json(service::upcoming(&state).await?))
}

async fn schedule(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Result<Json<NewFlashSale>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<serde_json::Value>), AppError> {
    let sale = json_body(body)?;
    let id = service::schedule(&state, sale).await?;
    Ok((axum::http::StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}
