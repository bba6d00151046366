//! The customer's own store credit.

use domain::returns::credit::CreditAccount;

use crate::accounts::guard::Customer;
use crate::platform::{AppError, AppState};

/// The balance and the ledger, newest first.
pub async fn account(state: &AppState, customer: &Customer) -> Result<CreditAccount, AppError> {
    super::store::account(&state.db, customer.id()).await
}
