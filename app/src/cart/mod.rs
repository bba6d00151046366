//! The customer's cart: quantity rules, pricing, and the cart panel.

pub use domain::cart as model;
pub use domain::{pricing, quantity};
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{Cart, CartLine, LineProblem};
