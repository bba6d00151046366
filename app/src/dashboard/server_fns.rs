//! The dashboard page's server functions: the caller's `Admin` capability plus one service
//! call. The drill forms post without JavaScript too (answered with a redirect back).

use leptos::prelude::*;

use super::model::DashboardSnapshot;
use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "dashboard_snapshot")]
pub async fn load_dashboard() -> Result<DashboardSnapshot, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::snapshot(&state, &admin).await?)
}

/// The drill forms ask for a ticked "confirm" box.
#[cfg(feature = "ssr")]
fn confirmed(confirm: Option<String>) -> Result<(), crate::platform::AppError> {
    match confirm.as_deref() {
        Some("yes") => Ok(()),
        _ => Err(crate::platform::AppError::Invalid("tick \"confirm\" to change a live setting".into())),
    }
}

/// Sets the simulated payment provider's faults (a share of failing charges, added latency).
#[server(prefix = "/rpc", endpoint = "dashboard_set_faults")]
pub async fn set_provider_faults(
    failure_rate: String,
    latency_ms: String,
    confirm: Option<String>,
) -> Result<(), FnError> {
    use crate::platform::AppError;
    let (state, admin) = crate::accounts::guard::admin()?;
    confirmed(confirm)?;
    let rate: f64 = failure_rate
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(format!("failure rate '{failure_rate}' is not a number from 0 to 1")))?;
    let latency: u64 = latency_ms
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(format!("latency '{latency_ms}' is not a whole number of milliseconds")))?;
    super::service::set_faults(&state, &admin, rate, latency).await?;
    Ok(())
}

/// Applies a throttle preset: `a1`, `p1` or `normal`.
#[server(prefix = "/rpc", endpoint = "dashboard_throttle_preset")]
pub async fn apply_throttle_preset(preset: String, confirm: Option<String>) -> Result<(), FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    confirmed(confirm)?;
    super::service::apply_throttle_preset(&state, &admin, &preset)?;
    Ok(())
}
