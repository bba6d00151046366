//! The business KPIs (`GET /admin/kpis`, the `dashboard_kpis` server function) over a known set
//! of orders, returns and refunds written straight into the tables with chosen times: days are
//! counted in DEFAULT_TIMEZONE, the quarter's edges are local midnights, and every figure is
//! checked exactly. Customers get 403, a bad quarter a 422 that says why.

use reqwest::header::{ACCEPT, ORIGIN, REFERER};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::support::{error_of, spawn_app_with, user_id, TestApp};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// UTC ms of `y-m-d h:min` UTC (2026 only).
fn utc(y: i32, m: u8, d: u8, h: i64, min: i64) -> i64 {
    assert_eq!(y, 2026);
    const FIRST_OF_MONTH: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let days = 20_454 + FIRST_OF_MONTH[usize::from(m) - 1] + i64::from(d) - 1; // 2026-01-01 is day 20454
    days * 86_400_000 + h * HOUR + min * MINUTE
}

async fn exec(app: &TestApp, sql: &str, binds: &[Value]) -> i64 {
    let mut query = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        query = match b {
            Value::String(s) => query.bind(s.clone()),
            other => query.bind(other.as_i64().expect("integer bind")),
        };
    }
    query.fetch_one(app.db.write()).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// An order with one line of `product`; returns (order id, line id).
async fn order(app: &TestApp, user: i64, product: (i64, &str), status: &str, at: i64) -> (i64, i64) {
    let method = if status == "cash_on_delivery" { "cash" } else { "card" };
    let order = exec(
        app,
        "INSERT INTO orders (user_id, status, payment_method, subtotal_cents, discount_cents, shipping_cents, \
         duty_cents, total_cents, created_at, updated_at) VALUES ($1, $2, $3, 1000, 0, 0, 0, 1000, $4, $4) RETURNING id",
        &[json!(user), json!(status), json!(method), json!(at)],
    )
    .await;
    let line = exec(
        app,
        "INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_cents, \
         discounted_unit_cents, discount_percent, subtotal_cents, shipping_cents, duty_cents, total_cents) \
         VALUES ($1, $2, $3, 1, 1000, 1000, 0, 1000, 0, 0, 1000) RETURNING id",
        &[json!(order), json!(product.0), json!(product.1)],
    )
    .await;
    (order, line)
}

/// A return of the order's line; `resolved` = (status reached, when) for closed/rejected ones.
async fn a_return(
    app: &TestApp,
    user: i64,
    (order, line): (i64, i64),
    reason: &str,
    status: &str,
    at: i64,
    resolved: Option<i64>,
) -> i64 {
    let id = exec(
        app,
        "INSERT INTO returns (order_id, user_id, status, reason, method, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'original_payment', $5, $5) RETURNING id",
        &[json!(order), json!(user), json!(status), json!(reason), json!(at)],
    )
    .await;
    exec(
        app,
        "INSERT INTO return_items (return_id, order_line_id, quantity) VALUES ($1, $2, 1) RETURNING id",
        &[json!(id), json!(line)],
    )
    .await;
    exec(
        app,
        "INSERT INTO return_events (return_id, to_status, actor_role, created_at) VALUES ($1, 'requested', 'customer', $2) \
         RETURNING id",
        &[json!(id), json!(at)],
    )
    .await;
    if let Some(when) = resolved {
        exec(
            app,
            "INSERT INTO return_events (return_id, from_status, to_status, actor_role, created_at) \
             VALUES ($1, 'requested', $2, 'admin', $3) RETURNING id",
            &[json!(id), json!(status), json!(when)],
        )
        .await;
    }
    id
}

/// A refund of the return: (payout, status, amount, credit, bonus).
async fn refund(
    app: &TestApp,
    ret: i64,
    order: i64,
    (payout, status, amount, credit, bonus): (&str, &str, i64, i64, i64),
    at: i64,
) {
    exec(
        app,
        "INSERT INTO refunds (return_id, order_id, payout, status, amount_cents, credit_cents, bonus_cents, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[json!(ret), json!(order), json!(payout), json!(status), json!(amount), json!(credit), json!(bonus), json!(at)],
    )
    .await;
}

