//! Operations: health and readiness, request ids, the metrics listener and what it exports,
//! migrations (lock and checksums), restarts, production safety refusals, and TLS to the
//! payment provider and PostgreSQL.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::configuration::Settings;
use server::startup::Application;
use sqlx::Row;

use crate::support::shop::CARD;
use crate::support::{
    alone_in_a_process, fresh_database, post, register, spawn_app, spawn_app_with, wait_until, TestApp, PASSWORD,
    SUPER_ADMIN_PASSWORD,
};

async fn scrape(app: &TestApp) -> String {
    let response = app.client.get(&app.metrics_url).send().await.expect("scrape");
    assert_eq!(response.status(), StatusCode::OK, "metrics listener answers");
    response.text().await.expect("metrics text")
}

/// The value of the sample line that starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
}

/// Builds a server that must refuse to start, and returns why.
async fn refusal(settings: Settings) -> String {
    match Application::build(settings).await {
        Ok(_) => panic!("the server started but should have refused"),
        Err(err) => err.to_string(),
    }
}

/// Pipes `text` through `promtool check metrics` when promtool is installed. Missing promtool
/// fails the test in CI (CI or REQUIRE_POSTGRES set), where scripts/setup-tools installs it.
fn promtool_check(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let spawned = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => {
            let ci =
                ["CI", "REQUIRE_POSTGRES"].iter().any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty() && v != "0"));
            assert!(!ci, "promtool is required in CI (scripts/setup-tools installs it): {err}");
            eprintln!("SKIPPED promtool check: promtool not found ({err})");
            return;
        }
    };
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write to promtool");
    let out = child.wait_with_output().expect("promtool runs");
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- metrics ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- metrics -------------------------------------------------------------------------------

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_not_the_shop_port() {
    let app = spawn_app_with(&[]).await;
    let shop_port = app.get("/metrics").await;
    assert_eq!(shop_port.status(), StatusCode::NOT_FOUND, "no /metrics on the public listener");

    let response = app.client.get(&app.metrics_url).send().await.expect("scrape");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(!app.metrics_url.starts_with(&app.address), "a different port: {} vs {}", app.metrics_url, app.address);
    let text = response.text().await.expect("text");
    assert!(text.contains("# TYPE retail_build_info gauge"), "{text}");
}

