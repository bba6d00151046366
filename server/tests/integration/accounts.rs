//! Accounts hardening: password change and logout-everywhere end sessions, only the super
//! admin manages admins, registration is limited per address, the `__Host-` cookie.
//! SQLite by default; TEST_DATABASE_URL=postgres://... runs the same tests on PostgreSQL.

use std::net::{IpAddr, Ipv4Addr};

use crate::support::{spawn_app, spawn_app_with, TestApp, CUSTOMER_PASSWORD};
use app::accounts::Role;
use reqwest::header::{COOKIE, RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

const NEW_PASSWORD: &str = "brand-new-secret-9";

fn jar_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().expect("client")
}

/// Another device of an existing user: a fresh cookie jar, logged in with `password`.
async fn second_device(app: &TestApp, username: &str, password: &str) -> reqwest::Client {
    let client = jar_client();
    let response = login(app, &client, username, password).await;
    assert_eq!(response.status(), StatusCode::OK, "second login as {username}");
    client
}

async fn login(app: &TestApp, client: &reqwest::Client, username: &str, password: &str) -> reqwest::Response {
    client
        .post(app.url("/api/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("POST /api/login")
}

async fn me(app: &TestApp, client: &reqwest::Client) -> StatusCode {
    client.get(app.url("/api/me")).send().await.expect("GET /api/me").status()
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, body: &Value) -> reqwest::Response {
    client.post(app.url(path)).json(body).send().await.expect("POST")
}

async fn sessions_of(app: &TestApp, username: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = '{username}'"
    ))
    .await
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    app.scalar(&format!("SELECT id AS n FROM users WHERE username = '{username}'")).await
}

async fn role_of(app: &TestApp, username: &str) -> String {
    app.text_of(&format!("SELECT role FROM users WHERE username = '{username}'")).await
}

async fn error_of(response: reqwest::Response) -> String {
    response.json::<Value>().await.expect("json error body")["error"].as_str().expect("error text").to_owned()
}

