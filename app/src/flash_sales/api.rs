//! The flash-sale JSON endpoints: extraction plus one service call each.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use super::rules::{FlashSale, NewFlashSale};
use super::service;
use crate::accounts::guard::Admin;
use crate::platform::{ApiJson, AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/flash-sales", get(running)).route("/api/admin/flash-sales", get(upcoming).post(schedule))
}

async fn running(State(state): State<AppState>) -> Result<Json<Vec<FlashSale>>, AppError> {
    Ok(Json(service::running_list(&state).await?))
}

async fn upcoming(State(state): State<AppState>, admin: Admin) -> Result<Json<Vec<FlashSale>>, AppError> {
    Ok(Json(service::upcoming(&state, &admin).await?))
}

async fn schedule(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(sale): ApiJson<NewFlashSale>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let id = service::schedule(&state, &admin, sale).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}
