//! Admin controls for the payment boundary: live fault injection and breaker status.

use axum::extract::{rejection::JsonRejection, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::faults::FaultSettings;
use super::gateway::BreakerStatus;
use super::settle;
use crate::accounts::api::json_body;
use crate::accounts::guard::Admin;
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/admin/payment-provider", get(status).post(set_faults))
}

#[derive(Serialize)]
pub struct ProviderStatus {
    pub simulated: bool,
    pub failure_rate: f64,
    pub latency_ms: u64,
    pub breaker: BreakerStatus,
    pub jobs_pending: i64,
}

pub async fn provider_status(state: &AppState) -> Result<ProviderStatus, AppError> {
    let faults = state.provider.as_ref().map(|p| p.faults()).unwrap_or_default();
    Ok(ProviderStatus {
        simulated: state.provider.is_some(),
        failure_rate: faults.failure_rate,
        latency_ms: faults.latency_ms,
        breaker: state.payments.status(),
        jobs_pending: settle::pending_jobs(&state.db).await?,
    })
}

async fn status(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<ProviderStatus>, AppError> {
    Ok(Json(provider_status(&state).await?))
}

async fn set_faults(
    State(state): State<AppState>,
    Admin(admin): Admin,
    body: Result<Json<FaultSettings>, JsonRejection>,
) -> Result<Json<ProviderStatus>, AppError> {
    let faults = json_body(body)?.validated().map_err(AppError::Invalid)?;
    if !state.fault_injection_allowed {
        return Err(AppError::Conflict(
            "fault injection is off in production; set ALLOW_FAULT_INJECTION=1 to enable it".into(),
        ));
    }
    let provider = state.provider.as_ref().ok_or_else(|| {
        AppError::Conflict(
            "a real payment provider is configured; faults can only be injected into the simulated one".into(),
        )
    })?;
    provider.set_faults(faults);
    tracing::warn!(admin_user_id = admin.id, "payment provider faults set by admin");
    Ok(Json(provider_status(&state).await?))
}
