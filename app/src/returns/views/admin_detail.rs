//! `/admin/returns/{id}`: one return for the admin: the evidence gallery (each photo opens full
//! size), the order, the items, the refund, the live timeline, and exactly the actions valid
//! now (`detail.actions`, the domain's table), each form asking for what its command needs.
//! The commands travel as JSON (`admin_return_command`), so these forms need the WASM.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::common::{
    use_live_return, EstimateLines, Gallery, RefundInfo, ReturnItems, ReturnStatusBadge, ShipmentInfo, Timeline,
};
use crate::returns::model::{
    Action, AdminCommand, ApprovedItem, Condition, Disposition, InspectedItem, RefundMethod, RefundState, ReturnDetail,
    ReturnItem, ReturnStatus,
};
use crate::returns::server_fns::{admin_return, AdminReturnCommand};
use crate::time::display_utc;
use crate::ui::components::{resource_view, Money};
use crate::ui::errors::ActionError;

#[component]
pub fn AdminReturnPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let detail = Resource::new(id, admin_return);
    view! {
        <Title text="Return · Admin · Retail"/>
        {resource_view(detail, "Loading return…", |initial| view! { <AdminLive initial/> })}
    }
}

/// What decides which forms are shown; they are redrawn only when it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ActionKey {
    actions: Vec<Action>,
    status: ReturnStatus,
    refund: Option<RefundState>,
}

#[component]
fn AdminLive(initial: ReturnDetail) -> impl IntoView {
    let (current, latest) = use_live_return(initial, admin_return);
    let command = ServerAction::<AdminReturnCommand>::new();
    Effect::new(move |_| {
        if let Some(Ok(detail)) = command.value().get() {
            latest.set(Some(detail));
        }
    });
    let key = Memo::new(move |_| {
        current.with(|d| ActionKey {
            actions: d.actions.clone(),
            status: d.summary.status,
            refund: d.refund.as_ref().map(|r| r.state),
        })
    });
    let timeline = Memo::new(move |_| current.with(|d| d.timeline.clone()));
    view! {
        <section class="panel admin-return" data-testid="admin-return">
            {move || view! { <AdminBody detail=current.get()/> }}
            <h2>"Actions"</h2>
            <ActionError value=command.value()/>
            <div class="admin-actions" data-testid="admin-actions">
                {move || {
                    // Read (not just tracked), so the memo runs and follows the return.
                    key.with(|_| ());
                    view! { <AdminActions detail=current.get_untracked() command/> }
                }}
            </div>
            <h2>"Timeline"</h2>
            {move || view! { <Timeline events=timeline.get()/> }}
            <p><a href="/admin/returns">"Back to the queue"</a></p>
        </section>
    }
}

#[component]
fn AdminBody(detail: ReturnDetail) -> impl IntoView {
    let s = detail.summary;
    let o = detail.order;
    let title = s.rma_number.clone().unwrap_or_else(|| format!("Return #{}", s.id));
    view! {
        <div class="receipt-head">
            <h1>{title}</h1>
            <ReturnStatusBadge status=s.status/>
        </div>
        <p class="muted">{format!("{} · {} · {} · requested {}", s.customer, s.reason.label(), s.method.label(), display_utc(s.created_at_ms))}</p>
        {s.review_reason.map(|why| view! { <p class="alert alert-warn" data-testid="review-reason">"Needs review: " {why}</p> })}
        {detail.keep_it.then(|| view! { <p class="alert alert-ok">"Keep it: the items are under the returnless-refund value and this customer never kept this product before."</p> })}
        {(!detail.details.is_empty()).then(|| view! { <p>"Customer's details: " {detail.details.clone()}</p> })}
        <h2>"Order"</h2>
        <p data-testid="admin-order">{format!("Order #{} · {} · placed {}", o.id, o.payment_method, display_utc(o.created_at_ms))}
            {o.delivered_at_ms.map(|at| format!(" · delivered {}", display_utc(at)))} " · " <Money cents=o.total_cents/></p>
        <ReturnItems items=detail.items/>
        <h2>"Evidence"</h2>
        <Gallery photos=detail.photos/>
        {detail.shipment.map(|shipment| view! { <ShipmentInfo shipment/> })}
        <h2>"Refund"</h2>
        {detail.refund.map(|refund| view! { <RefundInfo refund/> })}
        <EstimateLines estimate=detail.estimate/>
    }
}

