//! The cart's components: the add-to-cart form of a product, and the cart panel with its lines.
//! Every control is a real form posting to a server function, so it works before (or without)
//! the WASM: the server answers a plain form post with a redirect back to the page, carrying an
//! error in the URL (`?__path=…&__err=…`).

use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;

use super::model::{CartLine, LineProblem};
use super::server_fns::{get_cart, AddToCart, CartData, RemoveFromCart, SetCartQuantity};
use crate::error::FnError;
use crate::ui::components::{Money, TotalsList};
use crate::ui::errors::ActionError;

/// The cart resource shared by the page's add-to-cart forms and its cart panel; any cart action
/// bumps `version` and the panel redraws in place.
#[derive(Clone, Copy)]
pub struct CartState {
    pub data: Resource<Result<CartData, FnError>>,
    pub version: RwSignal<u32>,
}

impl CartState {
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// Puts the page's `CartState` into context.
pub fn provide_cart() -> CartState {
    let version = RwSignal::new(0u32);
    let state = CartState { data: Resource::new(move || version.get(), |_| get_cart()), version };
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

/// The error of this form's own last submission. An error carried back in the URL reaches every
/// action of its kind on the page (one per product or line), so those show it once, in
/// `PostedError`, instead.
fn own_error<S>(action: ServerAction<S>) -> Signal<Option<Result<(), FnError>>>
where
    S: ServerFn<Output = (), Error = FnError> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || if action.version().get() > 0 { action.value().get() } else { None })
}

/// The error of a cart form posted without JavaScript, from the URL it was redirected to.
#[component]
fn PostedError() -> impl IntoView {
    let cart_paths = [AddToCart::PATH, SetCartQuantity::PATH, RemoveFromCart::PATH];
    let error = use_context::<ServerActionError>()
        .filter(|posted| cart_paths.contains(&posted.path()))
        .map(|posted| ServerFnUrlError::<FnError>::decode_err(posted.err()));
    error.map(|err| view! { <p class="alert alert-error" role="alert" data-testid="cart-error">{err.message}</p> })
}

