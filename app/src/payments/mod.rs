//! Payments: the provider boundary (an HTTP gateway guarded by a circuit breaker and bounded
//! retries), the simulated provider with injectable faults, and the durable retry worker.

pub use domain::{backoff, breaker, faults};

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod gateway;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod provider;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod settle;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod vault;
