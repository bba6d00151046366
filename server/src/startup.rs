//! Builds the application from settings: database, migrations, first-start data, router.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use app::accounts::rate_limit::LoginLimiter;
use app::checkout::gate::{CheckoutGate, ThrottleKey, ThrottleSettings};
use app::payments::breaker::BreakerConfig;
use app::payments::faults::FaultSettings;
use app::payments::gateway::{GatewaySettings, PaymentGateway};
use app::payments::jobs::{self, WorkerSettings};
use app::payments::provider::{self, SimulatedProvider};
use app::payments::vault::CardVault;
use app::platform::state::{Caches, CheckoutTimes, SessionSettings};
use app::platform::{db, AppState, Backend, Db};
use app::{shell, App};
use axum::routing::get;
use axum::{middleware, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;

use crate::configuration::{HttpSettings, PaymentSettings, Settings};
use crate::page_cache::{self, PageCache};
use crate::{assets, bootstrap, hardening, middleware as mw, migrate, observability};

/// How long the list of running flash sales is reused.
const FLASH_SALE_CACHE_MS: u64 = 1_000;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The metrics listener (METRICS_ADDR) and its router; `None` when turned off.
    metrics: Option<(TcpListener, Router)>,
    /// HEADER_READ_TIMEOUT_MS of the shop listener.
    header_read_timeout: Duration,
    pub state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, BoxError> {
        let pool = open_database(&settings).await?;
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|e| format!("cannot listen on {} (LEPTOS_SITE_ADDR): {e}", settings.site_addr))?;
        let metrics_listener = match settings.metrics_addr {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
                format!("cannot listen on {addr} (METRICS_ADDR; METRICS_ADDR=off turns the metrics listener off): {e}")
            })?),
            None => None,
        };
        let mut leptos_options = settings.leptos.clone();
        leptos_options.site_addr = listener.local_addr()?;
        let bundle = assets::reconcile(&mut leptos_options);
        tracing::debug!(wasm = %bundle.wasm, hashed = leptos_options.hash_files, "browser bundle");
        let state = build_state(&settings, pool, leptos_options).await?;
        jobs::spawn(state.clone(), worker_settings(&settings));
        app::checkout::service::spawn_key_purge(state.clone(), key_purge_interval(&settings));
        app::returns::refunds::spawn(state.clone(), settings.returns.refund_poll);
        app::dashboard::flusher::spawn(state.clone());
        app::dashboard::live::spawn(state.clone());
        let page_cache = Arc::new(PageCache::new(Duration::from_millis(settings.storefront_cache_ms)));
        let scrape =
            observability::Metrics::new(observability::prometheus()?, state.clone(), settings.metrics_token.clone());
        // The shop listener serves /metrics only behind a token.
        let public_metrics =
            if settings.metrics_token.is_some() { observability::routes(scrape.clone()) } else { Router::new() };
        let http = Arc::new(settings.http.clone());
        let router = hardening::wrap(router(state.clone(), page_cache, public_metrics, http.clone())?, http)
            // Outermost, so the request context can count every answer for the dashboard.
            .layer(axum::Extension(state.sli.clone()));
        let header_read_timeout = Duration::from_millis(settings.http.header_read_timeout_ms);
        let metrics = metrics_listener.map(|listener| (listener, observability::routes(scrape)));
        if let Some((listener, _)) = &metrics {
            let addr = listener.local_addr()?;
            if !addr.ip().is_loopback() && settings.metrics_token.is_none() {
                tracing::warn!(addr = %addr, "metrics are served without a token on a non-loopback address (METRICS_TOKEN)");
            }
            tracing::info!(url = %format!("http://{addr}/metrics"), "metrics listening");
        }
        Ok(Self { listener, router, metrics, header_read_timeout, state })
    }

    /// Where the metrics listener is bound, when it is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(listener, _)| listener.local_addr().ok())
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(listener, router)| {
            tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, router).await {
                    tracing::error!(error = %err, "metrics listener stopped");
                }
            })
        });
        // Open dashboard streams end when the server stops, so graceful shutdown need not wait.
        let dashboard = self.state.dashboard.clone();
        let shutdown = async move {
            shutdown.await;
            dashboard.live.close();
        };
        let served = hardening::serve(self.listener, self.router, self.header_read_timeout, shutdown).await;
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        served
    }
}

