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
use app::platform::state::{Caches, SessionSettings};
use app::platform::{db, AppState, Backend};
use app::{shell, App};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{middleware, Extension, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;

use crate::configuration::Settings;
use crate::page_cache::{self, PageCache};
use crate::{bootstrap, middleware as mw, migrate, observability};

/// How long the list of running flash sales is reused.
const FLASH_SALE_CACHE_MS: u64 = 1_000;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, BoxError> {
        let url = prepare_database_url(&settings)?;
        let pool = db::connect(&url, settings.backend, settings.database_max_connections)
            .await
            .map_err(|e| format!("cannot open the database ({}): {e}", settings.backend.name()))?;
        let applied = migrate::run(&pool).await.map_err(|e| format!("migration failed: {e}"))?;
        tracing::info!(backend = settings.backend.name(), applied, "database ready");
        bootstrap::ensure_super_admin(&pool, &settings).await.map_err(|e| format!("super admin setup failed: {e}"))?;
        if settings.demo_seed {
            bootstrap::seed_demo(&pool).await.map_err(|e| format!("demo seed failed: {e}"))?;
        }

        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|e| format!("cannot listen on {} (LEPTOS_SITE_ADDR): {e}", settings.site_addr))?;
        let leptos_options = LeptosOptions::builder()
            .output_name(settings.output_name.clone())
            .site_root(settings.site_root.clone())
            .site_pkg_dir(settings.site_pkg_dir.clone())
            .site_addr(listener.local_addr()?)
            .build();
        let login_limiter = Arc::new(LoginLimiter::new(settings.login_rate_limit_per_minute));
        spawn_housekeeping(login_limiter.clone());
        let p = &settings.payments;
        let (provider, provider_url) = match &p.provider_url {
            Some(url) => (None, url.clone()),
            None => {
                let simulated =
                    SimulatedProvider::new(FaultSettings { failure_rate: p.failure_rate, latency_ms: p.latency_ms });
                let url = provider::serve(simulated.clone())
                    .await
                    .map_err(|e| format!("cannot start the simulated payment provider: {e}"))?;
                tracing::info!(url = %url, "simulated payment provider listening");
                (Some(simulated), url)
            }
        };
        let payments = PaymentGateway::new(GatewaySettings {
            base_url: provider_url,
            timeout: Duration::from_millis(p.timeout_ms),
            attempts: p.checkout_attempts,
            retry_base_ms: 20,
            retry_max_ms: 200,
            breaker: BreakerConfig {
                consecutive_failures: p.breaker_consecutive_failures,
                failure_rate: p.breaker_failure_rate,
                open_ms: p.breaker_open_ms,
                ..BreakerConfig::default()
            },
        })
        .map_err(|e| format!("cannot build the payment client: {e}"))?;
        let c = &settings.checkout;
        let throttle = ThrottleSettings {
            max_rps: c.throttle_max_rps,
            burst: c.throttle_burst,
            key: if c.throttle_per_user { ThrottleKey::User } else { ThrottleKey::Global },
        };
        let state = AppState {
            leptos_options,
            db: pool,
            sessions: SessionSettings {
                ttl_seconds: settings.session_ttl_hours * 3600,
                secure_cookie: settings.secure_cookies,
            },
            login_limiter,
            hasher: Arc::new(app::accounts::password::Hasher::default()),
            instance_id: uuid::Uuid::new_v4().simple().to_string(),
            payments: Arc::new(payments),
            provider,
            card_vault: Arc::new(CardVault::default()),
            checkout_gate: Arc::new(CheckoutGate::new(
                throttle,
                c.max_concurrency,
                Duration::from_millis(c.queue_timeout_ms),
            )),
            checkout_attempts: p.checkout_attempts,
            caches: Arc::new(Caches::new(
                Duration::from_millis(settings.session_cache_ms),
                Duration::from_millis(FLASH_SALE_CACHE_MS),
            )),
        };
        jobs::spawn(
            state.clone(),
            WorkerSettings {
                poll_interval: Duration::from_millis(p.worker_poll_ms),
                max_attempts: p.job_max_attempts,
                backoff_base_ms: p.job_backoff_base_ms,
                ..WorkerSettings::default()
            },
        );
        let page_cache = Arc::new(PageCache::new(Duration::from_millis(settings.storefront_cache_ms)));
        let router = router(state.clone(), page_cache)?;
        Ok(Self { listener, router, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        // Without TCP_NODELAY the last chunk of a streamed page waits for the client's delayed
        // ACK (~40 ms) on keep-alive connections.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::warn!(error = %err, "could not set TCP_NODELAY");
            }
        });
        axum::serve(listener, service).with_graceful_shutdown(shutdown).await
    }
}

fn router(state: AppState, page_cache: Arc<PageCache>) -> Result<Router, BoxError> {
    let prometheus = observability::prometheus()?;
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let router = Router::new()
        .route("/health", get(observability::health))
        .route("/ready", get(observability::ready))
        .route("/metrics", get(observability::metrics))
        .merge(app::accounts::api::routes())
        .merge(app::admin::api::routes())
        .merge(app::catalog::api::routes())
        .merge(app::cart::api::routes())
        .merge(app::checkout::api::routes())
        .merge(app::checkout::api::admin_routes())
        .merge(app::orders::api::routes())
        .merge(app::payments::api::routes())
        .merge(app::flash_sales::api::routes())
        .leptos_routes_with_context(&state, routes, || {}, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), app::checkout::gate::throttle_checkout))
        .layer(middleware::from_fn_with_state(state.clone(), mw::attach_session))
        .layer(middleware::from_fn_with_state(page_cache, page_cache::serve_cached_storefront))
        .layer(middleware::from_fn(mw::refuse_cross_site))
        .layer(middleware::from_fn(mw::request_context))
        .layer(Extension(prometheus))
        .with_state(state);
    Ok(router)
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
