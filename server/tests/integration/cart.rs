//! The cart: quantity rules, stock checks and numbers too large for any rule.

use app::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::no_javascript::location;
use crate::support::shop::{add, admin, checkout_card, get_json, post, shop, stock_of, CARD};

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

/// A plain HTML form post, as a browser without JavaScript sends it from `page`.
async fn form_post(
    app: &crate::support::TestApp,
    client: &reqwest::Client,
    path: &str,
    page: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header(reqwest::header::REFERER, app.url(page))
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
        .form(form)
        .send()
        .await
        .expect("form post")
}

#[tokio::test]
async fn the_storefront_cart_works_without_javascript() {
    let app = shop(&[]).await;
    let lamp = app.product("Lamp", 3_999, 3).await;
    let lamp_id = lamp.to_string();
    app.signed_in("nora", Role::Customer).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = crate::support::login(&app, &browser, "nora", crate::support::CUSTOMER_PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);

    // The server's HTML holds the products and the add-to-cart form in place.
    let html = browser.get(app.url("/")).send().await.expect("storefront").text().await.expect("html");
    assert!(html.contains(r#"action="/rpc/cart_add""#), "add-to-cart form in the server HTML");
    assert!(html.contains(r#"data-testid="cart-empty""#));

    let added = form_post(&app, &browser, "/rpc/cart_add", "/", &[("product_id", &lamp_id), ("quantity", "2")]).await;
    assert_eq!(added.status(), StatusCode::FOUND);
    assert_eq!(location(&added), app.url("/"), "back to the page the form was on");
    let html = browser.get(app.url("/")).send().await.expect("storefront").text().await.expect("html");
    assert!(html.contains(r#"data-testid="cart-line""#) && html.contains(r#"action="/rpc/cart_set""#), "{html}");
    assert!(html.contains(r#"data-testid="grand-total""#));

    // A refused change goes back with the error, which the page then shows once.
    let page = format!("/products/{lamp}");
    let refused =
        form_post(&app, &browser, "/rpc/cart_set", &page, &[("product_id", &lamp_id), ("quantity", "0")]).await;
    assert_eq!(refused.status(), StatusCode::FOUND);
    let back = location(&refused);
    assert!(back.starts_with(&app.url(&format!("{page}?"))) && back.contains("__err="), "{back}");
    let html = browser.get(back).send().await.expect("page").text().await.expect("html");
    assert_eq!(html.matches("quantity must be a whole number of at least 1").count(), 1, "{html}");
    assert!(html.contains(r#"data-testid="cart-error""#));

    let set = form_post(&app, &browser, "/rpc/cart_set", &page, &[("product_id", &lamp_id), ("quantity", "3")]).await;
    assert_eq!((set.status(), location(&set)), (StatusCode::FOUND, app.url(&page)));
    assert_eq!(get_json(&app, &browser, "/api/cart").await["lines"][0]["quantity"], 3);
    let removed = form_post(&app, &browser, "/rpc/cart_remove", "/", &[("product_id", &lamp_id)]).await;
    assert_eq!(removed.status(), StatusCode::FOUND);
    assert_eq!(get_json(&app, &browser, "/api/cart").await["lines"], json!([]));
}
