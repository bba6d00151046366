//! Integration tests for the storefront, cart, checkout and the payment tactics. Each test
//! starts the real server with a fresh database (SQLite, or PostgreSQL via TEST_DATABASE_URL).

use std::time::{Duration, Instant};

use crate::support::{spawn_app_with, TestApp};
use app::accounts::Role;
use reqwest::header::RETRY_AFTER;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const CARD: &str = "4242424242424242";
const DECLINED_CARD: &str = "4000000000000002";

fn expiry() -> String {
    "12/2099".to_owned()
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> reqwest::Response {
    client.post(app.url(path)).json(&body).send().await.expect("POST")
}

async fn get_json(app: &TestApp, client: &Client, path: &str) -> Value {
    client.get(app.url(path)).send().await.expect("GET").json().await.expect("json")
}

async fn add(app: &TestApp, client: &Client, product_id: i64, quantity: i64) -> reqwest::Response {
    post(app, client, "/api/cart/add", json!({ "product_id": product_id, "quantity": quantity })).await
}

async fn checkout_card(app: &TestApp, client: &Client, number: &str, key: Option<&str>) -> reqwest::Response {
    let mut request = client
        .post(app.url("/api/checkout"))
        .json(&json!({ "payment_method": "card", "card_number": number, "card_expiry": expiry() }));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("checkout")
}

async fn stock_of(app: &TestApp, product_id: i64) -> i64 {
    app.scalar(&format!("SELECT stock AS n FROM products WHERE id = {product_id}")).await
}

/// Test defaults: throttle off unless a test turns it on, fast worker and breaker.
async fn shop(overrides: &[(&str, &str)]) -> TestApp {
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

#[tokio::test]
async fn cart_quantities_must_be_whole_numbers_within_stock() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 3_999, 3).await;
    let customer = app.signed_in("cara", Role::Customer).await;

    let ok = add(&app, &customer, lamp, 2).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let cart: Value = ok.json().await.expect("cart");
    assert_eq!(cart["lines"][0]["quantity"], 2);
    assert_eq!(cart["totals"]["grand_total_cents"], 7_998);

    for bad in [json!(0), json!(-1)] {
        let refused = post(&app, &customer, "/api/cart/add", json!({ "product_id": lamp, "quantity": bad })).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(
            refused.json::<Value>().await.expect("json")["error"],
            "quantity must be a whole number of at least 1"
        );
    }
    let fraction = post(&app, &customer, "/api/cart/add", json!({ "product_id": lamp, "quantity": 1.5 })).await;
    assert_eq!(fraction.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let short = add(&app, &customer, lamp, 2).await;
    assert_eq!(short.status(), StatusCode::CONFLICT);
    let body: Value = short.json().await.expect("json");
    assert_eq!(body["available"], 3);
    assert_eq!(body["error"], "only 3 of 'Lamp' in stock and 2 already in your cart");

    assert_eq!(add(&app, &customer, 999_999, 1).await.status(), StatusCode::NOT_FOUND);
    let cart = get_json(&app, &customer, "/api/cart").await;
    assert_eq!(cart["lines"][0]["quantity"], 2, "refused requests change nothing");
}

#[tokio::test]
async fn the_cart_reports_stock_that_fell_below_a_line() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 5).await;
    let customer = app.signed_in("dina", Role::Customer).await;
    add(&app, &customer, lamp, 4).await;
    app::catalog::store::set_stock(&app.db, lamp, 2).await.expect("restock");
    let cart = get_json(&app, &customer, "/api/cart").await;
    assert_eq!(cart["lines"][0]["problem"], json!({ "kind": "short_stock", "available": 2 }));
    let refused = checkout_card(&app, &customer, CARD, None).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(refused.json::<Value>().await.expect("json")["available"], 2);
    let reduced = post(&app, &customer, "/api/cart/set", json!({ "product_id": lamp, "quantity": 2 })).await;
    assert_eq!(reduced.status(), StatusCode::OK);
    assert_eq!(checkout_card(&app, &customer, CARD, None).await.status(), StatusCode::OK);
    assert_eq!(stock_of(&app, lamp).await, 0);
}

