//! Store credit: a per-customer ledger (every entry with its reason and links) and its
//! balance. Refunds and bonuses credit it; checkouts spend it; a failed checkout gives it back.
//! A feature of its own below checkout, payments and returns, which all use it.

#[cfg(feature = "ssr")]
pub mod store;
