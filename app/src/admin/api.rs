//! The admin JSON API for users: extraction (the `Admin` capability, path, body) plus one call
//! into `service`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::service;
use crate::accounts::guard::Admin;
use crate::accounts::model::UserSummary;
use crate::platform::{ApiJson, AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/admin/users", get(list_users)).route("/api/admin/users/{id}/role", post(set_role))
}

async fn list_users(State(state): State<AppState>, admin: Admin) -> Result<Json<Vec<UserSummary>>, AppError> {
    Ok(Json(service::list_users(&state, &admin).await?))
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let role = service::change_role(&state, &admin, id, &body.role).await?;
    Ok(Json(json!({ "id": id, "role": role })))
}
