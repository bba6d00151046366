//! The `/rpc/*` Leptos server functions, called over HTTP the way the browser's Leptos client
//! calls them: `POST /rpc/<endpoint>`, the arguments under their names, form-encoded
//! (`application/x-www-form-urlencoded`, nested ones as `form[name]`) or JSON for the
//! `input = Json` ones, `Accept: application/json`, and the page's own `Origin` and `Referer`.
//! Errors come back as the `FnError` JSON with the status of the refusal.
//!
//! Every admin server function (a test checks the list against the app's source): anonymous
//! callers get 401 and customers 403, and a refusal changes nothing. Admins are served by the
//! catalogue, user and flash-sale functions; the one for the super admin alone (granting or
//! removing the admin role) answers other admins 403.

use app::accounts::Role;
use app::platform::Backend;
use reqwest::header::{ACCEPT, CONTENT_TYPE, ORIGIN, REFERER, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

use crate::support::shop::{add_ok, checkout, expiry, get_json, CARD};
use crate::support::{
    jar_client, login, me, spawn_app, user_id, TestApp, CUSTOMER_PASSWORD, PASSWORD, SUPER_ADMIN_PASSWORD,
};

const LOG_IN_FIRST: &str = "please log in first";
const ADMINS_ONLY: &str = "this page is for shop administrators only";
const SUPER_ADMIN_ONLY: &str = "only the super admin can grant or remove the admin role";

/// One server function's answer.
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A server function's arguments: form-encoded (the default) or JSON (`input = Json`).
enum Args {
    Form(Vec<(String, String)>),
    Json(Value),
}

impl Args {
    fn form(pairs: &[(&str, &str)]) -> Self {
        Args::Form(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }
}

/// Calls `/rpc/<endpoint>` with form-encoded `args` as the browser's server-function client does.
async fn rpc(app: &TestApp, client: &Client, endpoint: &str, args: &[(&str, &str)]) -> Answer {
    call(app, client, endpoint, &Args::form(args)).await
}

async fn call(app: &TestApp, client: &Client, endpoint: &str, args: &Args) -> Answer {
    let request = client
        .post(app.url(&format!("/rpc/{endpoint}")))
        .header(ACCEPT, "application/json")
        .header(ORIGIN, app.origin())
        .header(REFERER, app.url("/"));
    let request = match args {
        Args::Form(pairs) => request.form(pairs),
        Args::Json(body) => request.json(body),
    };
    let response = request.send().await.unwrap_or_else(|e| panic!("POST /rpc/{endpoint}: {e}"));
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("/rpc/{endpoint} answered {status}, not JSON ({e}): {text}"));
    Answer { status, headers, body }
}

/// The body of a refused server-function call.
fn refusal(status: StatusCode, message: &str) -> Value {
    json!({ "message": message, "status": status.as_u16(), "retry_after_secs": null, "available": null })
}

fn assert_refused(answer: &Answer, status: StatusCode, message: &str, call: &str) {
    assert_eq!((answer.status, &answer.body), (status, &refusal(status, message)), "{call}");
}

/// What the admin server functions could change: the row count of every table, the products,
/// the orders' status and the users' roles.
async fn admin_state(app: &TestApp) -> Vec<String> {
    let products = sqlx::query(
        "SELECT id, name, description, price_cents, stock, discount_percent, active FROM products ORDER BY id",
    )
    .fetch_all(app.db.read())
    .await
    .expect("products");
    let users =
        sqlx::query("SELECT id, username, role FROM users ORDER BY id").fetch_all(app.db.read()).await.expect("users");
    let tables = match app.db.backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = 'public' \
             ORDER BY name"
        }
    };
    let tables = sqlx::query(tables).fetch_all(app.db.read()).await.expect("tables");
    let mut state = Vec::new();
    for table in tables {
        let table: String = table.try_get("name").expect("table name");
        // The dashboard's figures count every request, refused ones too: telemetry, not state.
        if table.starts_with("dashboard_") {
            continue;
        }
        let rows = app.scalar(&format!("SELECT COUNT(*) AS n FROM {table}")).await;
        state.push(format!("{table}: {rows} rows"));
    }
    let orders =
        sqlx::query("SELECT id, status FROM orders ORDER BY id").fetch_all(app.db.read()).await.expect("orders");
    for row in orders {
        let (id, status): (i64, String) = (row.try_get("id").expect("id"), row.try_get("status").expect("status"));
        state.push(format!("order {id} {status}"));
    }
    for row in products {
        state.push(format!(
            "product {} {} {} {} {} {} {}",
            row.try_get::<i64, _>("id").expect("id"),
            row.try_get::<String, _>("name").expect("name"),
            row.try_get::<String, _>("description").expect("description"),
            row.try_get::<i64, _>("price_cents").expect("price"),
            row.try_get::<i64, _>("stock").expect("stock"),
            row.try_get::<i64, _>("discount_percent").expect("discount"),
            row.try_get::<i64, _>("active").expect("active"),
        ));
    }
    for row in users {
        state.push(format!(
            "user {} {} {}",
            row.try_get::<i64, _>("id").expect("id"),
            row.try_get::<String, _>("username").expect("username"),
            row.try_get::<String, _>("role").expect("role"),
        ));
    }
    state
}

