//! `/returns/new`: the customer's return in six steps. The draft lives in a signal, is copied
//! to `localStorage` (per user) on every change and restored on load, so a reload or a later
//! visit resumes it; `?order=N` (the receipt's "Return items" link) starts with that order.
//! Each step's rules are the domain's (`step_problem`); the server checks them all again.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::draft::{clear, first_open_step, load, save, step_problem, storage_key, Draft, WizardData, STEPS};
use super::stepper::Stepper;
use super::steps::{ItemsStep, MethodStep, OrderStep, ReasonStep, ReviewStep};
use super::uploader::{PhotoStep, Upload};
use crate::error::FnError;
use crate::returns::server_fns::{delete_draft_photo, get_returns_config, returnable_orders, CreateReturn};
use crate::ui::components::resource_view;
use crate::ui::errors::ActionError;
use crate::ui::session_info::use_session_info;

/// The wizard's shared state, in context for its steps.
#[derive(Clone, Copy)]
pub struct WizardCtx {
    pub draft: RwSignal<Draft>,
    pub data: StoredValue<WizardData>,
    /// Uploads of this visit (in flight, finished or refused), shown with their progress.
    pub uploads: RwSignal<Vec<Upload>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub counter: StoredValue<u64>,
    /// The draft's `localStorage` key, once the stored draft was restored.
    pub key: RwSignal<Option<String>>,
}

pub fn use_wizard() -> WizardCtx {
    expect_context::<WizardCtx>()
}

#[component]
pub fn NewReturnPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_wizard());
    view! {
        <Title text="Return items · Retail"/>
        {resource_view(data, "Loading your orders…", |data| view! { <Wizard data/> })}
    }
}

async fn load_wizard() -> Result<WizardData, FnError> {
    let config = get_returns_config().await?;
    let orders = returnable_orders().await?;
    Ok(WizardData { config, orders })
}

#[component]
fn Wizard(data: WizardData) -> impl IntoView {
    let wanted = use_query_map().with_untracked(|q| q.get("order").and_then(|v| v.parse::<i64>().ok()));
    let initial = wanted.map(Draft::for_order).unwrap_or_default();
    let initial = Draft { step: first_open_step(&initial, &data), ..initial };
    let ctx = WizardCtx {
        draft: RwSignal::new(initial),
        data: StoredValue::new(data),
        uploads: RwSignal::new(Vec::new()),
        counter: StoredValue::new(0),
        key: RwSignal::new(None),
    };
    provide_context(ctx);
    let resumed = RwSignal::new(false);
    keep_draft(ctx, wanted, resumed);
    let step = Memo::new(move |_| ctx.draft.with(|d| d.step));
    focus_heading_on_change(step);
    let go = Callback::new(move |n: usize| ctx.draft.update(|d| d.step = n));
    view! {
        <section class="panel wizard" data-testid="return-wizard">
            <h1>"Return items"</h1>
            <Resumed resumed/>
            <Stepper step go/>
            <div class="wizard-body" data-testid="wizard-body" data-step=move || step.get()>
                {move || step_view(step.get())}
            </div>
            <WizardNav step/>
        </section>
    }
}

fn step_view(step: usize) -> AnyView {
    match step {
        1 => view! { <OrderStep/> }.into_any(),
        2 => view! { <ItemsStep/> }.into_any(),
        3 => view! { <ReasonStep/> }.into_any(),
        4 => view! { <PhotoStep/> }.into_any(),
        5 => view! { <MethodStep/> }.into_any(),
        _ => view! { <ReviewStep/> }.into_any(),
    }
}

/// Restores the signed-in customer's stored draft once (unless `?order=` names another order)
/// and then stores every change.
fn keep_draft(ctx: WizardCtx, wanted: Option<i64>, resumed: RwSignal<bool>) {
    let info = use_session_info();
    Effect::new(move |_| {
        if ctx.key.with_untracked(Option::is_some) {
            return;
        }
        let Some(user) = info.get().and_then(Result::ok).and_then(|i| i.user) else {
            return;
        };
        let key = storage_key(user.id);
        let draft = match (load(&key), wanted) {
            (Some(stored), Some(order)) if stored.order_id != Some(order) => Draft::for_order(order),
            (Some(stored), _) => {
                resumed.set(stored.step > 1 || stored.order_id.is_some());
                stored
            }
            (None, _) => ctx.draft.get_untracked(),
        };
        let step = ctx.data.with_value(|data| first_open_step(&draft, data));
        ctx.draft.set(Draft { step, ..draft });
        ctx.key.set(Some(key));
    });
    Effect::new(move |_| {
        let draft = ctx.draft.get();
        if let Some(key) = ctx.key.get() {
            save(&key, &draft);
        }
    });
}

