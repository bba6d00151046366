//! `POST /api/checkout` and the admin throttle: extraction (capability, `Idempotency-Key`,
//! body) plus one call into `service`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::gate::{ThrottleKey, ThrottleSettings};
use super::model::{CheckoutReceipt, CheckoutRequest};
use super::service;
use crate::accounts::guard::{Admin, Customer};
use crate::platform::{ApiJson, AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/checkout", post(checkout))
}

async fn checkout(
    State(state): State<AppState>,
    customer: Customer,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CheckoutRequest>,
) -> Result<Json<CheckoutReceipt>, AppError> {
    let key = match headers.get("idempotency-key") {
        Some(value) => {
            Some(value.to_str().map_err(|_| AppError::Invalid("Idempotency-Key must be plain text".into()))?)
        }
        None => None,
    };
    Ok(Json(service::checkout(&state, &customer, &request, key).await?))
}

pub fn admin_routes() -> Router<AppState> {
    Router::new().route("/api/admin/throttle", get(get_throttle).post(set_throttle))
}

async fn get_throttle(State(state): State<AppState>, admin: Admin) -> Json<ThrottleSettings> {
    Json(service::throttle(&state, &admin))
}

#[derive(Deserialize)]
struct ThrottleBody {
    max_rps: u32,
    burst: u32,
    #[serde(default)]
    key: Option<ThrottleKey>,
}

async fn set_throttle(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<ThrottleBody>,
) -> Result<Json<ThrottleSettings>, AppError> {
    Ok(Json(service::set_throttle(&state, &admin, body.max_rps, body.burst, body.key)?))
}