/// The forms of the actions valid now; none when the return waits for someone else.
#[component]
fn AdminActions(detail: ReturnDetail, command: ServerAction<AdminReturnCommand>) -> impl IntoView {
    let id = detail.summary.id;
    let status = detail.summary.status;
    let manual = detail.order.payment_method == "cash" && detail.summary.method == RefundMethod::OriginalPayment;
    let retry = detail.refund.as_ref().is_some_and(|r| matches!(r.state, RefundState::Pending | RefundState::Failed));
    let forms: Vec<AnyView> = detail
        .actions
        .iter()
        .filter_map(|action| action_form(*action, id, &detail.items, command))
        .chain((status == ReturnStatus::Approved).then(|| view! { <RefundForm id manual command/> }.into_any()))
        .chain(retry.then(|| view! { <RetryForm id command/> }.into_any()))
        .collect();
    if forms.is_empty() {
        return view! { <p class="muted" data-testid="no-actions">"Nothing to do now: the return waits for the customer or the shop."</p> }.into_any();
    }
    forms.into_iter().collect_view().into_any()
}

fn action_form(
    action: Action,
    id: i64,
    items: &[ReturnItem],
    command: ServerAction<AdminReturnCommand>,
) -> Option<AnyView> {
    let form = match action {
        Action::Authorize => view! { <NoteForm id label="Authorize" testid="authorize" command make=|note| AdminCommand::Authorize { note }/> }.into_any(),
        Action::Receive => view! { <NoteForm id label="Mark received" testid="receive" command make=|note| AdminCommand::Receive { note }/> }.into_any(),
        Action::Close => view! { <NoteForm id label="Close" testid="close" command make=|note| AdminCommand::Close { note }/> }.into_any(),
        Action::Reject => view! { <RejectForm id command/> }.into_any(),
        Action::Inspect => view! { <InspectForm id items=items.to_vec() command/> }.into_any(),
        Action::Approve => view! { <ApproveForm id items=items.to_vec() command/> }.into_any(),
        _ => return None,
    };
    Some(form)
}

fn send(command: ServerAction<AdminReturnCommand>, id: i64, cmd: AdminCommand) {
    command.dispatch(AdminReturnCommand { id, command: cmd });
}

/// An action that needs nothing but an optional note.
#[component]
fn NoteForm(
    id: i64,
    label: &'static str,
    testid: &'static str,
    command: ServerAction<AdminReturnCommand>,
    make: fn(String) -> AdminCommand,
) -> impl IntoView {
    let note = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(command, id, make(note.get_untracked()));
    };
    view! {
        <form class="admin-action" data-testid=format!("action-{testid}") on:submit=submit>
            <label class="inline">"Note (optional) " <input type="text" maxlength="500" prop:value=note on:input=move |ev| note.set(event_target_value(&ev))/></label>
            <button type="submit" disabled=move || command.pending().get()>{label}</button>
        </form>
    }
}

#[component]
fn RejectForm(id: i64, command: ServerAction<AdminReturnCommand>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(command, id, AdminCommand::Reject { reason: reason.get_untracked() });
    };
    view! {
        <form class="admin-action" data-testid="action-reject" on:submit=submit>
            <label class="inline">"Reason shown to the customer " <input type="text" required=true maxlength="500"
                data-testid="reject-reason" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/></label>
            <button type="submit" class="danger" disabled=move || command.pending().get()>"Reject"</button>
        </form>
    }
}

/// Condition and disposition for every item.
#[component]
fn InspectForm(id: i64, items: Vec<ReturnItem>, command: ServerAction<AdminReturnCommand>) -> impl IntoView {
    let rows: Vec<(ReturnItem, RwSignal<Condition>, RwSignal<Disposition>)> = items
        .into_iter()
        .map(|i| {
            let c = RwSignal::new(i.condition.unwrap_or(Condition::LikeNew));
            let d = RwSignal::new(i.disposition.unwrap_or(Disposition::Restock));
            (i, c, d)
        })
        .collect();
    let results: Vec<(i64, RwSignal<Condition>, RwSignal<Disposition>)> =
        rows.iter().map(|(i, c, d)| (i.id, *c, *d)).collect();
    let note = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let items = results
            .iter()
            .map(|(item_id, c, d)| InspectedItem {
                item_id: *item_id,
                condition: c.get_untracked(),
                disposition: d.get_untracked(),
            })
            .collect();
        send(command, id, AdminCommand::Inspect { items, note: note.get_untracked() });
    };
    view! {
        <form class="admin-action inspect" data-testid="action-inspect" on:submit=submit>
            <fieldset><legend>"Inspection"</legend>
                {rows.into_iter().map(|(item, condition, disposition)| view! { <InspectRow item condition disposition/> }).collect_view()}
            </fieldset>
            <label class="inline">"Note (optional) " <input type="text" maxlength="500" on:input=move |ev| note.set(event_target_value(&ev))/></label>
            <button type="submit" disabled=move || command.pending().get()>"Save inspection"</button>
        </form>
    }
}

