//! HTTP hardening: client address behind proxies, log hygiene, panics, timeouts, body limits,
//! security headers and the cross-site check (with allowed origins, behind a proxy, on HTTP/2).
//! Every log line of this binary is captured once a test here asks for them (`captured_logs`).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::header::ORIGIN;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::telemetry::{JsonLayer, Sink};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::support::{spawn_app, spawn_app_with, TestApp, PASSWORD};

/// Every log line of this test binary (all servers run in this process), as JSON objects.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let layer = JsonLayer::new(Sink::Buffer(buffer.clone()));
        let _ = tracing_subscriber::registry().with(tracing_subscriber::EnvFilter::new("info")).with(layer).try_init();
        buffer
    })
    .clone()
}

fn log_lines(request_id: &str) -> Vec<Value> {
    let buffer = captured_logs();
    let text = String::from_utf8(buffer.lock().expect("log buffer").clone()).expect("utf-8 logs");
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["request_id"] == request_id)
        .collect()
}

fn finished_line(request_id: &str) -> Value {
    log_lines(request_id)
        .into_iter()
        .find(|line| line["message"] == "request finished")
        .unwrap_or_else(|| panic!("no 'request finished' line for {request_id}"))
}

async fn failed_login(app: &TestApp, username: &str, headers: &[(&str, &str)]) -> StatusCode {
    let mut request =
        app.client.post(app.url("/api/login")).json(&json!({ "username": username, "password": "wrong-password-1" }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("login request").status()
}

fn socket_addr(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

// ---------------------------------------------------------------------------------------------
// Client address behind a proxy

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
    // Trusted peer: each forwarded client has its own login budget of 2 per minute.
    let app =
        spawn_app_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "2"), ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]).await;
    for i in 0..3 {
        let xff = format!("203.0.113.{i}");
        let status = failed_login(&app, &format!("nobody{i}"), &[("x-forwarded-for", &xff)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "client {xff} has its own budget");
    }
    // The rightmost untrusted hop is the client: whatever the client put before it is ignored.
    for (i, spoofed) in ["198.51.100.1", "198.51.100.2"].iter().enumerate() {
        let xff = format!("{spoofed}, 192.0.2.77, 10.1.2.3");
        assert_eq!(
            failed_login(&app, &format!("spoof{i}"), &[("x-forwarded-for", &xff)]).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let third = failed_login(&app, "spoof3", &[("x-forwarded-for", "198.51.100.3, 192.0.2.77, 10.1.2.3")]).await;
    assert_eq!(third, StatusCode::TOO_MANY_REQUESTS, "all three came from 192.0.2.77");
    // `Forwarded: for=` when there is no X-Forwarded-For.
    for i in 0..2 {
        let status =
            failed_login(&app, &format!("fwd{i}"), &[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let third = failed_login(&app, "fwd3", &[("forwarded", "for=\"[2001:db8::7]:4711\"")]).await;
    assert_eq!(third, StatusCode::TOO_MANY_REQUESTS);

    // Untrusted peer (the default): the headers are ignored, every attempt is the peer's.
    let app = spawn_app_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "2")]).await;
    for i in 0..2 {
        let xff = format!("203.0.113.{i}");
        assert_eq!(
            failed_login(&app, &format!("other{i}"), &[("x-forwarded-for", &xff)]).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let status = failed_login(&app, "other3", &[("x-forwarded-for", "203.0.113.99")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a forged X-Forwarded-For must not buy a new budget");
}

#[tokio::test]
async fn the_request_log_line_carries_the_client_address() {
    captured_logs();
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "hardening-client-ip-1")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(finished_line("hardening-client-ip-1")["client_ip"], "203.0.113.9");

    let untrusted = spawn_app_with(&[]).await;
    let response = untrusted
        .client
        .get(untrusted.url("/health"))
        .header("x-request-id", "hardening-client-ip-2")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(finished_line("hardening-client-ip-2")["client_ip"], "127.0.0.1");
}

// ---------------------------------------------------------------------------------------------
// Log hygiene

#[tokio::test]
async fn user_input_in_logs_is_truncated_and_cross_site_warnings_cannot_flood() {
    captured_logs();
    let app = spawn_app_with(&[]).await;
    let long_path = format!("/{}", "a".repeat(500));
    let response =
        app.client.get(app.url(&long_path)).header("x-request-id", "hardening-long-path").send().await.expect("GET");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let path = finished_line("hardening-long-path")["path"].as_str().expect("path").to_owned();
    assert_eq!(path, format!("/{}…", "a".repeat(63)));

    // A long username of a failed login is logged truncated.
    let long_name = "b".repeat(300);
    let response = app
        .client
        .post(app.url("/api/login"))
        .header("x-request-id", "hardening-long-user")
        .json(&json!({ "username": long_name, "password": "wrong-password-1" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let failed = log_lines("hardening-long-user")
        .into_iter()
        .find(|line| line["message"] == "login failed")
        .expect("a 'login failed' line");
    assert_eq!(failed["account"], format!("{}…", "b".repeat(64)));

    // 40 refused cross-site requests in a burst: each is answered, but at most 10 a second
    // (of the clock, as the budget counts them) are logged. The burst starts as a second
    // begins, so it mostly fits in one; on a busy machine it may reach into the next.
    let unix_time = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock");
    tokio::time::sleep(Duration::from_nanos(1_000_000_000 - u64::from(unix_time().subsec_nanos()))).await;
    let first_second = unix_time().as_secs();
    for i in 0..40 {
        let response = app
            .client
            .post(app.url("/api/cart/add"))
            .header(ORIGIN, "https://evil.example")
            .header("x-request-id", format!("hardening-flood-{i}"))
            .json(&json!({ "product_id": 1, "quantity": 1 }))
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let warned = (0..40)
        .filter(|i| {
            log_lines(&format!("hardening-flood-{i}"))
                .iter()
                .any(|line| line["message"] == "cross-site request refused")
        })
        .count();
    let seconds = (unix_time().as_secs() - first_second + 1) as usize;
    assert!((1..=10 * seconds).contains(&warned), "{warned} of 40 refusals were logged in {seconds} s");
}

// ---------------------------------------------------------------------------------------------
// Security headers

fn nonce_of(csp: &str) -> String {
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src "))
        .unwrap_or_else(|| panic!("no script-src in {csp}"));
    assert!(!script_src.contains("unsafe-inline"), "{script_src}");
    let start = script_src.find("'nonce-").unwrap_or_else(|| panic!("no nonce in {script_src}")) + "'nonce-".len();
    let rest = &script_src[start..];
    rest[..rest.find('\'').expect("closing quote")].to_owned()
}

fn assert_common_headers(response: &reqwest::Response) {
    let headers = response.headers();
    let csp = headers.get("content-security-policy").expect("CSP").to_str().expect("ascii");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert_eq!(headers.get("x-content-type-options").expect("nosniff"), "nosniff");
    assert_eq!(headers.get("referrer-policy").expect("referrer policy"), "strict-origin-when-cross-origin");
    assert_eq!(headers.get("x-frame-options").expect("x-frame-options"), "DENY");
    assert_eq!(headers.get("strict-transport-security"), None, "no HSTS outside production");
}

#[tokio::test]
async fn pages_carry_a_csp_whose_nonce_matches_every_script() {
    let app = spawn_app_with(&[]).await;
    let mut nonces = Vec::new();
    // Twice, so the second answer comes from the storefront page cache.
    for path in ["/", "/", "/login", "/no-such-page"] {
        let response = app.get(path).await;
        assert_common_headers(&response);
        let csp = response.headers()["content-security-policy"].to_str().expect("ascii").to_owned();
        let nonce = nonce_of(&csp);
        assert!(nonce.len() >= 22, "{nonce}");
        let body = response.text().await.expect("body");
        let scripts: Vec<&str> = body.split("<script").skip(1).map(|s| &s[..s.find('>').expect("tag end")]).collect();
        assert!(!scripts.is_empty(), "{path} has scripts");
        for tag in scripts {
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "{path}: <script{tag}> lacks nonce {nonce}");
        }
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "every response has its own nonce");
}

#[tokio::test]
async fn api_answers_carry_the_security_headers() {
    let app = spawn_app_with(&[]).await;
    let response = app.get("/api/products").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_common_headers(&response);
    let response = app.post_json("/api/login", &json!({})).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_common_headers(&response);
}

// ---------------------------------------------------------------------------------------------
// Body limits

#[tokio::test]
async fn bodies_over_the_route_limit_get_a_413_json_error() {
    let app = spawn_app_with(&[]).await;
    let big = json!({ "username": "x".repeat(20 * 1024), "password": PASSWORD });
    let response = app
        .client
        .post(app.url("/api/login"))
        .header("x-request-id", "too-big-1")
        .json(&big)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({ "error": "request body too large: at most 16384 bytes here", "request_id": "too-big-1" })
    );

    // Without a Content-Length (chunked), the limit applies while the body is read.
    let mut stream = TcpStream::connect(socket_addr(&app)).await.expect("connect");
    let chunk = "y".repeat(20 * 1024);
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-Request-ID: too-big-2\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        socket_addr(&app),
        chunk.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.ends_with(r#"{"error":"request body too large: at most 16384 bytes here","request_id":"too-big-2"}"#),
        "{answer}"
    );

    // The admin product API takes larger bodies (long descriptions): 20 KiB reaches validation.
    let admin = app.signed_in("boss", app::accounts::Role::Admin).await;
    let product = json!({
        "name": "Lamp", "description": "d".repeat(20 * 1024), "price_cents": 100, "stock": 1,
        "discount_percent": 0, "shipping_weight_grams": 0, "country_of_origin": "USA", "requires_shipping": false
    });
    let response = admin.post(app.url("/api/admin/products")).json(&product).send().await.expect("POST");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json::<Value>().await.expect("json")["error"], "description must be at most 2000 characters");
}

// ---------------------------------------------------------------------------------------------
// Timeouts

#[tokio::test]
async fn connections_that_send_no_complete_header_are_closed() {
    let app = spawn_app_with(&[("HEADER_READ_TIMEOUT_MS", "300")]).await;
    for opening in [&b""[..], b"GET / HTTP/1.1\r\nHost: x\r\n", b"PRI * HTTP"] {
        let mut stream = TcpStream::connect(socket_addr(&app)).await.expect("connect");
        stream.write_all(opening).await.expect("write");
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buf)).await;
        match read {
            Ok(Ok(0)) | Ok(Err(_)) => {}
            Ok(Ok(n)) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                assert!(text.starts_with("HTTP/1.1 408"), "{:?}: answered {text}", String::from_utf8_lossy(opening));
            }
            Err(_) => panic!("{:?}: connection still open after 3 s", String::from_utf8_lossy(opening)),
        }
    }
}

#[tokio::test]
async fn a_request_that_takes_too_long_gets_a_503_json_error() {
    let app = spawn_app_with(&[("REQUEST_TIMEOUT_MS", "300")]).await;
    let mut stream = TcpStream::connect(socket_addr(&app)).await.expect("connect");
    // The body never arrives in full: the handler waits for it until the request times out.
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-Request-ID: slow-1\r\n\
         Content-Length: 100\r\nConnection: close\r\n\r\n{{\"user",
        socket_addr(&app)
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), stream.read_to_string(&mut answer))
        .await
        .expect("answered within 3 s");
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(
        answer.ends_with(r#"{"error":"the request took too long and was stopped","request_id":"slow-1"}"#),
        "{answer}"
    );
}

// ---------------------------------------------------------------------------------------------
// Cross-site check

async fn register_from(app: &TestApp, client: &reqwest::Client, origin: &str, username: &str) -> StatusCode {
    client
        .post(app.url("/api/register"))
        .header(ORIGIN, origin)
        .json(&json!({ "username": username, "email": format!("{username}@example.com"), "password": PASSWORD }))
        .send()
        .await
        .expect("register request")
        .status()
}

#[tokio::test]
async fn allowed_origins_must_match_exactly_scheme_included() {
    let app = spawn_app_with(&[("ALLOWED_ORIGINS", "https://shop.example, https://www.shop.example:8443")]).await;
    assert_eq!(register_from(&app, &app.client, "https://shop.example", "ann").await, StatusCode::CREATED);
    assert_eq!(register_from(&app, &app.client, "https://www.shop.example:8443", "ben").await, StatusCode::CREATED);
    assert_eq!(register_from(&app, &app.client, "http://shop.example", "cal").await, StatusCode::FORBIDDEN);
    assert_eq!(register_from(&app, &app.client, "https://shop.example.evil", "dan").await, StatusCode::FORBIDDEN);
    // With the list set, the listener's own address is not implicitly allowed.
    assert_eq!(register_from(&app, &app.client, &app.origin(), "eve").await, StatusCode::FORBIDDEN);
    let response = app
        .client
        .post(app.url("/api/register"))
        .header(ORIGIN, "http://shop.example")
        .header("x-request-id", "cross-1")
        .json(&json!({ "username": "fay", "email": "fay@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({ "error": "cross-site request refused", "request_id": "cross-1" })
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_host_is_compared() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let proxied = |origin: &'static str, username: &'static str| {
        app.client
            .post(app.url("/api/register"))
            .header(ORIGIN, origin)
            .header("x-forwarded-host", "shop.example")
            .header("x-forwarded-proto", "https")
            .json(&json!({ "username": username, "email": format!("{username}@example.com"), "password": PASSWORD }))
            .send()
    };
    assert_eq!(proxied("https://shop.example", "gus").await.expect("POST").status(), StatusCode::CREATED);
    assert_eq!(proxied("https://evil.example", "hal").await.expect("POST").status(), StatusCode::FORBIDDEN);

    // From an untrusted peer X-Forwarded-Host means nothing.
    let direct = spawn_app_with(&[]).await;
    let response = direct
        .client
        .post(direct.url("/api/register"))
        .header(ORIGIN, "https://shop.example")
        .header("x-forwarded-host", "shop.example")
        .json(&json!({ "username": "ida", "email": "ida@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn http2_requests_have_no_host_header_and_are_checked_against_the_authority() {
    let app = spawn_app_with(&[]).await;
    let h2 = reqwest::Client::builder().http2_prior_knowledge().build().expect("h2 client");
    let response = h2.get(app.url("/health")).send().await.expect("h2 GET");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(register_from(&app, &h2, &app.origin(), "jon").await, StatusCode::CREATED);
    assert_eq!(register_from(&app, &h2, "https://evil.example", "kay").await, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------
// Panics

#[test]
fn a_panicking_handler_answers_500_json_with_the_request_id_and_is_logged_and_counted() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    captured_logs();
    let settings = server::configuration::Settings::from_lookup(|_| None).expect("default settings");
    let router = axum::Router::new().route(
        "/boom",
        axum::routing::get(|| async {
            if std::hint::black_box(true) {
                panic!("kaboom in a handler");
            }
            "unreachable"
        }),
    );
    let app = server::hardening::wrap(router, Arc::new(settings.http));
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (status, headers, body) = metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let request = Request::get("/boom").header("x-request-id", "panic-1").body(Body::empty()).expect("request");
            let response = app.oneshot(request).await.expect("infallible");
            let (parts, body) = response.into_parts();
            (parts.status, parts.headers, axum::body::to_bytes(body, 1 << 20).await.expect("body"))
        })
    });
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-request-id"], "panic-1");
    assert!(headers.contains_key("content-security-policy"));
    let body: Value = serde_json::from_slice(&body).expect("json body");
    assert_eq!(body, json!({ "error": app::platform::error::INTERNAL_MESSAGE, "request_id": "panic-1" }));
    let rendered = metrics.render();
    assert!(rendered.lines().any(|l| l == "http_panics_total 1"), "{rendered}");
    let logged = log_lines("panic-1");
    let line = logged.iter().find(|l| l["message"] == "handler panicked").expect("a 'handler panicked' line");
    assert_eq!(line["panic"], "kaboom in a handler");
    assert_eq!(line["level"], "ERROR");
    let finished = logged.iter().find(|l| l["message"] == "request finished").expect("finished line");
    assert_eq!(finished["status"], 500);
}

async fn user_count(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) AS n FROM users").await
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let count = user_count(&app).await;
    let response = app
        .client
        .post(app.url("/api/register"))
        .header(ORIGIN, "https://evil.example")
        .json(&json!({ "username": "mallory", "email": "m@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.json::<Value>().await.expect("json")["error"], "cross-site request refused");
    assert_eq!(user_count(&app).await, count);

    let same_origin = app
        .client
        .post(app.url("/api/register"))
        .header(ORIGIN, app.origin())
        .json(&json!({ "username": "judy", "email": "judy@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    assert_eq!(same_origin.status(), StatusCode::CREATED);
}
