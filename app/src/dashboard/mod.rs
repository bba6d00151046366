//! The live admin quality dashboard (`/admin/dashboard`): SLO cards for A.1 availability, P.1
//! performance and refunds (objective, SLI, error budget, burn rates, alert state, time to
//! exhaustion, sparkline), system status, the HTTP table and recent events, pushed to the page
//! over server-sent events; drill controls; `GET /admin/metrics` as JSON.
//!
//! Figures are shared by all instances: each process counts in memory
//! (`platform::sli::Recorder`), `flusher` adds the counts to per-minute rows of its own every
//! second, and `service` sums every instance's rows with the SLO math of `domain::slo`. `live`
//! computes one snapshot per tick for all open dashboards.

pub mod kpis;
pub mod model;
/// The SLO math the cards use (`domain::slo`), for the composition root's configuration.
pub use domain::slo;
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod flusher;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use service::{Dashboard, DashboardSettings};
