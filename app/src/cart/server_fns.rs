use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::Cart;
use crate::error::FnError;

/// The cart panel's data. `checkout_key` is a fresh idempotency key: the panel refetches after
/// every checkout attempt, so each attempt gets its own key and a double submit reuses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartData {
    pub signed_in: bool,
    pub cart: Cart,
    pub checkout_key: String,
}

#[server(prefix = "/rpc", endpoint = "cart")]
pub async fn get_cart() -> Result<CartData, FnError> {
    let state = crate::platform::request::app_state()?;
    let checkout_key = uuid::Uuid::new_v4().to_string();
    match crate::accounts::guard::current_user()? {
        Some(user) => {
            Ok(CartData { signed_in: true, cart: super::service::view(&state, user.id).await?, checkout_key })
        }
        None => Ok(CartData { signed_in: false, cart: Cart::default(), checkout_key }),
    }
}

/// Quantities arrive as typed text so "abc" or "2.5" get the quantity message, not a
/// generic form error.
#[cfg(feature = "ssr")]
fn quantity(text: &str) -> Result<i64, crate::platform::AppError> {
    super::quantity::parse_quantity(text).map_err(|e| crate::platform::AppError::Invalid(e.to_string()))
}

#[server(prefix = "/rpc", endpoint = "cart_add")]
pub async fn add_to_cart(product_id: i64, quantity: String) -> Result<(), FnError> {
    use crate::accounts::guard::{current_user, require_user};
    let state = crate::platform::request::app_state()?;
    let user = current_user()?;
    let user = require_user(user.as_ref())?;
    super::service::add(&state, user.id, product_id, self::quantity(&quantity)?).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "cart_set")]
pub async fn set_cart_quantity(product_id: i64, quantity: String) -> Result<(), FnError> {
    use crate::accounts::guard::{current_user, require_user};
    let state = crate::platform::request::app_state()?;
    let user = current_user()?;
    let user = require_user(user.as_ref())?;
    super::service::set_quantity(&state, user.id, product_id, self::quantity(&quantity)?).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "cart_remove")]
pub async fn remove_from_cart(product_id: i64) -> Result<(), FnError> {
    use crate::accounts::guard::{current_user, require_user};
    let state = crate::platform::request::app_state()?;
    let user = current_user()?;
    let user = require_user(user.as_ref())?;
    super::service::remove(&state, user.id, product_id).await?;
    Ok(())
}
