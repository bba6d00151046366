//! The receipt and the order history. Both pages render their data in the server's HTML (their
//! routes wait for the data), so they read the same with JavaScript off; once hydrated they
//! refetch on their own while a payment is settling.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::model::{Order, OrderLine, OrderSummary};
use super::server_fns::{get_order, list_orders};
use crate::time::display_utc;
use crate::ui::components::{resource_view, Money, StatusBadge, TotalsList};
use crate::ui::ticker::use_ticker;

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
        {resource_view(order, "Loading order…", |order| view! { <Receipt order/> })}
    }
}

#[component]
fn Receipt(order: Order) -> impl IntoView {
    let payment = order.payment_label();
    let reference = order.payment.as_ref().and_then(|p| p.reference.clone());
    // Only paid orders can be returned; the wizard explains the rest (window, claimed units).
    let return_link = (order.status == domain::orders::OrderStatus::Paid).then(|| {
        view! { " · " <a href=format!("/returns/new?order={}", order.id) data-testid="return-items">"Return items"</a> }
    });
    let message = Some(order.status_message).filter(|m| !m.is_empty());
    view! {
        <section class="panel receipt" data-testid="receipt">
            <div class="receipt-head">
                <h1>{format!("Order #{}", order.id)}</h1>
                <StatusBadge status=order.status/>
            </div>
            <p class="muted">{format!("Placed {}", display_utc(order.created_at_ms))}</p>
            {message.map(|m| view! { <p class="alert alert-warn">{m}</p> })}
            <ReceiptLines lines=order.lines/>
            <TotalsList totals=order.totals grand_testid="receipt-total"/>
            <p class="muted">"You saved " <Money cents=order.totals.discount_cents/> " in discounts."</p>
            {payment.map(|p| view! { <p>"Payment: " {p}</p> })}
            {reference.map(|r| view! { <p>"Payment reference: " <code data-testid="payment-reference">{r}</code></p> })}
            <p class="no-print"><a href="/">"Back to the shop"</a> " · " <a href="/orders">"All orders"</a> {return_link} " · "
                <button type="button" class="small secondary" on:click=|_| print_page()>"Print receipt"</button></p>
        </section>
    }
}

#[component]
fn ReceiptLines(lines: Vec<OrderLine>) -> impl IntoView {
    view! {
        <table class="table">
            <thead><tr><th>"Item"</th><th>"Qty"</th><th>"Unit"</th><th>"Shipping"</th><th>"Duty"</th><th>"Line total"</th></tr></thead>
            <tbody>{lines.into_iter().map(|line| view! { <ReceiptLine line/> }).collect_view()}</tbody>
        </table>
    }
}

#[component]
fn ReceiptLine(line: OrderLine) -> impl IntoView {
    let discount = (line.discount_percent > 0).then(|| format!(" (−{}%)", line.discount_percent));
    view! {
        <tr>
            <td>{line.product_name}{discount}</td>
            <td>{line.quantity}</td>
            <td><Money cents=line.discounted_unit_cents/></td>
            <td><Money cents=line.shipping_cents/></td>
            <td><Money cents=line.duty_cents/></td>
            <td><Money cents=line.total_cents/></td>
        </tr>
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
            {resource_view(orders, "Loading orders…", |list| view! { <OrderTable list/> })}
        </section>
    }
}

#[component]
fn OrderTable(list: Vec<OrderSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No orders yet. " <a href="/">"Start shopping"</a></p> }.into_any();
    }
    view! {
        <table class="table" data-testid="orders-table">
            <thead><tr><th>"Order"</th><th>"Placed"</th><th>"Items"</th><th>"Total"</th><th>"Status"</th></tr></thead>
            <tbody>{list.into_iter().map(|order| view! { <OrderRow order/> }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn OrderRow(order: OrderSummary) -> impl IntoView {
    view! {
        <tr>
            <td><a href=format!("/orders/{}", order.id)>{format!("#{}", order.id)}</a></td>
            <td>{display_utc(order.created_at_ms)}</td>
            <td>{order.item_count}</td>
            <td><Money cents=order.total_cents/></td>
            <td><StatusBadge status=order.status/></td>
        </tr>
    }
}

/// Opens the browser's print dialog (a hydrated handler: the CSP allows no inline ones).
fn print_page() {
    if let Err(err) = leptos::prelude::window().print() {
        leptos::logging::warn!("printing is not available: {err:?}");
    }
}
