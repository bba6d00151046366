//! Orders and payments exactly once, whatever happens: replays after every outcome, one order
//! per cart, no charge ever marked "nothing was charged", checkouts that survive the client
//! leaving or the server crashing, and several servers sharing one payment queue. Each test
//! starts real servers with a fresh database (SQLite, or PostgreSQL via TEST_DATABASE_URL).

use std::time::{Duration, Instant};

use crate::support::{spawn_app_with, standalone_provider, TestApp};
use app::accounts::Role;
use app::payments::faults::FaultSettings;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const CARD: &str = "4242424242424242";
const DECLINED_CARD: &str = "4000000000000002";
/// The simulated provider refuses this card with a 422 that is not a decline.
const UNSUPPORTED_CARD: &str = "4000000000000069";

fn card_body(number: &str) -> Value {
    json!({ "payment_method": "card", "card_number": number, "card_expiry": "12/2099" })
}

/// Fast worker and breaker, throttle off, generous concurrency wait.
async fn shop(overrides: &[(&str, &str)]) -> TestApp {
    let mut env = vec![
        ("THROTTLING_MAX_RPS", "0"),
        ("PAYMENT_WORKER_POLL_MS", "50"),
        ("PAYMENT_JOB_BACKOFF_MS", "100"),
        ("BREAKER_OPEN_SECONDS", "1"),
        ("CHECKOUT_QUEUE_TIMEOUT_MS", "30000"),
        ("INSTANCE_LIVENESS_MS", "1000"),
    ];
    env.extend_from_slice(overrides);
    spawn_app_with(&env).await
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> reqwest::Response {
    client.post(app.url(path)).json(&body).send().await.expect("POST")
}

async fn get_json(app: &TestApp, client: &Client, path: &str) -> Value {
    client.get(app.url(path)).send().await.expect("GET").json().await.expect("json")
}

async fn add(app: &TestApp, client: &Client, product_id: i64, quantity: i64) {
    let added = post(app, client, "/api/cart/add", json!({ "product_id": product_id, "quantity": quantity })).await;
    assert_eq!(added.status(), StatusCode::OK, "add to cart");
}

async fn checkout(app: &TestApp, client: &Client, body: &Value, key: Option<&str>) -> (StatusCode, Value) {
    let mut request = client.post(app.url("/api/checkout")).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.expect("checkout");
    let status = response.status();
    let mut body: Value = response.json().await.expect("json");
    // The request id differs per request by design; everything else must be the same.
    if let Some(object) = body.as_object_mut() {
        object.remove("request_id");
    }
    (status, body)
}

async fn stock_of(app: &TestApp, product_id: i64) -> i64 {
    app.scalar(&format!("SELECT stock AS n FROM products WHERE id = {product_id}")).await
}

async fn orders(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) AS n FROM orders").await
}

async fn order_status(app: &TestApp, order_id: i64) -> String {
    app.text_of(&format!("SELECT status FROM orders WHERE id = {order_id}")).await
}

async fn provider_key(app: &TestApp, order_id: i64) -> String {
    app.text_of(&format!("SELECT COALESCE(provider_key, '') FROM payments WHERE order_id = {order_id}")).await
}

