//! The integration tests: one binary, one module per feature. Each test starts the real server
//! (on its own runtime, port 0) with a fresh database and drives it over HTTP. SQLite by default;
//! set TEST_DATABASE_URL=postgres://... to run the same tests against PostgreSQL (each test gets
//! its own new database).

mod support;

mod accounts;
mod api;
mod exactly_once;
mod hardening;
mod ops;
mod shop;
