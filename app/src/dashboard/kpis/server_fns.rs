//! The KPI panel's server function: the admin capability plus one service call.

use leptos::prelude::*;

use super::model::KpiPanelData;
use crate::error::FnError;

/// The panel for `quarter` (`2026-Q4`; none = the current quarter). Admins only.
#[server(prefix = "/rpc", endpoint = "dashboard_kpis")]
pub async fn dashboard_kpis(quarter: Option<String>) -> Result<KpiPanelData, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::panel(&state, &admin, quarter.as_deref()).await?)
}
