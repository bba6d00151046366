//! Administration: user roles (more admin pages join here).

pub mod server_fns;
pub mod views;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