/// The known quarter: 2026-Q3 in Europe/Berlin (CEST, UTC+2), from 30 June 22:00 UTC to
/// 30 September 22:00 UTC.
async fn seed(app: &TestApp) {
    app.signed_in("kpi_buyer", app::accounts::Role::Customer).await;
    let user = user_id(app, "kpi_buyer").await;
    let laptop = (app.product("Laptop", 100_000, 10).await, "Laptop");
    let mouse = (app.product("Mouse", 2_500, 10).await, "Mouse");
    // 00:30 on 1 July in Berlin, still 30 June in UTC: the quarter's first order.
    let o1 = order(app, user, laptop, "paid", utc(2026, 6, 30, 22, 30)).await;
    let o2 = order(app, user, mouse, "paid", utc(2026, 7, 1, 10, 0)).await;
    let o3 = order(app, user, mouse, "cash_on_delivery", utc(2026, 7, 1, 12, 0)).await;
    let o4 = order(app, user, mouse, "payment_pending", utc(2026, 7, 2, 9, 0)).await;
    order(app, user, mouse, "declined", utc(2026, 7, 2, 9, 5)).await; // refused: not an order
    order(app, user, mouse, "payment_failed", utc(2026, 7, 2, 9, 6)).await; // refused too
                                                                            // 23:59 on 30 September in Berlin: the quarter's last order.
    let o6 = order(app, user, laptop, "paid", utc(2026, 9, 30, 21, 59)).await;
    // 00:30 on 1 October in Berlin (still 30 September in UTC): next quarter's.
    let o7 = order(app, user, laptop, "paid", utc(2026, 9, 30, 22, 30)).await;
    // 23:00 on 30 June in Berlin: last quarter's.
    order(app, user, laptop, "paid", utc(2026, 6, 30, 21, 0)).await;

    // Returns: closed after 48 h, rejected after 12 h; the others still open.
    let r1 = a_return(app, user, o1, "damaged", "closed", utc(2026, 7, 5, 10, 0), Some(utc(2026, 7, 7, 10, 0))).await;
    a_return(app, user, o2, "no_longer_wanted", "rejected", utc(2026, 7, 10, 0, 0), Some(utc(2026, 7, 10, 12, 0)))
        .await;
    let r3 = a_return(app, user, o3, "damaged", "refunded", utc(2026, 8, 1, 0, 0), None).await;
    let r5 = a_return(app, user, o4, "other", "refunded", utc(2026, 8, 10, 0, 0), None).await;
    let r6 = a_return(app, user, o2, "not_as_described", "refund_pending", utc(2026, 9, 1, 0, 0), None).await;
    let r7 = a_return(app, user, o6, "damaged", "refund_pending", utc(2026, 9, 15, 0, 0), None).await;
    a_return(app, user, o7, "wrong_item", "requested", utc(2026, 10, 2, 0, 0), None).await; // next quarter

    refund(app, r1, o1.0, ("card", "paid", 100_000, 0, 0), utc(2026, 7, 6, 10, 0)).await;
    // 01:30 on 3 August in Berlin.
    refund(app, r3, o3.0, ("exchange", "paid", 2_500, 0, 0), utc(2026, 8, 2, 23, 30)).await;
    refund(app, r5, o4.0, ("store_credit", "paid", 0, 2_750, 250), utc(2026, 8, 10, 12, 0)).await;
    refund(app, r6, o2.0, ("card", "failed", 2_500, 0, 0), utc(2026, 9, 1, 12, 0)).await;
    refund(app, r7, o6.0, ("card", "pending", 100_000, 0, 0), utc(2026, 9, 15, 12, 0)).await;
}

async fn admin(app: &TestApp) -> Client {
    app.signed_in("kpi_admin", app::accounts::Role::Admin).await
}

