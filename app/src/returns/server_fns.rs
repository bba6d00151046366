//! The returns screens' server functions: the caller's capability plus one service call each.
//! Photos are uploaded through the JSON API (`POST /api/returns/photos`, multipart), so the
//! wizard can show a progress bar per file; everything else is here.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::draft::{Draft, StepForm, WizardPage};
use super::model::{
    AdminActionForm, AdminCommand, ExchangeOption, NewReturn, QueueFilter, ReturnDetail, ReturnEstimate, ReturnSummary,
};
use crate::error::FnError;

/// Step 5: the refund of this request for each method, explained.
#[server(prefix = "/rpc", endpoint = "returns_estimate", input = Json)]
pub async fn estimate_return(request: NewReturn) -> Result<ReturnEstimate, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::estimate(&state, &customer, &request).await?)
}

/// Products an exchange may be made for (active, in stock).
#[server(prefix = "/rpc", endpoint = "returns_exchange_options")]
pub async fn exchange_options() -> Result<Vec<ExchangeOption>, FnError> {
    let (state, _customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::exchange_options(&state).await?)
}

/// Step 6: submits the return (and forgets the wizard's draft); answers its page (RMA number
/// and timeline once authorized).
#[server(prefix = "/rpc", endpoint = "returns_create", input = Json)]
pub async fn create_return(request: NewReturn) -> Result<ReturnDetail, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::drafts::submit(&state, &customer, request).await?)
}

/// The wizard page: the policy, the customer's orders and their unfinished return (`order`:
/// the receipt's "Return items" link).
#[server(prefix = "/rpc", endpoint = "returns_wizard")]
pub async fn return_wizard(order: Option<i64>) -> Result<WizardPage, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::drafts::page(&state, &customer, order).await?)
}

/// The browser's wizard saves its draft as the customer goes.
#[server(prefix = "/rpc", endpoint = "returns_draft_save", input = Json)]
pub async fn save_return_draft(draft: Draft) -> Result<(), FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::drafts::save(&state, &customer, &draft).await?)
}

/// A wizard step posted as a plain form (no JavaScript): moves the draft on and sends the
/// browser back to the wizard, or to the return's page once submitted.
#[server(prefix = "/rpc", endpoint = "returns_draft_step")]
pub async fn return_draft_step(form: StepForm) -> Result<(), FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    let page = match super::drafts::step(&state, &customer, &form).await? {
        super::drafts::Stepped::Wizard => "/returns/new".to_owned(),
        super::drafts::Stepped::Submitted(id) => format!("/returns/{id}"),
    };
    leptos_axum::redirect(&page);
    Ok(())
}

/// "Start over": forgets the draft and deletes its photos (a plain form is sent back to the
/// wizard).
#[server(prefix = "/rpc", endpoint = "returns_draft_discard")]
pub async fn discard_return_draft() -> Result<(), FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::drafts::discard(&state, &customer).await?)
}

/// The customer's returns, newest first.
#[server(prefix = "/rpc", endpoint = "returns_mine")]
pub async fn my_returns() -> Result<Vec<ReturnSummary>, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::list_own(&state, &customer).await?)
}

/// One of the customer's returns (someone else's: 404).
#[server(prefix = "/rpc", endpoint = "returns_get")]
pub async fn get_return(id: i64) -> Result<ReturnDetail, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::get(&state, &customer, id).await?)
}

/// The customer withdraws the return (until the parcel is received).
#[server(prefix = "/rpc", endpoint = "returns_cancel")]
pub async fn cancel_return(id: i64, note: String) -> Result<ReturnDetail, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::cancel(&state, &customer, id, &note).await?)
}

/// The customer sent the parcel: carrier and tracking number.
#[server(prefix = "/rpc", endpoint = "returns_ship")]
pub async fn ship_return(id: i64, carrier: String, tracking: String) -> Result<ReturnDetail, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::ship(&state, &customer, id, &carrier, &tracking).await?)
}

/// An exchange whose replacement sold out: the customer picks another product.
#[server(prefix = "/rpc", endpoint = "returns_choose_exchange")]
pub async fn choose_exchange(id: i64, product_id: i64) -> Result<ReturnDetail, FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::service::choose_exchange(&state, &customer, id, product_id).await?)
}

/// Removes a draft photo (uploaded in step 4, not yet submitted).
#[server(prefix = "/rpc", endpoint = "returns_delete_photo")]
pub async fn delete_draft_photo(photo_id: String) -> Result<(), FnError> {
    let (state, customer) = crate::accounts::guard::signed_in()?;
    Ok(super::photos::delete_draft(&state, &customer, &photo_id).await?)
}

/// The admin queue, oldest first, filtered.
#[server(prefix = "/rpc", endpoint = "admin_returns", input = Json)]
pub async fn admin_returns(filter: QueueFilter) -> Result<Vec<ReturnSummary>, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::queue(&state, &admin, &filter).await?)
}

/// A return as the admin sees it (with the review reason and the admin's actions).
#[server(prefix = "/rpc", endpoint = "admin_return")]
pub async fn admin_return(id: i64) -> Result<ReturnDetail, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::admin_get(&state, &admin, id).await?)
}

/// Applies one admin action; 409 when the return changed meanwhile or the action is not
/// valid in its state.
#[server(prefix = "/rpc", endpoint = "admin_return_command", input = Json)]
pub async fn admin_return_command(id: i64, command: AdminCommand) -> Result<ReturnDetail, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::command(&state, &admin, id, command).await?)
}

/// One admin action as the detail page's plain forms post it (URL-encoded `form[…]` fields),
/// so the console works without JavaScript: the browser is sent back to the return's page,
/// with the refusal's message when there is one. The same answers as `admin_return_command`.
#[server(prefix = "/rpc", endpoint = "admin_return_action")]
pub async fn admin_return_action(id: i64, form: AdminActionForm) -> Result<ReturnDetail, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    let command = form.command().map_err(crate::platform::AppError::Invalid)?;
    Ok(super::service::command(&state, &admin, id, command).await?)
}