#[tokio::test]
async fn a_metrics_token_guards_both_listeners() {
    const TOKEN: &str = "metrics-token-0123456789";
    let app = spawn_app_with(&[("METRICS_TOKEN", TOKEN)]).await;
    for url in [app.url("/metrics"), app.metrics_url.clone()] {
        let anonymous = app.client.get(&url).send().await.expect("scrape");
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{url} without a token");
        assert_eq!(anonymous.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
        let wrong = app.client.get(&url).bearer_auth("metrics-token-wrong-000000").send().await.expect("scrape");
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{url} with a wrong token");
        let right = app.client.get(&url).bearer_auth(TOKEN).send().await.expect("scrape");
        assert_eq!(right.status(), StatusCode::OK, "{url} with the token");
        assert!(right.text().await.expect("text").contains("# HELP retail_build_info "));
    }
}

#[tokio::test]
async fn every_family_has_help_and_the_output_passes_promtool() {
    // Exact gauges of the process-wide recorder: no other test's servers may update them.
    if !alone_in_a_process("ops::every_family_has_help_and_the_output_passes_promtool") {
        return;
    }
    let app = spawn_app_with(&[
        ("THROTTLING_MAX_RPS", "0"),
        ("PAYMENT_WORKER_POLL_MS", "50"),
        ("PAYMENT_JOB_BACKOFF_MS", "100"),
        ("PAYMENT_RETRY_ATTEMPTS", "1"),
        ("BREAKER_CONSECUTIVE_FAILURES", "1"),
        ("BREAKER_OPEN_SECONDS", "1"),
    ])
    .await;
    // An outage and its recovery, so the breaker and recovery-time series exist.
    app.login("super_admin", SUPER_ADMIN_PASSWORD).await;
    let fail =
        post(&app, &app.client, "/api/admin/payment-provider", json!({ "failure_rate": 1.0, "latency_ms": 0 })).await;
    assert_eq!(fail.status(), StatusCode::OK);
    let lamp = app.product("Lamp", 1_000, 10).await;
    let customer = app.signed_in("metrics_customer", Role::Customer).await;
    let added = post(&app, &customer, "/api/cart/add", json!({ "product_id": lamp, "quantity": 1 })).await;
    assert_eq!(added.status(), StatusCode::OK);
    let body = json!({ "payment_method": "card", "card_number": CARD, "card_expiry": "12/2099" });
    let queued: Value = post(&app, &customer, "/api/checkout", body).await.json().await.expect("json");
    assert_eq!(queued["status"], "payment_pending", "{queued}");
    let heal =
        post(&app, &app.client, "/api/admin/payment-provider", json!({ "failure_rate": 0.0, "latency_ms": 0 })).await;
    assert_eq!(heal.status(), StatusCode::OK);
    wait_until("the queued order to be paid", Duration::from_secs(30), || async {
        app.scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'").await == 1
    })
    .await;

    let text = scrape(&app).await;
    let families: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|l| l.split(' ').next()).collect();
    for expected in [
        "http_requests_total",
        "http_request_duration_seconds",
        "orders_submitted_total",
        "orders_accepted_total",
        "checkout_duration_seconds",
        "payment_gateway_requests_total",
        "circuit_breaker_state",
        "circuit_breaker_opened_total",
        "payment_outage_recovery_seconds",
        "payment_jobs_pending",
        "payment_jobs_completed_total",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_start_time_seconds",
        "retail_build_info",
    ] {
        assert!(families.contains(&expected), "family {expected} missing in:\n{text}");
    }
    for family in &families {
        assert!(
            text.lines().any(|l| l.strip_prefix("# HELP ").is_some_and(|h| h.split(' ').next() == Some(family))),
            "no HELP for {family}"
        );
    }
    // Breaker state: one series per state, the current one 1.
    assert_eq!(sample(&text, "circuit_breaker_state{state=\"closed\"}"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "circuit_breaker_state{state=\"open\"}"), Some(0.0));
    assert_eq!(sample(&text, "circuit_breaker_state{state=\"half_open\"}"), Some(0.0));
    // Recovery time: buckets from 1 s to 10 min.
    assert!(text.contains("payment_outage_recovery_seconds_bucket{le=\"1\"}"), "{text}");
    assert!(text.contains("payment_outage_recovery_seconds_bucket{le=\"600\"}"), "{text}");
    assert!(!text.contains("payment_outage_recovery_seconds_bucket{le=\"0.0005\"}"), "latency buckets: {text}");
    assert!(sample(&text, "payment_outage_recovery_seconds_count").unwrap_or(0.0) >= 1.0);
    // Build info and process metrics.
    let build = format!("retail_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
    assert_eq!(sample(&text, &build), Some(1.0), "{text}");
    if cfg!(target_os = "linux") {
        assert!(sample(&text, "process_resident_memory_bytes").unwrap_or(0.0) > 1_000_000.0, "{text}");
        assert!(sample(&text, "process_open_fds").unwrap_or(0.0) >= 3.0);
        assert!(sample(&text, "process_cpu_seconds_total").unwrap_or(-1.0) > 0.0);
        let now = app::platform::now_ms() as f64 / 1000.0;
        let started = sample(&text, "process_start_time_seconds").unwrap_or(0.0);
        assert!(started <= now + 1.0 && started > now - 86_400.0, "start time {started}, now {now}");
    }
    promtool_check(&text);
}

#[tokio::test]
async fn pending_jobs_and_breaker_state_are_current_while_the_breaker_is_open() {
    // Exact gauges of the process-wide recorder: no other test's servers may update them.
    if !alone_in_a_process("ops::pending_jobs_and_breaker_state_are_current_while_the_breaker_is_open") {
        return;
    }
    let app = spawn_app_with(&[
        ("THROTTLING_MAX_RPS", "0"),
        ("PAYMENT_WORKER_POLL_MS", "50"),
        ("PAYMENT_RETRY_ATTEMPTS", "1"),
        ("BREAKER_CONSECUTIVE_FAILURES", "1"),
        ("BREAKER_OPEN_SECONDS", "600"),
    ])
    .await;
    // The worker has made a pass with an empty queue.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.login("super_admin", SUPER_ADMIN_PASSWORD).await;
    let fail =
        post(&app, &app.client, "/api/admin/payment-provider", json!({ "failure_rate": 1.0, "latency_ms": 0 })).await;
    assert_eq!(fail.status(), StatusCode::OK);
    let lamp = app.product("Lamp", 1_000, 10).await;
    for i in 0..3 {
        let customer = app.signed_in(&format!("pending{i}"), Role::Customer).await;
        let added = post(&app, &customer, "/api/cart/add", json!({ "product_id": lamp, "quantity": 1 })).await;
        assert_eq!(added.status(), StatusCode::OK);
        let body = json!({ "payment_method": "card", "card_number": CARD, "card_expiry": "12/2099" });
        let queued: Value = post(&app, &customer, "/api/checkout", body).await.json().await.expect("json");
        assert_eq!(queued["status"], "payment_pending", "{queued}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payment_jobs").await, 3);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let text = scrape(&app).await;
    assert_eq!(sample(&text, "payment_jobs_pending"), Some(3.0), "{text}");
    assert_eq!(sample(&text, "circuit_breaker_state{state=\"open\"}"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "circuit_breaker_state{state=\"closed\"}"), Some(0.0));
    assert_eq!(sample(&text, "circuit_breaker_state{state=\"half_open\"}"), Some(0.0));
}

#[tokio::test]
async fn a_throttled_checkout_is_counted_once_among_the_rejected() {
    // Exact counters of the process-wide recorder: no other test's servers may add to them.
    if !alone_in_a_process("ops::a_throttled_checkout_is_counted_once_among_the_rejected") {
        return;
    }
    let app = spawn_app_with(&[("THROTTLING_MAX_RPS", "1"), ("THROTTLING_BURST", "1")]).await;
    let lamp = app.product("Lamp", 1_000, 10).await;
    let customer = app.signed_in("hasty", Role::Customer).await;
    let added = post(&app, &customer, "/api/cart/add", json!({ "product_id": lamp, "quantity": 1 })).await;
    assert_eq!(added.status(), StatusCode::OK);
    let body = json!({ "payment_method": "cash" });
    assert_eq!(post(&app, &customer, "/api/checkout", body.clone()).await.status(), StatusCode::OK);
    let added = post(&app, &customer, "/api/cart/add", json!({ "product_id": lamp, "quantity": 1 })).await;
    assert_eq!(added.status(), StatusCode::OK);
    assert_eq!(post(&app, &customer, "/api/checkout", body).await.status(), StatusCode::TOO_MANY_REQUESTS);

    let text = scrape(&app).await;
    assert_eq!(sample(&text, "orders_submitted_total"), Some(2.0), "{text}");
    let rejected: f64 = text
        .lines()
        .filter(|l| l.starts_with("orders_rejected_total{"))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum();
    assert_eq!(rejected, 1.0, "one refused checkout, one rejection:\n{text}");
    assert_eq!(sample(&text, "orders_rejected_total{reason=\"busy\"}"), Some(1.0), "{text}");
}

// ---- migrations ----------------------------------------------------------------------------

fn expected_migrations(app: &TestApp) -> i64 {
    server::migrate::MIGRATIONS.iter().filter(|m| m.backend.is_none_or(|b| b == app.db.backend)).count() as i64
}

#[tokio::test]
async fn checksums_are_recorded_and_an_edited_migration_stops_start_up() {
    let app = spawn_app_with(&[]).await;
    let total = expected_migrations(&app);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM _migrations WHERE checksum IS NOT NULL").await, total);
    let products = server::migrate::MIGRATIONS.iter().find(|m| m.version == 4).expect("migration 4");
    assert_eq!(
        app.text_of("SELECT checksum FROM _migrations WHERE version = 4").await,
        server::migrate::checksum(products.sql)
    );

    sqlx::query("UPDATE _migrations SET checksum = 'edited' WHERE version = 4")
        .execute(app.db.write())
        .await
        .expect("tamper with the recorded checksum");
    let why = refusal(app.settings_with(&[])).await;
    assert_eq!(
        why,
        format!(
            "migration failed: migration 0004_products was changed after it was applied (its SHA-256 is now {}, \
             the database recorded edited): restore the original file and put the change in a new migration",
            server::migrate::checksum(products.sql)
        )
    );
}

#[tokio::test]
async fn databases_from_before_checksums_get_them_backfilled() {
    let app = spawn_app_with(&[]).await;
    sqlx::raw_sql("ALTER TABLE _migrations DROP COLUMN checksum")
        .execute(app.db.write())
        .await
        .expect("drop the checksum column, as in an older database");
    let restarted = app.restart().await;
    let total = expected_migrations(&app);
    assert_eq!(restarted.scalar("SELECT COUNT(*) AS n FROM _migrations").await, total);
    assert_eq!(restarted.scalar("SELECT COUNT(*) AS n FROM _migrations WHERE checksum IS NOT NULL").await, total);
    let users = server::migrate::MIGRATIONS.iter().find(|m| m.version == 1).expect("migration 1");
    assert_eq!(
        restarted.text_of("SELECT checksum FROM _migrations WHERE version = 1").await,
        server::migrate::checksum(users.sql)
    );
}

#[test]
fn checksums_ignore_line_endings() {
    assert_eq!(server::migrate::checksum("a;\r\nb;\r\n"), server::migrate::checksum("a;\nb;\n"));
    assert_eq!(
        server::migrate::checksum(""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "hex SHA-256"
    );
    assert_ne!(server::migrate::checksum("a;"), server::migrate::checksum("b;"));
}

#[test]
fn four_instances_migrate_one_fresh_database_at_once() {
    let setup = tokio::runtime::Runtime::new().expect("runtime");
    // Dropped last: after the instances' runtimes and pools below.
    let database = setup.block_on(fresh_database());
    let url = database.url.clone();
    let env: HashMap<String, String> = [
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("METRICS_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", url.as_str()),
        ("SUPER_ADMIN_PASSWORD", SUPER_ADMIN_PASSWORD),
        ("DATABASE_MAX_CONNECTIONS", "2"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let instances: Vec<_> = (0..4)
        .map(|_| {
            let (env, barrier) = (env.clone(), barrier.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Runtime::new().expect("runtime");
                let settings = Settings::from_lookup(|name| env.get(name).cloned()).expect("settings");
                barrier.wait();
                let built = runtime.block_on(Application::build(settings)).map(|app| app.state.db.clone());
                (runtime, built.map_err(|e| e.to_string()))
            })
        })
        .collect();
    let results: Vec<_> = instances.into_iter().map(|t| t.join().expect("instance thread")).collect();
    for (_, result) in &results {
        if let Err(err) = result {
            panic!("an instance failed to start: {err}");
        }
    }
    let (runtime, db) = &results[0];
    let db = db.as_ref().expect("started");
    let total = server::migrate::MIGRATIONS.iter().filter(|m| m.backend.is_none_or(|b| b == db.backend)).count() as i64;
    runtime.block_on(async {
        let count = |sql: &'static str| async move {
            sqlx::query(sql).fetch_one(db.read()).await.expect("query").try_get::<i64, _>("n").expect("n")
        };
        assert_eq!(count("SELECT COUNT(*) AS n FROM _migrations").await, total);
        assert_eq!(count("SELECT COUNT(DISTINCT version) AS n FROM _migrations").await, total);
        assert_eq!(count("SELECT COUNT(*) AS n FROM users WHERE role = 'super_admin'").await, 1);
    });
}

// ---- production safety ---------------------------------------------------------------------

#[tokio::test]
async fn production_refuses_to_run_with_demo_accounts_in_the_database() {
    let app = spawn_app_with(&[("DEMO_SEED", "1")]).await;
    let why =
        refusal(app.settings_with(&[("APP_ENV", "production"), ("DEMO_SEED", "0"), ("ALLOW_SIMULATED_PROVIDER", "1")]))
            .await;
    assert_eq!(
        why,
        "demo accounts found in the database: alice, bob, demo_admin. Their passwords are published, so \
         APP_ENV=production refuses to start: delete these users (or start on a fresh database)"
    );
    // Once they are gone, production starts. Their rows go first, those that refer to others
    // before these (the demo data holds an order of alice's with a return).
    let users = "SELECT id FROM users WHERE email LIKE '%@demo.retail.local'";
    let orders = format!("SELECT id FROM orders WHERE user_id IN ({users})");
    for delete in [
        format!("DELETE FROM refunds WHERE order_id IN ({orders})"),
        format!("DELETE FROM store_credit_entries WHERE user_id IN ({users}) OR order_id IN ({orders})"),
        format!("DELETE FROM returns WHERE user_id IN ({users}) OR order_id IN ({orders})"),
        format!("DELETE FROM orders WHERE id IN ({orders})"),
        format!("DELETE FROM sessions WHERE user_id IN ({users})"),
        format!("DELETE FROM cart_items WHERE user_id IN ({users})"),
    ] {
        sqlx::raw_sql(&delete).execute(app.db.write()).await.unwrap_or_else(|e| panic!("{delete}: {e}"));
    }
    sqlx::raw_sql("DELETE FROM users WHERE email LIKE '%@demo.retail.local'")
        .execute(app.db.write())
        .await
        .expect("delete demo accounts");
    let started =
        app.another_instance(&[("APP_ENV", "production"), ("DEMO_SEED", "0"), ("ALLOW_SIMULATED_PROVIDER", "1")]).await;
    assert_eq!(started.get("/health").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn production_refuses_live_fault_injection_unless_allowed() {
    let production = [("APP_ENV", "production"), ("ALLOW_SIMULATED_PROVIDER", "1"), ("COOKIE_SECURE", "0")];
    let app = spawn_app_with(&production).await;
    app.login("super_admin", SUPER_ADMIN_PASSWORD).await;
    let refused =
        post(&app, &app.client, "/api/admin/payment-provider", json!({ "failure_rate": 0.5, "latency_ms": 0 })).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(
        refused.json::<Value>().await.expect("json")["error"],
        "fault injection is off in production; set ALLOW_FAULT_INJECTION=1 to enable it"
    );

    let allowed = app.another_instance(&[("ALLOW_FAULT_INJECTION", "1")]).await;
    allowed.login("super_admin", SUPER_ADMIN_PASSWORD).await;
    let set =
        post(&allowed, &allowed.client, "/api/admin/payment-provider", json!({ "failure_rate": 0.5, "latency_ms": 0 }))
            .await;
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(set.json::<Value>().await.expect("json")["failure_rate"], 0.5);
}

// ---- TLS -----------------------------------------------------------------------------------

#[tokio::test]
async fn the_payment_client_speaks_tls_to_an_https_provider() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    let app = spawn_app_with(&[
        ("PAYMENT_PROVIDER_URL", url.as_str()),
        ("THROTTLING_MAX_RPS", "0"),
        ("PAYMENT_RETRY_ATTEMPTS", "1"),
        ("PAYMENT_TIMEOUT_MS", "3000"),
    ])
    .await;
    let lamp = app.product("Lamp", 1_000, 10).await;
    let customer = app.signed_in("tls_customer", Role::Customer).await;
    let added = post(&app, &customer, "/api/cart/add", json!({ "product_id": lamp, "quantity": 1 })).await;
    assert_eq!(added.status(), StatusCode::OK);
    let checkout_url = app.url("/api/checkout");
    let checkout = tokio::spawn(async move {
        let body = json!({ "payment_method": "card", "card_number": CARD, "card_expiry": "12/2099" });
        customer.post(checkout_url).json(&body).send().await.map(|r| r.status())
    });
    let (mut socket, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the payment client connects to the https provider")
        .expect("accept");
    let mut first = [0u8; 3];
    socket.read_exact(&mut first).await.expect("read the first bytes");
    assert_eq!(first[0], 0x16, "a TLS handshake record (ClientHello), got {first:?}");
    assert_eq!(first[1], 0x03, "TLS record version major");
    drop(socket);
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), checkout).await;
}

#[tokio::test]
async fn postgres_connections_use_tls_with_sslmode_require() {
    let app = spawn_app_with(&[]).await;
    if app.db.backend != app::platform::Backend::Postgres {
        eprintln!("SKIPPED: PostgreSQL only (set TEST_DATABASE_URL)");
        return;
    }
    let url = app.settings_with(&[]).database_url;
    let tls_url = format!("{url}?sslmode=require");
    let tls = app.another_instance(&[("DATABASE_URL", tls_url.as_str())]).await;
    assert_eq!(
        tls.scalar("SELECT CASE WHEN ssl THEN 1 ELSE 0 END AS n FROM pg_stat_ssl WHERE pid = pg_backend_pid()").await,
        1,
        "the connection is encrypted"
    );
    assert_eq!(tls.get("/ready").await.status(), StatusCode::OK);
}

// ---- health, request ids, restarts, start-up --------------------------------------------

#[tokio::test]
async fn health_and_ready_report_up() {
    let app = spawn_app().await;
    let health = app.get("/health").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.json::<Value>().await.expect("json")["status"], "up");
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>().await.expect("json")["components"]["database"], "up");
}

