//! Admin operations on the payment boundary: the provider's status (breaker, injected faults,
//! queued jobs) and live fault injection into the simulated provider. Both take `Admin`.

use serde::Serialize;

use super::faults::FaultSettings;
use super::gateway::BreakerStatus;
use super::store;
use crate::accounts::guard::Admin;
use crate::platform::{AppError, AppState};

#[derive(Serialize)]
pub struct ProviderStatus {
    pub simulated: bool,
    pub failure_rate: f64,
    pub latency_ms: u64,
    pub breaker: BreakerStatus,
    pub jobs_pending: i64,
    /// Distinct refunds the simulated provider made (`None` with a real provider).
    pub refunds_made: Option<usize>,
}

pub async fn provider_status(state: &AppState, _admin: &Admin) -> Result<ProviderStatus, AppError> {
    let faults = state.provider.as_ref().map(|p| p.faults()).unwrap_or_default();
    Ok(ProviderStatus {
        simulated: state.provider.is_some(),
        failure_rate: faults.failure_rate,
        latency_ms: faults.latency_ms,
        breaker: state.payments.status(),
        jobs_pending: store::pending_jobs(&state.db).await?,
        refunds_made: state.provider.as_ref().map(|p| p.refunds_made()),
    })
}

/// Sets the simulated provider's faults: refused (409) when fault injection is off or a real
/// provider is configured. Returns the status after the change.
pub async fn set_faults(state: &AppState, admin: &Admin, faults: FaultSettings) -> Result<ProviderStatus, AppError> {
    let faults = faults.validated().map_err(AppError::Invalid)?;
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
    let text = format!("provider faults set: failure rate {}, latency {} ms", faults.failure_rate, faults.latency_ms);
    state.sli.event("faults_changed", text, &admin.user().username);
    tracing::warn!(admin_user_id = admin.id(), "payment provider faults set by admin");
    provider_status(state, admin).await
}