async fn kpis(app: &TestApp, client: &Client, query: &str) -> (StatusCode, Value) {
    let response = client.get(app.url(&format!("/admin/kpis{query}"))).send().await.expect("GET /admin/kpis");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

fn counts(series: &Value) -> Vec<(String, u64)> {
    series["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter(|p| p["count"].as_u64() != Some(0))
        .map(|p| (p["date"].as_str().expect("date").to_owned(), p["count"].as_u64().expect("count")))
        .collect()
}

#[tokio::test]
async fn a_quarters_figures_are_counted_on_local_days() {
    let app = spawn_app_with(&[("DEFAULT_TIMEZONE", "Europe/Berlin")]).await;
    seed(&app).await;
    let admin = admin(&app).await;
    let (status, r) = kpis(&app, &admin, "?quarter=2026-Q3").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["quarter"].as_str(), r["label"].as_str(), r["timezone"].as_str()),
        (Some("2026-Q3"), Some("Q3 2026"), Some("Europe/Berlin"))
    );
    assert_eq!(
        (r["start_ms"].as_i64(), r["end_ms"].as_i64()),
        (Some(utc(2026, 6, 30, 22, 0)), Some(utc(2026, 9, 30, 22, 0)))
    );

    let orders = &r["orders"];
    assert_eq!(orders["points"].as_array().map(Vec::len), Some(92), "every day of the quarter, zero days included");
    let expected = [("2026-07-01", 3), ("2026-07-02", 1), ("2026-09-30", 1)].map(|(d, n)| (d.to_owned(), n));
    assert_eq!(counts(orders), expected);
    assert_eq!(orders["total"], 5);
    assert_eq!(orders["peak"], json!({ "date": "2026-07-01", "count": 3 }));
    assert_eq!(orders["mean_per_day"].as_f64(), Some(5.0 / 92.0));

    let refunds = &r["refunds"];
    let expected = [("2026-07-06", 1), ("2026-08-03", 1), ("2026-08-10", 1)].map(|(d, n)| (d.to_owned(), n));
    assert_eq!(counts(refunds), expected, "completed refunds by the local day they were started");
    assert_eq!(refunds["peak"], json!({ "date": "2026-07-06", "count": 1 }), "the earliest of equal days");

    assert_eq!(r["return_requests"], 6);
    assert_eq!(r["rma_rate"].as_f64(), Some(6.0 / 5.0));
    assert_eq!(r["cycle_time"], json!({ "closed": 2, "mean_ms": 30 * HOUR, "median_ms": 30 * HOUR }));
    assert_eq!((r["refunds_completed"].as_u64(), r["refunds_failed"].as_u64()), (Some(3), Some(1)));
    assert_eq!(r["refund_success_rate"].as_f64(), Some(0.75));
    let retained = &r["revenue_retained"];
    assert_eq!(
        (
            retained["exchange_cents"].as_i64(),
            retained["store_credit_cents"].as_i64(),
            retained["refunded_cents"].as_i64()
        ),
        (Some(2_500), Some(2_500), Some(100_000)),
        "credit without its bonus; the pending and the failed refunds do not count"
    );
    assert_eq!(retained["retained_share"].as_f64(), Some(5_000.0 / 105_000.0));
    assert_eq!(
        r["top_return_reasons"],
        json!([
            { "product_id": 2, "product_name": "Mouse", "returns": 4, "reasons": [
                { "reason": "damaged", "count": 1 }, { "reason": "no_longer_wanted", "count": 1 },
                { "reason": "not_as_described", "count": 1 } ] },
            { "product_id": 1, "product_name": "Laptop", "returns": 2, "reasons": [ { "reason": "damaged", "count": 2 } ] },
        ])
    );

    // The same rows read in UTC: the 00:30 orders move a day back and across the quarter's edges.
    let in_utc = app.another_instance(&[("DEFAULT_TIMEZONE", "UTC")]).await;
    let admin_utc = in_utc.signed_in("kpi_admin_utc", app::accounts::Role::Admin).await;
    let (_, r) = kpis(&in_utc, &admin_utc, "?quarter=2026-Q3").await;
    let expected = [("2026-07-01", 2), ("2026-07-02", 1), ("2026-09-30", 2)].map(|(d, n)| (d.to_owned(), n));
    assert_eq!(counts(&r["orders"]), expected);
    assert_eq!(r["start_ms"].as_i64(), Some(utc(2026, 7, 1, 0, 0)));
}

