use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::model::{Order, OrderSummary};
use super::store;
use crate::accounts::guard::SignedIn;
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/orders", get(list)).route("/api/orders/{id}", get(one))
}

async fn list(State(state): State<AppState>, SignedIn(user): SignedIn) -> Result<Json<Vec<OrderSummary>>, AppError> {
    Ok(Json(store::list_for_user(&state.db, user.id).await?))
}

async fn one(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Order>, AppError> {
    store::find_for_user(&state.db, id, user.id)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("no order {id} in your account")))
}
