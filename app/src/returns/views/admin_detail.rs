//! `/admin/returns/{id}`: one return for the admin: the evidence gallery (each photo opens full
//! size), the order, the items, the refund, the live timeline, and exactly the actions valid
//! now (`detail.actions`, the domain's table), each form asking for what its command needs.
//! Each form is a plain HTML form posting `admin_return_action` (URL-encoded `form[…]`
//! fields): without JavaScript the browser posts it and is sent back here; once hydrated it
//! posts in place and the page redraws from the answer.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::common::{
    adopt, use_live_return, DifferencePaymentInfo, EstimateLines, Gallery, RefundInfo, ReturnItems, ReturnStatusBadge,
    ShipmentInfo, Timeline,
};
use crate::returns::model::{
    Action, Condition, Disposition, Payout, RefundMethod, RefundState, ReturnDetail, ReturnItem, ReturnStatus,
};
use crate::returns::server_fns::{admin_return, AdminReturnAction};
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
    let command = ServerAction::<AdminReturnAction>::new();
    adopt(command.value().into(), latest);
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
        {detail.exchange.and_then(|e| e.card_payment).map(|payment| view! { <DifferencePaymentInfo payment/> })}
        {detail.refund.map(|refund| view! { <RefundInfo refund/> })}
        <EstimateLines estimate=detail.estimate/>
    }
}

/// The forms of the actions valid now; none when the return waits for someone else.
#[component]
fn AdminActions(detail: ReturnDetail, command: ServerAction<AdminReturnAction>) -> impl IntoView {
    let id = detail.summary.id;
    let status = detail.summary.status;
    let manual = detail.order.payment_method == "cash" && detail.summary.method == RefundMethod::OriginalPayment;
    let stuck = |state: Option<RefundState>| matches!(state, Some(RefundState::Pending | RefundState::Failed));
    let card_payment = detail.exchange.as_ref().and_then(|e| e.card_payment.as_ref());
    let retry = stuck(detail.refund.as_ref().map(|r| r.state)) || stuck(card_payment.and_then(|p| p.back_state));
    let refused = detail.refund.as_ref().is_some_and(|r| r.state == RefundState::Failed && r.payout == Payout::Card);
    let forms: Vec<AnyView> = detail
        .actions
        .iter()
        .filter_map(|action| action_form(*action, id, &detail.items, command))
        .chain((status == ReturnStatus::Approved).then(|| view! { <RefundForm id manual command/> }.into_any()))
        .chain(retry.then(|| view! { <ActionShell id action="retry_refund" testid="retry" command><Submit label="Retry refund now" command/></ActionShell> }.into_any()))
        .chain(refused.then(|| view! { <PaidByHandForm id command/> }.into_any()))
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
    command: ServerAction<AdminReturnAction>,
) -> Option<AnyView> {
    let form = match action {
        Action::Authorize => view! { <NoteForm id action="authorize" label="Authorize" command/> }.into_any(),
        Action::Receive => view! { <NoteForm id action="receive" label="Mark received" command/> }.into_any(),
        Action::Close => view! { <NoteForm id action="close" label="Close" command/> }.into_any(),
        Action::Reject => view! { <RejectForm id command/> }.into_any(),
        Action::Inspect => view! { <InspectForm id items=items.to_vec() command/> }.into_any(),
        Action::Approve => view! { <ApproveForm id items=items.to_vec() command/> }.into_any(),
        _ => return None,
    };
    Some(form)
}

/// The form around one action: the return's id and the action's name as hidden fields.
#[component]
fn ActionShell(
    id: i64,
    action: &'static str,
    testid: &'static str,
    command: ServerAction<AdminReturnAction>,
    children: Children,
) -> impl IntoView {
    let class = if matches!(action, "inspect" | "approve") {
        format!("admin-action {action}")
    } else {
        "admin-action".to_owned()
    };
    view! {
        <ActionForm action=command attr:class=class attr:data-testid=format!("action-{testid}")>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="form[action]" value=action/>
            {children()}
        </ActionForm>
    }
}

#[component]
fn Submit(
    label: &'static str,
    command: ServerAction<AdminReturnAction>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    view! { <button type="submit" class=danger.then_some("danger") disabled=move || command.pending().get()>{label}</button> }
}

#[component]
fn NoteField() -> impl IntoView {
    view! { <label class="inline">"Note (optional) " <input type="text" name="form[note]" maxlength="500"/></label> }
}