/// Connects, migrates, and puts the first-start data in place (super admin, demo data).
async fn open_database(settings: &Settings) -> Result<Db, BoxError> {
    let url = prepare_database_url(settings)?;
    let pool = db::connect(&url, settings.backend, settings.database_max_connections).await.map_err(|e| {
        format!("cannot open the database ({}): {e}{}", settings.backend.name(), tls_hint(settings, &e))
    })?;
    let applied = migrate::run(&pool).await.map_err(|e| format!("migration failed: {e}"))?;
    tracing::info!(backend = settings.backend.name(), applied, "database ready");
    bootstrap::refuse_demo_accounts_in_production(&pool, settings).await?;
    bootstrap::ensure_super_admin(&pool, settings).await.map_err(|e| format!("super admin setup failed: {e}"))?;
    if settings.demo_seed {
        bootstrap::seed_demo(&pool).await.map_err(|e| format!("demo seed failed: {e}"))?;
    }
    Ok(pool)
}

/// The payment gateway to the configured provider, or to the simulated one, started here on
/// its own loopback port (returned too: admins change its faults live).
async fn build_payments(
    payments: &PaymentSettings,
) -> Result<(PaymentGateway, Option<Arc<SimulatedProvider>>), BoxError> {
    let (provider, provider_url) = match &payments.provider_url {
        Some(url) => (None, url.clone()),
        None => {
            let faults = FaultSettings { failure_rate: payments.failure_rate, latency_ms: payments.latency_ms };
            let simulated = SimulatedProvider::new(faults);
            let url = provider::serve(simulated.clone())
                .await
                .map_err(|e| format!("cannot start the simulated payment provider: {e}"))?;
            tracing::info!(url = %url, "simulated payment provider listening");
            (Some(simulated), url)
        }
    };
    let gateway = PaymentGateway::new(GatewaySettings {
        base_url: provider_url,
        timeout: Duration::from_millis(payments.timeout_ms),
        retry_base_ms: 20,
        retry_max_ms: 200,
        breaker: BreakerConfig {
            consecutive_failures: payments.breaker_consecutive_failures,
            failure_rate: payments.breaker_failure_rate,
            open_ms: payments.breaker_open_ms,
            ..BreakerConfig::default()
        },
    })
    .map_err(|e| format!("cannot build the payment client: {e}"))?;
    Ok((gateway, provider))
}

/// Everything a request needs, from the settings.
async fn build_state(settings: &Settings, db: Db, leptos_options: LeptosOptions) -> Result<AppState, BoxError> {
    let login_limiter = Arc::new(
        LoginLimiter::new(settings.login_rate_limit_per_minute)
            .with_registrations_per_hour(settings.register_rate_limit_per_hour),
    );
    spawn_housekeeping(login_limiter.clone());
    let (payments, provider) = build_payments(&settings.payments).await?;
    let checkout = &settings.checkout;
    let throttle = ThrottleSettings {
        max_rps: checkout.throttle_max_rps,
        burst: checkout.throttle_burst,
        key: if checkout.throttle_per_user { ThrottleKey::User } else { ThrottleKey::Global },
    };
    let queue_timeout = Duration::from_millis(checkout.queue_timeout_ms);
    Ok(AppState {
        leptos_options,
        db,
        sessions: SessionSettings {
            ttl_seconds: settings.session_ttl_hours * 3600,
            secure_cookie: settings.secure_cookies,
        },
        login_limiter,
        hasher: Arc::new(app::accounts::password::Hasher::default()),
        instance_id: uuid::Uuid::new_v4().simple().to_string(),
        payments: Arc::new(payments),
        provider,
        fault_injection_allowed: settings.fault_injection_allowed,
        card_vault: Arc::new(CardVault::default()),
        checkout_gate: Arc::new(CheckoutGate::new(throttle, checkout.max_concurrency, queue_timeout)),
        checkout_attempts: settings.payments.checkout_attempts,
        checkout: checkout_times(settings),
        caches: Arc::new(Caches::new(
            Duration::from_millis(settings.session_cache_ms),
            Duration::from_millis(FLASH_SALE_CACHE_MS),
        )),
        returns: Arc::new(settings.returns.clone()),
        sli: Arc::new(app::platform::sli::Recorder::new(Duration::from_millis(
            u64::try_from(settings.dashboard.refund_target_ms).unwrap_or(u64::MAX),
        ))),
        dashboard: Arc::new(app::dashboard::Dashboard::new(settings.dashboard.clone())),
        shop_zone: settings.default_timezone.clone(),
    })
}

/// The background payment worker's settings.
fn worker_settings(settings: &Settings) -> WorkerSettings {
    let payments = &settings.payments;
    WorkerSettings {
        poll_interval: Duration::from_millis(payments.worker_poll_ms),
        max_attempts: payments.job_max_attempts,
        backoff_base_ms: payments.job_backoff_base_ms,
        liveness_ms: payments.instance_liveness_ms,
        claim_ms: claim_ms(payments.timeout_ms),
        ..WorkerSettings::default()
    }
}

