use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::cart::views::CartState;
use crate::ui::ticker::use_ticker;

/// The outcome of the last checkout attempt: the "System is busy" banner with a countdown on
/// 429, the reason on any other refusal. Success navigates to the receipt.
#[component]
pub fn CheckoutFeedback() -> impl IntoView {
    let cart = expect_context::<CartState>();
    let ticks = use_ticker(Duration::from_secs(1));
    let busy_until = RwSignal::new(0u64);
    let navigate = use_navigate();
    Effect::new(move |_| match cart.checkout.value().get() {
        Some(Ok(receipt)) => navigate(&format!("/orders/{}", receipt.order_id), Default::default()),
        Some(Err(err)) => {
            if err.status == 429 {
                // One tick more than asked: the ticker may be about to fire, and the banner should
                // stay up for the whole wait.
                busy_until.set(ticks.get_untracked() + err.retry_after_secs.unwrap_or(1) + 1);
            }
            cart.refresh();
        }
        None => {}
    });
    let busy_left = move || busy_until.get().saturating_sub(ticks.get());
    view! {
        {move || (busy_left() > 0).then(|| view! {
            <div class="alert alert-warn busy" role="status" data-testid="busy-banner">
                "System is busy, please try again in " <strong>{busy_left()}</strong> " s. Your cart is kept."
            </div>
        })}
        {move || match cart.checkout.value().get() {
            Some(Err(err)) if err.status != 429 => Some(view! {
                <p class="alert alert-error" role="alert" data-testid="checkout-error">{err.message}</p>
            }),
            _ => None,
        }}
    }
}

/// Payment choice and "Place order". `checkout_key` identifies this attempt (idempotency).
#[component]
pub fn CheckoutForm(checkout_key: String, blocker: Option<String>) -> impl IntoView {
    let cart = expect_context::<CartState>();
    let checkout = cart.checkout;
    let method = cart.payment_method;
    let blocked = blocker.is_some();
    view! {
        <ActionForm action=checkout>
            <input type="hidden" name="attempt_key" value=checkout_key/>
            <fieldset class="payment">
                <legend>"Payment"</legend>
                <label class="inline">
                    <input type="radio" name="payment_method" value="card" data-testid="pay-card"
                        prop:checked=move || method.get() == "card" on:change=move |_| method.set("card".into())/>
                    " Card"
                </label>
                <label class="inline">
                    <input type="radio" name="payment_method" value="cash" data-testid="pay-cash"
                        prop:checked=move || method.get() == "cash" on:change=move |_| method.set("cash".into())/>
                    " Cash on delivery"
                </label>
                <Show when=move || method.get() == "card">
                    <label>"Card number"
                        <input type="text" name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" data-testid="card-number"/>
                    </label>
                    <label>"Expiry (MM/YYYY)"
                        <input type="text" name="card_expiry" autocomplete="cc-exp" placeholder="12/2030" data-testid="card-expiry"/>
                    </label>
                </Show>
            </fieldset>
            {blocker.map(|b| view! { <p class="alert alert-warn">{b}</p> })}
            <button type="submit" data-testid="place-order" disabled=move || blocked || checkout.pending().get()>
                {move || if checkout.pending().get() { "Placing order…" } else { "Place order" }}
            </button>
        </ActionForm>
    }
}
