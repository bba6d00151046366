//! Orders as their customer sees them: one receipt, the order history. Both take the `Customer`
//! capability; who may see an order is the domain's `may_view` rule, applied here once.

use super::model::{may_view, Order, OrderSummary};
use super::store;
use crate::accounts::guard::Customer;
use crate::platform::{AppError, AppState};

/// The receipt of order `id`, if `customer` may view it. Anyone else's order is "not found",
/// the same answer as an id that does not exist.
pub async fn get(state: &AppState, customer: &Customer, id: i64) -> Result<Order, AppError> {
    match store::find(&state.db, id).await? {
        Some(stored) if may_view(customer.id(), stored.owner_id) => Ok(stored.order),
        _ => Err(AppError::NotFound(format!("no order {id} in your account"))),
    }
}

/// The customer's newest orders: the ones they placed, which are exactly those `may_view`
/// lets them see.
pub async fn list(state: &AppState, customer: &Customer) -> Result<Vec<OrderSummary>, AppError> {
    store::list_placed_by(&state.db, customer.id()).await
}