/// Quantity stepper and "Add to cart" for one product (a link to log in for visitors).
#[component]
pub fn AddToCartForm(product_id: i64, stock: i64) -> impl IntoView {
    let cart = expect_context::<CartState>();
    let signed_in = move || cart.data.get().and_then(|r| r.ok()).map(|d| d.signed_in);
    view! {
        <Transition fallback=|| ()>
            {move || signed_in().map(|signed_in| match (signed_in, stock > 0) {
                (false, _) => view! { <a class="button-link" href="/login">"Log in to buy"</a> }.into_any(),
                (true, false) => view! { <button disabled=true>"Sold out"</button> }.into_any(),
                (true, true) => view! { <AddForm product_id stock/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn AddForm(product_id: i64, stock: i64) -> impl IntoView {
    let cart = expect_context::<CartState>();
    let add = ServerAction::<AddToCart>::new();
    refresh_after(cart, add.value().into());
    // The stepper keeps what was typed; −/+ move within 1..=stock (the server checks again).
    let quantity = RwSignal::new("1".to_owned());
    let step = move |delta: i64| {
        let current = super::quantity::parse_quantity(&quantity.get_untracked()).unwrap_or(1);
        quantity.set(current.saturating_add(delta).clamp(1, stock.max(1)).to_string());
    };
    view! {
        <ActionForm action=add>
            <input type="hidden" name="product_id" value=product_id/>
            <div class="stepper">
                <button type="button" class="step" aria-label="One fewer" on:click=move |_| step(-1)>"−"</button>
                <input type="text" inputmode="numeric" name="quantity" size="4" aria-label="Quantity" data-testid="quantity"
                    value="1" prop:value=move || quantity.get() on:input=move |ev| quantity.set(event_target_value(&ev))/>
                <button type="button" class="step" aria-label="One more" on:click=move |_| step(1)>"+"</button>
                <button type="submit" data-testid="add-to-cart" disabled=move || add.pending().get()>"Add to cart"</button>
            </div>
        </ActionForm>
        <ActionError value=own_error(add)/>
    }
}

/// The cart's lines and totals (or why there are none). The page puts the checkout under it.
#[component]
pub fn CartPanel() -> impl IntoView {
    let cart = expect_context::<CartState>();
    view! {
        <PostedError/>
        <Transition fallback=|| view! { <p class="muted">"Loading cart…"</p> }>
            {move || cart.data.get().map(|result| match result {
                Ok(data) if !data.signed_in => view! {
                    <p class="muted">"" <a href="/login">"Log in"</a> " to fill a cart and check out."</p>
                }
                .into_any(),
                Ok(data) if data.cart.is_empty() => view! { <p class="muted" data-testid="cart-empty">"Your cart is empty."</p> }.into_any(),
                Ok(data) => view! { <CartContents data/> }.into_any(),
                Err(err) => view! { <p class="alert alert-error">{err.message}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn CartContents(data: CartData) -> impl IntoView {
    view! {
        <ul class="cart-lines">
            {data.cart.lines.into_iter().map(|line| view! { <CartLineRow line/> }).collect_view()}
        </ul>
        <TotalsList totals=data.cart.totals testid="cart-totals" grand_testid="grand-total"/>
    }
}

/// The forms of one line share these actions: its quantity, "reduce to" and "remove" buttons.
#[derive(Clone, Copy)]
struct LineActions {
    set: ServerAction<SetCartQuantity>,
    remove: ServerAction<RemoveFromCart>,
}

#[component]
fn CartLineRow(line: CartLine) -> impl IntoView {
    let cart = expect_context::<CartState>();
    let actions = LineActions { set: ServerAction::new(), remove: ServerAction::new() };
    refresh_after(cart, actions.set.value().into());
    refresh_after(cart, actions.remove.value().into());
    let id = line.product_id;
    view! {
        <li class="cart-line" data-testid="cart-line" data-product-id=id>
            <div class="cart-line-head">
                <strong>{line.name.clone()}</strong>
                <Money cents=line.price.total_cents/>
            </div>
            <LinePrice line=line.clone()/>
            <LineActions id quantity=line.quantity actions/>
            {line.problem.map(|problem| view! { <StockProblem id problem actions/> })}
            <ActionError value=own_error(actions.set)/>
            <ActionError value=own_error(actions.remove)/>
        </li>
    }
}

/// "2 × $25.00 (−10% of …) · shipping … · duty …" and the flash-sale note.
#[component]
fn LinePrice(line: CartLine) -> impl IntoView {
    let price = line.price;
    let sale_note = match (&line.flash_sale, line.flash_sale_limit) {
        (Some(sale), _) => Some(format!("Flash sale −{}%", sale.discount_percent)),
        (None, Some(limit)) => Some(format!("Flash-sale price applies to at most {limit} more unit(s) for you")),
        _ => None,
    };
    let discount = (price.discount_percent > 0).then(|| {
        view! { " (−" {price.discount_percent} "% of " <Money cents=price.unit_price_cents/> ")" }
    });
    view! {
        <p class="muted small-text">
            {line.quantity} " × " <Money cents=price.discounted_unit_cents/>
            {discount}
            " · shipping " <Money cents=price.shipping_cents/> " · duty " <Money cents=price.duty_cents/>
        </p>
        {sale_note.map(|note| view! { <p class="sale-note">{note}</p> })}
    }
}

/// The quantity field with "Update", and "Remove".
#[component]
fn LineActions(id: i64, quantity: i64, actions: LineActions) -> impl IntoView {
    view! {
        <div class="cart-line-actions">
            <ActionForm action=actions.set>
                <input type="hidden" name="product_id" value=id/>
                <input type="text" inputmode="numeric" name="quantity" value=quantity size="4" aria-label="Quantity" data-testid="line-quantity"/>
                <button type="submit" class="small">"Update"</button>
            </ActionForm>
            <ActionForm action=actions.remove>
                <input type="hidden" name="product_id" value=id/>
                <button type="submit" class="small secondary" data-testid="remove-line">"Remove"</button>
            </ActionForm>
        </div>
    }
}

/// Why the line cannot be ordered as it is, with the way out: reduce it to what is left, or
/// remove it.
#[component]
fn StockProblem(id: i64, problem: LineProblem, actions: LineActions) -> impl IntoView {
    let (text, reduce_to) = match problem {
        LineProblem::ShortStock { available: 0 } => ("Sold out since you added it.".to_owned(), None),
        LineProblem::ShortStock { available } => (format!("Only {available} left in stock."), Some(available)),
        LineProblem::Unavailable => ("No longer sold.".to_owned(), None),
    };
    view! {
        <div class="alert alert-warn" data-testid="stock-problem">
            <span>{text}</span>
            {reduce_to.map(|n| view! {
                <ActionForm action=actions.set>
                    <input type="hidden" name="product_id" value=id/>
                    <input type="hidden" name="quantity" value=n/>
                    <button type="submit" class="small">{format!("Reduce to {n}")}</button>
                </ActionForm>
            })}
            <ActionForm action=actions.remove>
                <input type="hidden" name="product_id" value=id/>
                <button type="submit" class="small secondary">"Remove"</button>
            </ActionForm>
        </div>
    }
}
