//! Checkout: from a priced cart to an order, with idempotent retries, stock that can never be
//! oversold, throttling and bounded concurrency, and graceful degradation when the payment
//! provider is down (the order is accepted as `payment_pending` and paid in the background).

pub use domain::card;
pub use domain::checkout as model;
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod gate;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{CheckoutReceipt, CheckoutRequest};
