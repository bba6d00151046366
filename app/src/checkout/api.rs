use axum::extract::{rejection::JsonRejection, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::model::CheckoutRequest;
use super::service::{self, CheckoutAnswer};
use crate::accounts::api::json_body;
use crate::accounts::guard::SignedIn;
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/checkout", post(checkout))
}

async fn checkout(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    headers: HeaderMap,
    body: Result<Json<CheckoutRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    let request = json_body(body)?;
    let key = match headers.get("idempotency-key") {
        Some(value) => {
            Some(value.to_str().map_err(|_| AppError::Invalid("Idempotency-Key must be plain text".into()))?)
        }
        None => None,
    };
    match service::checkout(&state, user.id, &request, key).await {
        CheckoutAnswer::Accepted(receipt) => Ok(Json(receipt).into_response()),
        CheckoutAnswer::Failed(err) => Err(err),
    }
}

pub fn admin_routes() -> Router<AppState> {
    Router::new().route("/api/admin/throttle", axum::routing::get(get_throttle).post(set_throttle))
}

async fn get_throttle(
    State(state): State<AppState>,
    _admin: crate::accounts::guard::Admin,
) -> Json<super::gate::ThrottleSettings> {
    Json(state.checkout_gate.throttle())
}

#[derive(serde::Deserialize)]
struct ThrottleBody {
    max_rps: u32,
    burst: u32,
    #[serde(default)]
    key: Option<super::gate::ThrottleKey>,
}

async fn set_throttle(
    State(state): State<AppState>,
    _admin: crate::accounts::guard::Admin,
    body: Result<Json<ThrottleBody>, JsonRejection>,
) -> Result<Json<super::gate::ThrottleSettings>, AppError> {
    let body = json_body(body)?;
    let current = state.checkout_gate.throttle();
    let settings = super::gate::ThrottleSettings {
        max_rps: body.max_rps,
        burst: body.burst,
        key: body.key.unwrap_or(current.key),
    }
    .validated()
    .map_err(AppError::Invalid)?;
    state.checkout_gate.set_throttle(settings);
    Ok(Json(settings))
}
