//! Payments: the breaker and the background queue while the provider fails, charges whose
//! answer was lost, crashes between charge and settle, provider keys, refusals that are not
//! declines, zero totals, and several servers sharing one payment queue.

use std::time::Duration;

use app::accounts::Role;
use app::payments::faults::FaultSettings;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::support::shop::{
    add, add_ok, admin, card_body, checkout, checkout_card, get_json, order_id_of, order_status, orders, post,
    provider_key, set_faults, shop, shop_with_fast_takeover, stock_of, CARD, UNSUPPORTED_CARD,
};
use crate::support::{standalone_provider, wait_until, TestApp, CUSTOMER_PASSWORD};

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
async fn a_charge_whose_answer_was_lost_is_settled_as_paid_never_failed() {
    // Every answer comes after the client's timeout, but the provider charged the card.
    let app = shop_with_fast_takeover(&[
        ("PAYMENT_TIMEOUT_MS", "150"),
        ("PAYMENT_JOB_MAX_ATTEMPTS", "2"),
        ("BREAKER_CONSECUTIVE_FAILURES", "1000"),
        ("BREAKER_FAILURE_RATE", "1.0"),
    ])
    .await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("nia", Role::Customer).await;
    add_ok(&app, &customer, lamp, 3).await;
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
    let first =
        shop_with_fast_takeover(&[("PAYMENT_PROVIDER_URL", url.as_str()), ("PAYMENT_TIMEOUT_MS", "5000")]).await;
    let lamp = first.product("Lamp", 1_000, 20).await;
    let charged = first.signed_in("olga", Role::Customer).await;
    let uncharged = first.signed_in("owen", Role::Customer).await;
    add_ok(&first, &charged, lamp, 2).await;
    add_ok(&first, &uncharged, lamp, 5).await;

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
    restarted.login("olga", CUSTOMER_PASSWORD).await;
    let replay = checkout(&restarted, &restarted.client, &card_body(CARD), Some("olga-1")).await;
    assert_eq!((replay.0, order_id_of(&replay.1)), (StatusCode::OK, olga_order));
    assert_eq!(replay.1["status"], "paid");
    let owen = Client::builder().cookie_store(true).build().expect("client");
    let login = owen
        .post(restarted.url("/api/login"))
        .json(&json!({ "username": "owen", "password": CUSTOMER_PASSWORD }))
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
    let one = shop_with_fast_takeover(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let two = shop_with_fast_takeover(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let mut keys = Vec::new();
    for app in [&one, &two] {
        let lamp = app.product("Lamp", 1_000, 5).await;
        let customer = app.signed_in("pia", Role::Customer).await;
        add_ok(app, &customer, lamp, 1).await;
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
    let app = shop_with_fast_takeover(&[("BREAKER_CONSECUTIVE_FAILURES", "2")]).await;
    let lamp = app.product("Lamp", 1_000, 20).await;
    let ops = app.signed_in("ops", Role::Admin).await;
    let customer = app.signed_in("quin", Role::Customer).await;
    for _ in 0..3 {
        add_ok(&app, &customer, lamp, 1).await;
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
    let app = shop_with_fast_takeover(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let sample = app.product("Free sample", 0, 5).await;
    let customer = app.signed_in("rae", Role::Customer).await;
    add_ok(&app, &customer, sample, 1).await;
    let (status, body) = checkout(&app, &customer, &card_body(CARD), None).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("paid")));
    assert_eq!(provider.requests_received(), 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM payment_jobs").await, 0);
    assert_eq!(stock_of(&app, sample).await, 4);
}

#[tokio::test]
async fn two_instances_share_one_queue_and_take_over_only_a_dead_ones_jobs() {
    let (provider, url) = standalone_provider().await;
    let a = shop_with_fast_takeover(&[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let b = a.restart().await;
    let lamp = a.product("Lamp", 1_000, 30).await;
    provider.set_faults(FaultSettings { failure_rate: 1.0, latency_ms: 0 });
    let mut by_instance: Vec<(&TestApp, i64)> = Vec::new();
    for (i, server) in [&a, &a, &a, &b, &b, &b].into_iter().enumerate() {
        let customer = server.signed_in(&format!("shopper{i}"), Role::Customer).await;
        add_ok(server, &customer, lamp, 1).await;
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
