//! Store credit: a per-customer ledger (every entry with its reason and links) and its
//! balance. Refunds and bonuses credit it; checkouts spend it; a failed checkout gives it back.
//! A feature of its own below checkout, payments and returns, which all use it. The customer
//! sees it on the account page (`views`).

pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