/// The product form as the admin page posts it (`form[…]`); `id` for an edit.
fn product_form(id: Option<&str>, name: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("name", name),
        ("description", "Oak"),
        ("price", "250.00"),
        ("stock", "4"),
        ("discount_percent", "0"),
        ("shipping_weight_grams", "20000"),
        ("country_of_origin", "Denmark"),
        ("requires_shipping", "on"),
    ]
    .iter()
    .map(|(k, v)| (format!("form[{k}]"), (*v).to_owned()))
    .collect();
    if let Some(id) = id {
        fields.push(("form[id]".to_owned(), id.to_owned()));
    }
    fields
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Every admin server function, with arguments that would change something if allowed.
fn admin_calls(lamp: &str, user: &str) -> Vec<(&'static str, Args)> {
    vec![
        ("admin_products", Args::form(&[])),
        ("admin_save_product", Args::Form(product_form(None, "Desk"))),
        ("admin_save_product", Args::Form(product_form(Some(lamp), "Renamed lamp"))),
        ("admin_restock", Args::form(&[("id", lamp), ("stock", "40")])),
        ("admin_set_active", Args::form(&[("id", lamp), ("active", "false")])),
        ("admin_list_users", Args::form(&[])),
        ("admin_set_role", Args::form(&[("user_id", user), ("role", "admin")])),
        ("admin_flash_sales", Args::form(&[])),
        (
            "admin_flash_sale",
            Args::form(&[
                ("product_id", lamp),
                ("starts_in_minutes", "0"),
                ("duration_minutes", "60"),
                ("discount_percent", "25"),
                ("units_total", "3"),
                ("per_customer_limit", "1"),
            ]),
        ),
        ("admin_returns", Args::Json(json!({ "filter": { "status": null, "reason": null, "min_age_days": null } }))),
        ("admin_return", Args::form(&[("id", "1")])),
        ("admin_return_command", Args::Json(json!({ "id": 1, "command": { "action": "authorize" } }))),
        ("admin_return_action", Args::form(&[("id", "1"), ("form[action]", "authorize")])),
        ("admin_orders", Args::Json(json!({ "filter": {} }))),
        ("admin_order", Args::form(&[("order_id", "1")])),
        ("admin_ship_order", Args::form(&[("order_id", "1"), ("carrier", "DHL"), ("tracking", "JD0001")])),
        ("admin_deliver_order", Args::form(&[("order_id", "1")])),
        ("dashboard_snapshot", Args::form(&[])),
        // The business KPIs panel (app/src/dashboard/kpis).
        ("dashboard_kpis", Args::form(&[("quarter", "2026-Q4")])),
        ("dashboard_set_faults", Args::form(&[("failure_rate", "1"), ("latency_ms", "0"), ("confirm", "yes")])),
        ("dashboard_throttle_preset", Args::form(&[("preset", "p1"), ("confirm", "yes")])),
    ]
}

