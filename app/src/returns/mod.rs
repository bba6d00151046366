//! Returns and refunds: the customer's wizard and return page, the admin RMA console, evidence
//! photos, store credit and refunds paid exactly once. The rules are `domain::returns`.

pub mod draft;
pub mod model;
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod drafts;
#[cfg(feature = "ssr")]
pub mod exchange_payments;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod photos;
#[cfg(feature = "ssr")]
pub mod refunds;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{ReturnDetail, ReturnSummary};
