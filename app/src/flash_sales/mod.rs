//! Flash sales: admins schedule a time-boxed discount with limited units per product.

pub use domain::flash_sales as rules;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use rules::{FlashSale, NewFlashSale};
