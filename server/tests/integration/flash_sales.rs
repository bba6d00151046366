//! Flash sales: their price, overlap and date checks, and the per-customer and total limits.

use app::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::shop::{add, admin, checkout_card, get_json, post, shop, CARD};

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

/// The admin page's scheduling form, called as the WASM client calls it.
async fn schedule_form(app: &crate::support::TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> StatusCode {
    let response = client
        .post(app.url("/rpc/admin_flash_sale"))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .expect("server function");
    response.status()
}

/// The scheduling form's fields: a sale of `product` from now for `minutes`.
fn form<'a>(product: &'a str, minutes: &'a str) -> [(&'static str, &'a str); 6] {
    [
        ("product_id", product),
        ("starts_in_minutes", "0"),
        ("duration_minutes", minutes),
        ("discount_percent", "20"),
        ("units_total", "50"),
        ("per_customer_limit", "2"),
    ]
}

#[tokio::test]
async fn the_admin_form_schedules_a_sale_that_the_storefront_shows() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 10_000, 100).await.to_string();
    let ops = admin(&app).await;
    assert_eq!(schedule_form(&app, &ops, &form("999", "60")).await, StatusCode::NOT_FOUND);
    let huge = form("999", "9223372036854775807");
    assert_eq!(schedule_form(&app, &ops, &huge).await, StatusCode::UNPROCESSABLE_ENTITY, "refused, not overflowed");
    let customer = app.signed_in("cy", Role::Customer).await;
    assert_eq!(schedule_form(&app, &customer, &form(&lamp, "60")).await, StatusCode::FORBIDDEN);
    assert_eq!(schedule_form(&app, &ops, &form(&lamp, "60")).await, StatusCode::OK);
    assert_eq!(schedule_form(&app, &ops, &form(&lamp, "30")).await, StatusCode::CONFLICT);

    let running: Vec<Value> =
        get_json(&app, &customer, "/api/flash-sales").await.as_array().cloned().unwrap_or_default();
    assert_eq!(running.len(), 1);
    let html = app.get("/").await.text().await.expect("html");
    assert!(html.contains(r#"data-testid="flash-sale""#) && html.contains("$80.00"), "flash price in the server HTML");
    assert!(html.contains(r#"data-testid="countdown""#));
}
