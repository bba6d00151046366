use axum::extract::{rejection::JsonRejection, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::service;
use crate::accounts::api::json_body;
use crate::accounts::guard::Admin;
use crate::accounts::model::UserSummary;
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/admin/users", get(list_users)).route("/api/admin/users/{id}/role", post(set_role))
}

async fn list_users(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Vec<UserSummary>>, AppError> {
    Ok(Json(service::list_users(&state).await?))
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<i64>,
    body: Result<Json<RoleBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let body = json_body(body)?;
    let role = service::change_role(&state, &actor, id, &body.role).await?;
    Ok(Json(json!({ "id": id, "role": role })))
}