/// The admin server functions of the app's source: those whose endpoint starts with `admin_`
/// or whose body asks for the `Admin` or `SuperAdmin` capability.
fn admin_endpoints_in_the_source() -> Vec<String> {
    fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("app sources").flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source file");
                // Each `#[server(…)]` attribute at the start of a line, with its function.
                for function in text.split("\n#[server(").skip(1) {
                    let function = function.split("\n}\n").next().unwrap_or_default();
                    let endpoint = function
                        .split_once("endpoint = \"")
                        .and_then(|(_, rest)| rest.split_once('"'))
                        .map(|(name, _)| name.to_owned());
                    let guarded = function.contains("::admin()") || function.contains("::super_admin()");
                    match endpoint {
                        Some(endpoint) if guarded || endpoint.starts_with("admin_") => found.push(endpoint),
                        None if guarded => {
                            panic!("an admin server function without an `endpoint` in {}", path.display())
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    visit(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src"), &mut found);
    found.sort();
    found.dedup();
    found
}

#[test]
fn every_admin_server_function_is_checked_here() {
    let mut checked: Vec<String> = admin_calls("1", "1").into_iter().map(|(endpoint, _)| endpoint.to_owned()).collect();
    checked.sort();
    checked.dedup();
    assert_eq!(checked, admin_endpoints_in_the_source(), "add new admin server functions to `admin_calls`");
}

#[tokio::test]
async fn admin_server_functions_refuse_anonymous_callers_and_customers_and_change_nothing() {
    let app = spawn_app().await;
    let lamp = app.product("Lamp", 1_000, 5).await.to_string();
    let customer = app.signed_in("cora", Role::Customer).await;
    let target = user_id(&app, "cora").await.to_string();
    // Order 1, for the order console's functions.
    add_ok(&app, &customer, lamp.parse().expect("id"), 1).await;
    let (placed, _) = checkout(&app, &customer, &json!({ "payment_method": "cash" }), None).await;
    assert_eq!(placed, StatusCode::OK);
    let before = admin_state(&app).await;
    assert!(before.contains(&"order 1 cash_on_delivery".to_owned()), "{before:?}");

    let anonymous = jar_client();
    for (endpoint, args) in admin_calls(&lamp, &target) {
        let answer = call(&app, &anonymous, endpoint, &args).await;
        assert_refused(&answer, StatusCode::UNAUTHORIZED, LOG_IN_FIRST, &format!("anonymous {endpoint}"));
        let answer = call(&app, &customer, endpoint, &args).await;
        assert_refused(&answer, StatusCode::FORBIDDEN, ADMINS_ONLY, &format!("customer {endpoint}"));
    }
    assert_eq!(admin_state(&app).await, before, "refused calls changed nothing");
}

#[tokio::test]
async fn admins_are_served_by_every_admin_server_function_but_only_the_super_admin_changes_roles() {
    let app = spawn_app().await;
    let lamp = app.product("Lamp", 1_000, 5).await;
    let admin = app.signed_in("ada", Role::Admin).await;
    app.signed_in("cy", Role::Customer).await;
    let cy = user_id(&app, "cy").await;

    // Listings: the same as the JSON API's.
    let products = rpc(&app, &admin, "admin_products", &[]).await;
    assert_eq!(products.status, StatusCode::OK);
    assert_eq!(products.body, get_json(&app, &admin, "/api/admin/products").await);
    assert_eq!(products.body.as_array().map(Vec::len), Some(1), "{}", products.body);
    let users = rpc(&app, &admin, "admin_list_users", &[]).await;
    assert_eq!(users.status, StatusCode::OK);
    assert_eq!(users.body, get_json(&app, &admin, "/api/admin/users").await);
    let names: Vec<&str> =
        users.body.as_array().expect("users").iter().filter_map(|u| u["username"].as_str()).collect();
    assert_eq!(names, ["super_admin", "ada", "cy"]);

    // Create, edit, restock, hide.
    let created = rpc(&app, &admin, "admin_save_product", &pairs(&product_form(None, "Desk"))).await;
    assert_eq!((created.status, &created.body), (StatusCode::OK, &Value::Null));
    let desk = app.scalar("SELECT id AS n FROM products WHERE name = 'Desk'").await;
    let row = app
        .text_of(&format!(
            "SELECT description || ' ' || CAST(price_cents AS TEXT) || ' ' || CAST(stock AS TEXT) || ' ' || \
             CAST(shipping_weight_grams AS TEXT) || ' ' || country_of_origin || ' ' || \
             CAST(requires_shipping AS TEXT) FROM products WHERE id = {desk}"
        ))
        .await;
    assert_eq!(row, "Oak 25000 4 20000 Denmark 1");
    let edited =
        rpc(&app, &admin, "admin_save_product", &pairs(&product_form(Some(&desk.to_string()), "Desk XL"))).await;
    assert_eq!((edited.status, &edited.body), (StatusCode::OK, &Value::Null));
    assert_eq!(app.text_of(&format!("SELECT name FROM products WHERE id = {desk}")).await, "Desk XL");
    assert_eq!(
        app.scalar(&format!("SELECT stock AS n FROM products WHERE id = {desk}")).await,
        4,
        "an edit keeps stock"
    );

    let lamp_id = lamp.to_string();
    let bad = rpc(&app, &admin, "admin_restock", &[("id", &lamp_id), ("stock", "lots")]).await;
    assert_refused(&bad, StatusCode::UNPROCESSABLE_ENTITY, "stock must be a whole number", "restock lots");
    let restocked = rpc(&app, &admin, "admin_restock", &[("id", &lamp_id), ("stock", "40")]).await;
    assert_eq!((restocked.status, &restocked.body), (StatusCode::OK, &Value::Null));
    assert_eq!(app.scalar(&format!("SELECT stock AS n FROM products WHERE id = {lamp}")).await, 40);
    // Flash sales: scheduled from the form, listed in the overview.
    let sale = |discount: &str| -> Vec<(String, String)> {
        [
            ("product_id", lamp_id.as_str()),
            ("starts_in_minutes", "0"),
            ("duration_minutes", "60"),
            ("discount_percent", discount),
            ("units_total", "3"),
            ("per_customer_limit", "1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let typo = rpc(&app, &admin, "admin_flash_sale", &pairs(&sale("lots"))).await;
    assert_refused(&typo, StatusCode::UNPROCESSABLE_ENTITY, "discount must be a whole number", "discount lots");
    let scheduled = rpc(&app, &admin, "admin_flash_sale", &pairs(&sale("25"))).await;
    assert_eq!((scheduled.status, &scheduled.body), (StatusCode::OK, &Value::Null));
    let overview = rpc(&app, &admin, "admin_flash_sales", &[]).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert_eq!(overview.body["products"], json!([[lamp, "Lamp"], [desk, "Desk XL"]]));
    let rows = overview.body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{}", overview.body);
    assert_eq!(
        (&rows[0]["product_name"], &rows[0]["discount"], &rows[0]["sold"], &rows[0]["per_customer_limit"]),
        (&json!("Lamp"), &json!("25%"), &json!("0 / 3"), &json!(1))
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM flash_sales").await, 1);

    let hidden = rpc(&app, &admin, "admin_set_active", &[("id", &lamp_id), ("active", "false")]).await;
    assert_eq!((hidden.status, &hidden.body), (StatusCode::OK, &Value::Null));
    let listed: Vec<Value> = app.get("/api/products").await.json().await.expect("json");
    let listed: Vec<i64> = listed.iter().filter_map(|p| p["id"].as_i64()).collect();
    assert_eq!(listed, [desk], "the hidden lamp left the storefront");

    // Roles: an admin is refused and nothing changes; the super admin is served.
    let cy_id = cy.to_string();
    let before = admin_state(&app).await;
    let refused = rpc(&app, &admin, "admin_set_role", &[("user_id", &cy_id), ("role", "admin")]).await;
    assert_refused(&refused, StatusCode::FORBIDDEN, SUPER_ADMIN_ONLY, "admin grants admin");
    assert_eq!(admin_state(&app).await, before, "the refused role change changed nothing");

    let root = jar_client();
    assert_eq!(login(&app, &root, "super_admin", SUPER_ADMIN_PASSWORD).await.status(), StatusCode::OK);
    let granted = rpc(&app, &root, "admin_set_role", &[("user_id", &cy_id), ("role", "admin")]).await;
    assert_eq!((granted.status, &granted.body), (StatusCode::OK, &Value::Null));
    assert_eq!(app.text_of(&format!("SELECT role FROM users WHERE id = {cy}")).await, "admin");
    let super_id = user_id(&app, "super_admin").await.to_string();
    let fixed = rpc(&app, &root, "admin_set_role", &[("user_id", &super_id), ("role", "customer")]).await;
    assert_refused(&fixed, StatusCode::FORBIDDEN, "the super admin's role cannot be changed", "demote super admin");
    assert_eq!(app.text_of("SELECT role FROM users WHERE username = 'super_admin'").await, "super_admin");
}

#[tokio::test]
async fn signed_in_server_functions_refuse_anonymous_callers_and_change_nothing() {
    let app = spawn_app().await;
    let lamp = app.product("Lamp", 1_000, 5).await.to_string();
    let anonymous = jar_client();
    let calls: [(&str, Vec<(&str, &str)>); 8] = [
        ("cart_add", vec![("product_id", &lamp), ("quantity", "1")]),
        ("cart_set", vec![("product_id", &lamp), ("quantity", "1")]),
        ("cart_remove", vec![("product_id", &lamp)]),
        ("checkout", vec![("payment_method", "cash"), ("attempt_key", "anonymous-1")]),
        ("order", vec![("id", "1")]),
        ("orders", vec![]),
        ("change_password", vec![("current_password", PASSWORD), ("new_password", "another-pass-2")]),
        ("logout_everywhere", vec![]),
    ];
    for (endpoint, args) in &calls {
        let answer = rpc(&app, &anonymous, endpoint, args).await;
        assert_refused(&answer, StatusCode::UNAUTHORIZED, LOG_IN_FIRST, endpoint);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM cart_items").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM orders").await, 0);
    assert_eq!(app.scalar(&format!("SELECT stock AS n FROM products WHERE id = {lamp}")).await, 5);

    // Reading the cart and the session needs no account.
    let cart = rpc(&app, &anonymous, "cart", &[]).await;
    assert_eq!(cart.status, StatusCode::OK);
    assert_eq!((&cart.body["signed_in"], &cart.body["cart"]["lines"]), (&json!(false), &json!([])));
    let session = rpc(&app, &anonymous, "session_info", &[]).await;
    assert_eq!(session.status, StatusCode::OK);
    assert_eq!(session.body["user"], Value::Null);
    assert_eq!(session.body["request_id"].as_str(), session.header("x-request-id"));
}

#[tokio::test]
async fn a_shopper_registers_buys_and_logs_out_through_server_functions() {
    let app = spawn_app().await;
    let lamp = app.product("Lamp", 1_000, 5).await;
    let mug = app.product("Mug", 500, 5).await;
    let (lamp_id, mug_id) = (lamp.to_string(), mug.to_string());
    let browser = jar_client();

    let registered =
        rpc(&app, &browser, "register", &[("username", "Nora"), ("email", "nora@example.com"), ("password", PASSWORD)])
            .await;
    assert_eq!((registered.status, &registered.body), (StatusCode::OK, &Value::Null));
    // The client follows the redirect itself: a header, not a 302 that would swallow the answer.
    assert_eq!(
        (registered.header("serverfnredirect"), registered.header("location")),
        (Some(""), Some("/login?registered=1"))
    );
    assert_eq!(app.text_of("SELECT role FROM users WHERE username = 'nora'").await, "customer");

    let wrong = rpc(&app, &browser, "login", &[("username", "nora"), ("password", "wrong-password-1")]).await;
    assert_refused(&wrong, StatusCode::UNAUTHORIZED, "wrong username or password", "wrong password");
    assert_eq!(wrong.header("set-cookie"), None);
    let logged_in = rpc(&app, &browser, "login", &[("username", "nora"), ("password", PASSWORD)]).await;
    assert_eq!((logged_in.status, &logged_in.body), (StatusCode::OK, &Value::Null));
    assert_eq!(logged_in.header("location"), Some("/"));
    let cookie = logged_in.headers.get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(cookie.starts_with("retail_session=") && cookie.contains("HttpOnly"), "{cookie}");

    let session = rpc(&app, &browser, "session_info", &[]).await;
    assert_eq!(session.status, StatusCode::OK);
    assert_eq!(session.body["user"], get_json(&app, &browser, "/api/me").await);
    assert_eq!(session.body["user"]["username"], "nora");
    assert_eq!(session.body["request_id"].as_str(), session.header("x-request-id"));

    // The cart panel: add, change, remove; the answers are those of the JSON API.
    for (product, quantity) in [(&lamp_id, "2"), (&mug_id, "1")] {
        let added = rpc(&app, &browser, "cart_add", &[("product_id", product), ("quantity", quantity)]).await;
        assert_eq!((added.status, &added.body), (StatusCode::OK, &Value::Null));
    }
    let typo = rpc(&app, &browser, "cart_add", &[("product_id", &lamp_id), ("quantity", "two")]).await;
    assert_refused(&typo, StatusCode::UNPROCESSABLE_ENTITY, "quantity must be a whole number of at least 1", "typo");
    let too_many = rpc(&app, &browser, "cart_set", &[("product_id", &lamp_id), ("quantity", "9")]).await;
    assert_eq!(too_many.status, StatusCode::CONFLICT);
    assert_eq!(
        too_many.body,
        json!({ "message": "only 5 of 'Lamp' in stock", "status": 409, "retry_after_secs": null, "available": 5 })
    );
    let set = rpc(&app, &browser, "cart_set", &[("product_id", &lamp_id), ("quantity", "3")]).await;
    assert_eq!((set.status, &set.body), (StatusCode::OK, &Value::Null));
    let removed = rpc(&app, &browser, "cart_remove", &[("product_id", &mug_id)]).await;
    assert_eq!((removed.status, &removed.body), (StatusCode::OK, &Value::Null));
    let cart = rpc(&app, &browser, "cart", &[]).await;
    assert_eq!(cart.status, StatusCode::OK);
    assert_eq!(cart.body["signed_in"], true);
    assert_eq!(cart.body["cart"], get_json(&app, &browser, "/api/cart").await);
    let lines: Vec<(i64, i64)> = cart.body["cart"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| (l["product_id"].as_i64().expect("id"), l["quantity"].as_i64().expect("quantity")))
        .collect();
    assert_eq!(lines, [(lamp, 3)]);
    let key = cart.body["checkout_key"].as_str().expect("a checkout key").to_owned();
    assert_eq!(key.len(), 36, "{key}");

    // Checkout with the panel's key; a double submit gets the same receipt.
    let card_expiry = expiry();
    let card =
        [("payment_method", "card"), ("card_number", CARD), ("card_expiry", &card_expiry), ("attempt_key", &key)];
    let paid = rpc(&app, &browser, "checkout", &card).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    let order_id = paid.body["order_id"].as_i64().expect("order id");
    assert_eq!(paid.body, json!({ "order_id": order_id, "status": "paid" }));
    let again = rpc(&app, &browser, "checkout", &card).await;
    assert_eq!((again.status, &again.body), (StatusCode::OK, &paid.body));
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM orders").await, 1);
    assert_eq!(app.scalar(&format!("SELECT stock AS n FROM products WHERE id = {lamp}")).await, 2);

    let id = order_id.to_string();
    let order = rpc(&app, &browser, "order", &[("id", &id)]).await;
    assert_eq!(order.status, StatusCode::OK);
    assert_eq!(order.body, get_json(&app, &browser, &format!("/api/orders/{order_id}")).await);
    assert_eq!((&order.body["status"], &order.body["totals"]["grand_total_cents"]), (&json!("paid"), &json!(3_000)));
    let history = rpc(&app, &browser, "orders", &[]).await;
    assert_eq!(history.status, StatusCode::OK);
    assert_eq!(history.body, get_json(&app, &browser, "/api/orders").await);
    assert_eq!(history.body.as_array().map(Vec::len), Some(1));

    // Another customer cannot see it.
    let other = app.signed_in("otto", Role::Customer).await;
    let hidden = rpc(&app, &other, "order", &[("id", &id)]).await;
    assert_refused(&hidden, StatusCode::NOT_FOUND, &format!("no order {order_id} in your account"), "other's order");

    let logout = rpc(&app, &browser, "logout", &[]).await;
    assert_eq!((logout.status, &logout.body), (StatusCode::OK, &Value::Null));
    let cleared = logout.headers.get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(cleared.starts_with("retail_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(me(&app, &browser).await, StatusCode::UNAUTHORIZED);
    assert_eq!(rpc(&app, &browser, "session_info", &[]).await.body["user"], Value::Null);
}

#[tokio::test]
async fn account_server_functions_change_the_password_and_end_sessions() {
    let app = spawn_app().await;
    let laptop = app.signed_in("pia", Role::Customer).await;
    let phone = jar_client();
    assert_eq!(login(&app, &phone, "pia", CUSTOMER_PASSWORD).await.status(), StatusCode::OK);

    let wrong =
        rpc(&app, &laptop, "change_password", &[("current_password", "not-mine-1"), ("new_password", "new-secret-22")])
            .await;
    assert_refused(&wrong, StatusCode::UNAUTHORIZED, "the current password is wrong", "wrong current password");
    assert_eq!(me(&app, &phone).await, StatusCode::OK, "nothing changed");
    let changed = rpc(
        &app,
        &laptop,
        "change_password",
        &[("current_password", CUSTOMER_PASSWORD), ("new_password", "new-secret-22")],
    )
    .await;
    assert_eq!((changed.status, &changed.body), (StatusCode::OK, &Value::Null));
    assert_eq!(changed.header("location"), Some("/account?password_changed=1"));
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED, "the other session ended");
    assert_eq!(me(&app, &laptop).await, StatusCode::OK, "this one stays");

    let everywhere = rpc(&app, &laptop, "logout_everywhere", &[]).await;
    assert_eq!((everywhere.status, &everywhere.body), (StatusCode::OK, &Value::Null));
    assert_eq!(everywhere.header("location"), Some("/login?logged_out_everywhere=1"));
    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM sessions").await, 0);
}

#[tokio::test]
async fn cross_site_server_function_calls_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let lamp = app.product("Lamp", 1_000, 5).await.to_string();
    let customer = app.signed_in("quin", Role::Customer).await;
    let response = customer
        .post(app.url("/rpc/cart_add"))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ORIGIN, "https://evil.example")
        .header("x-request-id", "rpc-cross-1")
        .body(format!("product_id={lamp}&quantity=1"))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({ "error": "cross-site request refused", "request_id": "rpc-cross-1" })
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM cart_items").await, 0);
}

#[tokio::test]
async fn the_orders_console_lists_orders_over_rpc_and_json() {
    let app = crate::support::shop::shop(&[]).await;
    let lamp = app.product("Lamp", 1_000, 10).await;
    let customer = app.signed_in("cora", Role::Customer).await;
    add_ok(&app, &customer, lamp, 2).await;
    let (status, receipt) = checkout(&app, &customer, &json!({ "payment_method": "cash" }), None).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    let order = receipt["order_id"].as_i64().expect("order id");
    let admin = app.signed_in("ada", Role::Admin).await;
    let json_list = admin.get(app.url("/api/admin/orders")).send().await.expect("GET");
    let json_status = json_list.status();
    let json_body: Value = json_list.json().await.expect("json");
    assert_eq!(json_status, StatusCode::OK, "{json_body}");
    let console = call(&app, &admin, "admin_orders", &Args::Json(json!({ "filter": {} }))).await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.body);
    assert_eq!(console.body, json_body);
    assert_eq!(console.body[0]["id"], json!(order));
}

#[tokio::test]
async fn server_function_arguments_that_cannot_be_read_are_a_422_not_a_500() {
    let app = crate::support::shop::shop(&[]).await;
    let admin = app.signed_in("ada", Role::Admin).await;
    let garbled = call(&app, &admin, "admin_orders", &Args::Json(json!({ "filter": 5 }))).await;
    assert_eq!(garbled.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", garbled.body);
    assert_eq!(garbled.body["message"], "the form could not be read; please check the fields");
    let customer = app.signed_in("cora", Role::Customer).await;
    let missing = rpc(&app, &customer, "cart_set", &[("product_id", "1")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.body);
}
