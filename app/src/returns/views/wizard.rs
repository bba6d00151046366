//! `/returns/new`: the customer's return in six steps. The draft is the server's (one per
//! customer, `returns::drafts`): the page opens where the customer stopped, on any device;
//! `?order=N` (the receipt's "Return items" link) starts with that order. Before the WASM has
//! loaded (or without JavaScript) every step is a plain form: its fields belong to the form
//! `wizard-form` (the `form` attribute) and its buttons post it to `return_draft_step`, which
//! moves the draft on and sends the browser back here. Once hydrated, the same controls change
//! the draft in the browser, checked as the customer goes by the domain's rules
//! (`step_problem`), and every change is saved. The server checks everything again on submit.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::stepper::Stepper;
use super::steps::{ItemsStep, MethodStep, OrderStep, ReasonStep, ReviewStep};
use super::uploader::{PhotoStep, Upload};
use crate::returns::draft::{step_problem, Draft, Go, SavedDraft, WizardData, WizardPage, STEPS};
use crate::returns::model::CardNumber;
use crate::returns::server_fns::{return_wizard, save_return_draft, CreateReturn, DiscardReturnDraft, ReturnDraftStep};
use crate::ui::components::resource_view;
use crate::ui::errors::ActionError;

/// The id of the form every step's fields and buttons belong to.
pub const FORM: &str = "wizard-form";

/// The wizard's shared state, in context for its steps.
#[derive(Clone, Copy)]
pub struct WizardCtx {
    pub draft: RwSignal<Draft>,
    pub data: StoredValue<WizardData>,
    /// Uploads of this visit (in flight, finished or refused), shown with their progress.
    pub uploads: RwSignal<Vec<Upload>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub counter: StoredValue<u64>,
    /// The WASM runs: buttons act in the browser instead of posting the step's form.
    pub enhanced: RwSignal<bool>,
    /// The card for an exchange's price difference (step 6): in memory only, never saved.
    pub card_number: RwSignal<String>,
    pub card_expiry: RwSignal<String>,
}

pub fn use_wizard() -> WizardCtx {
    expect_context::<WizardCtx>()
}

impl WizardCtx {
    /// `type` of a wizard button: it posts the step's form until the WASM runs.
    pub fn button_type(self) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || if self.enhanced.get() { "button" } else { "submit" }
    }
}

#[component]
pub fn NewReturnPage() -> impl IntoView {
    let wanted = use_query_map().with_untracked(|q| q.get("order").and_then(|v| v.parse::<i64>().ok()));
    let page = Resource::new(|| (), move |_| return_wizard(wanted));
    view! {
        <Title text="Return items · Retail"/>
        {resource_view(page, "Loading your orders…", |WizardPage { data, saved }| view! { <Wizard data saved/> })}
    }
}

#[component]
fn Wizard(data: WizardData, saved: SavedDraft) -> impl IntoView {
    let ctx = WizardCtx {
        draft: RwSignal::new(saved.draft),
        data: StoredValue::new(data),
        uploads: RwSignal::new(Vec::new()),
        counter: StoredValue::new(0),
        enhanced: RwSignal::new(false),
        card_number: RwSignal::new(String::new()),
        card_expiry: RwSignal::new(String::new()),
    };
    provide_context(ctx);
    // Effects run in the browser only, once hydrated.
    Effect::new(move |_| ctx.enhanced.set(true));
    keep_saving(ctx);
    let resumed = RwSignal::new(saved.resumed);
    let step = Memo::new(move |_| ctx.draft.with(|d| d.step));
    focus_heading_on_change(step);
    let go = Callback::new(move |n: usize| ctx.draft.update(|d| d.step = n));
    view! {
        <section class="panel wizard" data-testid="return-wizard">
            <h1>"Return items"</h1>
            <DefaultNext/>
            <Resumed resumed/>
            <Stepper step go/>
            <div class="wizard-body" data-testid="wizard-body" data-step=move || step.get()>
                {move || step_view(step.get())}
            </div>
            <form id=FORM method="post" action=ReturnDraftStep::url() on:submit=|ev| ev.prevent_default()>
                <input type="hidden" name="form[step]" value=move || step.get()/>
                <WizardNav step/>
            </form>
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

/// Saves every change of the draft made in the browser, one save at a time and the newest
/// last (a change made while a save is on its way is saved after it).
fn keep_saving(ctx: WizardCtx) {
    let busy = StoredValue::new(false);
    let again = StoredValue::new(false);
    Effect::new(move |previous: Option<()>| {
        ctx.draft.track();
        // The first run is the draft the server sent.
        if previous.is_none() {
            return;
        }
        if busy.get_value() {
            again.set_value(true);
            return;
        }
        busy.set_value(true);
        leptos::task::spawn_local(async move {
            loop {
                again.set_value(false);
                if let Err(err) = save_return_draft(ctx.draft.get_untracked()).await {
                    leptos::logging::warn!("the return draft could not be saved: {}", err.message);
                }
                if !again.get_value() {
                    break;
                }
            }
            busy.set_value(false);
        });
    });
}

/// "We kept your unfinished return", with a way to start over (a plain form too).
#[component]
fn Resumed(resumed: RwSignal<bool>) -> impl IntoView {
    let ctx = use_wizard();
    let start_over = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            let _ = crate::returns::server_fns::discard_return_draft().await;
        });
        ctx.uploads.set(Vec::new());
        ctx.draft.set(Draft::default());
        resumed.set(false);
    };
    move || {
        resumed.get().then(|| view! {
            <form class="alert alert-ok" data-testid="draft-resumed" method="post" action=DiscardReturnDraft::url() on:submit=start_over>
                "We kept your unfinished return: continue where you stopped. "
                <button type="submit" class="small secondary">"Start over"</button>
            </form>
        })
    }
}

