//! Admin controls for the payment boundary: live fault injection and breaker status. Each
//! handler is the `Admin` capability (and body) plus one call into `service`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::faults::FaultSettings;
use super::service::{self, ProviderStatus};
use crate::accounts::guard::Admin;
use crate::platform::{ApiJson, AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/admin/payment-provider", get(status).post(set_faults))
}

async fn status(State(state): State<AppState>, admin: Admin) -> Result<Json<ProviderStatus>, AppError> {
    Ok(Json(service::provider_status(&state, &admin).await?))
}

async fn set_faults(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(faults): ApiJson<FaultSettings>,
) -> Result<Json<ProviderStatus>, AppError> {
    Ok(Json(service::set_faults(&state, &admin, faults).await?))
}
