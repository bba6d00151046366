//! The wizard's photo step as a plain form (no JavaScript): `POST /returns/new/photos`,
//! multipart, stores the chosen photos as drafts and sends the browser back to the wizard, with
//! the refusal shown at the step when a photo is refused. With JavaScript the wizard uploads
//! each file through the JSON API instead, with a progress bar.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::Redirect;
use axum::routing::post;
use axum::Router;

use super::{drafts, photos};
use crate::accounts::guard::Customer;
use crate::platform::{AppError, AppState};

/// Multipart bodies are bounded per photo by the policy (counted as each photo streams).
pub fn routes() -> Router<AppState> {
    Router::new().route(super::model::PHOTO_FORM_URL, post(upload)).layer(DefaultBodyLimit::disable())
}

async fn upload(State(state): State<AppState>, customer: Customer, multipart: Multipart) -> Result<Redirect, AppError> {
    let problem = match photos::upload_form(&state, &customer, multipart).await {
        Ok(_) => None,
        Err(err) => Some(drafts::problem_of(err)?),
    };
    drafts::show_problem(&state, &customer, problem).await?;
    Ok(Redirect::to("/returns/new"))
}