/// "We kept your unfinished return", with a way to start over.
#[component]
fn Resumed(resumed: RwSignal<bool>) -> impl IntoView {
    let ctx = use_wizard();
    let start_over = move |_| {
        let photos = ctx.draft.with_untracked(|d| d.photos.iter().map(|p| p.id.clone()).collect::<Vec<_>>());
        for id in photos {
            leptos::task::spawn_local(async move {
                let _ = delete_draft_photo(id).await;
            });
        }
        ctx.uploads.set(Vec::new());
        ctx.draft.set(Draft::default());
        resumed.set(false);
    };
    move || {
        resumed.get().then(|| view! {
            <p class="alert alert-ok" data-testid="draft-resumed">"We kept your unfinished return: continue where you stopped. "
                <button type="button" class="small secondary" on:click=start_over>"Start over"</button></p>
        })
    }
}

/// Back, Next (refused with the rule's message while the step does not pass), and Submit.
#[component]
fn WizardNav(step: Memo<usize>) -> impl IntoView {
    let ctx = use_wizard();
    let problem = Memo::new(move |_| {
        let s = step.get();
        let uploading = ctx.uploads.with(|u| u.iter().any(Upload::in_flight));
        if s == 4 && uploading {
            return Some("Please wait until the photos are uploaded.".to_owned());
        }
        ctx.draft.with(|d| ctx.data.with_value(|data| step_problem(s, d, data)))
    });
    let tried = RwSignal::new(false);
    Effect::new(move |_| {
        step.with(|_| ());
        tried.set(false);
    });
    let back = move |_| ctx.draft.update(|d| d.step = d.step.saturating_sub(1).max(1));
    let next = move |_| match problem.get_untracked() {
        None => ctx.draft.update(|d| d.step = d.step.saturating_add(1).min(STEPS.len())),
        Some(_) => tried.set(true),
    };
    view! {
        <div class="wizard-problem" aria-live="polite">
            {move || problem.get().map(|p| view! {
                <p class=move || if tried.get() { "alert alert-error" } else { "field-hint" } data-testid="step-problem">{p}</p>
            })}
        </div>
        <div class="wizard-nav">
            <button type="button" class="secondary" data-testid="wizard-back" disabled=move || step.get() == 1 on:click=back>"Back"</button>
            {move || if step.get() < STEPS.len() {
                view! { <button type="button" data-testid="wizard-next" on:click=next>"Next"</button> }.into_any()
            } else {
                view! { <SubmitButton/> }.into_any()
            }}
        </div>
    }
}

/// Submits the return; on success the draft is forgotten and the return's page opens.
#[component]
fn SubmitButton() -> impl IntoView {
    let ctx = use_wizard();
    let create = ServerAction::<CreateReturn>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(detail)) = create.value().get() {
            if let Some(key) = ctx.key.get_untracked() {
                clear(&key);
            }
            ctx.key.set(None);
            navigate(&format!("/returns/{}", detail.summary.id), Default::default());
        }
    });
    let submit = move |_| {
        if let Some(request) = ctx.draft.with_untracked(Draft::request) {
            create.dispatch(CreateReturn { request });
        }
    };
    view! {
        <button type="button" data-testid="wizard-submit" disabled=move || create.pending().get() on:click=submit>
            {move || if create.pending().get() { "Submitting…" } else { "Submit return" }}
        </button>
        <ActionError value=create.value()/>
    }
}

/// Moves the keyboard focus to the new step's heading (so screen readers read it too).
fn focus_heading_on_change(step: Memo<usize>) {
    Effect::new(move |previous: Option<usize>| {
        let now = step.get();
        if previous.is_some_and(|p| p != now) {
            focus_heading();
        }
        now
    });
}

#[cfg(feature = "hydrate")]
fn focus_heading() {
    use wasm_bindgen::JsCast;
    request_animation_frame(|| {
        let heading =
            document().get_element_by_id("wizard-step-heading").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(heading) = heading {
            let _ = heading.focus();
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn focus_heading() {}
