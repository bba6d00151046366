//! The checkout form's server function: the same service call as `POST /api/checkout`. On
//! success it redirects to the receipt, so the form works as a plain HTML post too (an error
//! goes back to the page, which shows it).

use leptos::prelude::*;

use super::model::CheckoutReceipt;
use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "checkout")]
pub async fn checkout(
    payment_method: String,
    card_number: Option<String>,
    card_expiry: Option<String>,
    attempt_key: String,
    use_store_credit: Option<String>,
) -> Result<CheckoutReceipt, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    // A checkbox: present ("on", "true") when ticked.
    let use_store_credit = use_store_credit.is_some_and(|v| v != "false" && v != "0");
    let request = super::model::CheckoutRequest { payment_method, card_number, card_expiry, use_store_credit };
    let key = Some(attempt_key.as_str()).filter(|k| !k.is_empty());
    let receipt = super::service::checkout(&state, &customer, &request, key).await?;
    leptos_axum::redirect(&format!("/orders/{}", receipt.order_id));
    Ok(receipt)
}
