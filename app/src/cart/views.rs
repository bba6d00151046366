use leptos::prelude::*;

use super::model::{CartLine, LineProblem};
use super::server_fns::{get_cart, AddToCart, CartData, RemoveFromCart, SetCartQuantity};
use crate::catalog::money::format_cents;
use crate::checkout::server_fns::Checkout;
use crate::checkout::views::{CheckoutFeedback, CheckoutForm};
use crate::error::FnError;
use crate::ui::errors::ActionError;

/// The cart resource shared by the storefront's product cards and its cart panel; any cart
/// action bumps `version` and the panel redraws in place.
#[derive(Clone, Copy)]
pub struct CartState {
    pub data: Resource<Result<CartData, FnError>>,
    pub version: RwSignal<u32>,
    /// Lives as long as the page, so its outcome survives the panel redrawing.
    pub checkout: ServerAction<Checkout>,
    /// "card" or "cash", kept across redraws.
    pub payment_method: RwSignal<String>,
}

impl CartState {
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

pub fn provide_cart() -> CartState {
    let version = RwSignal::new(0u32);
    let state = CartState {
        data: Resource::new(move || version.get(), |_| get_cart()),
        version,
        checkout: ServerAction::<Checkout>::new(),
        payment_method: RwSignal::new("card".to_owned()),
    };
    provide_context(state);
    state
}

/// Redraws the cart after each successful action. A failed one leaves the cart as it is, so
/// the line keeps showing its error next to the value the customer typed.
fn refresh_after(cart: CartState, value: Signal<Option<Result<(), FnError>>>) {
    Effect::new(move |_| {
        if let Some(Ok(())) = value.get() {
            cart.refresh();
        }
    });
}

/// Quantity stepper and "Add to cart" for one product.
#[component]
pub fn AddToCartForm(product_id: i64, stock: i64) -> impl IntoView {
    let cart = expect_context::<CartState>();
    let add = ServerAction::<AddToCart>::new();
    refresh_after(cart, add.value().into());
    let signed_in = move || cart.data.get().and_then(|r| r.ok()).is_some_and(|d| d.signed_in);
    // The stepper keeps what was typed; −/+ move within 1..=stock (the server checks again).
    let quantity = RwSignal::new("1".to_owned());
    let step = move |delta: i64| {
        let current = super::quantity::parse_quantity(&quantity.get_untracked()).unwrap_or(1);
        quantity.set((current + delta).clamp(1, stock.max(1)).to_string());
    };
    view! {
        <Transition fallback=|| ()>
            {move || {
                if !signed_in() {
                    return view! { <a class="button-link" href="/login">"Log in to buy"</a> }.into_any();
                }
                if stock < 1 {
                    return view! { <button disabled=true>"Sold out"</button> }.into_any();
                }
                view! {
                    <ActionForm action=add>
                        <input type="hidden" name="product_id" value=product_id/>
                        <div class="stepper">
                            <button type="button" class="step" aria-label="One fewer" on:click=move |_| step(-1)>"−"</button>
                            <input type="text" inputmode="numeric" name="quantity" size="4" aria-label="Quantity" data-testid="quantity"
                                prop:value=move || quantity.get() on:input=move |ev| quantity.set(event_target_value(&ev))/>
                            <button type="button" class="step" aria-label="One more" on:click=move |_| step(1)>"+"</button>
                            <button type="submit" data-testid="add-to-cart" disabled=move || add.pending().get()>"Add to cart"</button>
                        </div>
                    </ActionForm>
                    <ActionError value=add.value()/>
                }
                .into_any()
            }}
        </Transition>
    }
}

#[component]
pub fn CartPanel() -> impl IntoView {
    let cart = expect_context::<CartState>();
    view! {
        <aside class="panel cart" data-testid="cart">
            <h2>"Your cart"</h2>
            <CheckoutFeedback/>
            <Transition fallback=|| view! { <p class="muted">"Loading cart…"</p> }>
                {move || {
                    cart.data.get().map(|result| match result {
                        Ok(data) if !data.signed_in => view! {
                            <p class="muted">"" <a href="/login">"Log in"</a> " to fill a cart and check out."</p>
                        }
                        .into_any(),
                        Ok(data) if data.cart.is_empty() => view! { <p class="muted" data-testid="cart-empty">"Your cart is empty."</p> }.into_any(),
                        Ok(data) => view! { <CartContents data/> }.into_any(),
                        Err(err) => view! { <p class="alert alert-error">{err.message}</p> }.into_any(),
                    })
                }}
            </Transition>
        </aside>
    }
}

#[component]
fn CartContents(data: CartData) -> impl IntoView {
    let totals = data.cart.totals;
    let blocker = data.cart.checkout_blocker();
    view! {
        <ul class="cart-lines">
            {data.cart.lines.into_iter().map(|line| view! { <CartLineRow line/> }).collect_view()}
        </ul>
        <dl class="totals" data-testid="cart-totals">
            <dt>"Items"</dt><dd>{format_cents(totals.subtotal_cents)}</dd>
            <dt>"Shipping"</dt><dd>{format_cents(totals.shipping_cents)}</dd>
            <dt>"Import duty"</dt><dd>{format_cents(totals.duty_cents)}</dd>
            <dt class="grand">"Total"</dt><dd class="grand" data-testid="grand-total">{format_cents(totals.grand_total_cents)}</dd>
        </dl>
        <CheckoutForm checkout_key=data.checkout_key blocker/>
    }
}

#[component]
fn CartLineRow(line: CartLine) -> impl IntoView {
    let cart = expect_context::<CartState>();
    let set = ServerAction::<SetCartQuantity>::new();
    let remove = ServerAction::<RemoveFromCart>::new();
    refresh_after(cart, set.value().into());
    refresh_after(cart, remove.value().into());
    let id = line.product_id;
    let price = line.price;
    let sale_note = match (&line.flash_sale, line.flash_sale_limit) {
        (Some(sale), _) => Some(format!("Flash sale −{}%", sale.discount_percent)),
        (None, Some(limit)) => Some(format!("Flash-sale price applies to at most {limit} more unit(s) for you")),
        _ => None,
    };
    let problem = line.problem.clone().map(|problem| {
        let (text, reduce_to) = match problem {
            LineProblem::ShortStock { available: 0 } => ("Sold out since you added it.".to_owned(), None),
            LineProblem::ShortStock { available } => (format!("Only {available} left in stock."), Some(available)),
            LineProblem::Unavailable => ("No longer sold.".to_owned(), None),
        };
        view! {
            <div class="alert alert-warn" data-testid="stock-problem">
                <span>{text}</span>
                {reduce_to.map(|n| view! {
                    <ActionForm action=set>
                        <input type="hidden" name="product_id" value=id/>
                        <input type="hidden" name="quantity" value=n/>
                        <button type="submit" class="small">{format!("Reduce to {n}")}</button>
                    </ActionForm>
                })}
                <ActionForm action=remove>
                    <input type="hidden" name="product_id" value=id/>
                    <button type="submit" class="small secondary">"Remove"</button>
                </ActionForm>
            </div>
        }
    });
    view! {
        <li class="cart-line" data-testid="cart-line" data-product-id=id>
            <div class="cart-line-head">
                <strong>{line.name}</strong>
                <span>{format_cents(price.total_cents)}</span>
            </div>
            <p class="muted small-text">
                {format!("{} × {}", line.quantity, format_cents(price.discounted_unit_cents))}
                {(price.discount_percent > 0).then(|| format!(" (−{}% of {})", price.discount_percent, format_cents(price.unit_price_cents)))}
                {format!(" · shipping {} · duty {}", format_cents(price.shipping_cents), format_cents(price.duty_cents))}
            </p>
            {sale_note.map(|note| view! { <p class="sale-note">{note}</p> })}
            <div class="cart-line-actions">
                <ActionForm action=set>
                    <input type="hidden" name="product_id" value=id/>
                    <input type="text" inputmode="numeric" name="quantity" value=line.quantity size="4" aria-label="Quantity" data-testid="line-quantity"/>
                    <button type="submit" class="small">"Update"</button>
                </ActionForm>
                <ActionForm action=remove>
                    <input type="hidden" name="product_id" value=id/>
                    <button type="submit" class="small secondary" data-testid="remove-line">"Remove"</button>
                </ActionForm>
            </div>
            {problem}
            <ActionError value=set.value()/>
            <ActionError value=remove.value()/>
        </li>
    }
}
