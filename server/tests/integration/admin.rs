//! The admin area's user roles: customers are refused, admins see the users, only the super
//! admin grants or removes the admin role, and nobody changes the super admin's role.

use app::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{
    error_of, jar_client, login, post, register, role_of, spawn_app, user_id, TestApp, PASSWORD, SUPER_ADMIN_PASSWORD,
};

async fn me_role(app: &TestApp, client: &reqwest::Client) -> String {
    let response = client.get(app.url("/api/me")).send().await.expect("GET /api/me");
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.expect("json")["role"].as_str().expect("role").to_owned()
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
    app.login("super_admin", SUPER_ADMIN_PASSWORD).await;

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
async fn only_the_super_admin_grants_or_removes_the_admin_role() {
    let app = spawn_app().await;
    let admin = app.signed_in("ada", Role::Admin).await;
    let other_admin = app.signed_in("dee", Role::Admin).await;
    app.signed_in("cy", Role::Customer).await;
    let (cy, dee) = (user_id(&app, "cy").await, user_id(&app, "dee").await);

    let promote = post(&app, &admin, &format!("/api/admin/users/{cy}/role"), json!({ "role": "admin" })).await;
    assert_eq!(promote.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(promote).await, "only the super admin can grant or remove the admin role");
    let demote = post(&app, &admin, &format!("/api/admin/users/{dee}/role"), json!({ "role": "customer" })).await;
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
    assert_eq!(login(&app, &root, "super_admin", SUPER_ADMIN_PASSWORD).await.status(), StatusCode::OK);
    let page = root.get(app.url("/admin/users")).send().await.expect("GET /admin/users");
    assert!(page.text().await.expect("html").contains("Promote to admin"), "the super admin gets the buttons");
    assert_eq!(me_role(&app, &other_admin).await, "admin");
    let promote = post(&app, &root, &format!("/api/admin/users/{cy}/role"), json!({ "role": "admin" })).await;
    assert_eq!(promote.status(), StatusCode::OK);
    let demote = post(&app, &root, &format!("/api/admin/users/{dee}/role"), json!({ "role": "customer" })).await;
    assert_eq!(demote.status(), StatusCode::OK);
    assert_eq!(role_of(&app, "cy").await, "admin");
    assert_eq!(role_of(&app, "dee").await, "customer");
    // The demoted admin's cached session picks up the new role at once.
    assert_eq!(me_role(&app, &other_admin).await, "customer");
}
