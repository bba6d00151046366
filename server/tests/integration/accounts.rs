//! Accounts: registration, login and sessions, the session cookie, password changes, logout
//! (here and everywhere), the login and registration limits, and the account page's forms.

use std::net::{IpAddr, Ipv4Addr};

use app::accounts::Role;
use reqwest::header::{COOKIE, RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{
    error_of, jar_client, login, me, post, register, spawn_app, spawn_app_with, TestApp, CUSTOMER_PASSWORD, PASSWORD,
    SUPER_ADMIN_PASSWORD,
};

const NEW_PASSWORD: &str = "brand-new-secret-9";

async fn user_count(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) AS n FROM users").await
}

/// Another device of an existing user: a fresh cookie jar, logged in with `password`.
async fn second_device(app: &TestApp, username: &str, password: &str) -> reqwest::Client {
    let client = jar_client();
    let response = login(app, &client, username, password).await;
    assert_eq!(response.status(), StatusCode::OK, "second login as {username}");
    client
}

async fn sessions_of(app: &TestApp, username: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = '{username}'"
    ))
    .await
}

fn register_body(username: &str) -> Value {
    json!({ "username": username, "email": format!("{username}@example.com"), "password": CUSTOMER_PASSWORD })
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
async fn registration_is_rate_limited_per_client_address() {
    let app = spawn_app_with(&[("REGISTER_RATE_LIMIT_PER_HOUR", "2")]).await;
    let here = jar_client();
    assert_eq!(post(&app, &here, "/api/register", register_body("reg1")).await.status(), StatusCode::CREATED);
    assert_eq!(post(&app, &here, "/api/register", register_body("reg2")).await.status(), StatusCode::CREATED);
    let limited = post(&app, &here, "/api/register", register_body("reg3")).await;
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
    assert_eq!(post(&app, &elsewhere, "/api/register", register_body("reg3")).await.status(), StatusCode::CREATED);
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
        json!({ "current_password": CUSTOMER_PASSWORD, "new_password": NEW_PASSWORD }),
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
        json!({ "current_password": "not-my-password-1", "new_password": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(wrong).await, "the current password is wrong");

    let weak = post(
        &app,
        &laptop,
        "/api/password",
        json!({ "current_password": CUSTOMER_PASSWORD, "new_password": "short1" }),
    )
    .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(weak).await, "password must be at least 10 characters long");

    let missing = post(&app, &laptop, "/api/password", json!({ "new_password": NEW_PASSWORD })).await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let anonymous = post(
        &app,
        &jar_client(),
        "/api/password",
        json!({ "current_password": CUSTOMER_PASSWORD, "new_password": NEW_PASSWORD }),
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

    let response = post(&app, &laptop, "/api/logout-all", json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.starts_with("retail_session=;") && cookie.contains("Max-Age=0"), "{cookie}");
    assert_eq!(response.json::<Value>().await.expect("json"), json!({ "logged_out": true, "sessions_ended": 2 }));

    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &other_user).await, StatusCode::OK);
    assert_eq!(sessions_of(&app, "sam").await, 0);
    assert_eq!(sessions_of(&app, "tess").await, 1);

    let anonymous = post(&app, &jar_client(), "/api/logout-all", json!({})).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_super_admin_password_reset_at_start_ends_its_sessions() {
    let app = spawn_app().await;
    let root = jar_client();
    assert_eq!(login(&app, &root, "super_admin", SUPER_ADMIN_PASSWORD).await.status(), StatusCode::OK);
    let customer = app.signed_in("vic", Role::Customer).await;
    assert_eq!(me(&app, &root).await, StatusCode::OK);

    let again = app.another_instance(&[("SUPER_ADMIN_PASSWORD", "another-super-secret-2")]).await;
    assert_eq!(me(&again, &root).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&again, &customer).await, StatusCode::OK);
    assert_eq!(sessions_of(&again, "super_admin").await, 0);
    let fresh = jar_client();
    assert_eq!(login(&again, &fresh, "super_admin", "another-super-secret-2").await.status(), StatusCode::OK);
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

    // A refused change goes back to the page, which shows the message in its HTML, and changes
    // nothing.
    let refused = laptop
        .post(app.url("/rpc/change_password"))
        .header(reqwest::header::REFERER, app.url("/account"))
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
        .form(&[("current_password", "not-my-password-1"), ("new_password", NEW_PASSWORD)])
        .send()
        .await
        .expect("form post");
    assert_eq!(refused.status(), StatusCode::FOUND);
    let back = refused.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(back.starts_with(&app.url("/account?")) && back.contains("__err="), "{back}");
    let page = laptop.get(back).send().await.expect("GET the page again");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("the current password is wrong"));
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
