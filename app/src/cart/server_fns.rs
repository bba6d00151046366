//! The cart panel's server functions: the caller's capability plus one service call. Posted as
//! plain forms (JavaScript off) they are answered with a redirect back to the page.

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
    /// The customer's store credit, offered at checkout.
    pub store_credit_cents: i64,
}

/// The visitor's cart: empty and `signed_in: false` for a visitor who is not logged in.
#[server(prefix = "/rpc", endpoint = "cart")]
pub async fn get_cart() -> Result<CartData, FnError> {
    use crate::platform::AppError;
    let checkout_key = uuid::Uuid::new_v4().to_string();
    match crate::accounts::guard::signed_in() {
        Ok((state, customer)) => {
            let cart = super::service::current(&state, &customer).await?;
            // Offered at checkout, which an empty cart does not show.
            let store_credit_cents = match cart.is_empty() {
                true => 0,
                false => crate::store_credit::store::balance(&state.db, customer.id()).await?,
            };
            Ok(CartData { signed_in: true, cart, checkout_key, store_credit_cents })
        }
        Err(AppError::Unauthorized(_)) => {
            Ok(CartData { signed_in: false, cart: Cart::default(), checkout_key, store_credit_cents: 0 })
        }
        Err(other) => Err(other.into()),
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
    let (state, customer) = crate::accounts::guard::signed_in()?;
    super::service::add(&state, &customer, product_id, self::quantity(&quantity)?).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "cart_set")]
pub async fn set_cart_quantity(product_id: i64, quantity: String) -> Result<(), FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    super::service::set_quantity(&state, &customer, product_id, self::quantity(&quantity)?).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "cart_remove")]
pub async fn remove_from_cart(product_id: i64) -> Result<(), FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    super::service::remove(&state, &customer, product_id).await?;
    Ok(())
}
