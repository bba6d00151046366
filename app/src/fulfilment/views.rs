//! The admin orders console (`/admin/orders`, `/admin/orders/{id}`) and the progress panel of
//! the customer's order page (`/orders/{id}`). Everything is in the server's HTML: the filters
//! are a plain GET form, and "mark shipped" / "mark delivered" are plain forms posting to their
//! server functions (the browser comes back to the order's page), so the console works without
//! JavaScript; once hydrated the forms post in place and the page redraws from the answer.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::model::{
    console_actions, ConsoleAction, ConsoleFilter, ConsoleOrder, ConsoleOrderDetail, OrderProgress, Stage,
};
use super::server_fns::{admin_order, admin_orders, get_order_progress, DeliverOrder, ShipOrder};
use crate::orders::model::OrderStatus;
use crate::orders::views::ReceiptPage;
use crate::time::display_utc;
use crate::ui::components::{resource_view, Money, StatusBadge};
use crate::ui::errors::ActionError;

/// The payment statuses the list can be filtered by.
const STATUSES: [OrderStatus; 5] = [
    OrderStatus::Paid,
    OrderStatus::CashOnDelivery,
    OrderStatus::PaymentPending,
    OrderStatus::PaymentFailed,
    OrderStatus::Declined,
];
const STAGES: [Stage; 3] = [Stage::Processing, Stage::Shipped, Stage::Delivered];

fn status_badge(status: &str) -> AnyView {
    match OrderStatus::parse(status) {
        Some(status) => view! { <StatusBadge status/> }.into_any(),
        None => view! { <span class="badge">{status.to_owned()}</span> }.into_any(),
    }
}

/// `/admin/orders`: newest first, filtered by payment status and stage, searched by order id
/// or customer.
#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| ConsoleFilter {
            status: q.get("status").filter(|s| OrderStatus::parse(s).is_some()),
            stage: q.get("stage").and_then(|s| Stage::parse(&s)),
            q: q.get("q").map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        })
    });
    let orders = Resource::new(move || filter.get(), admin_orders);
    view! {
        <Title text="Orders · Admin · Retail"/>
        <section class="panel admin-orders">
            <h1>"Orders"</h1>
            <OrderFilters filter=filter.get_untracked()/>
            {resource_view(orders, "Loading orders…", |list| view! { <ConsoleTable list/> })}
        </section>
    }
}