async fn set_faults(app: &TestApp, admin: &Client, failure_rate: f64, latency_ms: u64) {
    let set = post(
        app,
        admin,
        "/api/admin/payment-provider",
        json!({ "failure_rate": failure_rate, "latency_ms": latency_ms }),
    )
    .await;
    assert_eq!(set.status(), StatusCode::OK, "faults set");
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

fn order_id_of(body: &Value) -> i64 {
    body["order_id"].as_i64().unwrap_or_else(|| panic!("no order id in {body}"))
}

#[tokio::test]
async fn a_replay_returns_the_first_answer_after_every_outcome() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 50).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("ines", Role::Customer).await;

    // Paid, then replayed with the cart now empty and the provider down.
    add(&app, &customer, lamp, 1).await;
    let paid = checkout(&app, &customer, &card_body(CARD), Some("k-paid")).await;
    assert_eq!((paid.0, paid.1["status"].clone()), (StatusCode::OK, json!("paid")));
    set_faults(&app, &ops, 1.0, 0).await;
    assert_eq!(checkout(&app, &customer, &card_body(CARD), Some("k-paid")).await, paid);

    // Cash on delivery, replayed with an empty cart.
    set_faults(&app, &ops, 0.0, 0).await;
    add(&app, &customer, lamp, 1).await;
    let cash = checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("k-cash")).await;
    assert_eq!(cash.1["status"], "cash_on_delivery");
    assert_eq!(checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("k-cash")).await, cash);

    // Declined: the cart is kept, the stock changes, and the replay is still the 402.
    add(&app, &customer, lamp, 2).await;
    let declined = checkout(&app, &customer, &card_body(DECLINED_CARD), Some("k-declined")).await;
    assert_eq!(declined.0, StatusCode::PAYMENT_REQUIRED);
    app::catalog::store::set_stock(&app.db, lamp, 0).await.expect("sold out");
    assert_eq!(checkout(&app, &customer, &card_body(DECLINED_CARD), Some("k-declined")).await, declined);
    app::catalog::store::set_stock(&app.db, lamp, 50).await.expect("restocked");

    // Pending while the provider is down; replayed after it was paid in the background.
    set_faults(&app, &ops, 1.0, 0).await;
    let pending = checkout(&app, &customer, &card_body(CARD), Some("k-pending")).await;
    assert_eq!((pending.0, pending.1["status"].clone()), (StatusCode::OK, json!("payment_pending")));
    set_faults(&app, &ops, 0.0, 0).await;
    let pending_id = order_id_of(&pending.1);
    wait_until("the pending order to be paid", Duration::from_secs(30), || async {
        order_status(&app, pending_id).await == "paid"
    })
    .await;
    assert_eq!(checkout(&app, &customer, &card_body(CARD), Some("k-pending")).await, pending);

    let created = orders(&app).await;
    assert_eq!(created, 4, "paid, cash, declined and pending: one order each, none from replays");
}

#[tokio::test]
async fn a_key_reused_for_a_different_request_is_refused() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 50).await;
    let customer = app.signed_in("ivo", Role::Customer).await;
    add(&app, &customer, lamp, 1).await;
    let first = checkout(&app, &customer, &card_body(CARD), Some("same-key")).await;
    assert_eq!(first.0, StatusCode::OK);
    add(&app, &customer, lamp, 1).await;
    let other = checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("same-key")).await;
    assert_eq!(other.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        other.1["error"],
        "this Idempotency-Key was already used for a different checkout request; use a new key for a new order"
    );
    assert_eq!(orders(&app).await, 1);
    assert_eq!(stock_of(&app, lamp).await, 49, "the refused request changed nothing");
}

#[tokio::test]
async fn idempotency_keys_expire_and_are_purged() {
    let app = shop(&[("IDEMPOTENCY_KEY_TTL_SECONDS", "1")]).await;
    let lamp = app.product("Lamp", 1_000, 50).await;
    let customer = app.signed_in("jo", Role::Customer).await;
    add(&app, &customer, lamp, 1).await;
    let first = checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("short-lived")).await;
    assert_eq!(first.0, StatusCode::OK);
    wait_until("the expired key to be purged", Duration::from_secs(10), || async {
        app.scalar("SELECT COUNT(*) AS n FROM idempotency_keys").await == 0
    })
    .await;
    add(&app, &customer, lamp, 1).await;
    let second = checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("short-lived")).await;
    assert_eq!(second.0, StatusCode::OK);
    assert_ne!(second.1["order_id"], first.1["order_id"], "an expired key starts a new checkout");
}

