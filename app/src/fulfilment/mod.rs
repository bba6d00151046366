//! Fulfilment: an admin marks an order shipped (carrier, tracking) and delivered, from the
//! admin orders console; a cash-on-delivery order is paid when it is delivered; the customer's
//! order page shows the progress. The return window counts from delivery.

pub mod model;
pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{ConsoleFilter, ConsoleOrder, ConsoleOrderDetail, OrderProgress};
