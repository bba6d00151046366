//! The orders console's and the order page's server functions.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{ConsoleFilter, ConsoleOrder, ConsoleOrderDetail, OrderProgress};
use crate::error::FnError;

/// The customer's order's progress (processing, shipped with carrier and tracking, delivered).
#[server(prefix = "/rpc", endpoint = "order_progress")]
pub async fn get_order_progress(order_id: i64) -> Result<OrderProgress, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::progress(&state, &customer, order_id).await?)
}

/// The admin orders console: newest first, filtered.
#[server(prefix = "/rpc", endpoint = "admin_orders", input = Json)]
pub async fn admin_orders(filter: ConsoleFilter) -> Result<Vec<ConsoleOrder>, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::list(&state, &admin, &filter).await?)
}

/// One order in the console, with its lines, totals and payment.
#[server(prefix = "/rpc", endpoint = "admin_order")]
pub async fn admin_order(order_id: i64) -> Result<ConsoleOrderDetail, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::detail(&state, &admin, order_id).await?)
}

/// Marks the order shipped. URL-encoded: the console's form posts it without JavaScript too
/// (the browser is sent back to the order's page).
#[server(prefix = "/rpc", endpoint = "admin_ship_order")]
pub async fn ship_order(order_id: i64, carrier: String, tracking: String) -> Result<ConsoleOrder, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::ship(&state, &admin, order_id, &carrier, &tracking).await?)
}

/// Marks the order delivered (a cash order is paid now); a plain form as well.
#[server(prefix = "/rpc", endpoint = "admin_deliver_order")]
pub async fn deliver_order(order_id: i64) -> Result<ConsoleOrder, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::deliver(&state, &admin, order_id).await?)
}