#[tokio::test]
async fn eight_parallel_checkouts_of_one_cart_make_one_order_and_one_charge() {
    let (provider, url) = standalone_provider().await;
    let app = shop(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let mug = app.product("Mug", 500, 20).await;
    let customer = app.signed_in("kim", Role::Customer).await;
    add(&app, &customer, mug, 2).await;
    add(&app, &customer, lamp, 1).await;

    let mut racing = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (client, url) = (customer.clone(), app.url("/api/checkout"));
        racing.spawn(async move {
            let mut request = client.post(url).json(&card_body(CARD));
            if i % 4 != 3 {
                request = request.header("Idempotency-Key", format!("tab-{i}"));
            }
            let response = request.send().await.expect("checkout");
            (response.status(), response.json::<Value>().await.expect("json"))
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = racing.join_next().await {
        answers.push(answer.expect("task"));
    }
    let accepted: Vec<_> = answers.iter().filter(|(s, _)| *s == StatusCode::OK).collect();
    let conflicts: Vec<_> = answers.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).collect();
    assert_eq!((accepted.len(), conflicts.len()), (1, 7), "{answers:?}");
    for (_, body) in &conflicts {
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains("already being ordered") || message.contains("was just ordered"), "{message}");
    }
    assert_eq!(orders(&app).await, 1);
    assert_eq!(stock_of(&app, lamp).await, 19);
    assert_eq!(stock_of(&app, mug).await, 18);
    assert_eq!(provider.charges_made(), 1);
    assert_eq!(get_json(&app, &customer, "/api/cart").await["lines"], json!([]));
}

#[tokio::test]
async fn items_added_while_a_charge_is_in_flight_stay_in_the_cart() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let mug = app.product("Mug", 500, 20).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("lea", Role::Customer).await;
    add(&app, &customer, lamp, 1).await;
    set_faults(&app, &ops, 0.0, 800).await;
    let (client, url) = (customer.clone(), app.url("/api/checkout"));
    let placing = tokio::spawn(async move { client.post(url).json(&card_body(CARD)).send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    add(&app, &customer, mug, 3).await;
    assert_eq!(placing.await.expect("task").expect("checkout"), StatusCode::OK);
    let cart = get_json(&app, &customer, "/api/cart").await;
    let lines = cart["lines"].as_array().cloned().unwrap_or_default();
    assert_eq!(lines.len(), 1, "{cart}");
    assert_eq!((lines[0]["product_id"].as_i64(), lines[0]["quantity"].as_i64()), (Some(mug), Some(3)));
}

#[tokio::test]
async fn a_checkout_whose_client_went_away_still_completes_and_its_key_resolves() {
    let app = shop(&[("PAYMENT_TIMEOUT_MS", "5000")]).await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("max", Role::Customer).await;
    add(&app, &customer, lamp, 2).await;
    set_faults(&app, &ops, 0.0, 1_000).await;
    // The client gives up long before the provider answers: hyper drops the handler future.
    let impatient = customer
        .post(app.url("/api/checkout"))
        .header("Idempotency-Key", "gone")
        .timeout(Duration::from_millis(250))
        .json(&card_body(CARD))
        .send()
        .await;
    assert!(impatient.is_err(), "the client timed out");
    wait_until("the abandoned checkout to be paid", Duration::from_secs(15), || async {
        app.scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'").await == 1
    })
    .await;
    set_faults(&app, &ops, 0.0, 0).await;
    let replay = checkout(&app, &customer, &card_body(CARD), Some("gone")).await;
    assert_eq!((replay.0, replay.1["status"].clone()), (StatusCode::OK, json!("paid")));
    assert_eq!(orders(&app).await, 1);
    assert_eq!(stock_of(&app, lamp).await, 18);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payment_jobs").await, 0);
    let status = get_json(&app, &ops, "/api/admin/payment-provider").await;
    assert_eq!(status["breaker"]["state"], "closed");
}

#[tokio::test]
async fn a_charge_whose_answer_was_lost_is_settled_as_paid_never_failed() {
    // Every answer comes after the client's timeout, but the provider charged the card.
    let app = shop(&[
        ("PAYMENT_TIMEOUT_MS", "150"),
        ("PAYMENT_JOB_MAX_ATTEMPTS", "2"),
        ("BREAKER_CONSECUTIVE_FAILURES", "1000"),
        ("BREAKER_FAILURE_RATE", "1.0"),
    ])
    .await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("nia", Role::Customer).await;
    add(&app, &customer, lamp, 3).await;
    set_faults(&app, &ops, 0.0, 400).await;
    let (status, body) = checkout(&app, &customer, &card_body(CARD), None).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("payment_pending")));
    let id = order_id_of(&body);
    wait_until("the order to settle", Duration::from_secs(30), || async {
        order_status(&app, id).await != "payment_pending"
    })
    .await;
    assert_eq!(order_status(&app, id).await, "paid");
    assert_eq!(stock_of(&app, lamp).await, 17);
    let order = get_json(&app, &customer, &format!("/api/orders/{id}")).await;
    let reference = order["payment"]["reference"].as_str().unwrap_or_default().to_owned();
    assert!(reference.starts_with("ch_"), "{order}");
    let page = customer.get(app.url(&format!("/orders/{id}"))).send().await.expect("receipt");
    assert!(page.text().await.expect("html").contains(&reference), "the receipt shows the payment reference");
}

