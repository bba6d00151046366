use axum::extract::{rejection::JsonRejection, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::{service, Cart};
use crate::accounts::api::json_body;
use crate::accounts::guard::SignedIn;
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/cart", get(view))
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

async fn view(State(state): State<AppState>, SignedIn(user): SignedIn) -> Result<Json<Cart>, AppError> {
    Ok(Json(service::view(&state, user.id).await?))
}

async fn add(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    body: Result<Json<LineBody>, JsonRejection>,
) -> Result<Json<Cart>, AppError> {
    let body = json_body(body)?;
    Ok(Json(service::add(&state, user.id, body.product_id, body.quantity).await?))
}

async fn set(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    body: Result<Json<LineBody>, JsonRejection>,
) -> Result<Json<Cart>, AppError> {
    let body = json_body(body)?;
    Ok(Json(service::set_quantity(&state, user.id, body.product_id, body.quantity).await?))
}

async fn remove(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    body: Result<Json<ProductBody>, JsonRejection>,
) -> Result<Json<Cart>, AppError> {
    let body = json_body(body)?;
    Ok(Json(service::remove(&state, user.id, body.product_id).await?))
}
