//! Flash sales: admins schedule a time-boxed discount with limited units per product. Builds
//! on the catalogue (products), never the other way round.

pub mod admin_views;
pub mod form;
pub use domain::flash_sales as rules;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use rules::{FlashSale, NewFlashSale};