#[tokio::test]
async fn changing_the_password_ends_the_users_other_sessions_only() {
    let app = spawn_app().await;
    let laptop = app.signed_in("pat", Role::Customer).await;
    let phone = second_device(&app, "pat", CUSTOMER_PASSWORD).await;
    let other_user = app.signed_in("quinn", Role::Customer).await;
    // Looked up once, so the sessions sit in the session cache too.
    assert_eq!(me(&app, &phone).await, StatusCode::OK);
    assert_eq!(me(&app, &laptop).await, StatusCode::OK);
    assert_eq!(sessions_of(&app, "pat").await, 2);

    let changed = post(
        &app,
        &laptop,
        "/api/password",
        &json!({ "current_password": CUSTOMER_PASSWORD, "new_password": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.json::<Value>().await.expect("json"), json!({ "password_changed": true, "sessions_ended": 1 }));

    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &laptop).await, StatusCode::OK);
    assert_eq!(me(&app, &other_user).await, StatusCode::OK);
    assert_eq!(sessions_of(&app, "pat").await, 1);
    assert_eq!(sessions_of(&app, "quinn").await, 1);

    let fresh = jar_client();
    assert_eq!(login(&app, &fresh, "pat", CUSTOMER_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, &fresh, "pat", NEW_PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_current_password_or_a_weak_new_one_changes_nothing() {
    let app = spawn_app().await;
    let laptop = app.signed_in("rita", Role::Customer).await;
    let phone = second_device(&app, "rita", CUSTOMER_PASSWORD).await;
    let hash_before = app.text_of("SELECT password_hash FROM users WHERE username = 'rita'").await;

    let wrong = post(
        &app,
        &laptop,
        "/api/password",
        &json!({ "current_password": "not-my-password-1", "new_password": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(wrong).await, "the current password is wrong");

    let weak = post(
        &app,
        &laptop,
        "/api/password",
        &json!({ "current_password": CUSTOMER_PASSWORD, "new_password": "short1" }),
    )
    .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(weak).await, "password must be at least 10 characters long");

    let missing = post(&app, &laptop, "/api/password", &json!({ "new_password": NEW_PASSWORD })).await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let anonymous = post(
        &app,
        &jar_client(),
        "/api/password",
        &json!({ "current_password": CUSTOMER_PASSWORD, "new_password": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(anonymous).await, "please log in first");

    assert_eq!(app.text_of("SELECT password_hash FROM users WHERE username = 'rita'").await, hash_before);
    assert_eq!(me(&app, &laptop).await, StatusCode::OK);
    assert_eq!(me(&app, &phone).await, StatusCode::OK);
    assert_eq!(sessions_of(&app, "rita").await, 2);
}

#[tokio::test]
async fn logout_everywhere_ends_every_session_of_that_user_only() {
    let app = spawn_app().await;
    let laptop = app.signed_in("sam", Role::Customer).await;
    let phone = second_device(&app, "sam", CUSTOMER_PASSWORD).await;
    let other_user = app.signed_in("tess", Role::Customer).await;
    assert_eq!(me(&app, &phone).await, StatusCode::OK);

    let response = post(&app, &laptop, "/api/logout-all", &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.starts_with("retail_session=;") && cookie.contains("Max-Age=0"), "{cookie}");
    assert_eq!(response.json::<Value>().await.expect("json"), json!({ "logged_out": true, "sessions_ended": 2 }));

    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &other_user).await, StatusCode::OK);
    assert_eq!(sessions_of(&app, "sam").await, 0);
    assert_eq!(sessions_of(&app, "tess").await, 1);

    let anonymous = post(&app, &jar_client(), "/api/logout-all", &json!({})).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_the_super_admin_grants_or_removes_the_admin_role() {
    let app = spawn_app().await;
    let admin = app.signed_in("ada", Role::Admin).await;
    let other_admin = app.signed_in("dee", Role::Admin).await;
    app.signed_in("cy", Role::Customer).await;
    let (cy, dee) = (user_id(&app, "cy").await, user_id(&app, "dee").await);

    let promote = post(&app, &admin, &format!("/api/admin/users/{cy}/role"), &json!({ "role": "admin" })).await;
    assert_eq!(promote.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(promote).await, "only the super admin can grant or remove the admin role");
    let demote = post(&app, &admin, &format!("/api/admin/users/{dee}/role"), &json!({ "role": "customer" })).await;
    assert_eq!(demote.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(demote).await, "only the super admin can grant or remove the admin role");
    assert_eq!(role_of(&app, "cy").await, "customer");
    assert_eq!(role_of(&app, "dee").await, "admin");

    // The admin page offers no role buttons to a plain admin.
    let page = admin.get(app.url("/admin/users")).send().await.expect("GET /admin/users");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("cy@example.com"), "user listed");
    assert!(!html.contains("Promote to admin"), "no promote button for a plain admin");
    assert!(html.contains("Only the super admin can change roles"), "explains why");

    let root = jar_client();
    assert_eq!(login(&app, &root, "super_admin", crate::support::SUPER_ADMIN_PASSWORD).await.status(), StatusCode::OK);
    let page = root.get(app.url("/admin/users")).send().await.expect("GET /admin/users");
    assert!(page.text().await.expect("html").contains("Promote to admin"), "the super admin gets the buttons");
    assert_eq!(me_role(&app, &other_admin).await, "admin");
    let promote = post(&app, &root, &format!("/api/admin/users/{cy}/role"), &json!({ "role": "admin" })).await;
    assert_eq!(promote.status(), StatusCode::OK);
    let demote = post(&app, &root, &format!("/api/admin/users/{dee}/role"), &json!({ "role": "customer" })).await;
    assert_eq!(demote.status(), StatusCode::OK);
    assert_eq!(role_of(&app, "cy").await, "admin");
    assert_eq!(role_of(&app, "dee").await, "customer");
    // The demoted admin's cached session picks up the new role at once.
    assert_eq!(me_role(&app, &other_admin).await, "customer");
}

async fn me_role(app: &TestApp, client: &reqwest::Client) -> String {
    let response = client.get(app.url("/api/me")).send().await.expect("GET /api/me");
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.expect("json")["role"].as_str().expect("role").to_owned()
}

fn register_body(username: &str) -> Value {
    json!({ "username": username, "email": format!("{username}@example.com"), "password": CUSTOMER_PASSWORD })
}

#[tokio::test]
async fn registration_is_rate_limited_per_client_address() {
    let app = spawn_app_with(&[("REGISTER_RATE_LIMIT_PER_HOUR", "2")]).await;
    let here = jar_client();
    assert_eq!(post(&app, &here, "/api/register", &register_body("reg1")).await.status(), StatusCode::CREATED);
    assert_eq!(post(&app, &here, "/api/register", &register_body("reg2")).await.status(), StatusCode::CREATED);
    let limited = post(&app, &here, "/api/register", &register_body("reg3")).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    // Two an hour: the next one is allowed half an hour after the first.
    assert!((1790..=1800).contains(&retry_after), "{retry_after}");
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM users WHERE username = 'reg3'").await, 0);

    // Logins from the same address are not affected.
    assert_eq!(login(&app, &here, "reg1", CUSTOMER_PASSWORD).await.status(), StatusCode::OK);

    // Another client address has its own allowance (127.0.0.2 is loopback on Linux).
    let elsewhere = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .expect("client bound to 127.0.0.2");
    assert_eq!(post(&app, &elsewhere, "/api/register", &register_body("reg3")).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_secure_cookie_is_named_host_session_and_only_that_name_is_read() {
    let app = spawn_app_with(&[("COOKIE_SECURE", "1")]).await;
    app.signed_in("uma", Role::Customer).await;
    let plain = reqwest::Client::new();
    let response = login(&app, &plain, "uma", CUSTOMER_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.starts_with("__Host-session="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("; Path=/;"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    let token = cookie.trim_start_matches("__Host-session=").split(';').next().unwrap_or_default().to_owned();
    assert_eq!(token.len(), 64);

    let with_cookie = |header: String| {
        let plain = plain.clone();
        let url = app.url("/api/me");
        async move { plain.get(url).header(COOKIE, header).send().await.expect("GET /api/me").status() }
    };
    assert_eq!(with_cookie(format!("__Host-session={token}")).await, StatusCode::OK);
    assert_eq!(with_cookie(format!("retail_session={token}")).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_super_admin_password_reset_at_start_ends_its_sessions() {
    let app = spawn_app().await;
    let root = jar_client();
    assert_eq!(login(&app, &root, "super_admin", crate::support::SUPER_ADMIN_PASSWORD).await.status(), StatusCode::OK);
    let customer = app.signed_in("vic", Role::Customer).await;
    assert_eq!(me(&app, &root).await, StatusCode::OK);

    let again = app.another_instance(&[("SUPER_ADMIN_PASSWORD", "another-super-secret-2")]).await;
    assert_eq!(me(&again, &root).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&again, &customer).await, StatusCode::OK);
    assert_eq!(sessions_of(&again, "super_admin").await, 0);
    let fresh = jar_client();
    assert_eq!(login(&again, &fresh, "super_admin", "another-super-secret-2").await.status(), StatusCode::OK);
}

/// A signed-in client that does not follow redirects (to see where a plain form post goes).
async fn form_client(app: &TestApp, username: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    assert_eq!(login(app, &client, username, CUSTOMER_PASSWORD).await.status(), StatusCode::OK);
    client
}

#[tokio::test]
async fn the_account_page_forms_work_without_javascript() {
    let app = spawn_app().await;
    let phone = app.signed_in("wes", Role::Customer).await;
    let laptop = form_client(&app, "wes").await;

    let page = laptop.get(app.url("/account")).send().await.expect("GET /account");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"action="/rpc/change_password""#), "password form posts to its server function");
    assert!(html.contains(r#"action="/rpc/logout_everywhere""#), "logout-everywhere form");

    // A refused change answers with its status and message, and changes nothing. (Like every
    // form of the app, the status set for the error wins over the form redirect.)
    let refused = laptop
        .post(app.url("/rpc/change_password"))
        .header(reqwest::header::REFERER, app.url("/account"))
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
        .form(&[("current_password", "not-my-password-1"), ("new_password", NEW_PASSWORD)])
        .send()
        .await
        .expect("form post");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.text().await.expect("body").contains("the current password is wrong"));
    assert_eq!(me(&app, &phone).await, StatusCode::OK);

    let changed = laptop
        .post(app.url("/rpc/change_password"))
        .header(reqwest::header::REFERER, app.url("/account"))
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
        .form(&[("current_password", CUSTOMER_PASSWORD), ("new_password", NEW_PASSWORD)])
        .send()
        .await
        .expect("form post");
    assert_eq!(changed.status(), StatusCode::FOUND);
    assert_eq!(
        changed.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()),
        Some("/account?password_changed=1")
    );
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &laptop).await, StatusCode::OK);

    let everywhere = laptop
        .post(app.url("/rpc/logout_everywhere"))
        .header(reqwest::header::REFERER, app.url("/account"))
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
        .form(&[("", "")])
        .send()
        .await
        .expect("form post");
    assert_eq!(everywhere.status(), StatusCode::FOUND);
    assert_eq!(
        everywhere.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()),
        Some("/login?logged_out_everywhere=1")
    );
    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions_of(&app, "wes").await, 0);
}
