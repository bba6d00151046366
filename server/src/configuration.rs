//! Typed settings, read once at start from the environment (and `.env`, loaded by `main`).
//! A bad value stops start-up with one line naming the variable and the problem.

use std::net::SocketAddr;

use app::accounts::credentials::Password;
use app::platform::Backend;
use leptos::config::errors::LeptosConfigError;
use leptos::config::{get_configuration, LeptosOptions};

use crate::client_addr::TrustedProxies;

mod returns;
mod slo;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub app_env: AppEnv,
    /// Where the shop listens (`leptos.site_addr` until the listener is bound).
    pub site_addr: SocketAddr,
    /// cargo-leptos' settings (site root, pkg dir, bundle name, file hashing), see
    /// `leptos_options`.
    pub leptos: LeptosOptions,
    pub database_url: String,
    pub backend: Backend,
    pub database_max_connections: u32,
    pub demo_seed: bool,
    pub super_admin_username: String,
    pub super_admin_email: String,
    pub super_admin_password: Option<String>,
    pub login_rate_limit_per_minute: u32,
    /// Registrations per hour per client address (0 = off).
    pub register_rate_limit_per_hour: u32,
    pub session_ttl_hours: i64,
    pub secure_cookies: bool,
    pub log_filter: String,
    pub payments: PaymentSettings,
    pub checkout: CheckoutSettings,
    /// How long a session lookup is reused (0 = every request asks the database).
    pub session_cache_ms: u64,
    /// How long the anonymous storefront page is reused (0 = render every request).
    pub storefront_cache_ms: u64,
    /// The metrics listener (`METRICS_ADDR`); `None` = off.
    pub metrics_addr: Option<SocketAddr>,
    /// When set, every `/metrics` request needs `Authorization: Bearer <token>`, and the shop
    /// listener serves `/metrics` too.
    pub metrics_token: Option<String>,
    /// Whether faults may be injected into the simulated provider (at start and live by admins):
    /// always outside production, with `ALLOW_FAULT_INJECTION=1` in production.
    pub fault_injection_allowed: bool,
    /// Proxies, origins, timeouts and headers of the HTTP listener.
    pub http: HttpSettings,
    /// The return policy and the photo folder (`RETURN_WINDOW_DAYS`, `RETURNS_*`).
    pub returns: app::returns::service::ReturnsSettings,
    /// `DEFAULT_TIMEZONE`: the IANA zone business days and quarters are counted in.
    pub default_timezone: app::dashboard::kpis::ShopZone,
    /// The dashboard's objectives and pace (`SLO_*`, `DASHBOARD_*`).
    pub dashboard: app::dashboard::DashboardSettings,
}

#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Peers whose `X-Forwarded-For` / `Forwarded` / `X-Forwarded-Host` are believed.
    pub trusted_proxies: TrustedProxies,
    /// Full origins (`https://shop.example`) a state-changing request may come from; empty =
    /// the origin's host must be the host the request was sent to.
    pub allowed_origins: Vec<String>,
    /// How long a connection may take to send a complete request head.
    pub header_read_timeout_ms: u64,
    /// How long a request may take until its response starts (503 after that).
    pub request_timeout_ms: u64,
    /// Production: responses also carry `Strict-Transport-Security`.
    pub hsts: bool,
    /// `LEPTOS_WATCH` (cargo-leptos watch): the CSP lets the live-reload websocket connect.
    pub live_reload: bool,
}

#[derive(Clone, Debug)]
pub struct PaymentSettings {
    /// A real provider's base URL; unset = the simulated provider in this process.
    pub provider_url: Option<String>,
    pub failure_rate: f64,
    pub latency_ms: u64,
    pub timeout_ms: u64,
    pub checkout_attempts: u32,
    pub breaker_consecutive_failures: u32,
    pub breaker_failure_rate: f64,
    pub breaker_open_ms: i64,
    pub job_max_attempts: i64,
    pub job_backoff_base_ms: u64,
    pub worker_poll_ms: u64,
    /// An instance without a heartbeat for this long is gone; its payment jobs are taken over.
    pub instance_liveness_ms: i64,
}

#[derive(Clone, Debug)]
pub struct CheckoutSettings {
    pub throttle_max_rps: u32,
    pub throttle_burst: u32,
    pub throttle_per_user: bool,
    pub max_concurrency: usize,
    pub queue_timeout_ms: u64,
    /// How long an Idempotency-Key answers replays before it expires and is purged.
    pub idempotency_key_ttl_seconds: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration error: {}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/retail.db";
/// Loopback, so metrics are not public; not 9090, which Prometheus itself listens on.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";

impl Settings {
    /// The process environment, over cargo-leptos' settings as Leptos' own reader finds them
    /// (`cargo_leptos_options`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup_with(|name| std::env::var(name).ok(), cargo_leptos_options)
    }

