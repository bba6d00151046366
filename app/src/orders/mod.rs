//! Orders: the receipt, the order history, and the status a payment moves through.

pub use domain::orders as model;
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{Order, OrderLine, OrderStatus, PaymentMethod};