#[tokio::test]
async fn card_checkout_pays_and_the_receipt_adds_up() {
    let app = shop(&[("DEMO_SEED", "1")]).await;
    let customer = app.signed_in("erin", Role::Customer).await;
    add(&app, &customer, 1, 2).await; // Laptop: 10% off, ships from China
    add(&app, &customer, 2, 1).await; // Mouse: made in the USA
    let response = checkout_card(&app, &customer, "4242 4242 4242 4242", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let receipt: Value = response.json().await.expect("json");
    assert_eq!(receipt["status"], "paid");
    let id = receipt["order_id"].as_i64().expect("order id");

    let order = get_json(&app, &customer, &format!("/api/orders/{id}")).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["totals"]["grand_total_cents"], 228_750 + 2_530);
    let line_sum: i64 =
        order["lines"].as_array().expect("lines").iter().map(|l| l["total_cents"].as_i64().unwrap_or(0)).sum();
    assert_eq!(line_sum, 231_280);
    assert_eq!(order["payment"]["card_brand"], "Visa");
    assert_eq!(order["payment"]["card_last4"], "4242");
    let stored: String =
        app.text_of(&format!("SELECT COALESCE(card_last4, '') FROM payments WHERE order_id = {id}")).await;
    assert_eq!(stored, "4242");
    assert_eq!(stock_of(&app, 1).await, 38);
    assert_eq!(get_json(&app, &customer, "/api/cart").await["lines"], json!([]), "cart emptied");

    let other = app.signed_in("fred", Role::Customer).await;
    let hidden = other.get(app.url(&format!("/api/orders/{id}"))).send().await.expect("GET");
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    let page = customer.get(app.url(&format!("/orders/{id}"))).send().await.expect("receipt page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("$2,312.80"));
}

#[tokio::test]
async fn invalid_payment_details_are_refused_and_change_nothing() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 5).await;
    let customer = app.signed_in("gina", Role::Customer).await;
    add(&app, &customer, lamp, 1).await;
    let cases = [
        (
            json!({ "payment_method": "card", "card_number": "4242424242424241", "card_expiry": expiry() }),
            "card number is not valid (check the digits)",
        ),
        (json!({ "payment_method": "card", "card_number": CARD, "card_expiry": "01/2001" }), "card has expired"),
        (json!({ "payment_method": "card", "card_number": CARD, "card_expiry": "2030-01" }), "expiry must be MM/YYYY"),
        (json!({ "payment_method": "cheque" }), "payment_method must be 'card' or 'cash'"),
    ];
    for (body, message) in cases {
        let response = post(&app, &customer, "/api/checkout", body.clone()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(response.json::<Value>().await.expect("json")["error"], message);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM orders").await, 0);
    assert_eq!(stock_of(&app, lamp).await, 5);
}

#[tokio::test]
async fn a_declined_card_is_not_queued_and_the_cart_is_kept() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 5).await;
    let customer = app.signed_in("hana", Role::Customer).await;
    add(&app, &customer, lamp, 2).await;
    let declined = checkout_card(&app, &customer, DECLINED_CARD, None).await;
    assert_eq!(declined.status(), StatusCode::PAYMENT_REQUIRED);
    let error = declined.json::<Value>().await.expect("json")["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("declined") && error.contains("cash on delivery"), "{error}");
    assert_eq!(stock_of(&app, lamp).await, 5, "reservation released");
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payment_jobs").await, 0, "declines are not queued");
    assert_eq!(get_json(&app, &customer, "/api/cart").await["lines"][0]["quantity"], 2, "cart kept");

    let cash = post(&app, &customer, "/api/checkout", json!({ "payment_method": "cash" })).await;
    assert_eq!(cash.status(), StatusCode::OK);
    assert_eq!(cash.json::<Value>().await.expect("json")["status"], "cash_on_delivery");
    assert_eq!(stock_of(&app, lamp).await, 3);
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_order() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 5).await;
    let customer = app.signed_in("ines", Role::Customer).await;
    add(&app, &customer, lamp, 1).await;
    let first: Value = checkout_card(&app, &customer, CARD, Some("attempt-1")).await.json().await.expect("json");
    // The cart is empty now: the replay must not depend on it.
    let again = checkout_card(&app, &customer, CARD, Some("attempt-1")).await;
    assert_eq!(again.status(), StatusCode::OK);
    let mut again: Value = again.json().await.expect("json");
    assert_eq!(again.as_object_mut().map(|o| o.remove("request_id")), Some(None), "a receipt, not an error");
    assert_eq!(again, first);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM orders").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payments").await, 1);
    assert_eq!(stock_of(&app, lamp).await, 4);
    // The same key from another customer is theirs alone.
    let other = app.signed_in("jack", Role::Customer).await;
    add(&app, &other, lamp, 1).await;
    let theirs: Value = checkout_card(&app, &other, CARD, Some("attempt-1")).await.json().await.expect("json");
    assert_ne!(theirs["order_id"], first["order_id"]);
}

