//! The shop's public pages: the storefront and a product's page. They compose the features
//! below them: products (`catalog`) with their running flash sales (`flash_sales`), the
//! add-to-cart controls and the cart panel (`cart`), and the checkout panel (`checkout`). Only
//! the shell imports this module. The server sends every price ready to show (`model`).

pub mod model;
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod service;

pub use model::{FlashOffer, ProductDetail, Storefront, StorefrontProduct};
