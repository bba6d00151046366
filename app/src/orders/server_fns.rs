//! Server functions of the receipt and order-history pages: the caller's `Customer` capability
//! plus one service call.

use leptos::prelude::*;

use super::model::{Order, OrderSummary};
use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "order")]
pub async fn get_order(id: i64) -> Result<Order, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::get(&state, &customer, id).await?)
}

#[server(prefix = "/rpc", endpoint = "orders")]
pub async fn list_orders() -> Result<Vec<OrderSummary>, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::list(&state, &customer).await?)
}
