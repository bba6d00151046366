use leptos::prelude::*;

use super::model::CheckoutReceipt;
use crate::error::FnError;

/// The page's checkout. Same path through the throttle and service as `POST /api/checkout`.
#[server(prefix = "/rpc", endpoint = "checkout")]
pub async fn checkout(
    payment_method: String,
    card_number: Option<String>,
    card_expiry: Option<String>,
    attempt_key: String,
) -> Result<CheckoutReceipt, FnError> {
    use super::service::{self, CheckoutAnswer};
    use crate::accounts::guard::{current_user, require_user};
    let state = crate::platform::request::app_state()?;
    let user = current_user()?;
    let user = require_user(user.as_ref())?;
    let request = super::model::CheckoutRequest { payment_method, card_number, card_expiry };
    let key = Some(attempt_key.as_str()).filter(|k| !k.is_empty());
    match service::checkout(&state, user.id, &request, key).await {
        CheckoutAnswer::Accepted(receipt) => Ok(receipt),
        CheckoutAnswer::Failed(err) => Err(err.into()),
    }
}