#[tokio::test]
async fn two_hundred_customers_race_for_fifty_units() {
    let app = shop(&[("CHECKOUT_MAX_CONCURRENCY", "256")]).await;
    let console = app.product("Console", 49_900, 50).await;
    let mut customers = Vec::new();
    for i in 0..200 {
        let client = app.signed_in(&format!("racer{i}"), Role::Customer).await;
        assert_eq!(add(&app, &client, console, 1).await.status(), StatusCode::OK);
        customers.push(client);
    }
    let mut racing = tokio::task::JoinSet::new();
    for (i, client) in customers.into_iter().enumerate() {
        let url = app.url("/api/checkout");
        racing.spawn(async move {
            let body = if i % 2 == 0 {
                json!({ "payment_method": "card", "card_number": CARD, "card_expiry": expiry() })
            } else {
                json!({ "payment_method": "cash" })
            };
            client.post(url).json(&body).send().await.map(|r| r.status())
        });
    }
    let mut accepted = 0;
    let mut conflicts = 0;
    while let Some(result) = racing.join_next().await {
        match result.expect("task").expect("response") {
            StatusCode::OK => accepted += 1,
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((accepted, conflicts), (50, 150));
    assert_eq!(stock_of(&app, console).await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM orders").await, 50);
    assert_eq!(app.scalar("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) AS n FROM order_lines").await, 50);
}

async fn admin(app: &TestApp) -> Client {
    app.signed_in("ops", Role::Admin).await
}

async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_failing_provider_opens_the_breaker_and_orders_queue_until_it_heals() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 100).await;
    let ops = admin(&app).await;
    let fail = post(&app, &ops, "/api/admin/payment-provider", json!({ "failure_rate": 1.0, "latency_ms": 0 })).await;
    assert_eq!(fail.status(), StatusCode::OK);

    let mut orders = Vec::new();
    for i in 0..8 {
        let customer = app.signed_in(&format!("queued{i}"), Role::Customer).await;
        add(&app, &customer, lamp, 1).await;
        let response = checkout_card(&app, &customer, CARD, None).await;
        assert_eq!(response.status(), StatusCode::OK, "accepted despite the outage");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], "payment_pending");
        orders.push((customer, body["order_id"].as_i64().expect("id")));
    }
    let status = get_json(&app, &ops, "/api/admin/payment-provider").await;
    assert!(status["breaker"]["opened_total"].as_u64().unwrap_or(0) >= 1, "{status}");
    assert_eq!(stock_of(&app, lamp).await, 92, "stock reserved for queued orders");
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payment_jobs").await, 8);

    let heal = post(&app, &ops, "/api/admin/payment-provider", json!({ "failure_rate": 0.0, "latency_ms": 0 })).await;
    assert_eq!(heal.status(), StatusCode::OK);
    wait_until("queued orders to be paid", Duration::from_secs(30), || async {
        app.scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'").await == 8
    })
    .await;
    for (customer, id) in &orders {
        assert_eq!(get_json(&app, customer, &format!("/api/orders/{id}")).await["status"], "paid");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payment_jobs").await, 0);
    let status = get_json(&app, &ops, "/api/admin/payment-provider").await;
    assert_eq!(status["breaker"]["state"], "closed");
    assert!(status["breaker"]["last_mttr_seconds"].as_f64().is_some(), "{status}");
    let metrics = app.client.get(&app.metrics_url).send().await.expect("scrape").text().await.expect("metrics");
    assert!(metrics.contains("circuit_breaker_opened_total"), "breaker metrics exported");
    assert!(metrics.contains("payment_outage_recovery_seconds_count"), "MTTR histogram exported");
}

