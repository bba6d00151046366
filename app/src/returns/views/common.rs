//! Pieces the customer's and the admin's return pages share: the status badge, the timeline,
//! the items, the evidence gallery, the refund and its estimate, and the live return.

use std::future::Future;
use std::time::Duration;

use leptos::prelude::*;

use crate::error::FnError;
use crate::returns::model::{
    DifferencePayment, Photo, Refund, RefundEstimate, RefundState, ReturnDetail, ReturnEvent, ReturnItem, ReturnStatus,
    Shipment,
};
use crate::time::display_utc;
use crate::ui::components::Money;
use crate::ui::ticker::use_ticker;
use domain::returns::policy::DAY_MS;

/// A return's status in words, coloured by state.
#[component]
pub fn ReturnStatusBadge(status: ReturnStatus) -> impl IntoView {
    view! {
        <span class=format!("badge return-status return-{}", status.as_str()) data-testid="return-status"
            data-status=status.as_str()>{status.label()}</span>
    }
}

/// Every transition: to what, by whom, when, with the note.
#[component]
pub fn Timeline(events: Vec<ReturnEvent>) -> impl IntoView {
    view! {
        <ol class="timeline" data-testid="timeline" aria-label="Timeline">
            {events.into_iter().map(|event| view! { <TimelineEntry event/> }).collect_view()}
        </ol>
    }
}

#[component]
fn TimelineEntry(event: ReturnEvent) -> impl IntoView {
    let note = Some(event.note).filter(|n| !n.is_empty());
    view! {
        <li class="timeline-entry" data-testid="timeline-entry" data-status=event.to.as_str()>
            <strong>{event.to.label()}</strong>
            <span class="muted">" · " {event.actor.as_str()} {event.actor_name.map(|name| format!(" ({name})"))} " · " <time>{display_utc(event.at_ms)}</time></span>
            {note.map(|n| view! { <p class="timeline-note">{n}</p> })}
        </li>
    }
}

/// The items of a return, with the inspection and approval results once there are some.
#[component]
pub fn ReturnItems(items: Vec<ReturnItem>) -> impl IntoView {
    view! {
        <table class="table" data-testid="return-items">
            <thead><tr><th>"Item"</th><th>"Units"</th><th>"Unit paid"</th><th>"Condition"</th><th>"Disposition"</th><th>"Approved"</th></tr></thead>
            <tbody>{items.into_iter().map(|item| view! { <ReturnItemRow item/> }).collect_view()}</tbody>
        </table>
    }
}

#[component]
fn ReturnItemRow(item: ReturnItem) -> impl IntoView {
    view! {
        <tr>
            <td>{item.name}</td>
            <td>{item.quantity}</td>
            <td><Money cents=item.unit_paid_cents/></td>
            <td>{item.condition.map(|c| c.label()).unwrap_or("—")}</td>
            <td>{item.disposition.map(|d| d.label()).unwrap_or("—")}</td>
            <td>{item.approved_quantity.map(|q| q.to_string()).unwrap_or_else(|| "—".to_owned())}</td>
        </tr>
    }
}

