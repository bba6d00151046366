//! The account page's store credit.

use leptos::prelude::*;

use crate::error::FnError;
use domain::returns::credit::CreditAccount;

/// The customer's store-credit balance and ledger.
#[server(prefix = "/rpc", endpoint = "store_credit")]
pub async fn store_credit() -> Result<CreditAccount, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::account(&state, &customer).await?)
}
