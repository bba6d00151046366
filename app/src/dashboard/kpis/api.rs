//! `GET /admin/kpis?quarter=2026-Q4`: the quarter's figures as numbers (admins only).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::model::KpiReport;
use super::service;
use crate::accounts::guard::Admin;
use crate::platform::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/kpis", get(kpis))
}

#[derive(Deserialize)]
struct KpiQuery {
    quarter: Option<String>,
}

async fn kpis(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<KpiQuery>, QueryRejection>,
) -> Result<Json<KpiReport>, AppError> {
    let Query(query) = query.map_err(|e| AppError::Invalid(format!("invalid query: {}", e.body_text())))?;
    Ok(Json(service::report(&state, &admin, query.quarter.as_deref()).await?))
}
