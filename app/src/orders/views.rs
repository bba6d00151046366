use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::model::{Order, OrderStatus};
use super::server_fns::{get_order, list_orders};
use crate::catalog::money::format_cents;
use crate::time::display_utc;
use crate::ui::errors::ForbiddenPage;
use crate::ui::ticker::use_ticker;

fn status_badge(status: OrderStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str()) data-testid="order-status">{status.label()}</span> }
}

/// `/orders/{id}`: the receipt. While payment is pending it refetches every second, so the
/// status moves to "Paid" on screen by itself.
#[component]
pub fn ReceiptPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let ticks = use_ticker(Duration::from_secs(1));
    let settling = RwSignal::new(true);
    let order = Resource::new(move || (id(), if settling.get() { ticks.get() } else { 0 }), |(id, _)| get_order(id));
    Effect::new(move |_| {
        if let Some(Ok(o)) = order.get() {
            settling.set(o.status.is_settling());
        }
    });
    view! {
        <Title text="Receipt · Retail"/>
        <Transition fallback=|| view! { <p class="muted">"Loading order…"</p> }>
            {move || order.get().map(|result| match result {
                Ok(order) => view! { <Receipt order/> }.into_any(),
                Err(err) if err.status == 401 => view! { <ForbiddenPage message=err.message/> }.into_any(),
                Err(err) => view! { <section class="panel"><h1>"Order not found"</h1><p>{err.message}</p></section> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Receipt(order: Order) -> impl IntoView {
    let t = order.totals;
    let reference = order.payment.as_ref().and_then(|p| p.reference.clone());
    let nothing_to_pay = t.grand_total_cents == 0;
    let payment = order.payment.clone().map(|p| match (p.card_brand, p.card_last4) {
        (Some(_), Some(_)) if nothing_to_pay => "nothing to pay, the card was not charged".to_owned(),
        (Some(brand), Some(last4)) => format!("{brand} •••• {last4}"),
        _ => "Cash on delivery".to_owned(),
    });
    view! {
        <section class="panel receipt" data-testid="receipt">
            <div class="receipt-head">
                <h1>{format!("Order #{}", order.id)}</h1>
                {status_badge(order.status)}
            </div>
            <p class="muted">{format!("Placed {}", display_utc(order.created_at_ms))}</p>
            {(!order.status_message.is_empty()).then(|| view! { <p class="alert alert-warn">{order.status_message.clone()}</p> })}
            <table class="table">
                <thead><tr><th>"Item"</th><th>"Qty"</th><th>"Unit"</th><th>"Shipping"</th><th>"Duty"</th><th>"Line total"</th></tr></thead>
                <tbody>
                    {order.lines.into_iter().map(|l| view! {
                        <tr>
                            <td>{l.product_name}{(l.discount_percent > 0).then(|| format!(" (−{}%)", l.discount_percent))}</td>
                            <td>{l.quantity}</td>
                            <td>{format_cents(l.discounted_unit_cents)}</td>
                            <td>{format_cents(l.shipping_cents)}</td>
                            <td>{format_cents(l.duty_cents)}</td>
                            <td>{format_cents(l.total_cents)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <dl class="totals">
                <dt>"Items"</dt><dd>{format_cents(t.subtotal_cents)}</dd>
                <dt>"Shipping"</dt><dd>{format_cents(t.shipping_cents)}</dd>
                <dt>"Import duty"</dt><dd>{format_cents(t.duty_cents)}</dd>
                <dt class="grand">"Total"</dt><dd class="grand" data-testid="receipt-total">{format_cents(t.grand_total_cents)}</dd>
            </dl>
            <p class="muted">{format!("You saved {} in discounts.", format_cents(t.discount_cents))}</p>
            {payment.map(|p| view! { <p>"Payment: " {p}</p> })}
            {reference.map(|r| view! { <p>"Payment reference: " <code data-testid="payment-reference">{r}</code></p> })}
            <p class="no-print"><a href="/">"Back to the shop"</a> " · " <a href="/orders">"All orders"</a> " · "
                <button type="button" class="small secondary" on:click=|_| print_page()>"Print receipt"</button></p>
        </section>
    }
}

/// `/orders`: the customer's orders, refreshed every few seconds while any is settling.
#[component]
pub fn OrdersPage() -> impl IntoView {
    let ticks = use_ticker(Duration::from_secs(2));
    let settling = RwSignal::new(true);
    let orders = Resource::new(move || if settling.get() { ticks.get() } else { 0 }, |_| list_orders());
    Effect::new(move |_| {
        if let Some(Ok(list)) = orders.get() {
            settling.set(list.iter().any(|o| o.status.is_settling()));
        }
    });
    view! {
        <Title text="Your orders · Retail"/>
        <section class="panel">
            <h1>"Your orders"</h1>
            <Transition fallback=|| view! { <p class="muted">"Loading orders…"</p> }>
                {move || orders.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No orders yet. " <a href="/">"Start shopping"</a></p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="orders-table">
                            <thead><tr><th>"Order"</th><th>"Placed"</th><th>"Items"</th><th>"Total"</th><th>"Status"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|o| view! {
                                    <tr>
                                        <td><a href=format!("/orders/{}", o.id)>{format!("#{}", o.id)}</a></td>
                                        <td>{display_utc(o.created_at_ms)}</td>
                                        <td>{o.item_count}</td>
                                        <td>{format_cents(o.total_cents)}</td>
                                        <td>{status_badge(o.status)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(err) => view! { <ForbiddenPage message=err.message/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Opens the browser's print dialog (a hydrated handler: the CSP allows no inline ones).
fn print_page() {
    if let Err(err) = leptos::prelude::window().print() {
        leptos::logging::warn!("printing is not available: {err:?}");
    }
}
