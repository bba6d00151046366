use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::db::{Backend, Db};
use crate::accounts::rate_limit::LoginLimiter;

/// Session cookie settings.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    pub ttl_seconds: i64,
    /// Adds `Secure` to the cookie; on in production, off for plain-http local runs.
    pub secure_cookie: bool,
}

/// Everything a handler or server function needs, cloned cheaply per request.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub backend: Backend,
    pub sessions: SessionSettings,
    pub login_limiter: Arc<LoginLimiter>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