#[component]
fn OrderFilters(filter: ConsoleFilter) -> impl IntoView {
    let status = filter.status.clone().unwrap_or_default();
    view! {
        <form method="get" action="/admin/orders" class="form-grid queue-filters" data-testid="order-filters">
            <label>"Payment"
                <select name="status" data-testid="filter-status">
                    <option value="">"Any"</option>
                    {STATUSES.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=status == s.as_str()>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Progress"
                <select name="stage" data-testid="filter-stage">
                    <option value="">"Any"</option>
                    {STAGES.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=filter.stage == Some(s)>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Order number or customer"
                <input type="search" name="q" maxlength="100" value=filter.q.clone() data-testid="filter-q"/>
            </label>
            <div><button type="submit" data-testid="filter-apply">"Search"</button> " " <a href="/admin/orders">"Clear"</a></div>
        </form>
    }
}

#[component]
fn ConsoleTable(list: Vec<ConsoleOrder>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted" data-testid="orders-empty">"No orders match."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="admin-orders">
            <thead><tr><th>"Order"</th><th>"Customer"</th><th>"Placed"</th><th>"Items"</th><th>"Total"</th><th>"Payment"</th><th>"Progress"</th></tr></thead>
            <tbody>{list.into_iter().map(|order| view! { <ConsoleRow order/> }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn ConsoleRow(order: ConsoleOrder) -> impl IntoView {
    let stage = order.progress.stage;
    view! {
        <tr data-testid="order-row" data-order-id=order.id data-stage=stage.as_str()>
            <td><a href=format!("/admin/orders/{}", order.id)>{format!("#{}", order.id)}</a></td>
            <td>{order.username}</td>
            <td>{display_utc(order.created_at_ms)}</td>
            <td>{order.item_count}</td>
            <td><Money cents=order.total_cents/></td>
            <td>{status_badge(&order.status)}</td>
            <td><span class=format!("badge stage-{}", stage.as_str()) data-testid="order-stage">{stage.label()}</span></td>
        </tr>
    }
}

/// `/admin/orders/{id}`: the order's lines, payment and progress, and the next step.
#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let detail = Resource::new(id, admin_order);
    view! {
        <Title text="Order · Admin · Retail"/>
        {resource_view(detail, "Loading order…", |initial| view! { <AdminOrder initial/> })}
    }
}

#[component]
fn AdminOrder(initial: ConsoleOrderDetail) -> impl IntoView {
    let ship = ServerAction::<ShipOrder>::new();
    let deliver = ServerAction::<DeliverOrder>::new();
    let current = RwSignal::new(initial);
    // An action answers the order as it is now: the page redraws from it.
    for value in [ship.value(), deliver.value()] {
        Effect::new(move |_| {
            if let Some(Ok(summary)) = value.get() {
                current.update(|d| d.summary = summary);
            }
        });
    }
    view! {
        {move || view! { <AdminOrderBody detail=current.get()/> }}
        <section class="panel" data-testid="order-actions">
            <h2>"Next step"</h2>
            <ActionError value=ship.value()/>
            <ActionError value=deliver.value()/>
            {move || current.with(|d| order_actions(&d.summary, ship, deliver))}
            <p><a href="/admin/orders">"Back to the orders"</a></p>
        </section>
    }
}

#[component]
fn AdminOrderBody(detail: ConsoleOrderDetail) -> impl IntoView {
    let summary = detail.summary;
    let order = detail.order;
    let payment = order.payment_label();
    view! {
        <section class="panel receipt" data-testid="admin-order">
            <div class="receipt-head">
                <h1>{format!("Order #{}", order.id)}</h1>
                {status_badge(&summary.status)}
            </div>
            <p class="muted">{format!("{} · placed {}", summary.username, display_utc(order.created_at_ms))}</p>
            {payment.map(|p| view! { <p>"Payment: " {p}</p> })}
            <table class="table" data-testid="order-lines">
                <thead><tr><th>"Item"</th><th>"Qty"</th><th>"Unit"</th><th>"Line total"</th></tr></thead>
                <tbody>{order.lines.into_iter().map(|line| view! {
                    <tr data-testid="order-line">
                        <td>{line.product_name}</td>
                        <td>{line.quantity}</td>
                        <td><Money cents=line.discounted_unit_cents/></td>
                        <td><Money cents=line.total_cents/></td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
            <p>"Total " <Money cents=order.totals.grand_total_cents testid="order-total"/></p>
            <h2>"Progress"</h2>
            <ProgressSteps progress=summary.progress/>
        </section>
    }
}

fn order_actions(
    summary: &ConsoleOrder,
    ship: ServerAction<ShipOrder>,
    deliver: ServerAction<DeliverOrder>,
) -> AnyView {
    let id = summary.id;
    let forms: Vec<AnyView> = console_actions(&summary.status, summary.progress.stage)
        .into_iter()
        .map(|action| match action {
            ConsoleAction::Ship => view! { <ShipOrderForm id ship/> }.into_any(),
            ConsoleAction::Deliver => view! {
                <ActionForm action=deliver attr:class="admin-action" attr:data-testid="action-deliver">
                    <input type="hidden" name="order_id" value=id/>
                    <button type="submit" disabled=move || deliver.pending().get()>"Mark delivered"</button>
                </ActionForm>
            }
            .into_any(),
        })
        .collect();
    if forms.is_empty() {
        let why = match summary.progress.stage {
            Stage::Delivered => "Delivered: nothing left to do.",
            _ => "Not paid yet: the order ships once its payment is through.",
        };
        return view! { <p class="muted" data-testid="no-actions">{why}</p> }.into_any();
    }
    forms.into_iter().collect_view().into_any()
}

#[component]
fn ShipOrderForm(id: i64, ship: ServerAction<ShipOrder>) -> impl IntoView {
    view! {
        <ActionForm action=ship attr:class="form-grid admin-action" attr:data-testid="action-ship">
            <input type="hidden" name="order_id" value=id/>
            <label>"Carrier" <input type="text" name="carrier" required=true maxlength="64" list="order-carriers" data-testid="ship-carrier"/></label>
            <datalist id="order-carriers"><option value="DHL"/><option value="UPS"/><option value="FedEx"/><option value="USPS"/></datalist>
            <label>"Tracking number" <input type="text" name="tracking" required=true maxlength="64" data-testid="ship-tracking"/></label>
            <div><button type="submit" disabled=move || ship.pending().get()>"Mark shipped"</button></div>
        </ActionForm>
    }
}

/// Processing → shipped → delivered, the steps done marked, with carrier, tracking and dates.
#[component]
pub fn ProgressSteps(progress: OrderProgress) -> impl IntoView {
    // A stage is done once it has a date.
    let when = |stage: Stage| match stage {
        Stage::Processing => Some(progress.placed_at_ms),
        Stage::Shipped => progress.shipped_at_ms,
        Stage::Delivered => progress.delivered_at_ms,
    };
    let steps: Vec<_> = STAGES.into_iter().map(|s| (s, when(s))).collect();
    let current = progress.stage;
    let tracking = progress.carrier.clone().zip(progress.tracking.clone());
    view! {
        <ol class="order-progress" data-testid="order-progress" data-stage=current.as_str()>
            {steps.into_iter().map(|(stage, at)| { let done = at.is_some(); view! {
                <li class=if done { "done" } else { "todo" } data-stage=stage.as_str()
                    aria-current=(stage == current).then_some("step")>
                    {if done { "✓ " } else { "" }} {stage.label()}
                    {at.map(|at| view! { <span class="muted">{format!(" · {}", display_utc(at))}</span> })}
                </li>
            }}).collect_view()}
        </ol>
        {tracking.map(|(carrier, tracking)| view! {
            <p data-testid="order-tracking">"Sent with " {carrier} ", tracking number " <code>{tracking}</code></p>
        })}
    }
}

/// `/orders/{id}` for the customer: the receipt, then where the order is on its way.
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let progress = Resource::new(id, get_order_progress);
    view! {
        <ReceiptPage/>
        <Transition fallback=|| ()>
            {move || progress.get().and_then(|r| r.ok()).map(|progress| view! {
                <section class="panel">
                    <h2>"Delivery"</h2>
                    <ProgressSteps progress/>
                </section>
            })}
        </Transition>
    }
}
