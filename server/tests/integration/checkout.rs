//! Checkout: card and cash orders, validation, declines, the throttle, stock races, and orders
//! exactly once (idempotency keys and their replays after every outcome, one order per cart,
//! checkouts that outlive their client, and the lock order shared with declines).

use std::time::Duration;

use app::accounts::Role;
use reqwest::header::RETRY_AFTER;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::support::shop::{
    add, add_ok, admin, card_body, checkout, checkout_card, expiry, get_json, order_id_of, order_status, orders, post,
    set_faults, shop, shop_with_fast_takeover, stock_of, CARD, DECLINED_CARD,
};
use crate::support::{standalone_provider, wait_until};

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
async fn a_replay_returns_the_first_answer_after_every_outcome() {
    let app = shop_with_fast_takeover(&[]).await;
    let lamp = app.product("Lamp", 1_000, 50).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("ines", Role::Customer).await;

    // Paid, then replayed with the cart now empty and the provider down.
    add_ok(&app, &customer, lamp, 1).await;
    let paid = checkout(&app, &customer, &card_body(CARD), Some("k-paid")).await;
    assert_eq!((paid.0, paid.1["status"].clone()), (StatusCode::OK, json!("paid")));
    set_faults(&app, &ops, 1.0, 0).await;
    assert_eq!(checkout(&app, &customer, &card_body(CARD), Some("k-paid")).await, paid);

    // Cash on delivery, replayed with an empty cart.
    set_faults(&app, &ops, 0.0, 0).await;
    add_ok(&app, &customer, lamp, 1).await;
    let cash = checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("k-cash")).await;
    assert_eq!(cash.1["status"], "cash_on_delivery");
    assert_eq!(checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("k-cash")).await, cash);

    // Declined: the cart is kept, the stock changes, and the replay is still the 402.
    add_ok(&app, &customer, lamp, 2).await;
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
    let app = shop_with_fast_takeover(&[]).await;
    let lamp = app.product("Lamp", 1_000, 50).await;
    let customer = app.signed_in("ivo", Role::Customer).await;
    add_ok(&app, &customer, lamp, 1).await;
    let first = checkout(&app, &customer, &card_body(CARD), Some("same-key")).await;
    assert_eq!(first.0, StatusCode::OK);
    add_ok(&app, &customer, lamp, 1).await;
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
    let app = shop_with_fast_takeover(&[("IDEMPOTENCY_KEY_TTL_SECONDS", "1")]).await;
    let lamp = app.product("Lamp", 1_000, 50).await;
    let customer = app.signed_in("jo", Role::Customer).await;
    add_ok(&app, &customer, lamp, 1).await;
    let first = checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("short-lived")).await;
    assert_eq!(first.0, StatusCode::OK);
    wait_until("the expired key to be purged", Duration::from_secs(10), || async {
        app.scalar("SELECT COUNT(*) AS n FROM idempotency_keys").await == 0
    })
    .await;
    add_ok(&app, &customer, lamp, 1).await;
    let second = checkout(&app, &customer, &json!({ "payment_method": "cash" }), Some("short-lived")).await;
    assert_eq!(second.0, StatusCode::OK);
    assert_ne!(second.1["order_id"], first.1["order_id"], "an expired key starts a new checkout");
}

#[tokio::test]
async fn eight_parallel_checkouts_of_one_cart_make_one_order_and_one_charge() {
    let (provider, url) = standalone_provider().await;
    let app = shop_with_fast_takeover(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let mug = app.product("Mug", 500, 20).await;
    let customer = app.signed_in("kim", Role::Customer).await;
    add_ok(&app, &customer, mug, 2).await;
    add_ok(&app, &customer, lamp, 1).await;

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
    let app = shop_with_fast_takeover(&[]).await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let mug = app.product("Mug", 500, 20).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("lea", Role::Customer).await;
    add_ok(&app, &customer, lamp, 1).await;
    set_faults(&app, &ops, 0.0, 800).await;
    let (client, url) = (customer.clone(), app.url("/api/checkout"));
    let placing = tokio::spawn(async move { client.post(url).json(&card_body(CARD)).send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    add_ok(&app, &customer, mug, 3).await;
    assert_eq!(placing.await.expect("task").expect("checkout"), StatusCode::OK);
    let cart = get_json(&app, &customer, "/api/cart").await;
    let lines = cart["lines"].as_array().cloned().unwrap_or_default();
    assert_eq!(lines.len(), 1, "{cart}");
    assert_eq!((lines[0]["product_id"].as_i64(), lines[0]["quantity"].as_i64()), (Some(mug), Some(3)));
}

#[tokio::test]
async fn a_checkout_whose_client_went_away_still_completes_and_its_key_resolves() {
    let app = shop_with_fast_takeover(&[("PAYMENT_TIMEOUT_MS", "5000")]).await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("max", Role::Customer).await;
    add_ok(&app, &customer, lamp, 2).await;
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
async fn declines_and_checkouts_take_stock_locks_in_the_same_order() {
    // On PostgreSQL a decline that returned stock in another order than checkouts take it
    // could deadlock with them; SQLite has a single writer and cannot.
    let app = shop_with_fast_takeover(&[("CHECKOUT_MAX_CONCURRENCY", "256")]).await;
    let first = app.product("Alpha", 1_000, 10_000).await;
    let second = app.product("Beta", 1_000, 10_000).await;
    let mut shoppers = Vec::new();
    for i in 0..40 {
        let client = app.signed_in(&format!("locker{i}"), Role::Customer).await;
        // Decliners fill their carts in the opposite order: their order lines come out
        // Beta first unless the release sorts them.
        let (a, b) = if i % 2 == 0 { (second, first) } else { (first, second) };
        add_ok(&app, &client, a, 1).await;
        add_ok(&app, &client, b, 1).await;
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
                add_ok(&app, client, first, 1).await;
                add_ok(&app, client, second, 1).await;
            }
        }
    }
    assert_eq!(stock_of(&app, first).await, 10_000 - 100);
    assert_eq!(stock_of(&app, second).await, 10_000 - 100);
}