    /// Reads every setting through `get`, so tests can pass a map instead of the process env;
    /// the Leptos options start from the documented defaults instead of Cargo.toml.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_lookup_with(get, || Ok(default_leptos_options()))
    }

    /// `get` on top of the Leptos options `leptos_base` reads.
    pub fn from_lookup_with(
        get: impl Fn(&str) -> Option<String>,
        leptos_base: impl FnOnce() -> Result<LeptosOptions, LeptosConfigError>,
    ) -> Result<Self, ConfigError> {
        let var = |name: &'static str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let app_env = app_env(&var)?;
        let production = app_env == AppEnv::Production;
        let leptos = leptos_options(&var, leptos_base)?;
        let site_addr = leptos.site_addr;
        let database = DatabaseSettings::from_lookup(&var)?;
        let demo_seed = flag(&var, "DEMO_SEED", false)?;
        if production && demo_seed {
            return Err(err(
                "DEMO_SEED",
                "demo accounts have published passwords and are refused when APP_ENV=production".to_owned(),
            ));
        }
        let super_admin = SuperAdminSettings::from_lookup(&var, production)?;
        let accounts = AccountSettings::from_lookup(&var, production)?;
        let provider_url = provider_url(&var, production)?;
        let fault_injection_allowed = flag(&var, "ALLOW_FAULT_INJECTION", !production)?;
        let payments = PaymentSettings::from_lookup(&var, provider_url, fault_injection_allowed)?;
        let checkout = CheckoutSettings::from_lookup(&var)?;
        let (metrics_addr, metrics_token) = metrics_listener(&var)?;
        let http = HttpSettings::from_lookup(&var, production, get("LEPTOS_WATCH").is_some())?;
        let returns = returns::from_lookup(
            &var,
            payments.worker_poll_ms,
            payments.job_backoff_base_ms,
            payments.instance_liveness_ms,
        )?;
        let normal_throttle = (checkout.throttle_max_rps, checkout.throttle_burst);
        let dashboard = slo::from_lookup(&var, normal_throttle, payments.instance_liveness_ms)?;
        let default_timezone = default_timezone(&var)?;
        Ok(Settings {
            app_env,
            site_addr,
            leptos,
            database_url: database.url,
            backend: database.backend,
            database_max_connections: database.max_connections,
            demo_seed,
            super_admin_username: super_admin.username.to_ascii_lowercase(),
            super_admin_email: super_admin.email,
            super_admin_password: super_admin.password,
            login_rate_limit_per_minute: accounts.login_rate_limit_per_minute,
            register_rate_limit_per_hour: accounts.register_rate_limit_per_hour,
            session_ttl_hours: accounts.session_ttl_hours,
            secure_cookies: accounts.secure_cookies,
            log_filter: var("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            payments,
            checkout,
            session_cache_ms: parse(&var, "SESSION_CACHE_MS", "5000", "a whole number of milliseconds")?,
            storefront_cache_ms: parse(&var, "STOREFRONT_CACHE_MS", "1000", "a whole number of milliseconds")?,
            metrics_addr,
            metrics_token,
            fault_injection_allowed,
            http,
            returns,
            default_timezone,
            dashboard,
        })
    }
}

