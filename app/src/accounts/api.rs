//! Stable JSON endpoints for machine clients (documented in docs/api.md). Each handler is
//! extraction plus one call into `service`; the session cookie is the only HTTP they add.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::guard::Customer;
use super::model::CurrentUser;
use super::service::{self, Registration};
use super::session;
use crate::platform::{ApiJson, AppError, AppState, ClientIp};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/register", post(register))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/logout-all", post(logout_all))
        .route("/api/password", post(change_password))
        .route("/api/me", get(me))
}

#[derive(Deserialize)]
struct RegisterBody {
    username: String,
    email: String,
    password: String,
}

async fn register(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, AppError> {
    let registration = Registration { username: body.username, email: body.email, password: body.password };
    let user = service::register(&state, registration, ip).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, AppError> {
    let previous = session::token(&headers, &state.sessions);
    let logged_in = service::login(&state, &body.username, &body.password, ip, previous.as_deref()).await?;
    let cookie = session::set_cookie(&logged_in.token, &state.sessions);
    Ok(([(header::SET_COOKIE, cookie)], Json(logged_in.user)).into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let token = session::token(&headers, &state.sessions);
    service::logout(&state, token.as_deref()).await?;
    Ok(([(header::SET_COOKIE, session::clear_cookie(&state.sessions))], Json(json!({ "logged_out": true })))
        .into_response())
}

async fn logout_all(State(state): State<AppState>, customer: Customer) -> Result<Response, AppError> {
    let ended = service::logout_everywhere(&state, &customer).await?;
    let body = Json(json!({ "logged_out": true, "sessions_ended": ended }));
    Ok(([(header::SET_COOKIE, session::clear_cookie(&state.sessions))], body).into_response())
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    customer: Customer,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let token = session::token(&headers, &state.sessions);
    let (current, new) = (&body.current_password, &body.new_password);
    let ended = service::change_password(&state, &customer, token.as_deref(), ip, current, new).await?;
    Ok(Json(json!({ "password_changed": true, "sessions_ended": ended })))
}

async fn me(customer: Customer) -> Json<CurrentUser> {
    Json(service::me(&customer))
}
