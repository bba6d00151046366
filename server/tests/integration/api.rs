//! Integration tests: each test starts the real server on port 0 with a fresh database and
//! drives it over HTTP. SQLite by default; set TEST_DATABASE_URL=postgres://... to run the
//! same tests against PostgreSQL (each test gets its own new database).

use crate::support::{spawn_app, spawn_app_with, TestApp};
use reqwest::header::{ORIGIN, RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = "correct-horse-42";

async fn register(app: &TestApp, username: &str) -> reqwest::Response {
    app.post_json(
        "/api/register",
        &json!({ "username": username, "email": format!("{username}@example.com"), "password": PASSWORD }),
    )
    .await
}

async fn user_count(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) AS n FROM users").await
}

#[tokio::test]
async fn health_and_ready_report_up() {
    let app = spawn_app().await;
    let health = app.get("/health").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.json::<Value>().await.expect("json")["status"], "up");
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>().await.expect("json")["components"]["database"], "up");
}

#[tokio::test]
async fn ready_names_the_database_when_it_is_unreachable() {
    let app = spawn_app().await;
    app.db.close().await;
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["failing"], json!(["database"]));
    assert_eq!(body["components"]["database"], "down");
}

#[tokio::test]
async fn register_creates_a_customer() {
    let app = spawn_app().await;
    let before = user_count(&app).await;
    let response = register(&app, "Carol").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["username"], "carol");
    assert_eq!(body["role"], "customer");
    assert_eq!(user_count(&app).await, before + 1);
}

#[tokio::test]
async fn taken_username_or_email_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    assert_eq!(register(&app, "dave").await.status(), StatusCode::CREATED);
    let count = user_count(&app).await;

    let same_name = app
        .post_json("/api/register", &json!({ "username": "DAVE", "email": "other@example.com", "password": PASSWORD }))
        .await;
    assert_eq!(same_name.status(), StatusCode::CONFLICT);
    let body: Value = same_name.json().await.expect("json");
    assert_eq!(body["error"], "the username 'dave' is already taken");
    assert!(body["request_id"].as_str().is_some_and(|id| !id.is_empty()));

    let same_email = app
        .post_json("/api/register", &json!({ "username": "dave2", "email": "Dave@Example.com", "password": PASSWORD }))
        .await;
    assert_eq!(same_email.status(), StatusCode::CONFLICT);
    assert_eq!(same_email.json::<Value>().await.expect("json")["error"], "an account with that email already exists");
    assert_eq!(user_count(&app).await, count);
}

