//! The catalogue: the server-rendered storefront and the admins' product management.

use app::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::shop::{admin, get_json, post, shop, stock_of};
use crate::support::spawn_app_with;

#[tokio::test]
async fn storefront_is_server_rendered_with_the_demo_catalogue() {
    let app = spawn_app_with(&[("DEMO_SEED", "1")]).await;
    let page = app.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    for name in ["Laptop", "Mouse", "Keyboard", "Software License"] {
        assert!(html.contains(name), "{name} missing from server HTML");
    }
    assert!(html.contains("$1,200.00"));
    let products: Vec<Value> = app.get("/api/products").await.json().await.expect("json");
    assert_eq!(products.len(), 7);
    assert_eq!(products[0]["price_cents"], 120_000);

    app.login("alice", "alice-demo-2026").await;
    assert_eq!(app.get("/api/me").await.json::<Value>().await.expect("json")["role"], "customer");
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

/// A server function called the way the WASM client calls it: a form-encoded POST that does not
/// ask for HTML (so the answer is the function's own, not a redirect).
async fn call_rpc(
    app: &crate::support::TestApp,
    client: &reqwest::Client,
    name: &str,
    form: &[(&str, &str)],
) -> StatusCode {
    client
        .post(app.url(&format!("/rpc/{name}")))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .expect("server function")
        .status()
}

#[tokio::test]
async fn an_unknown_product_is_a_404_on_the_api_and_the_server_functions_alike() {
    let app = shop(&[]).await;
    let ops = admin(&app).await;
    assert_eq!(app.get("/api/products/999").await.status(), StatusCode::NOT_FOUND);
    let draft = json!({ "name": "Desk", "description": "", "price_cents": 100, "stock": 0, "discount_percent": 0,
                        "shipping_weight_grams": 0, "country_of_origin": "", "requires_shipping": false });
    for (path, body) in [
        ("/api/admin/products/999", draft),
        ("/api/admin/products/999/stock", json!({ "stock": 1 })),
        ("/api/admin/products/999/active", json!({ "active": false })),
    ] {
        let missing = post(&app, &ops, path, body).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(missing.json::<Value>().await.expect("json")["error"], "no product with id 999", "{path}");
    }
    let form = [
        ("form[id]", "999"),
        ("form[name]", "Desk"),
        ("form[description]", ""),
        ("form[price]", "1.00"),
        ("form[stock]", "0"),
        ("form[discount_percent]", "0"),
        ("form[shipping_weight_grams]", "0"),
        ("form[country_of_origin]", ""),
    ];
    assert_eq!(call_rpc(&app, &ops, "admin_save_product", &form).await, StatusCode::NOT_FOUND);
    assert_eq!(call_rpc(&app, &ops, "admin_restock", &[("id", "999"), ("stock", "1")]).await, StatusCode::NOT_FOUND);
    let withdraw = [("id", "999"), ("active", "false")];
    assert_eq!(call_rpc(&app, &ops, "admin_set_active", &withdraw).await, StatusCode::NOT_FOUND);
    assert_eq!(call_rpc(&app, &ops, "product", &[("id", "999")]).await, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/products/999").await.status(), StatusCode::NOT_FOUND, "the page says so too");
}

#[tokio::test]
async fn the_admin_product_forms_create_edit_restock_and_withdraw() {
    let app = shop(&[]).await;
    let ops = admin(&app).await;
    let new = [
        ("form[name]", " Desk "),
        ("form[description]", "Oak"),
        ("form[price]", "$250.00"),
        ("form[stock]", "4"),
        ("form[discount_percent]", "0"),
        ("form[shipping_weight_grams]", "20000"),
        ("form[country_of_origin]", "Denmark"),
        ("form[requires_shipping]", "on"),
    ];
    assert_eq!(call_rpc(&app, &ops, "admin_save_product", &new).await, StatusCode::OK);
    let id = app.scalar("SELECT id AS n FROM products WHERE name = 'Desk'").await;
    assert_eq!(stock_of(&app, id).await, 4);
    let id_text = id.to_string();
    let mut edit = new.to_vec();
    edit.push(("form[id]", &id_text));
    edit.retain(|(name, _)| *name != "form[requires_shipping]");
    if let Some(price) = edit.iter_mut().find(|(name, _)| *name == "form[price]") {
        price.1 = "199.5";
    }
    assert_eq!(call_rpc(&app, &ops, "admin_save_product", &edit).await, StatusCode::OK);
    let product = get_json(&app, &ops, &format!("/api/products/{id}")).await;
    assert_eq!((product["price_cents"].as_i64(), product["requires_shipping"].as_bool()), (Some(19_950), Some(false)));
    assert_eq!(stock_of(&app, id).await, 4, "an edit keeps the stock");
    let bad = [("id", id_text.as_str()), ("stock", "lots")];
    assert_eq!(call_rpc(&app, &ops, "admin_restock", &bad).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(call_rpc(&app, &ops, "admin_restock", &[("id", &id_text), ("stock", "9")]).await, StatusCode::OK);
    assert_eq!(stock_of(&app, id).await, 9);
    let withdraw = [("id", id_text.as_str()), ("active", "false")];
    assert_eq!(call_rpc(&app, &ops, "admin_set_active", &withdraw).await, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/products/{id}")).await.status(), StatusCode::NOT_FOUND);

    let customer = app.signed_in("mo", Role::Customer).await;
    assert_eq!(
        call_rpc(&app, &customer, "admin_restock", &[("id", &id_text), ("stock", "1")]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(call_rpc(&app, &reqwest::Client::new(), "admin_products", &[]).await, StatusCode::UNAUTHORIZED);
    let page = ops.get(app.url("/admin/products")).send().await.expect("admin page");
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"data-testid="admin-products""#) && html.contains("Desk"), "server HTML holds the table");
    assert!(html.contains(r#"action="/rpc/admin_flash_sale""#), "and the flash-sale form");
}