#[component]
fn InspectRow(item: ReturnItem, condition: RwSignal<Condition>, disposition: RwSignal<Disposition>) -> impl IntoView {
    view! {
        <div class="inspect-row" data-testid="inspect-row" data-item-id=item.id>
            <strong>{format!("{} × {}", item.quantity, item.name)}</strong>
            <label class="inline">"Condition "
                <select data-testid="inspect-condition" on:change=move |ev| if let Some(c) = Condition::parse(&event_target_value(&ev)) { condition.set(c) }>
                    {Condition::ALL.into_iter().map(|c| view! { <option value=c.as_str() selected=condition.get_untracked() == c>{c.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="inline">"Disposition "
                <select data-testid="inspect-disposition" on:change=move |ev| if let Some(d) = Disposition::parse(&event_target_value(&ev)) { disposition.set(d) }>
                    {Disposition::ALL.into_iter().map(|d| view! { <option value=d.as_str() selected=disposition.get_untracked() == d>{d.label()}</option> }).collect_view()}
                </select>
            </label>
        </div>
    }
}

/// Approved units per item (0 to what was returned); the server refuses approving nothing.
#[component]
fn ApproveForm(id: i64, items: Vec<ReturnItem>, command: ServerAction<AdminReturnCommand>) -> impl IntoView {
    let rows: Vec<(ReturnItem, RwSignal<i64>)> = items
        .into_iter()
        .map(|i| {
            let q = RwSignal::new(i.approved_quantity.unwrap_or(i.quantity));
            (i, q)
        })
        .collect();
    let chosen: Vec<(i64, RwSignal<i64>)> = rows.iter().map(|(i, q)| (i.id, *q)).collect();
    let note = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let items =
            chosen.iter().map(|(item_id, q)| ApprovedItem { item_id: *item_id, quantity: q.get_untracked() }).collect();
        send(command, id, AdminCommand::Approve { items, note: note.get_untracked() });
    };
    view! {
        <form class="admin-action approve" data-testid="action-approve" on:submit=submit>
            <fieldset><legend>"Approve units"</legend>
                {rows.into_iter().map(|(item, units)| view! {
                    <label class="inline" data-testid="approve-row">{format!("{} (returned {}) ", item.name, item.quantity)}
                        <input type="number" min="0" max=item.quantity step="1" data-testid="approve-quantity"
                            prop:value=move || units.get().to_string()
                            on:input=move |ev| units.set(event_target_value(&ev).trim().parse::<i64>().unwrap_or(0))/>
                    </label>
                }).collect_view()}
            </fieldset>
            <label class="inline">"Note (optional) " <input type="text" maxlength="500" on:input=move |ev| note.set(event_target_value(&ev))/></label>
            <button type="submit" disabled=move || command.pending().get()>"Approve"</button>
        </form>
    }
}

/// Starts the refund; a manual payout (a cash order back to its payment) needs its reference.
#[component]
fn RefundForm(id: i64, manual: bool, command: ServerAction<AdminReturnCommand>) -> impl IntoView {
    let reference = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let r = Some(reference.get_untracked().trim().to_owned()).filter(|r| !r.is_empty());
        send(command, id, AdminCommand::Refund { reference: r });
    };
    view! {
        <form class="admin-action" data-testid="action-refund" on:submit=submit>
            {manual.then(|| view! {
                <label class="inline">"Payout reference (cash, bank transfer) " <input type="text" required=true maxlength="120"
                    data-testid="refund-reference-input" on:input=move |ev| reference.set(event_target_value(&ev))/></label>
            })}
            <button type="submit" disabled=move || command.pending().get()>"Refund"</button>
        </form>
    }
}

#[component]
fn RetryForm(id: i64, command: ServerAction<AdminReturnCommand>) -> impl IntoView {
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(command, id, AdminCommand::RetryRefund);
    };
    view! {
        <form class="admin-action" data-testid="action-retry" on:submit=submit>
            <button type="submit" disabled=move || command.pending().get()>"Retry refund now"</button>
        </form>
    }
}
