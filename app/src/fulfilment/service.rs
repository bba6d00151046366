//! Fulfilment operations: the admin ships and delivers (`Admin`), the customer sees the
//! progress of their own orders (`Customer`).

use super::model::{may_ship, ConsoleFilter, ConsoleOrder, ConsoleOrderDetail, OrderProgress};
use super::store;
use crate::accounts::guard::{Admin, Customer};
use crate::platform::{now_ms, AppError, AppState};

fn not_found() -> AppError {
    AppError::NotFound("no such order".to_owned())
}

pub async fn progress(state: &AppState, customer: &Customer, order_id: i64) -> Result<OrderProgress, AppError> {
    match store::find(&state.db, order_id).await? {
        Some(order) if order.user_id == customer.id() => Ok(order.progress),
        _ => Err(not_found()),
    }
}

pub async fn list(state: &AppState, _admin: &Admin, filter: &ConsoleFilter) -> Result<Vec<ConsoleOrder>, AppError> {
    let stage = filter.stage.map(|s| s.as_str()).unwrap_or("");
    let search = filter.q.as_deref().unwrap_or("").trim();
    store::list(&state.db, filter.status.as_deref().unwrap_or(""), stage, search).await
}

pub async fn one(state: &AppState, _admin: &Admin, order_id: i64) -> Result<ConsoleOrder, AppError> {
    store::find(&state.db, order_id).await?.ok_or_else(not_found)
}

/// One order with its lines, totals and payment, for the console's detail view.
pub async fn detail(state: &AppState, admin: &Admin, order_id: i64) -> Result<ConsoleOrderDetail, AppError> {
    let summary = one(state, admin, order_id).await?;
    let stored = crate::orders::store::find(&state.db, order_id).await?.ok_or_else(not_found)?;
    Ok(ConsoleOrderDetail { summary, order: stored.order })
}

/// Marks a paid (or cash-on-delivery) order shipped.
pub async fn ship(
    state: &AppState,
    admin: &Admin,
    order_id: i64,
    carrier: &str,
    tracking: &str,
) -> Result<ConsoleOrder, AppError> {
    let domain::shipment::Shipment { carrier, tracking } =
        domain::shipment::Shipment::parse(carrier, tracking).map_err(|e| AppError::Invalid(e.to_string()))?;
    let order = one(state, admin, order_id).await?;
    if !may_ship(&order.status) {
        return Err(AppError::Conflict(format!("order {order_id} is not paid, so it cannot be shipped")));
    }
    let mut tx = state.db.begin().await?;
    if !store::insert_shipment(&mut tx, order_id, &carrier, &tracking, admin.id(), now_ms()).await? {
        return Err(AppError::Conflict(format!("order {order_id} was shipped already")));
    }
    tx.commit().await?;
    one(state, admin, order_id).await
}

/// Marks a shipped order delivered; a cash-on-delivery order is paid now.
pub async fn deliver(state: &AppState, admin: &Admin, order_id: i64) -> Result<ConsoleOrder, AppError> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    if !store::mark_delivered(&mut tx, order_id, admin.id(), now).await? {
        return Err(AppError::Conflict(format!("order {order_id} is not shipped, or was delivered already")));
    }
    crate::payments::settle::cash_collected_in(&mut tx, order_id, now).await?;
    tx.commit().await?;
    one(state, admin, order_id).await
}