/// An action that needs nothing but an optional note.
#[component]
fn NoteForm(
    id: i64,
    action: &'static str,
    label: &'static str,
    command: ServerAction<AdminReturnAction>,
) -> impl IntoView {
    view! { <ActionShell id action testid=action command><NoteField/><Submit label command/></ActionShell> }
}

#[component]
fn RejectForm(id: i64, command: ServerAction<AdminReturnAction>) -> impl IntoView {
    view! {
        <ActionShell id action="reject" testid="reject" command>
            <label class="inline">"Reason shown to the customer " <input type="text" name="form[reason]" required=true
                maxlength="500" data-testid="reject-reason"/></label>
            <Submit label="Reject" command danger=true/>
        </ActionShell>
    }
}

/// Condition and disposition for every item.
#[component]
fn InspectForm(id: i64, items: Vec<ReturnItem>, command: ServerAction<AdminReturnAction>) -> impl IntoView {
    view! {
        <ActionShell id action="inspect" testid="inspect" command>
            <fieldset><legend>"Inspection"</legend>
                {items.into_iter().enumerate().map(|(row, item)| view! { <InspectRow row item/> }).collect_view()}
            </fieldset>
            <NoteField/>
            <Submit label="Save inspection" command/>
        </ActionShell>
    }
}

#[component]
fn InspectRow(row: usize, item: ReturnItem) -> impl IntoView {
    let condition = item.condition.unwrap_or(Condition::LikeNew);
    let disposition = item.disposition.unwrap_or(Disposition::Restock);
    view! {
        <div class="inspect-row" data-testid="inspect-row" data-item-id=item.id>
            <input type="hidden" name=format!("form[items][{row}][item_id]") value=item.id/>
            <strong>{format!("{} × {}", item.quantity, item.name)}</strong>
            <label class="inline">"Condition "
                <select name=format!("form[items][{row}][condition]") data-testid="inspect-condition">
                    {Condition::ALL.into_iter().map(|c| view! { <option value=c.as_str() selected=condition == c>{c.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="inline">"Disposition "
                <select name=format!("form[items][{row}][disposition]") data-testid="inspect-disposition">
                    {Disposition::ALL.into_iter().map(|d| view! { <option value=d.as_str() selected=disposition == d>{d.label()}</option> }).collect_view()}
                </select>
            </label>
        </div>
    }
}

/// Approved units per item (0 to what was returned); the server refuses approving nothing.
#[component]
fn ApproveForm(id: i64, items: Vec<ReturnItem>, command: ServerAction<AdminReturnAction>) -> impl IntoView {
    view! {
        <ActionShell id action="approve" testid="approve" command>
            <fieldset><legend>"Approve units"</legend>
                {items.into_iter().enumerate().map(|(row, item)| view! {
                    <label class="inline" data-testid="approve-row">{format!("{} (returned {}) ", item.name, item.quantity)}
                        <input type="hidden" name=format!("form[items][{row}][item_id]") value=item.id/>
                        <input type="number" min="0" max=item.quantity step="1" required=true data-testid="approve-quantity"
                            name=format!("form[items][{row}][quantity]") value=item.approved_quantity.unwrap_or(item.quantity)/>
                    </label>
                }).collect_view()}
            </fieldset>
            <NoteField/>
            <Submit label="Approve" command/>
        </ActionShell>
    }
}

/// A card refund the provider refused for good, paid by the shop another way.
#[component]
fn PaidByHandForm(id: i64, command: ServerAction<AdminReturnAction>) -> impl IntoView {
    view! {
        <ActionShell id action="paid_by_hand" testid="paid-by-hand" command>
            <label class="inline">"Paid another way (bank transfer, cash): reference " <input type="text" name="form[reference]"
                required=true maxlength="120" data-testid="paid-by-hand-reference"/></label>
            <Submit label="Mark refunded by hand" command/>
        </ActionShell>
    }
}

/// Starts the refund; a manual payout (a cash order back to its payment) needs its reference.
#[component]
fn RefundForm(id: i64, manual: bool, command: ServerAction<AdminReturnAction>) -> impl IntoView {
    view! {
        <ActionShell id action="refund" testid="refund" command>
            {manual.then(|| view! {
                <label class="inline">"Payout reference (cash, bank transfer) " <input type="text" name="form[reference]"
                    required=true maxlength="120" data-testid="refund-reference-input"/></label>
            })}
            <Submit label="Refund" command/>
        </ActionShell>
    }
}
