//! Business KPIs of a quarter, for the admin dashboard: orders and refunds per day (SVG charts
//! with a table alternative), totals, peak day, mean per day, RMA rate, RMA cycle time, refund
//! success rate, revenue retained by returns and the top return reasons per product.
//!
//! - Days are local days in `DEFAULT_TIMEZONE` (an IANA zone, [`zone::ShopZone`]); quarters
//!   run from local midnight on 1 January, April, July, October (`domain::kpi::Quarter`).
//! - Orders: accepted orders (paid, payment pending, cash on delivery) by creation time.
//!   Refunds: completed refunds by the time they were started (the original's rule).
//! - RMA rate: return requests made in the quarter / its orders. Cycle time: the quarter's
//!   requests closed or rejected so far, from request to the first such event.
//! - Refund success rate: completed / (completed + failed) of the quarter's refunds.
//! - Revenue retained: completed refunds paid as exchanges or store credit (bonus credit left
//!   out) against money paid back (card and manual payouts).
//!
//! The math is `domain::kpi` (tested there); `store` groups in SQL, `present` turns the
//! report into the panel's text and chart geometry (`chart`), so the view only places them.
//! `GET /admin/kpis` (`api`) answers the report itself, as numbers.

pub mod model;
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod chart;
#[cfg(feature = "ssr")]
pub mod present;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod zone;

pub use model::{KpiPanelData, KpiReport};
pub use views::KpiPanel;
#[cfg(feature = "ssr")]
pub use zone::ShopZone;