#[tokio::test]
async fn orders_whose_payment_never_succeeds_fail_and_release_stock() {
    let app = shop(&[
        ("PAYMENT_JOB_MAX_ATTEMPTS", "2"),
        ("BREAKER_CONSECUTIVE_FAILURES", "1000"),
        ("BREAKER_FAILURE_RATE", "1.0"),
    ])
    .await;
    let lamp = app.product("Lamp", 1_000, 10).await;
    let ops = admin(&app).await;
    post(&app, &ops, "/api/admin/payment-provider", json!({ "failure_rate": 1.0, "latency_ms": 0 })).await;
    let customer = app.signed_in("kate", Role::Customer).await;
    add(&app, &customer, lamp, 3).await;
    let body: Value = checkout_card(&app, &customer, CARD, None).await.json().await.expect("json");
    assert_eq!(body["status"], "payment_pending");
    assert_eq!(stock_of(&app, lamp).await, 7);
    let id = body["order_id"].as_i64().expect("id");
    wait_until("the order to fail", Duration::from_secs(30), || async {
        get_json(&app, &customer, &format!("/api/orders/{id}")).await["status"] == "payment_failed"
    })
    .await;
    assert_eq!(stock_of(&app, lamp).await, 10, "stock released");
    let order = get_json(&app, &customer, &format!("/api/orders/{id}")).await;
    assert!(order["status_message"].as_str().unwrap_or_default().contains("nothing was charged"), "{order}");
}

#[tokio::test]
async fn the_throttle_answers_429_with_retry_after() {
    let app = shop(&[("THROTTLING_MAX_RPS", "1"), ("THROTTLING_BURST", "1")]).await;
    let lamp = app.product("Lamp", 1_000, 10).await;
    let customer = app.signed_in("liam", Role::Customer).await;
    add(&app, &customer, lamp, 1).await;
    let first = post(&app, &customer, "/api/checkout", json!({ "payment_method": "cash" })).await;
    assert_eq!(first.status(), StatusCode::OK);
    add(&app, &customer, lamp, 1).await;
    let second = post(&app, &customer, "/api/checkout", json!({ "payment_method": "cash" })).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = second
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry >= 1);
    assert_eq!(
        second.json::<Value>().await.expect("json")["error"],
        format!("System is busy, please try again in {retry} s")
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM orders").await, 1, "throttled checkouts change nothing");

    // Admins change the limits live.
    let ops = admin(&app).await;
    let off = post(&app, &ops, "/api/admin/throttle", json!({ "max_rps": 0, "burst": 1 })).await;
    assert_eq!(off.status(), StatusCode::OK);
    assert_eq!(
        post(&app, &customer, "/api/checkout", json!({ "payment_method": "cash" })).await.status(),
        StatusCode::OK
    );
    let forbidden = post(&app, &customer, "/api/admin/throttle", json!({ "max_rps": 0, "burst": 1 })).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn flash_sales_apply_their_price_and_enforce_limits() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 10_000, 100).await;
    let ops = admin(&app).await;
    let now = app::platform::now_ms();
    let sale = json!({ "product_id": lamp, "starts_at_ms": now - 60_000, "ends_at_ms": now + 3_600_000,
                       "discount_percent": 25, "units_total": 3, "per_customer_limit": 2 });
    assert_eq!(post(&app, &ops, "/api/admin/flash-sales", sale.clone()).await.status(), StatusCode::CREATED);
    let overlapping = post(&app, &ops, "/api/admin/flash-sales", sale).await;
    assert_eq!(overlapping.status(), StatusCode::CONFLICT);
    assert_eq!(
        overlapping.json::<Value>().await.expect("json")["error"],
        "this product already has a flash sale in that time"
    );
    let invalid = json!({ "product_id": lamp, "starts_at_ms": now + 7_200_000, "ends_at_ms": now + 3_600_000,
                          "discount_percent": 25, "units_total": 3, "per_customer_limit": 2 });
    assert_eq!(post(&app, &ops, "/api/admin/flash-sales", invalid).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let ann = app.signed_in("ann", Role::Customer).await;
    let cart: Value = add(&app, &ann, lamp, 2).await.json().await.expect("cart");
    assert_eq!(cart["lines"][0]["price"]["discounted_unit_cents"], 7_500);
    let paid: Value = checkout_card(&app, &ann, CARD, None).await.json().await.expect("json");
    let order = get_json(&app, &ann, &format!("/api/orders/{}", paid["order_id"])).await;
    assert_eq!(order["totals"]["subtotal_cents"], 15_000);

    // Ann reached her limit: another unit is at the regular price.
    let cart: Value = add(&app, &ann, lamp, 1).await.json().await.expect("cart");
    assert_eq!(cart["lines"][0]["price"]["discounted_unit_cents"], 10_000);
    assert_eq!(cart["lines"][0]["flash_sale_limit"], 0);

    // One unit left in the sale: Ben's two units are at the regular price, one is on sale.
    let ben = app.signed_in("ben", Role::Customer).await;
    let cart: Value = add(&app, &ben, lamp, 2).await.json().await.expect("cart");
    assert_eq!(cart["lines"][0]["flash_sale_limit"], 1);
    post(&app, &ben, "/api/cart/set", json!({ "product_id": lamp, "quantity": 1 })).await;
    let paid: Value = checkout_card(&app, &ben, CARD, None).await.json().await.expect("json");
    assert_eq!(paid["status"], "paid");
    assert_eq!(app.scalar("SELECT units_sold AS n FROM flash_sales").await, 3);
}

