//! The customer's returns: the list (`/returns`) and a return's page (`/returns/{id}`). The
//! page is rendered in the server's HTML; once hydrated it polls the return, so the timeline
//! and status move on screen while the shop works on it. Its forms (shipment, cancel, another
//! exchange product) are plain forms posting to server functions: they work without the WASM.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::common::{
    adopt, use_live_return, DifferencePaymentInfo, EstimateLines, Gallery, RefundInfo, ReturnItems, ReturnStatusBadge,
    ShipmentInfo, Timeline,
};
use crate::returns::model::{Action, Exchange, ReturnDetail, ReturnSummary};
use crate::returns::server_fns::{get_return, my_returns, CancelReturn, ChooseExchange, ShipReturn};
use crate::time::display_utc;
use crate::ui::components::{resource_view, Money};
use crate::ui::errors::ActionError;

/// `/returns`: the customer's returns, newest first, and the way to start one.
#[component]
pub fn ReturnsPage() -> impl IntoView {
    let returns = Resource::new(|| (), |_| my_returns());
    view! {
        <Title text="Your returns · Retail"/>
        <section class="panel">
            <div class="toolbar">
                <h1>"Your returns"</h1>
                <a class="button-link" href="/returns/new" data-testid="start-return">"Start a return"</a>
            </div>
            {resource_view(returns, "Loading returns…", |list| view! { <ReturnTable list/> })}
        </section>
    }
}