#[tokio::test]
async fn ready_names_the_database_when_it_is_unreachable() {
    let app = spawn_app().await;
    app.db.close().await;
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["failing"], json!(["database"]));
    assert_eq!(body["components"]["database"], "down");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let echoed =
        app.client.get(app.url("/health")).header("x-request-id", "trace-me-42").send().await.expect("request");
    assert_eq!(echoed.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("trace-me-42"));
    let generated = app.get("/health").await;
    let id = generated.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(id.len(), 36, "uuid expected, got {id}");

    let error = app
        .client
        .post(app.url("/api/login"))
        .header("x-request-id", "err-7")
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error.json::<Value>().await.expect("json")["request_id"], "err-7");

    let not_found =
        app.client.get(app.url("/no-such-page")).header("x-request-id", "lost-1").send().await.expect("request");
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    assert!(not_found.text().await.expect("html").contains("lost-1"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.post_json("/api/admin/users/42/role", &json!({ "role": "admin" })).await;
    }
    let text = app.client.get(&app.metrics_url).send().await.expect("scrape").text().await.expect("metrics");
    let counter = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains("route=\"/api/admin/users/{id}/role\"")
                && l.contains("status=\"401\"")
        })
        .unwrap_or_else(|| panic!("no counter line for the route template in:\n{text}"));
    let value: f64 = counter.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("value");
    assert!(value >= 3.0, "{counter}");
    assert!(!text.contains("/api/admin/users/42/role"), "raw paths must not become labels");
    assert!(text.contains("http_request_duration_seconds_bucket{"), "histogram expected");
}

