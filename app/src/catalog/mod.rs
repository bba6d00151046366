//! The product catalogue: products, their stock, and the admin's product sections. The
//! storefront that shows them lives in `storefront`; this feature imports no other feature but
//! `accounts` (for the `Admin` capability).

pub mod admin_views;
pub mod form;
pub use domain::catalog as model;
pub use domain::money;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::Product;