/// The wizard form's default button, first of the form's buttons in the page (before the
/// progress indicator's links back), so Enter in a field posts Next before the WASM has loaded.
#[component]
fn DefaultNext() -> impl IntoView {
    let ctx = use_wizard();
    view! {
        <button type=ctx.button_type() form=FORM name="form[go]" value=Go::Next.value() class="visually-hidden"
            tabindex="-1" aria-hidden="true" disabled=move || ctx.enhanced.get()>"Next"</button>
    }
}

/// Back, Next (refused with the rule's message while the step does not pass), and Submit.
/// Without the WASM they post the step's form.
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
    // A refusal of the server (a plain form posted) is shown until the step changes.
    let tried = RwSignal::new(ctx.draft.with_untracked(|d| d.problem.is_some()));
    Effect::new(move |previous: Option<usize>| {
        let now = step.get();
        if previous.is_some_and(|p| p != now) {
            tried.set(false);
            ctx.draft.update(|d| d.problem = None);
        }
        now
    });
    let back = move |_| ctx.draft.update(|d| d.step = d.step.saturating_sub(1).max(1));
    let next = move |_| match problem.get_untracked() {
        None => ctx.draft.update(|d| d.step = d.step.saturating_add(1).min(STEPS.len())),
        Some(_) => tried.set(true),
    };
    let kind = ctx.button_type();
    let shown = move || ctx.draft.with(|d| d.problem.clone()).or_else(|| problem.get());
    view! {
        <div class="wizard-problem" aria-live="polite">
            {move || shown().map(|p| view! {
                <p class=move || if tried.get() { "alert alert-error" } else { "field-hint" } data-testid="step-problem">{p}</p>
            })}
        </div>
        <div class="wizard-nav">
            <button type=kind name="form[go]" value=Go::Back.value() class="secondary" data-testid="wizard-back"
                disabled=move || step.get() == 1 on:click=back>"Back"</button>
            {move || if step.get() < STEPS.len() {
                view! { <button type=kind name="form[go]" value=Go::Next.value() data-testid="wizard-next" on:click=next>"Next"</button> }.into_any()
            } else {
                view! { <SubmitButton/> }.into_any()
            }}
        </div>
    }
}

/// Submits the return; on success the return's page opens (the server forgot the draft).
#[component]
fn SubmitButton() -> impl IntoView {
    let ctx = use_wizard();
    let create = ServerAction::<CreateReturn>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(detail)) = create.value().get() {
            navigate(&format!("/returns/{}", detail.summary.id), Default::default());
        }
    });
    let submit = move |_| {
        if let Some(mut request) = ctx.draft.with_untracked(Draft::request) {
            request.card_number = Some(CardNumber(ctx.card_number.get_untracked()));
            request.card_expiry = Some(ctx.card_expiry.get_untracked());
            create.dispatch(CreateReturn { request });
        }
    };
    view! {
        <button type=ctx.button_type() name="form[go]" value=Go::Submit.value() data-testid="wizard-submit"
            disabled=move || create.pending().get() on:click=submit>
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