#[tokio::test]
async fn a_crash_between_charge_and_settle_is_resolved_from_the_provider() {
    let (provider, url) = standalone_provider().await;
    let first = shop(&[("PAYMENT_PROVIDER_URL", url.as_str()), ("PAYMENT_TIMEOUT_MS", "5000")]).await;
    let lamp = first.product("Lamp", 1_000, 20).await;
    let charged = first.signed_in("olga", Role::Customer).await;
    let uncharged = first.signed_in("owen", Role::Customer).await;
    add(&first, &charged, lamp, 2).await;
    add(&first, &uncharged, lamp, 5).await;

    // Olga's charge is made at once but answered slowly; the server dies before the answer.
    provider.set_faults(FaultSettings { failure_rate: 0.0, latency_ms: 2_000 });
    let (client, url_a) = (charged.clone(), first.url("/api/checkout"));
    tokio::spawn(async move {
        let _ = client.post(url_a).header("Idempotency-Key", "olga-1").json(&card_body(CARD)).send().await;
    });
    wait_until("the charge to reach the provider", Duration::from_secs(5), || async { provider.charges_made() == 1 })
        .await;
    // Owen's order is reserved but the provider refuses every call before the crash.
    provider.set_faults(FaultSettings { failure_rate: 1.0, latency_ms: 2_000 });
    let (client, url_b) = (uncharged.clone(), first.url("/api/checkout"));
    tokio::spawn(async move {
        let _ = client.post(url_b).header("Idempotency-Key", "owen-1").json(&card_body(CARD)).send().await;
    });
    wait_until("both orders to be reserved", Duration::from_secs(5), || async { orders(&first).await == 2 }).await;
    assert_eq!(stock_of(&first, lamp).await, 13);
    let restarted = first.restart().await;
    first.crash();
    provider.set_faults(FaultSettings::default());

    wait_until("both orders to settle after the restart", Duration::from_secs(30), || async {
        restarted.scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'payment_pending'").await == 0
    })
    .await;
    let olga_order = restarted
        .scalar("SELECT o.id AS n FROM orders o JOIN users u ON u.id = o.user_id WHERE u.username = 'olga'")
        .await;
    let owen_order = restarted
        .scalar("SELECT o.id AS n FROM orders o JOIN users u ON u.id = o.user_id WHERE u.username = 'owen'")
        .await;
    assert_eq!(order_status(&restarted, olga_order).await, "paid", "the charge that exists is settled as paid");
    assert_eq!(
        order_status(&restarted, owen_order).await,
        "payment_failed",
        "no charge exists: failed, nothing charged"
    );
    assert_eq!(stock_of(&restarted, lamp).await, 18, "Owen's five units are back, Olga's two are sold");
    assert_eq!(provider.charges_made(), 1);

    // Both keys resolve to their order's real outcome on the restarted server.
    restarted.login("olga", crate::support::CUSTOMER_PASSWORD).await;
    let replay = checkout(&restarted, &restarted.client, &card_body(CARD), Some("olga-1")).await;
    assert_eq!((replay.0, order_id_of(&replay.1)), (StatusCode::OK, olga_order));
    assert_eq!(replay.1["status"], "paid");
    let owen = Client::builder().cookie_store(true).build().expect("client");
    let login = owen
        .post(restarted.url("/api/login"))
        .json(&json!({ "username": "owen", "password": crate::support::CUSTOMER_PASSWORD }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), StatusCode::OK);
    let replay = checkout(&restarted, &owen, &card_body(CARD), Some("owen-1")).await;
    assert_eq!(replay.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(order_id_of(&replay.1), owen_order);
}

#[tokio::test]
async fn provider_keys_are_unique_per_installation_and_order() {
    let (provider, url) = standalone_provider().await;
    let one = shop(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let two = shop(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let mut keys = Vec::new();
    for app in [&one, &two] {
        let lamp = app.product("Lamp", 1_000, 5).await;
        let customer = app.signed_in("pia", Role::Customer).await;
        add(app, &customer, lamp, 1).await;
        let (status, body) = checkout(app, &customer, &card_body(CARD), None).await;
        assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("paid")));
        keys.push(provider_key(app, order_id_of(&body)).await);
    }
    // Both databases made their first order, with the same id: the provider must not mistake
    // the second for a replay of the first.
    assert_ne!(keys[0], keys[1]);
    assert!(!keys[0].is_empty() && !keys[0].ends_with("order-1"), "{keys:?}");
    assert_eq!(provider.charges_made(), 2);
}

#[tokio::test]
async fn a_provider_refusal_that_is_not_a_decline_fails_the_order_without_tripping_the_breaker() {
    let app = shop(&[("BREAKER_CONSECUTIVE_FAILURES", "2")]).await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("quin", Role::Customer).await;
    for _ in 0..3 {
        add(&app, &customer, lamp, 1).await;
        let (status, body) = checkout(&app, &customer, &card_body(UNSUPPORTED_CARD), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains("refused this payment") && message.contains("nothing was charged"), "{message}");
    }
    assert_eq!(stock_of(&app, lamp).await, 20, "stock released");
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'payment_failed'").await, 3);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payment_jobs").await, 0);
    let status = get_json(&app, &ops, "/api/admin/payment-provider").await;
    assert_eq!(
        (status["breaker"]["state"].clone(), status["breaker"]["opened_total"].clone()),
        (json!("closed"), json!(0))
    );
}