/// The page routes, generated once per process. Generating renders the app with resource loading
/// suppressed by a flag that is global to the process (leptos_server's `SuppressResourceLoad`):
/// a resource first polled in that window, by any server of the process, waits forever, and
/// its page never finishes. Only the first server's start-up generates the list, before any
/// server of the process can answer a request (tests run many servers in one process).
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn router(
    state: AppState,
    page_cache: Arc<PageCache>,
    metrics: Router<AppState>,
    http: Arc<HttpSettings>,
) -> Result<Router, BoxError> {
    let routes = route_list();
    let options = state.leptos_options.clone();
    let router = Router::new()
        .route("/health", get(observability::health))
        .route("/ready", get(observability::ready))
        .merge(metrics)
        .merge(app::accounts::api::routes())
        .merge(app::admin::api::routes())
        .merge(app::catalog::api::routes())
        .merge(app::cart::api::routes())
        .merge(app::checkout::api::routes())
        .merge(app::checkout::api::admin_routes())
        .merge(app::orders::api::routes())
        .merge(app::payments::api::routes())
        .merge(app::flash_sales::api::routes())
        .merge(app::returns::api::routes())
        .merge(app::returns::forms::routes())
        .merge(app::fulfilment::api::routes())
        .merge(app::dashboard::api::routes())
        .merge(app::dashboard::kpis::api::routes())
        .leptos_routes_with_context(&state, routes, hardening::provide_request_nonce, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            hardening::provide_request_nonce,
            shell,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), mw::attach_session))
        .layer(middleware::from_fn_with_state(page_cache, page_cache::serve_cached_storefront))
        .layer(middleware::from_fn_with_state(http, mw::refuse_cross_site))
        .layer(middleware::from_fn(assets::page_validators))
        // Added after the layers above: bundle files need no session, page cache or validators.
        .merge(assets::bundle_routes(&state.leptos_options))
        .with_state(state);
    Ok(router)
}

/// A checkout makes at most `attempts` calls of `timeout` each, with backoff of at most 200 ms
/// between them, then settles in one transaction (which may wait up to the pool's 5 s acquire
/// timeout). Its order's job is left alone well past that.
fn checkout_times(settings: &Settings) -> CheckoutTimes {
    let p = &settings.payments;
    let calls_ms = i64::from(p.checkout_attempts)
        .saturating_mul(i64::try_from(p.timeout_ms).unwrap_or(i64::MAX).saturating_add(200));
    CheckoutTimes {
        key_ttl_ms: settings.checkout.idempotency_key_ttl_seconds.saturating_mul(1000),
        lease_ms: calls_ms.saturating_add(10_000),
    }
}

/// Expired idempotency keys are purged this often: at most every minute, sooner for short TTLs.
fn key_purge_interval(settings: &Settings) -> Duration {
    let ms = settings.checkout.idempotency_key_ttl_seconds.saturating_mul(1000).clamp(500, 60_000);
    Duration::from_millis(u64::try_from(ms).unwrap_or(60_000))
}

/// A worker's run of a job makes one call: other passes keep away for much longer.
fn claim_ms(timeout_ms: u64) -> i64 {
    i64::try_from(timeout_ms).unwrap_or(i64::MAX).saturating_mul(2).saturating_add(10_000).max(60_000)
}

/// A PostgreSQL connection that failed while TLS was asked for (or offered): what to check.
fn tls_hint(settings: &Settings, err: &sqlx::Error) -> &'static str {
    let text = err.to_string().to_ascii_lowercase();
    let about_tls = ["tls", "ssl", "certificate"].iter().any(|word| text.contains(word));
    if settings.backend == Backend::Postgres && about_tls {
        " (TLS: DATABASE_URL's sslmode=require needs a server that accepts TLS; verify-ca and verify-full \
         also need sslrootcert=<CA file> naming the CA that signed the server's certificate)"
    } else {
        ""
    }
}

/// SQLite: make sure the file's folder exists and the driver may create the file.
fn prepare_database_url(settings: &Settings) -> Result<String, BoxError> {
    if settings.backend != Backend::Sqlite {
        return Ok(settings.database_url.clone());
    }
    let rest = settings.database_url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" {
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the database folder {}: {e}", dir.display()))?;
        }
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

fn spawn_housekeeping(limiter: Arc<LoginLimiter>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.forget_idle();
        }
    });
}
