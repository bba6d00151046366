//! The wizard's drafts, kept by the server: one per customer in `return_drafts` (this module
//! owns the table), its photos the customer's uploads not attached to a return yet. The browser's
//! wizard saves the draft as the customer goes (`save`); without JavaScript each step is a plain
//! form (`step`). Either way the draft is only what the customer chose: submitting it runs every
//! rule again (`service::create`).

use super::draft::{
    advance, capitalize, first_open_step, Advance, Draft, SavedDraft, StepForm, WizardData, WizardPage,
};
use super::model::ReturnDetail;
use super::{photos, service, store};
use crate::accounts::guard::Customer;
use crate::platform::{now_ms, AppError, AppState, Db};

/// The wizard page: the policy, the customer's orders (each eligible or why not) and the draft;
/// `wanted` (the receipt's "Return items" link) starts a fresh one for that order unless the
/// draft is already about it.
pub async fn page(state: &AppState, customer: &Customer, wanted: Option<i64>) -> Result<WizardPage, AppError> {
    let data = wizard_data(state, customer).await?;
    let saved = current(state, customer, wanted, &data).await?;
    Ok(WizardPage { data, saved })
}

async fn current(
    state: &AppState,
    customer: &Customer,
    wanted: Option<i64>,
    data: &WizardData,
) -> Result<SavedDraft, AppError> {
    let stored = read(&state.db, customer.id()).await?;
    let photos = store::draft_photos(&state.db, customer.id()).await?;
    let (mut draft, resumed) = match (stored, wanted) {
        (Some(stored), Some(order)) if stored.order_id != Some(order) => (Draft::for_order(order), false),
        (Some(stored), _) => (stored, true),
        (None, Some(order)) => (Draft::for_order(order), false),
        (None, None) => (Draft::default(), false),
    };
    if !resumed && wanted.is_some() {
        // The page shows this new draft: the next plain form posted from it continues it.
        write(&state.db, customer.id(), &draft).await?;
    }
    draft.photos = photos;
    draft.step = first_open_step(&draft, data);
    let resumed = resumed && (draft.step > 1 || draft.order_id.is_some() || !draft.photos.is_empty());
    Ok(SavedDraft { draft, resumed })
}

/// Stores the browser wizard's draft as it stands (its photo list is not stored: the server's
/// own record of the customer's draft photos is the list).
pub async fn save(state: &AppState, customer: &Customer, draft: &Draft) -> Result<(), AppError> {
    write(&state.db, customer.id(), draft).await
}

/// What a plain step form leads to: the wizard again, or the submitted return.
pub enum Stepped {
    Wizard,
    /// The return's id.
    Submitted(i64),
}

/// A step posted as a plain form: applies it to the stored draft (see `draft::advance`) and
/// submits the return when the last step's button was pressed. A refusal at submit (a rule the
/// server applies, or the order changed meanwhile) is shown at the step, like any other.
pub async fn step(state: &AppState, customer: &Customer, form: &StepForm) -> Result<Stepped, AppError> {
    let data = wizard_data(state, customer).await?;
    let mut draft = current(state, customer, None, &data).await?.draft;
    if let Advance::Submit(request) = advance(&mut draft, form, &data) {
        match submit(state, customer, request).await {
            Ok(detail) => return Ok(Stepped::Submitted(detail.summary.id)),
            Err(err) => draft.problem = Some(problem_of(err)?),
        }
    }
    write(&state.db, customer.id(), &draft).await?;
    Ok(Stepped::Wizard)
}

/// Submits the wizard's return and forgets its draft.
pub async fn submit(
    state: &AppState,
    customer: &Customer,
    request: super::model::NewReturn,
) -> Result<ReturnDetail, AppError> {
    let detail = service::create(state, customer, request).await?;
    delete(&state.db, customer.id()).await?;
    Ok(detail)
}

/// Shows `problem` (or nothing) at the draft's step: what the plain photo form answered. Only the
/// stored draft changes; the page puts it together with the orders when it is shown next.
pub async fn show_problem(state: &AppState, customer: &Customer, problem: Option<String>) -> Result<(), AppError> {
    let mut draft = read(&state.db, customer.id()).await?.unwrap_or_default();
    draft.problem = problem;
    write(&state.db, customer.id(), &draft).await
}

/// A refusal of the customer's request as the message shown at the step; anything else (the
/// shop's own failure) stays an error.
pub fn problem_of(err: AppError) -> Result<String, AppError> {
    if err.status().is_client_error() {
        Ok(capitalize(&err.public_message()))
    } else {
        Err(err)
    }
}

/// "Start over": the draft and its photos go.
pub async fn discard(state: &AppState, customer: &Customer) -> Result<(), AppError> {
    for photo in store::draft_photos(&state.db, customer.id()).await? {
        photos::delete_draft(state, customer, &photo.id).await?;
    }
    delete(&state.db, customer.id()).await
}

async fn wizard_data(state: &AppState, customer: &Customer) -> Result<WizardData, AppError> {
    Ok(WizardData {
        config: service::config(state),
        orders: service::returnable_orders(state, customer).await?,
        now_ms: now_ms(),
    })
}

async fn read(db: &Db, user_id: i64) -> Result<Option<Draft>, AppError> {
    let body: Option<String> = sqlx::query_scalar("SELECT body FROM return_drafts WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.read())
        .await?;
    // A draft stored by an older version that no longer reads is simply started again.
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}

async fn write(db: &Db, user_id: i64, draft: &Draft) -> Result<(), AppError> {
    let stored = Draft { photos: Vec::new(), ..draft.clone() };
    let body = serde_json::to_string(&stored).map_err(|e| AppError::Internal(format!("draft: {e}")))?;
    sqlx::query(
        "INSERT INTO return_drafts (user_id, body, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(body)
    .bind(now_ms())
    .execute(db.write())
    .await?;
    Ok(())
}

async fn delete(db: &Db, user_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM return_drafts WHERE user_id = $1").bind(user_id).execute(db.write()).await?;
    Ok(())
}
