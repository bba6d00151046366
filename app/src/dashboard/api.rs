//! The dashboard's HTTP endpoints (admins only): the live stream, the JSON snapshot and
//! `/admin/metrics`. Each is the `Admin` capability plus one service call.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::model::DashboardSnapshot;
use super::{live, service};
use crate::accounts::guard::Admin;
use crate::platform::{AppError, AppState};

/// How soon a browser reconnects after the stream drops (server restart, network).
const RECONNECT: Duration = Duration::from_secs(1);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/dashboard/stream", get(stream))
        .route("/admin/metrics", get(metrics))
        .route("/api/admin/dashboard", get(snapshot))
}

async fn snapshot(State(state): State<AppState>, admin: Admin) -> Result<Json<DashboardSnapshot>, AppError> {
    Ok(Json(service::snapshot(&state, &admin).await?))
}

async fn metrics(State(state): State<AppState>, admin: Admin) -> Result<impl IntoResponse, AppError> {
    let body = service::metrics(&state, &admin).await?;
    Ok(([(header::CONTENT_DISPOSITION, "inline; filename=\"retail-metrics.json\"")], Json(body)))
}

/// Server-sent events: a `snapshot` event with the whole dashboard as JSON at every tick.
async fn stream(State(state): State<AppState>, _admin: Admin) -> impl IntoResponse {
    let receiver = state.dashboard.live.subscribe();
    let events = futures::stream::unfold((state, receiver, true), |(state, mut receiver, first)| async move {
        let json = live::next_frame(&state.dashboard.live, &mut receiver, first).await?;
        let mut event = Event::default().event("snapshot").data(&*json);
        if first {
            event = event.retry(RECONNECT);
        }
        Some((Ok::<_, Infallible>(event), (state, receiver, false)))
    });
    let mut response = Sse::new(events).keep_alive(KeepAlive::default()).into_response();
    // Proxies must pass each event on at once.
    response.headers_mut().insert("x-accel-buffering", header::HeaderValue::from_static("no"));
    response
}