/// `DEFAULT_TIMEZONE`: an IANA zone name (`Europe/Berlin`), UTC when unset.
fn default_timezone(
    var: &impl Fn(&'static str) -> Option<String>,
) -> Result<app::dashboard::kpis::ShopZone, ConfigError> {
    match var("DEFAULT_TIMEZONE") {
        None => Ok(app::dashboard::kpis::ShopZone::utc()),
        Some(name) => app::dashboard::kpis::ShopZone::named(&name).map_err(|e| err("DEFAULT_TIMEZONE", e)),
    }
}

/// `APP_ENV`: development (the default) or production.
fn app_env(var: &impl Fn(&'static str) -> Option<String>) -> Result<AppEnv, ConfigError> {
    match var("APP_ENV").as_deref() {
        None | Some("development") => Ok(AppEnv::Development),
        Some("production") => Ok(AppEnv::Production),
        Some(other) => Err(err("APP_ENV", format!("'{other}' is not one of: development, production"))),
    }
}

/// `DATABASE_URL` and `DATABASE_MAX_CONNECTIONS` (its default depends on the backend).
struct DatabaseSettings {
    url: String,
    backend: Backend,
    max_connections: u32,
}

impl DatabaseSettings {
    fn from_lookup(var: &impl Fn(&'static str) -> Option<String>) -> Result<Self, ConfigError> {
        let url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let backend = Backend::from_url(&url)
            .ok_or_else(|| err("DATABASE_URL", "must start with sqlite:// or postgres://".to_owned()))?;
        if backend == Backend::Postgres {
            check_postgres_tls(&url)?;
        }
        // Measured on 2 cores with PostgreSQL on the same box: 3 connections gave 812 checkouts/s
        // at p95 11 ms, 16 gave 448/s at p95 93 ms (its backends fought over the cores).
        let default_connections = match backend {
            Backend::Sqlite => "4".to_owned(),
            Backend::Postgres => (std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) + 1).to_string(),
        };
        let max_connections: u32 =
            parse(var, "DATABASE_MAX_CONNECTIONS", &default_connections, "a whole number from 1 to 1000")?;
        if !(1..=1000).contains(&max_connections) {
            return Err(err("DATABASE_MAX_CONNECTIONS", "must be from 1 to 1000".to_owned()));
        }
        Ok(Self { url, backend, max_connections })
    }
}

/// `SUPER_ADMIN_USERNAME`, `_EMAIL` and `_PASSWORD` (required in production).
struct SuperAdminSettings {
    username: String,
    email: String,
    password: Option<String>,
}

impl SuperAdminSettings {
    fn from_lookup(var: &impl Fn(&'static str) -> Option<String>, production: bool) -> Result<Self, ConfigError> {
        let username = var("SUPER_ADMIN_USERNAME").unwrap_or_else(|| "super_admin".to_owned());
        app::accounts::credentials::Username::parse(&username)
            .map_err(|e| err("SUPER_ADMIN_USERNAME", e.to_string()))?;
        let email = var("SUPER_ADMIN_EMAIL").unwrap_or_else(|| format!("{username}@retail.local"));
        app::accounts::credentials::Email::parse(&email).map_err(|e| err("SUPER_ADMIN_EMAIL", e.to_string()))?;
        let password = var("SUPER_ADMIN_PASSWORD");
        match &password {
            Some(p) => {
                Password::parse(p).map_err(|e| err("SUPER_ADMIN_PASSWORD", e.to_string()))?;
            }
            None if production => {
                return Err(err(
                    "SUPER_ADMIN_PASSWORD",
                    "must be set when APP_ENV=production (a generated password would change on every restart)"
                        .to_owned(),
                ))
            }
            None => {}
        }
        Ok(Self { username, email, password })
    }
}

/// Login and registration limits, session lifetime and the cookie's `Secure` flag.
struct AccountSettings {
    login_rate_limit_per_minute: u32,
    register_rate_limit_per_hour: u32,
    session_ttl_hours: i64,
    secure_cookies: bool,
}

impl AccountSettings {
    fn from_lookup(var: &impl Fn(&'static str) -> Option<String>, production: bool) -> Result<Self, ConfigError> {
        let login_rate_limit_per_minute =
            parse(var, "LOGIN_RATE_LIMIT_PER_MINUTE", "10", "a whole number (0 turns the limit off)")?;
        // Off by default when logins are unlimited: load runs register hundreds of users from
        // one address and turn the account limits off with that one switch.
        let register_default = if login_rate_limit_per_minute == 0 { "0" } else { "20" };
        let register_rate_limit_per_hour =
            parse(var, "REGISTER_RATE_LIMIT_PER_HOUR", register_default, "a whole number (0 turns the limit off)")?;
        let session_ttl_hours: i64 = parse(var, "SESSION_TTL_HOURS", "168", "a whole number of hours from 1 to 8760")?;
        if !(1..=8760).contains(&session_ttl_hours) {
            return Err(err("SESSION_TTL_HOURS", "must be from 1 to 8760".to_owned()));
        }
        let secure_cookies = flag(var, "COOKIE_SECURE", production)?;
        Ok(Self { login_rate_limit_per_minute, register_rate_limit_per_hour, session_ttl_hours, secure_cookies })
    }
}

impl PaymentSettings {
    /// The provider at `provider_url` (see `provider_url`), injected faults (only where
    /// `fault_injection_allowed`), the breaker, the retries and the background worker.
    fn from_lookup(
        var: &impl Fn(&'static str) -> Option<String>,
        provider_url: Option<String>,
        fault_injection_allowed: bool,
    ) -> Result<Self, ConfigError> {
        let failure_rate = rate(var, "PAYMENT_FAILURE_RATE", "0")?;
        let latency_ms: u64 = parse(var, "PAYMENT_LATENCY_MS", "0", "a whole number of milliseconds")?;
        for (name, injected) in [("PAYMENT_FAILURE_RATE", failure_rate > 0.0), ("PAYMENT_LATENCY_MS", latency_ms > 0)] {
            if injected && !fault_injection_allowed {
                return Err(err(
                    name,
                    "must be 0: fault injection is off (set ALLOW_FAULT_INJECTION=1 to allow it)".to_owned(),
                ));
            }
        }
        Ok(PaymentSettings {
            provider_url,
            failure_rate,
            latency_ms,
            timeout_ms: positive(var, "PAYMENT_TIMEOUT_MS", "1000")?,
            checkout_attempts: positive(var, "PAYMENT_RETRY_ATTEMPTS", "3")?,
            breaker_consecutive_failures: positive(var, "BREAKER_CONSECUTIVE_FAILURES", "5")?,
            breaker_failure_rate: rate(var, "BREAKER_FAILURE_RATE", "0.5")?,
            breaker_open_ms: positive::<i64>(var, "BREAKER_OPEN_SECONDS", "5")? * 1000,
            job_max_attempts: positive(var, "PAYMENT_JOB_MAX_ATTEMPTS", "10")?,
            job_backoff_base_ms: positive(var, "PAYMENT_JOB_BACKOFF_MS", "1000")?,
            worker_poll_ms: positive(var, "PAYMENT_WORKER_POLL_MS", "250")?,
            instance_liveness_ms: positive(var, "INSTANCE_LIVENESS_MS", "15000")?,
        })
    }
}

/// `PAYMENT_PROVIDER_URL`, without a trailing slash; unset = the simulated provider (refused in
/// production unless `ALLOW_SIMULATED_PROVIDER=1`).
fn provider_url(
    var: &impl Fn(&'static str) -> Option<String>,
    production: bool,
) -> Result<Option<String>, ConfigError> {
    let provider_url = var("PAYMENT_PROVIDER_URL");
    if let Some(url) = &provider_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(err("PAYMENT_PROVIDER_URL", format!("'{url}' is not an http(s) URL")));
        }
    }
    if production && provider_url.is_none() && !flag(var, "ALLOW_SIMULATED_PROVIDER", false)? {
        return Err(err(
            "PAYMENT_PROVIDER_URL",
            "must be set when APP_ENV=production: the simulated provider takes no real payments \
             (set ALLOW_SIMULATED_PROVIDER=1 to run on it anyway)"
                .to_owned(),
        ));
    }
    Ok(provider_url.map(|u| u.trim_end_matches('/').to_owned()))
}

/// A share from 0.0 to 1.0.
fn rate(var: &impl Fn(&'static str) -> Option<String>, name: &'static str, default: &str) -> Result<f64, ConfigError> {
    let value: f64 = parse(var, name, default, "a number from 0.0 to 1.0")?;
    if !(0.0..=1.0).contains(&value) {
        return Err(err(name, "must be from 0.0 to 1.0".to_owned()));
    }
    Ok(value)
}

impl CheckoutSettings {
    /// The throttle, the concurrency bound and the idempotency keys' lifetime.
    fn from_lookup(var: &impl Fn(&'static str) -> Option<String>) -> Result<Self, ConfigError> {
        let throttle_per_user = match var("THROTTLING_KEY").as_deref() {
            None | Some("global") => false,
            Some("user") => true,
            Some(other) => return Err(err("THROTTLING_KEY", format!("'{other}' is not one of: global, user"))),
        };
        Ok(CheckoutSettings {
            throttle_max_rps: parse(var, "THROTTLING_MAX_RPS", "1000", "a whole number (0 turns throttling off)")?,
            throttle_burst: positive(var, "THROTTLING_BURST", "200")?,
            throttle_per_user,
            max_concurrency: positive(var, "CHECKOUT_MAX_CONCURRENCY", "64")?,
            queue_timeout_ms: parse(var, "CHECKOUT_QUEUE_TIMEOUT_MS", "200", "a whole number of milliseconds")?,
            idempotency_key_ttl_seconds: positive(var, "IDEMPOTENCY_KEY_TTL_SECONDS", "86400")?,
        })
    }
}

/// `METRICS_ADDR` (`off` or `0` turns the listener off) and `METRICS_TOKEN`.
fn metrics_listener(
    var: &impl Fn(&'static str) -> Option<String>,
) -> Result<(Option<SocketAddr>, Option<String>), ConfigError> {
    let addr = match var("METRICS_ADDR").as_deref() {
        Some("off" | "0") => None,
        _ => Some(parse(
            var,
            "METRICS_ADDR",
            DEFAULT_METRICS_ADDR,
            "a host:port socket address such as 127.0.0.1:9464, or off",
        )?),
    };
    let token = var("METRICS_TOKEN");
    if token.as_ref().is_some_and(|t| t.len() < 16 || !t.chars().all(|c| c.is_ascii_graphic())) {
        return Err(err("METRICS_TOKEN", "must be at least 16 printable characters without spaces".to_owned()));
    }
    Ok((addr, token))
}

impl HttpSettings {
    /// Proxies, origins and timeouts; HSTS in production; the live-reload allowance while
    /// cargo-leptos watches (`live_reload`, outside production only).
    fn from_lookup(
        var: &impl Fn(&'static str) -> Option<String>,
        production: bool,
        live_reload: bool,
    ) -> Result<Self, ConfigError> {
        Ok(HttpSettings {
            trusted_proxies: TrustedProxies::parse(&var("TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|e| err("TRUSTED_PROXIES", e))?,
            allowed_origins: allowed_origins(&var("ALLOWED_ORIGINS").unwrap_or_default())
                .map_err(|e| err("ALLOWED_ORIGINS", e))?,
            header_read_timeout_ms: positive(var, "HEADER_READ_TIMEOUT_MS", "10000")?,
            request_timeout_ms: positive(var, "REQUEST_TIMEOUT_MS", "30000")?,
            hsts: production,
            live_reload: !production && live_reload,
        })
    }
}

/// The bundle's file name stem when nothing names one (cargo-leptos' `output-name`).
pub const DEFAULT_OUTPUT_NAME: &str = "retail";

/// What a run without cargo-leptos and without LEPTOS_* variables gets (README defaults).
fn default_leptos_options() -> LeptosOptions {
    LeptosOptions::builder().output_name(DEFAULT_OUTPUT_NAME).site_root("target/site").site_pkg_dir("pkg").build()
}

/// cargo-leptos' settings as Leptos' standard reader finds them: `[[workspace.metadata.leptos]]`
/// of `./Cargo.toml` under the LEPTOS_* variables when the server runs from the workspace root
/// (`get_configuration(Some("Cargo.toml"))`); the LEPTOS_* variables alone otherwise
/// (`get_configuration(None)`: a deployed binary has no Cargo.toml, and `cargo test` runs in a
/// member's folder, whose Cargo.toml has no such section). cargo-leptos sets the variables
/// when it runs the server; a binary it built also knows the bundle name (LEPTOS_OUTPUT_NAME
/// is compiled in).
pub fn cargo_leptos_options() -> Result<LeptosOptions, LeptosConfigError> {
    match get_configuration(Some("Cargo.toml")) {
        Ok(conf) => Ok(conf.leptos_options),
        Err(LeptosConfigError::ConfigNotFound | LeptosConfigError::ConfigSectionNotFound) => {
            get_configuration(None).map(|conf| conf.leptos_options)
        }
        Err(e) => Err(e),
    }
}

/// The Leptos options: `base` with this lookup's LEPTOS_* values on top. Every variable Leptos'
/// reader parses is checked here first, so a bad one stops start-up naming it like any other
/// setting (the reader's own errors do not say which variable).
fn leptos_options(
    var: &impl Fn(&'static str) -> Option<String>,
    base: impl FnOnce() -> Result<LeptosOptions, LeptosConfigError>,
) -> Result<LeptosOptions, ConfigError> {
    let site_addr: Option<SocketAddr> =
        optional(var, "LEPTOS_SITE_ADDR", "a host:port socket address such as 127.0.0.1:3000")?;
    let reload_port: Option<u32> = optional(var, "LEPTOS_RELOAD_PORT", "a port number")?;
    let _: Option<u32> = optional(var, "LEPTOS_RELOAD_EXTERNAL_PORT", "a port number")?;
    // cargo-leptos writes `true` / `false`, and Leptos' reader accepts nothing else.
    let hash_files = match var("LEPTOS_HASH_FILES").as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => return Err(err("LEPTOS_HASH_FILES", format!("'{other}' is not true or false"))),
    };
    let env = match var("LEPTOS_ENV").map(|v| v.to_ascii_lowercase()).as_deref() {
        None => None,
        Some("dev" | "development") => Some(leptos::config::Env::DEV),
        Some("prod" | "production") => Some(leptos::config::Env::PROD),
        Some(other) => return Err(err("LEPTOS_ENV", format!("'{other}' is not one of: dev, prod"))),
    };
    if let Some(other) =
        var("LEPTOS_RELOAD_WS_PROTOCOL").filter(|v| !matches!(v.to_ascii_lowercase().as_str(), "ws" | "wss"))
    {
        return Err(err("LEPTOS_RELOAD_WS_PROTOCOL", format!("'{other}' is not one of: ws, wss")));
    }
    let mut options = base().map_err(|e| err("cargo-leptos settings (Cargo.toml, LEPTOS_*)", e.to_string()))?;
    if let Some(addr) = site_addr {
        options.site_addr = addr;
    }
    if let Some(root) = var("LEPTOS_SITE_ROOT") {
        options.site_root = root.into();
    }
    if let Some(dir) = var("LEPTOS_SITE_PKG_DIR") {
        options.site_pkg_dir = dir.into();
    }
    if let Some(name) = var("LEPTOS_OUTPUT_NAME") {
        options.output_name = name.into();
    }
    if options.output_name.is_empty() {
        options.output_name = DEFAULT_OUTPUT_NAME.into();
    }
    if let Some(on) = hash_files {
        options.hash_files = on;
    }
    if let Some(name) = var("LEPTOS_HASH_FILE_NAME") {
        options.hash_file = name.into();
    }
    if let Some(env) = env {
        options.env = env;
    }
    if let Some(port) = reload_port {
        options.reload_port = port;
    }
    Ok(options)
}

/// A value that has no default here (the Leptos options supply it).
fn optional<T: std::str::FromStr>(
    var: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    expected: &str,
) -> Result<Option<T>, ConfigError> {
    var(name).map(|raw| raw.parse().map_err(|_| err(name, format!("'{raw}' is not {expected}")))).transpose()
}

/// `ALLOWED_ORIGINS`: comma-separated `scheme://host[:port]`, compared exactly (lower case).
fn allowed_origins(list: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let origin = item.strip_suffix('/').unwrap_or(item).to_ascii_lowercase();
        let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        let valid = host.is_some_and(|h| {
            !h.is_empty() && !h.contains(|c: char| matches!(c, '/' | '?' | '#' | '@') || c.is_whitespace())
        });
        if !valid {
            return Err(format!("'{item}' is not an origin such as https://shop.example (scheme and host, no path)"));
        }
        origins.push(origin);
    }
    Ok(origins)
}

/// PostgreSQL TLS settings in the URL (connections use rustls): a known `sslmode`, and a CA
/// file that exists when one is named.
fn check_postgres_tls(url: &str) -> Result<(), ConfigError> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    for (key, value) in query.split('&').filter_map(|pair| pair.split_once('=')) {
        match key {
            "sslmode" if !POSTGRES_SSL_MODES.contains(&value) => {
                return Err(err(
                    "DATABASE_URL",
                    format!("sslmode '{value}' is not one of: {}", POSTGRES_SSL_MODES.join(", ")),
                ))
            }
            "sslrootcert" | "sslcert" | "sslkey" if !std::path::Path::new(value).is_file() => {
                return Err(err("DATABASE_URL", format!("{key} '{value}' is not a readable file")))
            }
            _ => {}
        }
    }
    Ok(())
}

const POSTGRES_SSL_MODES: &[&str] = &["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

fn err(variable: &'static str, problem: String) -> ConfigError {
    ConfigError { variable, problem }
}

fn parse<T: std::str::FromStr>(
    var: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    default: &str,
    expected: &str,
) -> Result<T, ConfigError> {
    let raw = var(name).unwrap_or_else(|| default.to_owned());
    raw.parse().map_err(|_| err(name, format!("'{raw}' is not {expected}")))
}

/// A whole number of at least 1.
fn positive<T: std::str::FromStr + PartialOrd + From<u8>>(
    var: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<T, ConfigError> {
    let value: T = parse(var, name, default, "a whole number of at least 1")?;
    if value < T::from(1) {
        return Err(err(name, "must be at least 1".to_owned()));
    }
    Ok(value)
}

fn flag(var: &impl Fn(&'static str) -> Option<String>, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(err(name, format!("'{other}' is not a flag (use 1 or 0)"))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_run_on_embedded_sqlite() {
        let s = settings(&[]).expect("defaults are valid");
        assert_eq!(s.app_env, AppEnv::Development);
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.backend, Backend::Sqlite);
        assert_eq!(s.login_rate_limit_per_minute, 10);
        assert!(!s.secure_cookies);
        assert!(!s.demo_seed);
    }

    #[test]
    fn postgres_urls_select_postgres() {
        let s = settings(&[("DATABASE_URL", "postgres://u:p@localhost/db")]).expect("valid");
        assert_eq!(s.backend, Backend::Postgres);
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) as u32;
        assert_eq!(s.database_max_connections, cores + 1);
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let e = settings(&[("LEPTOS_SITE_ADDR", "localhost")]).expect_err("invalid address");
        assert_eq!(e.variable, "LEPTOS_SITE_ADDR");
        assert!(e.to_string().starts_with("configuration error: LEPTOS_SITE_ADDR: 'localhost' is not"));
        assert_eq!(settings(&[("DATABASE_URL", "mysql://x")]).expect_err("bad url").variable, "DATABASE_URL");
        assert_eq!(settings(&[("DEMO_SEED", "maybe")]).expect_err("bad flag").variable, "DEMO_SEED");
        assert_eq!(
            settings(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "-1")]).expect_err("negative").variable,
            "LOGIN_RATE_LIMIT_PER_MINUTE"
        );
        assert_eq!(settings(&[("SUPER_ADMIN_PASSWORD", "short")]).expect_err("weak").variable, "SUPER_ADMIN_PASSWORD");
    }

    #[test]
    fn production_requires_an_explicit_super_admin_password() {
        let e = settings(&[("APP_ENV", "production")]).expect_err("no password");
        assert_eq!(e.variable, "SUPER_ADMIN_PASSWORD");
        let ok = settings(&[
            ("APP_ENV", "production"),
            ("SUPER_ADMIN_PASSWORD", "a-long-secret-42"),
            ("PAYMENT_PROVIDER_URL", "https://pay.example.com"),
        ])
        .expect("explicit secret");
        assert!(ok.secure_cookies);
    }

    #[test]
    fn payment_and_throttle_settings_are_checked() {
        let s = settings(&[("THROTTLING_MAX_RPS", "0"), ("THROTTLING_KEY", "user"), ("PAYMENT_FAILURE_RATE", "0.25")])
            .expect("valid");
        assert_eq!(s.checkout.throttle_max_rps, 0);
        assert!(s.checkout.throttle_per_user);
        assert_eq!(s.payments.failure_rate, 0.25);
        assert_eq!(s.payments.provider_url, None);
        assert_eq!(settings(&[("PAYMENT_FAILURE_RATE", "2")]).expect_err("rate").variable, "PAYMENT_FAILURE_RATE");
        assert_eq!(settings(&[("THROTTLING_KEY", "ip")]).expect_err("key").variable, "THROTTLING_KEY");
        assert_eq!(settings(&[("PAYMENT_PROVIDER_URL", "ftp://x")]).expect_err("url").variable, "PAYMENT_PROVIDER_URL");
        assert_eq!(
            settings(&[("CHECKOUT_MAX_CONCURRENCY", "0")]).expect_err("zero").variable,
            "CHECKOUT_MAX_CONCURRENCY"
        );
    }

    #[test]
    fn registrations_are_limited_per_hour_unless_account_limits_are_off() {
        assert_eq!(settings(&[]).expect("defaults").register_rate_limit_per_hour, 20);
        let load = settings(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "0")]).expect("valid");
        assert_eq!(load.register_rate_limit_per_hour, 0);
        let explicit =
            settings(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "0"), ("REGISTER_RATE_LIMIT_PER_HOUR", "5")]).expect("valid");
        assert_eq!(explicit.register_rate_limit_per_hour, 5);
        assert_eq!(
            settings(&[("REGISTER_RATE_LIMIT_PER_HOUR", "many")]).expect_err("not a number").variable,
            "REGISTER_RATE_LIMIT_PER_HOUR"
        );
    }

    #[test]
    fn the_default_timezone_is_an_iana_name() {
        assert_eq!(settings(&[]).expect("defaults").default_timezone.name(), "UTC");
        let berlin = settings(&[("DEFAULT_TIMEZONE", "Europe/Berlin")]).expect("valid");
        assert_eq!(berlin.default_timezone.name(), "Europe/Berlin");
        let e = settings(&[("DEFAULT_TIMEZONE", "Mars/Olympus")]).expect_err("unknown zone");
        assert_eq!(e.variable, "DEFAULT_TIMEZONE");
        assert!(e.to_string().starts_with("configuration error: DEFAULT_TIMEZONE: 'Mars/Olympus' is not a time zone"));
    }

    #[test]
    fn production_refuses_demo_accounts() {
        let e =
            settings(&[("APP_ENV", "production"), ("SUPER_ADMIN_PASSWORD", "a-long-secret-42"), ("DEMO_SEED", "1")])
                .expect_err("demo refused");
        assert_eq!(e.variable, "DEMO_SEED");
    }

    const PRODUCTION: [(&str, &str); 2] = [("APP_ENV", "production"), ("SUPER_ADMIN_PASSWORD", "a-long-secret-42")];

    fn production(extra: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut pairs = PRODUCTION.to_vec();
        pairs.extend_from_slice(extra);
        settings(&pairs)
    }

    #[test]
    fn production_refuses_the_simulated_provider_unless_allowed() {
        let e = production(&[]).expect_err("simulated provider");
        assert_eq!(e.variable, "PAYMENT_PROVIDER_URL");
        assert_eq!(
            e.problem,
            "must be set when APP_ENV=production: the simulated provider takes no real payments \
             (set ALLOW_SIMULATED_PROVIDER=1 to run on it anyway)"
        );
        let allowed = production(&[("ALLOW_SIMULATED_PROVIDER", "1")]).expect("explicitly allowed");
        assert_eq!(allowed.payments.provider_url, None);
        assert!(!allowed.fault_injection_allowed);
        let real = production(&[("PAYMENT_PROVIDER_URL", "https://pay.example.com/")]).expect("a real provider");
        assert_eq!(real.payments.provider_url.as_deref(), Some("https://pay.example.com"));
        assert!(settings(&[]).expect("development").payments.provider_url.is_none());
    }

    #[test]
    fn production_refuses_fault_injection_unless_allowed() {
        let simulated = ("ALLOW_SIMULATED_PROVIDER", "1");
        for (name, value) in [("PAYMENT_FAILURE_RATE", "0.1"), ("PAYMENT_LATENCY_MS", "50")] {
            let e = production(&[simulated, (name, value)]).expect_err("fault refused");
            assert_eq!(e.variable, name);
            assert_eq!(e.problem, "must be 0: fault injection is off (set ALLOW_FAULT_INJECTION=1 to allow it)");
            let ok = production(&[simulated, (name, value), ("ALLOW_FAULT_INJECTION", "1")]).expect("allowed");
            assert!(ok.fault_injection_allowed);
        }
        assert!(production(&[simulated, ("PAYMENT_FAILURE_RATE", "0")]).is_ok(), "zero is no fault");
        assert!(settings(&[]).expect("development").fault_injection_allowed);
        let off = settings(&[("ALLOW_FAULT_INJECTION", "0"), ("PAYMENT_FAILURE_RATE", "0.5")]).expect_err("off");
        assert_eq!(off.variable, "PAYMENT_FAILURE_RATE");
    }

    #[test]
    fn metrics_listen_on_loopback_by_default_and_can_be_turned_off() {
        let s = settings(&[]).expect("defaults");
        assert_eq!(s.metrics_addr.map(|a| a.to_string()).as_deref(), Some("127.0.0.1:9464"));
        assert_eq!(s.metrics_token, None);
        assert_eq!(settings(&[("METRICS_ADDR", "off")]).expect("off").metrics_addr, None);
        assert_eq!(settings(&[("METRICS_ADDR", "0")]).expect("off").metrics_addr, None);
        let any = settings(&[("METRICS_ADDR", "0.0.0.0:9100")]).expect("explicit");
        assert_eq!(any.metrics_addr.map(|a| a.to_string()).as_deref(), Some("0.0.0.0:9100"));
        let e = settings(&[("METRICS_ADDR", "localhost")]).expect_err("not an address");
        assert_eq!(e.to_string(), "configuration error: METRICS_ADDR: 'localhost' is not a host:port socket address such as 127.0.0.1:9464, or off");
        let token = settings(&[("METRICS_TOKEN", "0123456789abcdef")]).expect("token");
        assert_eq!(token.metrics_token.as_deref(), Some("0123456789abcdef"));
        assert_eq!(settings(&[("METRICS_TOKEN", "short")]).expect_err("short").variable, "METRICS_TOKEN");
    }

    #[test]
    fn postgres_tls_settings_are_checked() {
        let require = settings(&[("DATABASE_URL", "postgres://u:p@db.example.com/shop?sslmode=require")]);
        assert!(require.is_ok(), "sslmode=require is supported");
        let e = settings(&[("DATABASE_URL", "postgres://u:p@db/shop?sslmode=required")]).expect_err("bad mode");
        assert_eq!(e.variable, "DATABASE_URL");
        assert_eq!(
            e.problem,
            "sslmode 'required' is not one of: disable, allow, prefer, require, verify-ca, verify-full"
        );
        let e = settings(&[("DATABASE_URL", "postgres://u:p@db/shop?sslmode=verify-full&sslrootcert=/no/such/ca.pem")])
            .expect_err("missing CA");
        assert_eq!(e.problem, "sslrootcert '/no/such/ca.pem' is not a readable file");
    }

    #[test]
    fn leptos_options_come_from_cargo_leptos_settings_under_the_variables() {
        let s = settings(&[]).expect("defaults");
        assert_eq!(
            (&*s.leptos.site_root, &*s.leptos.site_pkg_dir, &*s.leptos.output_name),
            ("target/site", "pkg", "retail")
        );
        assert_eq!(s.leptos.site_addr, s.site_addr);
        assert!(!s.leptos.hash_files);

        // What cargo-leptos and Leptos' reader find in the workspace's Cargo.toml.
        let workspace =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).expect("Cargo.toml");
        let metadata = leptos::config::get_config_from_str(&workspace).expect("[[workspace.metadata.leptos]]");
        assert!(metadata.hash_files, "hashed bundle names (hash-files = true)");
        assert_eq!(
            (&*metadata.output_name, &*metadata.site_root, &*metadata.site_pkg_dir),
            ("retail", "target/site", "pkg")
        );

        let map: HashMap<&str, &str> = HashMap::from([
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
            ("LEPTOS_SITE_ROOT", "/srv/site"),
            ("LEPTOS_HASH_FILES", "false"),
            ("LEPTOS_HASH_FILE_NAME", "/srv/hash.txt"),
        ]);
        let s = Settings::from_lookup_with(|name| map.get(name).map(|v| v.to_string()), || Ok(metadata.clone()))
            .expect("valid");
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:0");
        assert_eq!(
            (&*s.leptos.site_root, &*s.leptos.hash_file, s.leptos.hash_files),
            ("/srv/site", "/srv/hash.txt", false)
        );
        assert_eq!(&*s.leptos.output_name, "retail");

        for (name, bad) in [
            ("LEPTOS_HASH_FILES", "1"),
            ("LEPTOS_ENV", "staging"),
            ("LEPTOS_RELOAD_PORT", "x"),
            ("LEPTOS_RELOAD_WS_PROTOCOL", "http"),
        ] {
            assert_eq!(settings(&[(name, bad)]).expect_err(bad).variable, name);
        }
        let broken = Settings::from_lookup_with(|_| None, || Err(LeptosConfigError::ConfigError("bad".to_owned())));
        assert!(broken
            .expect_err("reader failed")
            .to_string()
            .starts_with("configuration error: cargo-leptos settings"));
    }

    #[test]
    fn proxies_origins_and_timeouts_are_checked() {
        let s = settings(&[]).expect("defaults");
        assert!(s.http.trusted_proxies.is_empty());
        assert!(s.http.allowed_origins.is_empty());
        assert_eq!((s.http.header_read_timeout_ms, s.http.request_timeout_ms), (10_000, 30_000));
        assert!(!s.http.hsts);
        let s = settings(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ("ALLOWED_ORIGINS", "https://Shop.example/, http://localhost:3000"),
        ])
        .expect("valid");
        assert!(s.http.trusted_proxies.contains("10.1.2.3".parse().expect("ip")));
        assert_eq!(s.http.allowed_origins, ["https://shop.example", "http://localhost:3000"]);
        assert_eq!(settings(&[("TRUSTED_PROXIES", "proxy.local")]).expect_err("name").variable, "TRUSTED_PROXIES");
        assert_eq!(settings(&[("TRUSTED_PROXIES", "10.0.0.0/40")]).expect_err("prefix").variable, "TRUSTED_PROXIES");
        for bad in ["shop.example", "https://", "https://shop.example/path", "ftp://shop.example"] {
            assert_eq!(settings(&[("ALLOWED_ORIGINS", bad)]).expect_err(bad).variable, "ALLOWED_ORIGINS");
        }
        assert_eq!(settings(&[("REQUEST_TIMEOUT_MS", "0")]).expect_err("zero").variable, "REQUEST_TIMEOUT_MS");
        let production = settings(&[
            ("APP_ENV", "production"),
            ("SUPER_ADMIN_PASSWORD", "a-long-secret-42"),
            ("PAYMENT_PROVIDER_URL", "https://pay.example.com"),
        ])
        .expect("production");
        assert!(production.http.hsts, "HSTS in production");
    }
}
