use std::time::Duration;

use leptos::prelude::*;

use super::server_fns::Checkout;
use crate::cart::views::CartState;
use crate::error::FnError;
use crate::ui::ticker::use_ticker;
use domain::orders::PaymentMethod;

/// The page's checkout: the action lives as long as the page, so its outcome survives the cart
/// panel redrawing, and the payment choice is kept across redraws. Checkout builds on the cart
/// (it reads `CartState` for the attempt key and what blocks checkout), never the other way.
#[derive(Clone, Copy)]
pub struct CheckoutState {
    pub action: ServerAction<Checkout>,
    pub payment_method: RwSignal<PaymentMethod>,
    /// "Use my store credit": on unless the customer unticks it (kept across redraws).
    pub use_credit: RwSignal<bool>,
}

/// Puts the page's `CheckoutState` into context (after `provide_cart`).
pub fn provide_checkout() -> CheckoutState {
    let state = CheckoutState {
        action: ServerAction::new(),
        payment_method: RwSignal::new(PaymentMethod::Card),
        use_credit: RwSignal::new(true),
    };
    provide_context(state);
    state
}

/// The checkout under the cart: payment choice and "Place order" while the cart has lines.
#[component]
pub fn CheckoutPanel() -> impl IntoView {
    let cart = expect_context::<CartState>();
    view! {
        <Transition fallback=|| ()>
            {move || cart.data.get().and_then(|r| r.ok()).filter(|d| d.signed_in && !d.cart.is_empty()).map(|data| {
                let blocker = data.cart.checkout_blocker();
                let credit = StoreCreditOffer { balance_cents: data.store_credit_cents, total_cents: data.cart.totals.grand_total_cents };
                view! { <CheckoutForm checkout_key=data.checkout_key blocker credit/> }
            })}
        </Transition>
    }
}

/// The outcome of the last checkout attempt: the "System is busy" banner with a countdown on
/// 429, the reason on any other refusal. Success goes to the receipt (the server function
/// redirects there). After a plain form post (no JavaScript) the page is rendered again with the
/// error in its URL, which the action reads: the same banner or message shows in its HTML.
#[component]
pub fn CheckoutFeedback() -> impl IntoView {
    let cart = expect_context::<CartState>();
    let checkout = expect_context::<CheckoutState>();
    let ticks = use_ticker(Duration::from_secs(1));
    // One tick more than asked: the ticker may be about to fire, and the banner should stay up
    // for the whole wait.
    let wait_of = |err: &FnError| err.retry_after_secs.unwrap_or(1) + 1;
    let busy_until = RwSignal::new(match checkout.action.value().get_untracked() {
        Some(Err(err)) if err.status == 429 => wait_of(&err),
        _ => 0,
    });
    Effect::new(move |_| {
        if let Some(Err(err)) = checkout.action.value().get() {
            if err.status == 429 {
                busy_until.set(ticks.get_untracked() + wait_of(&err));
            }
            cart.refresh();
        }
    });
    let busy_left = move || busy_until.get().saturating_sub(ticks.get());
    let refusal = move || match checkout.action.value().get() {
        Some(Err(err)) if err.status != 429 => Some(err.message),
        _ => None,
    };
    view! {
        {move || (busy_left() > 0).then(|| view! {
            <div class="alert alert-warn busy" role="status" data-testid="busy-banner">
                "System is busy, please try again in " <strong>{busy_left()}</strong> " s. Your cart is kept."
            </div>
        })}
        {move || refusal().map(|message| view! {
            <p class="alert alert-error" role="alert" data-testid="checkout-error">{message}</p>
        })}
    }
}

/// The customer's store credit against the cart's total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoreCreditOffer {
    balance_cents: i64,
    total_cents: i64,
}

/// Payment choice and "Place order". `checkout_key` identifies this attempt (idempotency).
#[component]
fn CheckoutForm(checkout_key: String, blocker: Option<String>, credit: StoreCreditOffer) -> impl IntoView {
    let state = expect_context::<CheckoutState>();
    let checkout = state.action;
    let method = state.payment_method;
    let blocked = blocker.is_some();
    view! {
        <ActionForm action=checkout>
            <input type="hidden" name="attempt_key" value=checkout_key/>
            <fieldset class="payment">
                <legend>"Payment"</legend>
                <PaymentChoice method choice=PaymentMethod::Card label=" Card" testid="pay-card"/>
                <PaymentChoice method choice=PaymentMethod::Cash label=" Cash on delivery" testid="pay-cash"/>
                {(credit.balance_cents > 0).then(|| view! { <UseStoreCredit credit on=state.use_credit/> })}
                <Show when=move || method.get() == PaymentMethod::Card>
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

/// "Use my store credit": it pays first, the card or cash the rest; a card may be left empty
/// when the credit covers the whole order. A checkbox the plain form posts too, ticked unless
/// the customer unticks it, so a refused attempt does not lose it.
#[component]
fn UseStoreCredit(credit: StoreCreditOffer, on: RwSignal<bool>) -> impl IntoView {
    let covers = credit.balance_cents >= credit.total_cents;
    let hint = if covers {
        "It covers this order: no card is needed."
    } else {
        "It pays first; the card or cash on delivery pays the rest."
    };
    view! {
        <label class="inline" data-testid="use-store-credit">
            <input type="checkbox" name="use_store_credit" value="true" data-testid="use-store-credit-box"
                checked=on.get_untracked() prop:checked=move || on.get() on:change=move |ev| on.set(event_target_checked(&ev))/>
            {format!(" Use my store credit ({})", domain::money::format_cents(credit.balance_cents))}
        </label>
        <p class="field-hint">{hint}</p>
    }
}

/// One payment method's radio button. The server's HTML checks the current choice, so a form
/// posted without JavaScript names a method too.
#[component]
fn PaymentChoice(
    method: RwSignal<PaymentMethod>,
    choice: PaymentMethod,
    label: &'static str,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <label class="inline">
            <input type="radio" name="payment_method" value=choice.as_str() data-testid=testid
                checked=method.get_untracked() == choice
                prop:checked=move || method.get() == choice on:change=move |_| method.set(choice)/>
            {label}
        </label>
    }
}