#[tokio::test]
async fn a_restart_keeps_data_and_reapplies_no_migrations() {
    let app = spawn_app().await;
    register(&app, "mia").await;
    let migrations = app.scalar("SELECT COUNT(*) AS n FROM _migrations").await;
    let again = app.restart().await;
    assert_eq!(again.scalar("SELECT COUNT(*) AS n FROM _migrations").await, migrations);
    again.login("mia", PASSWORD).await;
    assert_eq!(again.get("/api/me").await.status(), StatusCode::OK);
}

/// Regression test for the stall that made the suite run one test at a time: building a server
/// generated the Leptos route list, which renders the app with resource loading switched off by
/// a flag global to the process (leptos_server's `SuppressResourceLoad`); a page that another
/// server of the process began rendering in that window never finished. Pages are read here,
/// each with a deadline, while eight more servers start in this process.
#[tokio::test]
async fn pages_finish_while_other_servers_start_in_this_process() {
    let app = spawn_app_with(&[("STOREFRONT_CACHE_MS", "0")]).await;
    let starting = Arc::new(AtomicBool::new(true));
    let starter = tokio::spawn({
        let starting = starting.clone();
        async move {
            for _ in 0..8 {
                drop(spawn_app().await);
            }
            starting.store(false, Ordering::SeqCst);
        }
    });
    let mut readers = tokio::task::JoinSet::new();
    for reader in 0..4usize {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
        let (base, starting) = (app.address.clone(), starting.clone());
        readers.spawn(async move {
            let mut pages = 0usize;
            loop {
                let path = if (reader + pages).is_multiple_of(2) { "/" } else { "/login" };
                let response = client.get(format!("{base}{path}")).send().await;
                let response = response.unwrap_or_else(|e| panic!("{path} (page {pages}): no answer: {e}"));
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                let html =
                    response.text().await.unwrap_or_else(|e| panic!("{path} (page {pages}) never finished: {e}"));
                assert!(html.contains("</html>"), "{path}: {html}");
                pages += 1;
                if !starting.load(Ordering::SeqCst) {
                    return pages;
                }
            }
        });
    }
    let mut pages = 0;
    while let Some(read) = readers.join_next().await {
        pages += read.expect("reader");
    }
    starter.await.expect("servers started");
    assert!(pages >= 4, "{pages} pages");
}
