//! The wizard's progress: "Step k of 6", each step's name, completed steps marked (and
//! buttons back to them), the current one `aria-current="step"`, and a live region that
//! announces a step change to screen readers. The buttons back to completed steps post the
//! wizard's form until the WASM runs.

use leptos::prelude::*;

use super::wizard::{use_wizard, FORM};
use crate::returns::draft::{Go, STEPS};

#[component]
pub fn Stepper(step: Memo<usize>, go: Callback<usize>) -> impl IntoView {
    let title = move || STEPS.get(step.get().saturating_sub(1)).copied().unwrap_or("");
    view! {
        <nav class="wizard-progress" aria-label="Return progress">
            <p class="wizard-count" data-testid="step-count">{move || format!("Step {} of {}", step.get(), STEPS.len())}</p>
            <ol class="wizard-steps">
                {STEPS.iter().enumerate().map(|(n, name)| view! { <StepMark number=n + 1 name step go/> }).collect_view()}
            </ol>
            <p class="visually-hidden" aria-live="polite" data-testid="step-announcement">
                {move || format!("Step {} of {}: {}", step.get(), STEPS.len(), title())}
            </p>
        </nav>
    }
}

#[component]
fn StepMark(number: usize, name: &'static str, step: Memo<usize>, go: Callback<usize>) -> impl IntoView {
    let kind = use_wizard().button_type();
    let state = move || match number.cmp(&step.get()) {
        std::cmp::Ordering::Less => "done",
        std::cmp::Ordering::Equal => "current",
        std::cmp::Ordering::Greater => "todo",
    };
    view! {
        <li class=move || format!("wizard-step {}", state()) data-testid="wizard-step" data-state=state
            aria-current=move || (state() == "current").then_some("step")>
            {move || match state() {
                "done" => view! {
                    <button type=kind form=FORM name="form[go]" value=Go::To(number).value() class="step-link" on:click=move |_| go.run(number)>
                        <span class="step-mark" aria-hidden="true">"✓"</span> {name}
                        <span class="visually-hidden">" (completed)"</span>
                    </button>
                }
                .into_any(),
                _ => view! { <span><span class="step-mark" aria-hidden="true">{number}</span> {name}</span> }.into_any(),
            }}
        </li>
    }
}