#[tokio::test]
async fn invalid_registration_is_422_with_a_specific_message() {
    let app = spawn_app().await;
    let count = user_count(&app).await;
    let cases = [
        (
            json!({ "username": "x", "email": "x@example.com", "password": PASSWORD }),
            "username must be 3 to 32 characters long",
        ),
        (json!({ "username": "erin", "email": "not-an-email", "password": PASSWORD }), "email address is not valid"),
        (
            json!({ "username": "erin", "email": "erin@example.com", "password": "short1" }),
            "password must be at least 10 characters long",
        ),
        (
            json!({ "username": "erin", "email": "erin@example.com", "password": "onlyletters!!" }),
            "password must contain at least one letter and one digit",
        ),
    ];
    for (body, message) in cases {
        let response = app.post_json("/api/register", &body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(response.json::<Value>().await.expect("json")["error"], message);
    }
    let missing_field = app.post_json("/api/register", &json!({ "username": "erin" })).await;
    assert_eq!(missing_field.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = missing_field.json::<Value>().await.expect("json")["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.starts_with("invalid request body"), "{error}");
    assert_eq!(user_count(&app).await, count);
}

#[tokio::test]
async fn login_sets_an_http_only_session_cookie_and_logout_ends_it() {
    let app = spawn_app().await;
    register(&app, "frank").await;
    let login = app.post_json("/api/login", &json!({ "username": "frank", "password": PASSWORD })).await;
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = login.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.starts_with("retail_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age="), "{cookie}");
    assert_eq!(login.json::<Value>().await.expect("json")["username"], "frank");

    let me = app.get("/api/me").await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.json::<Value>().await.expect("json")["username"], "frank");
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM sessions").await, 1);

    let logout = app.post_json("/api/logout", &json!({})).await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(app.get("/api/me").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM sessions").await, 0);
}

#[tokio::test]
async fn login_rotates_the_session_id() {
    let app = spawn_app().await;
    register(&app, "grace").await;
    let credentials = json!({ "username": "grace", "password": PASSWORD });
    let first = app.post_json("/api/login", &credentials).await;
    let first_cookie = first.headers().get(SET_COOKIE).cloned();
    let second = app.post_json("/api/login", &credentials).await;
    let second_cookie = second.headers().get(SET_COOKIE).cloned();
    assert_eq!(second.status(), StatusCode::OK);
    assert_ne!(first_cookie, second_cookie);
    // The session sent with the second login was ended: only the new one remains.
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM sessions").await, 1);
}

#[tokio::test]
async fn wrong_password_or_unknown_user_is_401() {
    let app = spawn_app().await;
    register(&app, "heidi").await;
    for body in [
        json!({ "username": "heidi", "password": "wrong-password-1" }),
        json!({ "username": "nobody", "password": PASSWORD }),
    ] {
        let response = app.post_json("/api/login", &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers().get(SET_COOKIE), None);
        assert_eq!(response.json::<Value>().await.expect("json")["error"], "wrong username or password");
    }
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_account() {
    let app = spawn_app_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "3")]).await;
    register(&app, "ivan").await;
    let wrong = json!({ "username": "ivan", "password": "wrong-password-1" });
    for _ in 0..3 {
        assert_eq!(app.post_json("/api/login", &wrong).await.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = app.post_json("/api/login", &json!({ "username": "ivan", "password": PASSWORD })).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM sessions").await, 0);
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let count = user_count(&app).await;
    let response = app
        .client
        .post(app.url("/api/register"))
        .header(ORIGIN, "https://evil.example")
        .json(&json!({ "username": "mallory", "email": "m@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.json::<Value>().await.expect("json")["error"], "cross-site request refused");
    assert_eq!(user_count(&app).await, count);

    let same_origin = app
        .client
        .post(app.url("/api/register"))
        .header(ORIGIN, app.origin())
        .json(&json!({ "username": "judy", "email": "judy@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    assert_eq!(same_origin.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn customers_get_403_on_admin_pages_and_api() {
    let app = spawn_app().await;
    register(&app, "kim").await;
    assert_eq!(app.get("/api/admin/users").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/admin/users").await.status(), StatusCode::UNAUTHORIZED);
    app.login("kim", PASSWORD).await;
    let api = app.get("/api/admin/users").await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    assert_eq!(api.json::<Value>().await.expect("json")["error"], "this page is for shop administrators only");
    let page = app.get("/admin/users").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.expect("html").contains("Access denied"));
    let promote = app.post_json("/api/admin/users/1/role", &json!({ "role": "admin" })).await;
    assert_eq!(promote.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admins_promote_and_demote_but_never_touch_the_super_admin() {
    let app = spawn_app().await;
    register(&app, "leo").await;
    app.login("super_admin", crate::support::SUPER_ADMIN_PASSWORD).await;

    let users: Vec<Value> = app.get("/api/admin/users").await.json().await.expect("json");
    let id_of =
        |name: &str| users.iter().find(|u| u["username"] == name).and_then(|u| u["id"].as_i64()).expect("user listed");
    let (leo, super_admin) = (id_of("leo"), id_of("super_admin"));
    assert_eq!(users.iter().find(|u| u["username"] == "super_admin").expect("listed")["role"], "super_admin");

    let promote = app.post_json(&format!("/api/admin/users/{leo}/role"), &json!({ "role": "admin" })).await;
    assert_eq!(promote.status(), StatusCode::OK);
    assert_eq!(app.text_of(&format!("SELECT role FROM users WHERE id = {leo}")).await, "admin");

    let demote_super =
        app.post_json(&format!("/api/admin/users/{super_admin}/role"), &json!({ "role": "customer" })).await;
    assert_eq!(demote_super.status(), StatusCode::FORBIDDEN);
    assert_eq!(demote_super.json::<Value>().await.expect("json")["error"], "the super admin's role cannot be changed");
    assert_eq!(app.text_of(&format!("SELECT role FROM users WHERE id = {super_admin}")).await, "super_admin");

    let grant_super = app.post_json(&format!("/api/admin/users/{leo}/role"), &json!({ "role": "super_admin" })).await;
    assert_eq!(grant_super.status(), StatusCode::FORBIDDEN);
    let nonsense = app.post_json(&format!("/api/admin/users/{leo}/role"), &json!({ "role": "owner" })).await;
    assert_eq!(nonsense.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let missing = app.post_json("/api/admin/users/999999/role", &json!({ "role": "admin" })).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let demote = app.post_json(&format!("/api/admin/users/{leo}/role"), &json!({ "role": "customer" })).await;
    assert_eq!(demote.status(), StatusCode::OK);
    assert_eq!(app.text_of(&format!("SELECT role FROM users WHERE id = {leo}")).await, "customer");

    let page = app.get("/admin/users").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("leo@example.com"));
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let echoed =
        app.client.get(app.url("/health")).header("x-request-id", "trace-me-42").send().await.expect("request");
    assert_eq!(echoed.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("trace-me-42"));
    let generated = app.get("/health").await;
    let id = generated.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(id.len(), 36, "uuid expected, got {id}");

    let error = app
        .client
        .post(app.url("/api/login"))
        .header("x-request-id", "err-7")
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error.json::<Value>().await.expect("json")["request_id"], "err-7");

    let not_found =
        app.client.get(app.url("/no-such-page")).header("x-request-id", "lost-1").send().await.expect("request");
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    assert!(not_found.text().await.expect("html").contains("lost-1"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.post_json("/api/admin/users/42/role", &json!({ "role": "admin" })).await;
    }
    let text = app.client.get(&app.metrics_url).send().await.expect("scrape").text().await.expect("metrics");
    let counter = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains("route=\"/api/admin/users/{id}/role\"")
                && l.contains("status=\"401\"")
        })
        .unwrap_or_else(|| panic!("no counter line for the route template in:\n{text}"));
    let value: f64 = counter.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("value");
    assert!(value >= 3.0, "{counter}");
    assert!(!text.contains("/api/admin/users/42/role"), "raw paths must not become labels");
    assert!(text.contains("http_request_duration_seconds_bucket{"), "histogram expected");
}

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
async fn a_restart_keeps_data_and_reapplies_no_migrations() {
    let app = spawn_app().await;
    register(&app, "mia").await;
    let migrations = app.scalar("SELECT COUNT(*) AS n FROM _migrations").await;
    let again = app.restart().await;
    assert_eq!(again.scalar("SELECT COUNT(*) AS n FROM _migrations").await, migrations);
    again.login("mia", PASSWORD).await;
    assert_eq!(again.get("/api/me").await.status(), StatusCode::OK);
}