#[tokio::test]
async fn an_order_whose_total_is_zero_is_not_sent_to_the_provider() {
    let (provider, url) = standalone_provider().await;
    let app = shop(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let sample = app.product("Free sample", 0, 5).await;
    let customer = app.signed_in("rae", Role::Customer).await;
    add(&app, &customer, sample, 1).await;
    let (status, body) = checkout(&app, &customer, &card_body(CARD), None).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("paid")));
    assert_eq!(provider.requests_received(), 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payment_jobs").await, 0);
    assert_eq!(stock_of(&app, sample).await, 4);
}

#[tokio::test]
async fn two_instances_share_one_queue_and_take_over_only_a_dead_ones_jobs() {
    let (provider, url) = standalone_provider().await;
    let a = shop(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let b = a.restart().await;
    let lamp = a.product("Lamp", 1_000, 30).await;
    provider.set_faults(FaultSettings { failure_rate: 1.0, latency_ms: 0 });
    let mut by_instance: Vec<(&TestApp, i64)> = Vec::new();
    for (i, server) in [&a, &a, &a, &b, &b, &b].into_iter().enumerate() {
        let customer = server.signed_in(&format!("shopper{i}"), Role::Customer).await;
        add(server, &customer, lamp, 1).await;
        let (status, body) = checkout(server, &customer, &card_body(CARD), None).await;
        assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("payment_pending")));
        by_instance.push((server, order_id_of(&body)));
    }
    // Both servers are alive: each keeps its own jobs, neither fails the other's.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    for (server, order_id) in &by_instance {
        let owner = a.text_of(&format!("SELECT owner FROM payment_jobs WHERE order_id = {order_id}")).await;
        assert_eq!(&owner, &server.instance_id, "order {order_id}");
    }
    assert_eq!(a.scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'payment_pending'").await, 6);

    // B dies holding its customers' card details; A resolves B's orders from the provider.
    let b_orders: Vec<i64> =
        by_instance.iter().filter(|(s, _)| s.instance_id == b.instance_id).map(|(_, id)| *id).collect();
    let a_orders: Vec<i64> =
        by_instance.iter().filter(|(s, _)| s.instance_id == a.instance_id).map(|(_, id)| *id).collect();
    b.crash();
    provider.set_faults(FaultSettings::default());
    wait_until("every order to settle", Duration::from_secs(30), || async {
        a.scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'payment_pending'").await == 0
    })
    .await;
    for id in &a_orders {
        assert_eq!(order_status(&a, *id).await, "paid");
        let key = provider_key(&a, *id).await;
        assert_eq!(provider.charges_answered(&key), 1, "order {id} was charged by exactly one worker, once");
    }
    for id in &b_orders {
        assert_eq!(order_status(&a, *id).await, "payment_failed", "no card and no charge: nothing was charged");
    }
    assert_eq!(provider.charges_made(), 3);
    assert_eq!(stock_of(&a, lamp).await, 27);
}

