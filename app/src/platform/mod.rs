//! Server-only plumbing shared by every feature: database handle, application state,
//! the error type that becomes an HTTP answer, and per-request facts set by middleware.

pub mod db;
pub mod error;
pub mod json;
pub mod log_safe;
pub mod metrics;
pub mod request;
pub mod sli;
pub mod state;
pub mod ttl_cache;

pub use db::{Backend, Db, Tx};
pub use error::AppError;
pub use json::ApiJson;
pub use request::{ClientIp, RequestId};
pub use state::AppState;

/// Milliseconds since the Unix epoch, UTC. Domain code takes `now` as a parameter instead.
pub fn now_ms() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