#[component]
fn ReturnTable(list: Vec<ReturnSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted" data-testid="no-returns">"No returns yet."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="returns-table">
            <thead><tr><th>"Return"</th><th>"Order"</th><th>"Requested"</th><th>"Units"</th><th>"Reason"</th><th>"Status"</th></tr></thead>
            <tbody>{list.into_iter().map(|r| view! { <ReturnRow r/> }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn ReturnRow(r: ReturnSummary) -> impl IntoView {
    let label = r.rma_number.clone().unwrap_or_else(|| format!("Return #{}", r.id));
    view! {
        <tr data-testid="return-row" data-return-id=r.id>
            <td><a href=format!("/returns/{}", r.id)>{label}</a></td>
            <td><a href=format!("/orders/{}", r.order_id)>{format!("#{}", r.order_id)}</a></td>
            <td>{display_utc(r.created_at_ms)}</td>
            <td>{r.units}</td>
            <td>{r.reason.label()}</td>
            <td><ReturnStatusBadge status=r.status/></td>
        </tr>
    }
}

/// `/returns/{id}`: the return with its RMA number, instructions, items, photos, refund and
/// timeline, and the customer's actions valid now.
#[component]
pub fn ReturnPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let detail = Resource::new(id, get_return);
    view! {
        <Title text="Return · Retail"/>
        {resource_view(detail, "Loading return…", |initial| view! { <LiveReturn initial/> })}
    }
}

#[component]
fn LiveReturn(initial: ReturnDetail) -> impl IntoView {
    let (current, latest) = use_live_return(initial, get_return);
    let actions = Memo::new(move |_| current.with(|d| d.actions.clone()));
    let timeline = Memo::new(move |_| current.with(|d| d.timeline.clone()));
    let id = current.with_untracked(|d| d.summary.id);
    view! {
        <section class="panel return-page" data-testid="return-page">
            {move || view! { <ReturnBody detail=current.get()/> }}
            {move || view! { <CustomerActions id actions=actions.get() latest/> }}
            <Alternatives id current latest/>
            <h2>"Timeline"</h2>
            {move || view! { <Timeline events=timeline.get()/> }}
            <p><a href="/returns">"All returns"</a></p>
        </section>
    }
}

/// Everything the customer reads about the return.
#[component]
fn ReturnBody(detail: ReturnDetail) -> impl IntoView {
    let s = detail.summary;
    let title = s.rma_number.clone().map(|n| format!("Return {n}")).unwrap_or_else(|| format!("Return #{}", s.id));
    view! {
        <div class="receipt-head">
            <h1>{title}</h1>
            <ReturnStatusBadge status=s.status/>
        </div>
        <p class="muted">{format!("Order #{} · requested {} · {}", s.order_id, display_utc(s.created_at_ms), s.reason.label())}</p>
        {s.rma_number.map(|n| view! { <p>"RMA number: " <code data-testid="rma-number">{n}</code></p> })}
        {detail.instructions.map(|i| view! { <p class="alert alert-ok" data-testid="return-instructions">{i}</p> })}
        {detail.rejection_reason.map(|r| view! { <p class="alert alert-error" data-testid="rejection-reason">"Rejected: " {r}</p> })}
        {detail.keep_it.then(|| view! { <p class="alert alert-ok" data-testid="keep-it">"You may keep the items: nothing needs to be sent back."</p> })}
        {(!detail.details.is_empty()).then(|| view! { <p>"Details: " {detail.details.clone()}</p> })}
        <ReturnItems items=detail.items/>
        <h2>"Photos"</h2>
        <Gallery photos=detail.photos/>
        {detail.shipment.map(|shipment| view! { <ShipmentInfo shipment/> })}
        {detail.exchange.map(|exchange| view! { <ExchangeInfo exchange/> })}
        <h2>"Refund"</h2>
        <p>{s.method.label()}</p>
        {detail.refund.map(|refund| view! { <RefundInfo refund/> })}
        <EstimateLines estimate=detail.estimate/>
    }
}

#[component]
fn ExchangeInfo(exchange: Exchange) -> impl IntoView {
    let note = if exchange.reserved { " (reserved for you)" } else { "" };
    view! {
        <p data-testid="exchange">"Exchange for " <strong>{exchange.name}</strong> " · " <Money cents=exchange.price_cents/> {note}</p>
        {exchange.card_payment.map(|payment| view! { <DifferencePaymentInfo payment/> })}
    }
}

/// The forms for the customer's valid actions; what an action answers becomes the page's copy.
#[component]
fn CustomerActions(id: i64, actions: Vec<Action>, latest: RwSignal<Option<ReturnDetail>>) -> impl IntoView {
    let ship = ServerAction::<ShipReturn>::new();
    let cancel = ServerAction::<CancelReturn>::new();
    adopt(ship.value().into(), latest);
    adopt(cancel.value().into(), latest);
    let can_ship = actions.contains(&Action::Ship);
    let can_cancel = actions.contains(&Action::Cancel);
    view! {
        {can_ship.then(|| view! { <ShipForm id ship/> })}
        <ActionError value=ship.value()/>
        {can_cancel.then(|| view! {
            <ActionForm action=cancel attr:class="cancel-form" attr:data-testid="cancel-form">
                <input type="hidden" name="id" value=id/>
                <label class="inline">"Why (optional) " <input type="text" name="note" maxlength="500"/></label>
                <button type="submit" class="secondary" data-testid="cancel-return">"Cancel this return"</button>
            </ActionForm>
        })}
        <ActionError value=cancel.value()/>
    }
}

#[component]
fn ShipForm(id: i64, ship: ServerAction<ShipReturn>) -> impl IntoView {
    view! {
        <h2>"Send the parcel"</h2>
        <ActionForm action=ship attr:class="form-grid" attr:data-testid="ship-form">
            <input type="hidden" name="id" value=id/>
            <label>"Carrier" <input type="text" name="carrier" required=true maxlength="64" list="carriers" data-testid="carrier"/></label>
            <datalist id="carriers"><option value="DHL"/><option value="UPS"/><option value="FedEx"/><option value="USPS"/></datalist>
            <label>"Tracking number" <input type="text" name="tracking" required=true maxlength="64" data-testid="tracking"/></label>
            <div><button type="submit" data-testid="ship-submit" disabled=move || ship.pending().get()>"I sent it"</button></div>
        </ActionForm>
    }
}

/// The replacement sold out before it was reserved: the customer picks another.
#[component]
fn Alternatives(id: i64, current: Memo<ReturnDetail>, latest: RwSignal<Option<ReturnDetail>>) -> impl IntoView {
    let choose = ServerAction::<ChooseExchange>::new();
    adopt(choose.value().into(), latest);
    let options =
        Memo::new(move |_| current.with(|d| d.exchange.as_ref().map(|e| e.alternatives.clone())).unwrap_or_default());
    move || {
        let list = options.get();
        (!list.is_empty()).then(|| view! {
            <ActionForm action=choose attr:data-testid="alternatives-form">
                <input type="hidden" name="id" value=id/>
                <p class="alert alert-warn">"The product you wanted sold out. Choose another:"</p>
                <select name="product_id" aria-label="Replacement product">
                    {list.into_iter().map(|o| view! { <option value=o.product_id>{o.name}</option> }).collect_view()}
                </select>
                <button type="submit">"Exchange for this"</button>
                <ActionError value=choose.value()/>
            </ActionForm>
        })
    }
}
