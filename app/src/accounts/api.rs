//! Stable JSON endpoints for machine clients (documented in docs/api.md).

use axum::extract::{rejection::JsonRejection, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::guard::SignedIn;
use super::service::{self, Registration};
use super::session;
use crate::platform::{AppError, AppState, ClientIp};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/register", post(register))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/logout-all", post(logout_all))
        .route("/api/password", post(change_password))
        .route("/api/me", get(me))
}

/// A JSON body, or a 422 that says what is wrong with it.
pub fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    body.map(|Json(v)| v)
        .map_err(|rejection| AppError::Invalid(format!("invalid request body: {}", rejection.body_text())))
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
    body: Result<Json<RegisterBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let body = json_body(body)?;
    let registration = Registration { username: body.username, email: body.email, password: body.password };
    let user = service::register(&state, registration, ip).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": user.id, "username": user.username, "role": user.role })))
        .into_response())
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
    body: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let body = json_body(body)?;
    let previous = session::token(&headers, &state.sessions);
    let logged_in = service::login(&state, &body.username, &body.password, ip, previous.as_deref()).await?;
    let cookie = session::set_cookie(&logged_in.token, &state.sessions);
    let user = logged_in.user;
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({ "id": user.id, "username": user.username, "role": user.role })))
        .into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let token = session::token(&headers, &state.sessions);
    service::logout(&state, token.as_deref()).await?;
    Ok(([(header::SET_COOKIE, session::clear_cookie(&state.sessions))], Json(json!({ "logged_out": true })))
        .into_response())
}

async fn logout_all(State(state): State<AppState>, SignedIn(user): SignedIn) -> Result<Response, AppError> {
    let ended = service::logout_everywhere(&state, &user).await?;
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
    SignedIn(user): SignedIn,
    headers: HeaderMap,
    body: Result<Json<PasswordBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let body = json_body(body)?;
    let token = session::token(&headers, &state.sessions);
    let ended =
        service::change_password(&state, &user, token.as_deref(), ip, &body.current_password, &body.new_password)
            .await?;
    Ok(Json(json!({ "password_changed": true, "sessions_ended": ended })))
}

async fn me(SignedIn(user): SignedIn) -> Json<serde_json::Value> {
    Json(json!({ "id": user.id, "username": user.username, "role": user.role }))
}