#[tokio::test]
async fn the_panel_server_function_sends_ready_text_and_charts() {
    let app = spawn_app_with(&[("DEFAULT_TIMEZONE", "Europe/Berlin")]).await;
    seed(&app).await;
    let admin = admin(&app).await;
    let response = admin
        .post(app.url("/rpc/dashboard_kpis"))
        .header(ACCEPT, "application/json")
        .header(ORIGIN, app.origin())
        .header(REFERER, app.url("/admin/dashboard"))
        .form(&[("quarter", "2026-Q3")])
        .send()
        .await
        .expect("rpc");
    assert_eq!(response.status(), StatusCode::OK);
    let panel: Value = response.json().await.expect("json");
    assert_eq!(panel["quarter_key"], "2026-Q3");
    assert_eq!(panel["orders"]["total"], "5 orders");
    assert_eq!(panel["orders"]["peak"], "Peak day: 2026-07-01 (3 orders)");
    assert_eq!(panel["orders"]["chart"]["bars"].as_array().map(Vec::len), Some(92));
    assert_eq!(panel["refunds"]["chart"]["kind"], "Line");
    let figure = |id: &str| {
        panel["figures"].as_array().expect("figures").iter().find(|f| f["id"] == id).expect(id)["value"].clone()
    };
    assert_eq!(figure("rma-rate"), "120.00 %");
    assert_eq!(figure("rma-cycle"), "30.0 h");
    assert_eq!(figure("refund-success"), "75.0 %");
    assert_eq!(figure("revenue-retained"), "4.8 %");
    assert_eq!(panel["reasons"][0]["reasons"], "Damaged (1), No longer wanted (1), Not as described (1)");
}

#[tokio::test]
async fn only_admins_get_the_kpis() {
    let app = spawn_app_with(&[]).await;
    let (status, _) = kpis(&app, &app.client, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let customer = app.signed_in("kpi_customer", app::accounts::Role::Customer).await;
    let response = customer.get(app.url("/admin/kpis?quarter=2026-Q3")).send().await.expect("GET");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(response).await, "this page is for shop administrators only");
    let rpc = customer
        .post(app.url("/rpc/dashboard_kpis"))
        .header(ACCEPT, "application/json")
        .header(ORIGIN, app.origin())
        .form(&[("quarter", "2026-Q3")])
        .send()
        .await
        .expect("rpc");
    assert_eq!(rpc.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_bad_quarter_is_refused_and_none_means_the_current_one() {
    let app = spawn_app_with(&[]).await;
    let admin = admin(&app).await;
    for bad in ["2026-Q5", "Q4-2026", "1969-Q4"] {
        let response = admin.get(app.url(&format!("/admin/kpis?quarter={bad}"))).send().await.expect("GET");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let message = error_of(response).await;
        assert!(message.starts_with(&format!("quarter: '{bad}' is not a quarter such as 2026-Q4")), "{message}");
    }
    let (status, r) = kpis(&app, &admin, "").await;
    assert_eq!(status, StatusCode::OK);
    let civil = app::time::civil(app::platform::now_ms());
    let current = format!("{}-Q{}", civil.year, (civil.month - 1) / 3 + 1);
    assert_eq!(r["quarter"], current.as_str());
    assert_eq!(r["orders"]["total"], 0);
    assert_eq!(r["rma_rate"], Value::Null, "no orders: no data, not 0 %");
    assert_eq!(r["quarters"], json!([current]));
}