#[tokio::test]
async fn admins_manage_products_with_validation() {
    let app = shop(&[]).await;
    let ops = admin(&app).await;
    let created = post(
        &app,
        &ops,
        "/api/admin/products",
        json!({ "name": "Desk", "description": "Oak", "price_cents": 25_000, "stock": 4, "discount_percent": 0,
                "shipping_weight_grams": 20_000, "country_of_origin": "Denmark", "requires_shipping": true }),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let bad = post(&app, &ops, &format!("/api/admin/products/{id}/stock"), json!({ "stock": -1 })).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let restocked = post(&app, &ops, &format!("/api/admin/products/{id}/stock"), json!({ "stock": 40 })).await;
    assert_eq!(restocked.json::<Value>().await.expect("json")["stock"], 40);
    let hidden = post(&app, &ops, &format!("/api/admin/products/{id}/active"), json!({ "active": false })).await;
    assert_eq!(hidden.status(), StatusCode::OK);
    let listed: Vec<Value> = app.get("/api/products").await.json().await.expect("json");
    assert!(listed.iter().all(|p| p["id"] != id), "deactivated products leave the storefront");
    let customer = app.signed_in("mo", Role::Customer).await;
    let forbidden = post(&app, &customer, &format!("/api/admin/products/{id}/stock"), json!({ "stock": 1 })).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert_eq!(stock_of(&app, id).await, 40);
}

#[tokio::test]
async fn anonymous_and_invalid_checkouts_do_not_drain_the_throttle() {
    let app = shop(&[("THROTTLING_MAX_RPS", "1"), ("THROTTLING_BURST", "1")]).await;
    let lamp = app.product("Lamp", 1_000, 10).await;
    let customer = app.signed_in("uma", Role::Customer).await;
    add(&app, &customer, lamp, 1).await;
    let anonymous = Client::new();
    for _ in 0..5 {
        let refused = anonymous.post(app.url("/api/checkout")).json(&json!({ "payment_method": "cash" })).send().await;
        assert_eq!(refused.expect("POST").status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 0..5 {
        let invalid = post(&app, &customer, "/api/checkout", json!({ "payment_method": "cheque" })).await;
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let placed = post(&app, &customer, "/api/checkout", json!({ "payment_method": "cash" })).await;
    assert_eq!(placed.status(), StatusCode::OK, "the customer's one token is still there");
}

#[tokio::test]
async fn huge_numbers_are_refused_with_a_clear_message_not_a_panic() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 10).await;
    let customer = app.signed_in("vic", Role::Customer).await;
    add(&app, &customer, lamp, 1).await;
    let huge = post(&app, &customer, "/api/cart/add", json!({ "product_id": lamp, "quantity": i64::MAX })).await;
    assert_eq!(huge.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(huge.json::<Value>().await.expect("json")["error"], "quantity cannot exceed 1000 per order line");
    assert_eq!(get_json(&app, &customer, "/api/cart").await["lines"][0]["quantity"], 1, "nothing changed");

    let ops = admin(&app).await;
    let now = app::platform::now_ms();
    let sale = |starts: i64, ends: i64, units: i64| {
        json!({ "product_id": lamp, "starts_at_ms": starts, "ends_at_ms": ends,
                "discount_percent": 25, "units_total": units, "per_customer_limit": 1 })
    };
    let cases = [
        (sale(now, i64::MAX, 3), "the sale must start and end between 2000-01-01 and 2100-01-01 (UTC)"),
        (sale(i64::MIN, now + 60_000, 3), "the sale must start and end between 2000-01-01 and 2100-01-01 (UTC)"),
        (sale(now, now + 60_000, i64::MAX), "units must be from 1 to 10000000"),
    ];
    for (body, message) in cases {
        let refused = post(&app, &ops, "/api/admin/flash-sales", body.clone()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.json::<Value>().await.expect("json")["error"], message, "{body}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM flash_sales").await, 0);
}
