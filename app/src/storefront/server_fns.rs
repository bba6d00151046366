use leptos::prelude::*;

use super::model::{ProductDetail, Storefront};
use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "storefront")]
pub async fn load_storefront() -> Result<Storefront, FnError> {
    let state = crate::platform::request::app_state()?;
    Ok(super::service::storefront(&state).await?)
}

#[server(prefix = "/rpc", endpoint = "product")]
pub async fn load_product(id: i64) -> Result<ProductDetail, FnError> {
    let state = crate::platform::request::app_state()?;
    Ok(super::service::product(&state, id).await?)
}
