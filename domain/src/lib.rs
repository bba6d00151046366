//! The shop's rules, once. Plain Rust with no web, database or UI dependency: the server's
//! services and the browser's live validation call the same functions, and every rule is
//! unit-tested here without either. Time is always passed in (Unix milliseconds, UTC).

pub mod accounts;
pub mod backoff;
pub mod breaker;
pub mod card;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod credentials;
pub mod faults;
pub mod flash_sales;
pub mod kpi;
pub mod money;
pub mod orders;
pub mod pricing;
pub mod quantity;
pub mod returns;
pub mod shipment;
pub mod slo;
pub mod time;
pub mod tz;
