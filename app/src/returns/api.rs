//! The returns JSON endpoints (docs/api.md): extraction plus one service call each.

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::model::*;
use super::{photos, service};
use crate::accounts::guard::{Admin, Customer};
use crate::platform::{ApiJson, AppError, AppState};

/// Multipart bodies are bounded by the server's upload limit and, per photo, by the policy
/// (counted as the photo streams); axum's own 2 MB default is lifted for these routes only.
pub fn routes() -> Router<AppState> {
    let uploads = Router::new()
        .route("/api/returns/photos", post(upload_draft))
        .route("/api/returns/{id}/photos", post(upload_to_return))
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .merge(uploads)
        .route("/api/returns", get(list_own).post(create))
        .route("/api/returns/config", get(config))
        .route("/api/returns/orders", get(returnable_orders))
        .route("/api/returns/estimate", post(estimate))
        .route("/api/returns/exchange-options", get(exchange_options))
        .route("/api/returns/photos/{photo_id}", get(photo).delete(delete_draft))
        .route("/api/returns/{id}", get(one))
        .route("/api/returns/{id}/cancel", post(cancel))
        .route("/api/returns/{id}/shipment", post(ship))
        .route("/api/returns/{id}/exchange", post(choose_exchange))
        .route("/api/store-credit", get(store_credit))
        .route("/api/admin/returns", get(queue))
        .route("/api/admin/returns/{id}", get(admin_one))
        .route("/api/admin/returns/{id}/refund/retry", post(retry_refund))
        .route("/api/admin/returns/{id}/{action}", post(admin_action))
}

async fn config(State(state): State<AppState>, _customer: Customer) -> Json<ReturnsConfig> {
    Json(service::config(&state))
}

async fn returnable_orders(
    State(state): State<AppState>,
    customer: Customer,
) -> Result<Json<Vec<ReturnableOrder>>, AppError> {
    Ok(Json(service::returnable_orders(&state, &customer).await?))
}

async fn estimate(
    State(state): State<AppState>,
    customer: Customer,
    ApiJson(body): ApiJson<NewReturn>,
) -> Result<Json<ReturnEstimate>, AppError> {
    Ok(Json(service::estimate(&state, &customer, &body).await?))
}

async fn exchange_options(
    State(state): State<AppState>,
    _customer: Customer,
) -> Result<Json<Vec<ExchangeOption>>, AppError> {
    Ok(Json(service::exchange_options(&state).await?))
}

async fn create(
    State(state): State<AppState>,
    customer: Customer,
    ApiJson(body): ApiJson<NewReturn>,
) -> Result<(StatusCode, Json<ReturnDetail>), AppError> {
    Ok((StatusCode::CREATED, Json(service::create(&state, &customer, body).await?)))
}

async fn list_own(State(state): State<AppState>, customer: Customer) -> Result<Json<Vec<ReturnSummary>>, AppError> {
    Ok(Json(service::list_own(&state, &customer).await?))
}

async fn one(
    State(state): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
) -> Result<Json<ReturnDetail>, AppError> {
    Ok(Json(service::get(&state, &customer, id).await?))
}

#[derive(Deserialize)]
struct NoteBody {
    #[serde(default)]
    note: String,
}

async fn cancel(
    State(state): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<ReturnDetail>, AppError> {
    Ok(Json(service::cancel(&state, &customer, id, &body.note).await?))
}

#[derive(Deserialize)]
struct ShipmentBody {
    carrier: String,
    tracking: String,
}

async fn ship(
    State(state): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ShipmentBody>,
) -> Result<Json<ReturnDetail>, AppError> {
    Ok(Json(service::ship(&state, &customer, id, &body.carrier, &body.tracking).await?))
}

#[derive(Deserialize)]
struct ProductBody {
    product_id: i64,
}

async fn choose_exchange(
    State(state): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ProductBody>,
) -> Result<Json<ReturnDetail>, AppError> {
    Ok(Json(service::choose_exchange(&state, &customer, id, body.product_id).await?))
}

async fn upload_draft(
    State(state): State<AppState>,
    customer: Customer,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Photo>), AppError> {
    Ok((StatusCode::CREATED, Json(photos::upload(&state, &customer, None, multipart).await?)))
}

async fn upload_to_return(
    State(state): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Photo>), AppError> {
    Ok((StatusCode::CREATED, Json(photos::upload(&state, &customer, Some(id), multipart).await?)))
}

async fn photo(
    State(state): State<AppState>,
    viewer: Customer,
    Path(photo_id): Path<String>,
) -> Result<Response, AppError> {
    photos::serve(&state, &viewer, &photo_id).await
}

async fn delete_draft(
    State(state): State<AppState>,
    customer: Customer,
    Path(photo_id): Path<String>,
) -> Result<StatusCode, AppError> {
    photos::delete_draft(&state, &customer, &photo_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn store_credit(State(state): State<AppState>, customer: Customer) -> Result<Json<CreditAccount>, AppError> {
    Ok(Json(crate::store_credit::service::account(&state, &customer).await?))
}

async fn queue(
    State(state): State<AppState>,
    admin: Admin,
    filter: Result<Query<QueueFilter>, QueryRejection>,
) -> Result<Json<Vec<ReturnSummary>>, AppError> {
    let Query(filter) = filter.map_err(|e| AppError::Invalid(format!("invalid filter: {}", e.body_text())))?;
    Ok(Json(service::queue(&state, &admin, &filter).await?))
}

async fn admin_one(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Json<ReturnDetail>, AppError> {
    Ok(Json(service::admin_get(&state, &admin, id).await?))
}

async fn retry_refund(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Json<ReturnDetail>, AppError> {
    Ok(Json(service::command(&state, &admin, id, AdminCommand::RetryRefund).await?))
}

/// `POST /api/admin/returns/{id}/{action}` with the action's fields (`authorize`, `reject`,
/// `receive`, `inspect`, `approve`, `refund`, `close`).
async fn admin_action(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, action)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<ReturnDetail>, AppError> {
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Value::Object(serde_json::Map::new()))
    } else {
        serde_json::from_slice::<Value>(&body)
    };
    let mut fields = match parsed {
        Ok(Value::Object(map)) => map,
        _ => return Err(AppError::Invalid("the body must be a JSON object".to_owned())),
    };
    fields.insert("action".to_owned(), Value::String(action.clone()));
    let command: AdminCommand =
        serde_json::from_value(Value::Object(fields)).map_err(|e| AppError::Invalid(format!("'{action}': {e}")))?;
    Ok(Json(service::command(&state, &admin, id, command).await?))
}
