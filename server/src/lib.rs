//! The composition root: configuration, telemetry, migrations, first-start data, middleware
//! and the router. Features live in the `app` crate.

pub mod assets;
pub mod bootstrap;
pub mod client_addr;
pub mod configuration;
pub mod hardening;
pub mod middleware;
pub mod migrate;
pub mod observability;
pub mod page_cache;
pub mod startup;
pub mod telemetry;