#[tokio::test]
async fn declines_and_checkouts_take_stock_locks_in_the_same_order() {
    // On PostgreSQL a decline that returned stock in another order than checkouts take it
    // could deadlock with them; SQLite has a single writer and cannot.
    let app = shop(&[("CHECKOUT_MAX_CONCURRENCY", "256")]).await;
    let first = app.product("Alpha", 1_000, 10_000).await;
    let second = app.product("Beta", 1_000, 10_000).await;
    let mut shoppers = Vec::new();
    for i in 0..40 {
        let client = app.signed_in(&format!("locker{i}"), Role::Customer).await;
        // Decliners fill their carts in the opposite order: their order lines come out
        // Beta first unless the release sorts them.
        let (a, b) = if i % 2 == 0 { (second, first) } else { (first, second) };
        add(&app, &client, a, 1).await;
        add(&app, &client, b, 1).await;
        shoppers.push((i % 2 == 0, client));
    }
    for round in 0..5 {
        let mut racing = tokio::task::JoinSet::new();
        for (declines, client) in &shoppers {
            let (client, url, declines) = (client.clone(), app.url("/api/checkout"), *declines);
            racing.spawn(async move {
                let body = if declines { card_body(DECLINED_CARD) } else { json!({ "payment_method": "cash" }) };
                let status = client.post(url).json(&body).send().await.expect("checkout").status();
                (declines, status)
            });
        }
        while let Some(result) = racing.join_next().await {
            let (declines, status) = result.expect("task");
            let expected = if declines { StatusCode::PAYMENT_REQUIRED } else { StatusCode::OK };
            assert_eq!(status, expected, "round {round}");
        }
        for (declines, client) in &shoppers {
            if !*declines {
                add(&app, client, first, 1).await;
                add(&app, client, second, 1).await;
            }
        }
    }
    assert_eq!(stock_of(&app, first).await, 10_000 - 100);
    assert_eq!(stock_of(&app, second).await, 10_000 - 100);
}
