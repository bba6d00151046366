use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::db::Db;
use super::ttl_cache::TtlCache;
use crate::accounts::rate_limit::LoginLimiter;
use crate::accounts::CurrentUser;
use crate::checkout::gate::CheckoutGate;
use crate::flash_sales::FlashSale;
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
    pub hasher: Arc<crate::accounts::password::Hasher>,
    /// Identifies this server process (owner of the payment jobs whose cards it holds).
    pub instance_id: String,
    pub payments: Arc<PaymentGateway>,
    /// The in-process simulated provider, when no real one is configured.
    pub provider: Option<Arc<SimulatedProvider>>,
    /// Whether admins may inject faults into the simulated provider (off in production unless
    /// ALLOW_FAULT_INJECTION=1).
    pub fault_injection_allowed: bool,
    pub card_vault: Arc<CardVault>,
    pub checkout_gate: Arc<CheckoutGate>,
    /// Provider calls a checkout may make before it degrades to `payment_pending`.
    pub checkout_attempts: u32,
    pub checkout: CheckoutTimes,
    pub caches: Arc<Caches>,
    /// The return policy, the photo folder and the refund worker's pace.
    pub returns: Arc<crate::returns::service::ReturnsSettings>,
    /// The dashboard's in-process SLI recorder, fed by the request path, flushed to the database.
    pub sli: Arc<super::sli::Recorder>,
    /// The dashboard's objectives and its shared live snapshot.
    pub dashboard: Arc<crate::dashboard::Dashboard>,
    /// The shop's time zone (`DEFAULT_TIMEZONE`): business days and quarters are local to it.
    pub shop_zone: crate::dashboard::kpis::ShopZone,
}

/// How long checkout records live.
#[derive(Clone, Copy, Debug)]
pub struct CheckoutTimes {
    /// How long an idempotency key answers replays before it is purged.
    pub key_ttl_ms: i64,
    /// Longer than any checkout's charge can take (every attempt timing out, with backoff):
    /// until then its order's job is left to that checkout.
    pub lease_ms: i64,
}

/// Short-lived copies of the two lookups every shop request makes. Changes made by this
/// process invalidate them at once; changes by another instance show within the TTL.
pub struct Caches {
    /// Session token hash -> the signed-in user (or none).
    pub sessions: TtlCache<String, Option<CurrentUser>>,
    /// Flash sales running now, by product (one entry, key `()`).
    pub running_sales: TtlCache<(), std::collections::HashMap<i64, FlashSale>>,
}

/// Sessions kept in the cache at most (about 200 bytes each); beyond it the oldest make room.
pub const SESSION_CACHE_MAX_ENTRIES: usize = 100_000;

impl Caches {
    pub fn new(session_ttl: std::time::Duration, sales_ttl: std::time::Duration) -> Self {
        Self {
            sessions: TtlCache::new(session_ttl, SESSION_CACHE_MAX_ENTRIES),
            running_sales: TtlCache::new(sales_ttl, 1),
        }
    }

    /// Forgets every cached session of `user_id` (password change, logout everywhere, role
    /// change), so this server's next request with any of them asks the database.
    pub fn forget_sessions_of(&self, user_id: i64) {
        self.sessions.retain(|_, user| user.as_ref().is_none_or(|u| u.id != user_id));
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
