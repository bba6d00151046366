//! Typed settings, read once at start from the environment (and `.env`, loaded by `main`).
//! A bad value stops start-up with one line naming the variable and the problem.

use std::net::SocketAddr;

use app::accounts::credentials::Password;
use app::platform::Backend;

use crate::client_addr::TrustedProxies;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub app_env: AppEnv,
    pub site_addr: SocketAddr,
    pub site_root: String,
    pub site_pkg_dir: String,
    pub output_name: String,
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
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting through `get`, so tests can pass a map instead of the process env.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &'static str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let app_env = match var("APP_ENV").as_deref() {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(other) => return Err(err("APP_ENV", format!("'{other}' is not one of: development, production"))),
        };
        let production = app_env == AppEnv::Production;

        let site_addr =
            parse(&var, "LEPTOS_SITE_ADDR", "127.0.0.1:3000", "a host:port socket address such as 127.0.0.1:3000")?;
        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let backend = Backend::from_url(&database_url)
            .ok_or_else(|| err("DATABASE_URL", "must start with sqlite:// or postgres://".to_owned()))?;
        if backend == Backend::Postgres {
            check_postgres_tls(&database_url)?;
        }
        // Measured on 2 cores with PostgreSQL on the same box: 3 connections gave 812 checkouts/s
        // at p95 11 ms, 16 gave 448/s at p95 93 ms (its backends fought over the cores).
        let default_connections = match backend {
            Backend::Sqlite => "4".to_owned(),
            Backend::Postgres => (std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) + 1).to_string(),
        };
        let database_max_connections: u32 =
            parse(&var, "DATABASE_MAX_CONNECTIONS", &default_connections, "a whole number from 1 to 1000")?;
        if !(1..=1000).contains(&database_max_connections) {
            return Err(err("DATABASE_MAX_CONNECTIONS", "must be from 1 to 1000".to_owned()));
        }

        let demo_seed = flag(&var, "DEMO_SEED", false)?;
        if production && demo_seed {
            return Err(err(
                "DEMO_SEED",
                "demo accounts have published passwords and are refused when APP_ENV=production".to_owned(),
            ));
        }

        let super_admin_username = var("SUPER_ADMIN_USERNAME").unwrap_or_else(|| "super_admin".to_owned());
        app::accounts::credentials::Username::parse(&super_admin_username)
            .map_err(|e| err("SUPER_ADMIN_USERNAME", e.to_string()))?;
        let super_admin_email =
            var("SUPER_ADMIN_EMAIL").unwrap_or_else(|| format!("{super_admin_username}@retail.local"));
        app::accounts::credentials::Email::parse(&super_admin_email)
            .map_err(|e| err("SUPER_ADMIN_EMAIL", e.to_string()))?;
        let super_admin_password = var("SUPER_ADMIN_PASSWORD");
        match &super_admin_password {
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

        let login_rate_limit_per_minute =
            parse(&var, "LOGIN_RATE_LIMIT_PER_MINUTE", "10", "a whole number (0 turns the limit off)")?;
        // Off by default when logins are unlimited: load runs register hundreds of users from
        // one address and turn the account limits off with that one switch.
        let register_default = if login_rate_limit_per_minute == 0 { "0" } else { "20" };
        let register_rate_limit_per_hour =
            parse(&var, "REGISTER_RATE_LIMIT_PER_HOUR", register_default, "a whole number (0 turns the limit off)")?;
        let session_ttl_hours: i64 = parse(&var, "SESSION_TTL_HOURS", "168", "a whole number of hours from 1 to 8760")?;
        if !(1..=8760).contains(&session_ttl_hours) {
            return Err(err("SESSION_TTL_HOURS", "must be from 1 to 8760".to_owned()));
        }
        let secure_cookies = flag(&var, "COOKIE_SECURE", production)?;

        let provider_url = var("PAYMENT_PROVIDER_URL");
        if let Some(url) = &provider_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(err("PAYMENT_PROVIDER_URL", format!("'{url}' is not an http(s) URL")));
            }
        }
        if production && provider_url.is_none() && !flag(&var, "ALLOW_SIMULATED_PROVIDER", false)? {
            return Err(err(
                "PAYMENT_PROVIDER_URL",
                "must be set when APP_ENV=production: the simulated provider takes no real payments \
                 (set ALLOW_SIMULATED_PROVIDER=1 to run on it anyway)"
                    .to_owned(),
            ));
        }
        let fault_injection_allowed = flag(&var, "ALLOW_FAULT_INJECTION", !production)?;
        let failure_rate: f64 = parse(&var, "PAYMENT_FAILURE_RATE", "0", "a number from 0.0 to 1.0")?;
        if !(0.0..=1.0).contains(&failure_rate) {
            return Err(err("PAYMENT_FAILURE_RATE", "must be from 0.0 to 1.0".to_owned()));
        }
        let latency_ms: u64 = parse(&var, "PAYMENT_LATENCY_MS", "0", "a whole number of milliseconds")?;
        for (name, injected) in [("PAYMENT_FAILURE_RATE", failure_rate > 0.0), ("PAYMENT_LATENCY_MS", latency_ms > 0)] {
            if injected && !fault_injection_allowed {
                return Err(err(
                    name,
                    "must be 0: fault injection is off (set ALLOW_FAULT_INJECTION=1 to allow it)".to_owned(),
                ));
            }
        }
        let breaker_failure_rate: f64 = parse(&var, "BREAKER_FAILURE_RATE", "0.5", "a number from 0.0 to 1.0")?;
        if !(0.0..=1.0).contains(&breaker_failure_rate) {
            return Err(err("BREAKER_FAILURE_RATE", "must be from 0.0 to 1.0".to_owned()));
        }
        let payments = PaymentSettings {
            provider_url: provider_url.map(|u| u.trim_end_matches('/').to_owned()),
            failure_rate,
            latency_ms,
            timeout_ms: positive(&var, "PAYMENT_TIMEOUT_MS", "1000")?,
            checkout_attempts: positive(&var, "PAYMENT_RETRY_ATTEMPTS", "3")?,
            breaker_consecutive_failures: positive(&var, "BREAKER_CONSECUTIVE_FAILURES", "5")?,
            breaker_failure_rate,
            breaker_open_ms: positive::<i64>(&var, "BREAKER_OPEN_SECONDS", "5")? * 1000,
            job_max_attempts: positive(&var, "PAYMENT_JOB_MAX_ATTEMPTS", "10")?,
            job_backoff_base_ms: positive(&var, "PAYMENT_JOB_BACKOFF_MS", "1000")?,
            worker_poll_ms: positive(&var, "PAYMENT_WORKER_POLL_MS", "250")?,
            instance_liveness_ms: positive(&var, "INSTANCE_LIVENESS_MS", "15000")?,
        };
        let throttle_per_user = match var("THROTTLING_KEY").as_deref() {
            None | Some("global") => false,
            Some("user") => true,
            Some(other) => return Err(err("THROTTLING_KEY", format!("'{other}' is not one of: global, user"))),
        };
        let checkout = CheckoutSettings {
            throttle_max_rps: parse(&var, "THROTTLING_MAX_RPS", "1000", "a whole number (0 turns throttling off)")?,
            throttle_burst: positive(&var, "THROTTLING_BURST", "200")?,
            throttle_per_user,
            max_concurrency: positive(&var, "CHECKOUT_MAX_CONCURRENCY", "64")?,
            queue_timeout_ms: parse(&var, "CHECKOUT_QUEUE_TIMEOUT_MS", "200", "a whole number of milliseconds")?,
            idempotency_key_ttl_seconds: positive(&var, "IDEMPOTENCY_KEY_TTL_SECONDS", "86400")?,
        };

        let metrics_addr = match var("METRICS_ADDR").as_deref() {
            Some("off" | "0") => None,
            _ => Some(parse(
                &var,
                "METRICS_ADDR",
                DEFAULT_METRICS_ADDR,
                "a host:port socket address such as 127.0.0.1:9464, or off",
            )?),
        };
        let metrics_token = var("METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16 || !t.chars().all(|c| c.is_ascii_graphic())) {
            return Err(err("METRICS_TOKEN", "must be at least 16 printable characters without spaces".to_owned()));
        }

        let http = HttpSettings {
            trusted_proxies: TrustedProxies::parse(&var("TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|e| err("TRUSTED_PROXIES", e))?,
            allowed_origins: allowed_origins(&var("ALLOWED_ORIGINS").unwrap_or_default())
                .map_err(|e| err("ALLOWED_ORIGINS", e))?,
            header_read_timeout_ms: positive(&var, "HEADER_READ_TIMEOUT_MS", "10000")?,
            request_timeout_ms: positive(&var, "REQUEST_TIMEOUT_MS", "30000")?,
            hsts: production,
            live_reload: !production && get("LEPTOS_WATCH").is_some(),
        };

        Ok(Settings {
            app_env,
            site_addr,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned()),
            site_pkg_dir: var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".to_owned()),
            output_name: var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "retail".to_owned()),
            database_url,
            backend,
            database_max_connections,
            demo_seed,
            super_admin_username: super_admin_username.to_ascii_lowercase(),
            super_admin_email,
            super_admin_password,
            login_rate_limit_per_minute,
            register_rate_limit_per_hour,
            session_ttl_hours,
            secure_cookies,
            log_filter: var("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            payments,
            checkout,
            session_cache_ms: parse(&var, "SESSION_CACHE_MS", "5000", "a whole number of milliseconds")?,
            storefront_cache_ms: parse(&var, "STOREFRONT_CACHE_MS", "1000", "a whole number of milliseconds")?,
            metrics_addr,
            metrics_token,
            fault_injection_allowed,
            http,
        })
    }
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
