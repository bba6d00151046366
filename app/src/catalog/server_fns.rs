use leptos::prelude::*;

use super::Product;
use crate::ui::errors::FnError;

#[server(prefix = "/rpc", endpoint = "products")]
pub async fn list_products() -> Result<Vec<Product>, FnError> {
    let state = crate::platform::request::app_state()?;
    Ok(super::store::list_active(&state.db).await?)
}
