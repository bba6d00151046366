use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::db::Db;
use crate::accounts::rate_limit::LoginLimiter;
use crate::checkout::gate::CheckoutGate;
use crate::payments::gateway::PaymentGateway;
use crate::payments::provider::SimulatedProvider;
use crate::payments::vault::CardVault;

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
    pub sessions: SessionSettings,
    pub login_limiter: Arc<LoginLimiter>,
    /// Identifies this server process (owner of the payment jobs whose cards it holds).
    pub instance_id: String,
    pub payments: Arc<PaymentGateway>,
    /// The in-process simulated provider, when no real one is configured.
    pub provider: Option<Arc<SimulatedProvider>>,
    pub card_vault: Arc<CardVault>,
    pub checkout_gate: Arc<CheckoutGate>,
    /// Provider calls a checkout may make before it degrades to `payment_pending`.
    pub checkout_attempts: u32,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