/// Thumbnails of the evidence photos; each opens the full-size photo.
#[component]
pub fn Gallery(photos: Vec<Photo>) -> impl IntoView {
    if photos.is_empty() {
        return view! { <p class="muted">"No photos."</p> }.into_any();
    }
    view! {
        <ul class="gallery" data-testid="gallery">
            {photos.into_iter().enumerate().map(|(n, photo)| {
                let full = photo.url.clone();
                view! {
                    <li>
                        <a href=full target="_blank" rel="noopener" data-testid="gallery-photo">
                            <img src=photo.url alt=format!("Evidence photo {}", n + 1) loading="lazy"/>
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The refund explained line by line, as the server computed it.
#[component]
pub fn EstimateLines(estimate: RefundEstimate, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    view! {
        <ul class="estimate" data-testid=testid.unwrap_or("estimate")>
            {estimate.explanation.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
        </ul>
    }
}

/// Where the refund stands: pending with the reason, paid, or failed.
#[component]
pub fn RefundInfo(refund: Refund) -> impl IntoView {
    let reason = Some(refund.last_error.clone()).filter(|e| !e.is_empty());
    let state = match refund.state {
        RefundState::Pending => view! {
            <p class="alert alert-warn" data-testid="refund-state">"Refund pending"
                {reason.map(|r| format!(": {r}"))} {format!(" (attempts: {})", refund.attempts)}</p>
        }
        .into_any(),
        RefundState::Paid => view! {
            <p class="alert alert-ok" data-testid="refund-state">"Refunded "
                <Money cents=refund.amount_cents/> {(refund.credit_cents > 0).then(|| view! { " + store credit " <Money cents=refund.credit_cents/> })}
                {refund.paid_at_ms.map(|at| format!(" on {}", display_utc(at)))}</p>
        }
        .into_any(),
        RefundState::Failed => view! {
            <p class="alert alert-error" data-testid="refund-state">"Refund failed" {reason.map(|r| format!(": {r}"))}</p>
        }
        .into_any(),
    };
    view! {
        {state}
        {refund.reference.map(|r| view! { <p>"Refund reference: " <code data-testid="refund-reference">{r}</code></p> })}
    }
}

/// The card payment of an exchange's price difference, and what of it went back to the card.
#[component]
pub fn DifferencePaymentInfo(payment: DifferencePayment) -> impl IntoView {
    let paid = if payment.charged {
        view! { "Price difference paid by card: " <Money cents=payment.amount_cents/> {format!(" ({})", payment.card)}
        {payment.charge_reference.map(|r| view! { " · reference " <code>{r}</code> })} }
        .into_any()
    } else {
        view! { "Confirming your card payment of " <Money cents=payment.amount_cents/> {format!(" ({}) with the payment provider…", payment.card)} }
            .into_any()
    };
    let reason = Some(payment.last_error.clone()).filter(|e| !e.is_empty());
    let back = payment.back_state.map(|state| {
        let cents = payment.back_cents;
        match state {
            RefundState::Pending => view! { <p class="alert alert-warn" data-testid="difference-back">"Paying back " <Money cents/> " to the card" {reason.map(|r| format!(": {r}"))}</p> }.into_any(),
            RefundState::Paid => view! { <p class="alert alert-ok" data-testid="difference-back">"Paid back to the card: " <Money cents/>
                {payment.back_reference.map(|r| view! { " · reference " <code>{r}</code> })}</p> }.into_any(),
            RefundState::Failed => view! { <p class="alert alert-error" data-testid="difference-back">"Paying back " <Money cents/> " to the card failed" {reason.map(|r| format!(": {r}"))}</p> }.into_any(),
        }
    });
    view! {
        <p data-testid="difference-payment">{paid}</p>
        {back}
    }
}

/// The parcel on its way back.
#[component]
pub fn ShipmentInfo(shipment: Shipment) -> impl IntoView {
    view! {
        <p data-testid="shipment">"Sent with " <strong>{shipment.carrier}</strong> ", tracking "
            <code>{shipment.tracking}</code> {format!(" on {}", display_utc(shipment.shipped_at_ms))}
            {shipment.received_at_ms.map(|at| format!(" · received {}", display_utc(at)))}</p>
    }
}

/// A return that keeps itself up to date: the page's `initial` copy, replaced by what `fetch`
/// answers every two seconds (in the browser, until the return is final) or what an action
/// answered (`latest.set`). The memo only notifies when something changed, so forms keep what
/// was typed while nothing happens.
pub fn use_live_return<F, Fut>(initial: ReturnDetail, fetch: F) -> (Memo<ReturnDetail>, RwSignal<Option<ReturnDetail>>)
where
    F: Fn(i64) -> Fut + Copy + 'static,
    Fut: Future<Output = Result<ReturnDetail, FnError>> + 'static,
{
    let id = initial.summary.id;
    let latest = RwSignal::new(None::<ReturnDetail>);
    let current = Memo::new(move |_| latest.get().unwrap_or_else(|| initial.clone()));
    let ticks = use_ticker(Duration::from_secs(2));
    Effect::new(move |_| {
        if ticks.get() == 0 || current.with_untracked(|d| d.summary.status.is_final()) {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(detail) = fetch(id).await {
                latest.set(Some(detail));
            }
        });
    });
    (current, latest)
}

/// Milliseconds since the epoch where the view runs (server or browser).
pub fn now_ms() -> i64 {
    #[cfg(feature = "ssr")]
    {
        crate::platform::now_ms()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        0
    }
}

/// Whole days from `since_ms` to `now_ms` (never negative).
pub fn age_days(now_ms: i64, since_ms: i64) -> i64 {
    now_ms.saturating_sub(since_ms).max(0) / DAY_MS
}

/// What an action answered replaces the page's copy of the return (`use_live_return`'s `latest`).
pub fn adopt(value: Signal<Option<Result<ReturnDetail, FnError>>>, latest: RwSignal<Option<ReturnDetail>>) {
    Effect::new(move |_| {
        if let Some(Ok(detail)) = value.get() {
            latest.set(Some(detail));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::age_days;

    #[test]
    fn ages_are_whole_days() {
        assert_eq!(age_days(86_400_000 * 3 + 5, 0), 3);
        assert_eq!(age_days(0, 10), 0);
    }
}
