//! Shop helpers shared by the cart, checkout, payments, flash-sale and catalogue tests.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

pub use super::{get_json, post};
use super::{spawn_app_with, TestApp};

pub const CARD: &str = "4242424242424242";
pub const DECLINED_CARD: &str = "4000000000000002";
/// The simulated provider refuses this card with a 422 that is not a decline.
pub const UNSUPPORTED_CARD: &str = "4000000000000069";

pub fn expiry() -> String {
    "12/2099".to_owned()
}

pub fn card_body(number: &str) -> Value {
    json!({ "payment_method": "card", "card_number": number, "card_expiry": "12/2099" })
}

/// Test defaults: throttle off unless a test turns it on, fast worker and breaker.
pub async fn shop(overrides: &[(&str, &str)]) -> TestApp {
    let mut env = vec![
        ("THROTTLING_MAX_RPS", "0"),
        ("PAYMENT_WORKER_POLL_MS", "50"),
        ("PAYMENT_JOB_BACKOFF_MS", "100"),
        ("BREAKER_OPEN_SECONDS", "1"),
        ("CHECKOUT_QUEUE_TIMEOUT_MS", "30000"),
    ];
    env.extend_from_slice(overrides);
    spawn_app_with(&env).await
}

/// `shop` plus a short instance liveness, so a crashed server's jobs are taken over quickly.
pub async fn shop_with_fast_takeover(overrides: &[(&str, &str)]) -> TestApp {
    let mut env = vec![("INSTANCE_LIVENESS_MS", "1000")];
    env.extend_from_slice(overrides);
    shop(&env).await
}

/// Adds to the cart and returns the answer, whatever it is.
pub async fn add(app: &TestApp, client: &Client, product_id: i64, quantity: i64) -> reqwest::Response {
    post(app, client, "/api/cart/add", json!({ "product_id": product_id, "quantity": quantity })).await
}

/// Adds to the cart, which must accept it.
pub async fn add_ok(app: &TestApp, client: &Client, product_id: i64, quantity: i64) {
    assert_eq!(add(app, client, product_id, quantity).await.status(), StatusCode::OK, "add to cart");
}

pub async fn checkout_card(app: &TestApp, client: &Client, number: &str, key: Option<&str>) -> reqwest::Response {
    let mut request = client
        .post(app.url("/api/checkout"))
        .json(&json!({ "payment_method": "card", "card_number": number, "card_expiry": expiry() }));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("checkout")
}

/// A checkout's status and body, without the request id (it differs per request by design;
/// everything else of a replay must be the same).
pub async fn checkout(app: &TestApp, client: &Client, body: &Value, key: Option<&str>) -> (StatusCode, Value) {
    let mut request = client.post(app.url("/api/checkout")).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.expect("checkout");
    let status = response.status();
    let mut body: Value = response.json().await.expect("json");
    if let Some(object) = body.as_object_mut() {
        object.remove("request_id");
    }
    (status, body)
}

pub async fn stock_of(app: &TestApp, product_id: i64) -> i64 {
    app.scalar(&format!("SELECT stock AS n FROM products WHERE id = {product_id}")).await
}

pub async fn orders(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) AS n FROM orders").await
}

pub async fn order_status(app: &TestApp, order_id: i64) -> String {
    app.text_of(&format!("SELECT status FROM orders WHERE id = {order_id}")).await
}

pub async fn provider_key(app: &TestApp, order_id: i64) -> String {
    app.text_of(&format!("SELECT COALESCE(provider_key, '') FROM payments WHERE order_id = {order_id}")).await
}

pub fn order_id_of(body: &Value) -> i64 {
    body["order_id"].as_i64().unwrap_or_else(|| panic!("no order id in {body}"))
}

/// A signed-in admin of the shop.
pub async fn admin(app: &TestApp) -> Client {
    app.signed_in("ops", app::accounts::Role::Admin).await
}

/// Sets the simulated provider's faults through the admin API.
pub async fn set_faults(app: &TestApp, admin: &Client, failure_rate: f64, latency_ms: u64) {
    let set = post(
        app,
        admin,
        "/api/admin/payment-provider",
        json!({ "failure_rate": failure_rate, "latency_ms": latency_ms }),
    )
    .await;
    assert_eq!(set.status(), StatusCode::OK, "faults set");
}
