//! The integration tests: one binary, one module per feature. Each test starts the real server
//! (`support::spawn_app`: port 0, a runtime of its own) with a fresh database and drives it
//! over HTTP, the JSON API and the `/rpc` server functions alike. SQLite by default; with
//! TEST_DATABASE_URL=postgres://... every test gets a new PostgreSQL database instead, dropped
//! when the test ends. Tests run in parallel.

// Tests state their expectations by unwrapping, expecting and indexing known data, and some
// scenarios read best as one long function; the production-code lints do not apply here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::too_many_lines)]

mod support;

mod accounts;
mod admin;
mod assets;
mod cart;
mod catalog;
mod checkout;
mod dashboard;
mod exchanges;
mod flash_sales;
mod hardening;
mod kpis;
mod no_javascript;
mod ops;
mod payments;
mod return_wizard;
mod returns;
mod rpc;
