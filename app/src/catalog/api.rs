use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::{store, Product};
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/products", get(list_products))
}

async fn list_products(State(state): State<AppState>) -> Result<Json<Vec<Product>>, AppError> {
    Ok(Json(store::list_active(&state.db).await?))
}
