//! The shared Leptos application: domain types and rules (both targets), views, server
//! functions, and — behind the `ssr` feature — the storage and HTTP code each feature needs.
//!
//! Each feature lives in one folder: `accounts`, `admin`, `catalog`, `cart`,
//! `checkout`, `payments`, `orders`, `flash_sales`, and `storefront` (the public shop pages,
//! composed from catalog, flash sales, cart and checkout). Inside a feature,
//! `model`/rule files are plain Rust compiled for server and browser, `server_fns` are the
//! Leptos server functions its views call, `views` are components, `service` the one place its
//! operations live (ssr only), `store` its SQL (ssr only) and `api` its stable JSON endpoints
//! (ssr only). The rules themselves are in the `domain` crate.
#![recursion_limit = "256"]

pub mod accounts;
pub mod admin;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod dashboard;
pub mod error;
pub mod flash_sales;
pub mod fulfilment;
pub mod orders;
pub mod payments;
#[cfg(feature = "ssr")]
pub mod platform;
pub mod returns;
pub mod store_credit;
pub mod storefront;
pub use domain::time;
pub mod ui;

pub use ui::shell::{shell, App};
