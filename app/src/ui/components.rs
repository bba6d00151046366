//! Small components every feature shows the same way: money, cart and order totals, an order's
//! status badge, and the loading/error/content pattern of a server-function resource. They
//! format what the server computed; they do no arithmetic.

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::errors::ForbiddenPage;
use crate::error::FnError;
use domain::money::format_cents;
use domain::orders::OrderStatus;
use domain::pricing::Totals;

/// An amount of money, e.g. `$1,234.50`.
#[component]
pub fn Money(cents: i64, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    view! { <span class="money" data-testid=testid>{format_cents(cents)}</span> }
}

/// Items, shipping, duty and the grand total, as on a cart or a receipt.
#[component]
pub fn TotalsList(
    totals: Totals,
    /// `data-testid` of the list.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// `data-testid` of the grand total.
    grand_testid: &'static str,
) -> impl IntoView {
    view! {
        <dl class="totals" data-testid=testid>
            <dt>"Items"</dt><dd>{format_cents(totals.subtotal_cents)}</dd>
            <dt>"Shipping"</dt><dd>{format_cents(totals.shipping_cents)}</dd>
            <dt>"Import duty"</dt><dd>{format_cents(totals.duty_cents)}</dd>
            <dt class="grand">"Total"</dt><dd class="grand" data-testid=grand_testid>{format_cents(totals.grand_total_cents)}</dd>
        </dl>
    }
}

/// An order's status in words, coloured by state.
#[component]
pub fn StatusBadge(status: OrderStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str()) data-testid="order-status">{status.label()}</span> }
}

/// The pattern every page repeats for a server-function resource: a loading line, then the
/// content, the access-denied page for 401/403, or the error message.
pub fn resource_view<T, V>(
    resource: Resource<Result<T, FnError>>,
    loading: &'static str,
    content: impl Fn(T) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <p class="muted">{loading}</p> }>
            {
                let content = content.clone();
                move || resource.get().map(|result| match result {
                    Ok(value) => content(value).into_any(),
                    Err(err) if err.status == 401 || err.status == 403 => view! { <ForbiddenPage message=err.message/> }.into_any(),
                    Err(err) => view! { <p class="alert alert-error" role="alert">{err.message}</p> }.into_any(),
                })
            }
        </Transition>
    }
}
