//! The product catalogue shown on the storefront.

pub mod admin_views;
pub use domain::catalog as model;
pub use domain::money;
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::Product;
