use leptos::prelude::*;

use super::model::{Order, OrderSummary};
use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "order")]
pub async fn get_order(id: i64) -> Result<Order, FnError> {
    use crate::accounts::guard::{current_user, require_user};
    use crate::platform::AppError;
    let state = crate::platform::request::app_state()?;
    let user = current_user()?;
    let user = require_user(user.as_ref())?;
    super::store::find_for_user(&state.db, id, user.id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no order {id} in your account")).into())
}

#[server(prefix = "/rpc", endpoint = "orders")]
pub async fn list_orders() -> Result<Vec<OrderSummary>, FnError> {
    use crate::accounts::guard::{current_user, require_user};
    let state = crate::platform::request::app_state()?;
    let user = current_user()?;
    let user = require_user(user.as_ref())?;
    Ok(super::store::list_for_user(&state.db, user.id).await?)
}
