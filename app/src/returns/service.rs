//! Returns operations, for the customer whose return it is (`Customer`) and for admins
//! (`Admin`). Every rule is `domain::returns`; every transition goes through `apply`, which
//! checks the transition table, changes the status only if it is still the one the decision
//! was made on (409 "this return changed meanwhile" otherwise) and records the timeline event,
//! all in the caller's transaction with the change's other effects.

use std::path::PathBuf;
use std::time::Duration;

use super::exchange_payments::{self, DifferenceCharge, ExchangePayment};
use super::model::*;
use super::refunds::{self, NewRefund};
use super::store::{self, NewEvent, NewReturnRow, OrderForReturn, StoredItem, StoredReturn};
use crate::accounts::guard::{Admin, Customer};
use crate::catalog;
use crate::platform::{now_ms, AppError, AppState, Tx};
use crate::store_credit::store::{self as credit, Change, Links};
use domain::returns::inspection::{check_review, units_to_restock, ReviewedItem};
use domain::returns::policy::{CustomerHistory, KeepItItem, DAY_MS};
use domain::returns::refund::{
    estimate as refund_estimate, exchange_balance, settle_exchange, ExchangeSettlement, RefundLine,
};
use domain::returns::status::{available, transition};

/// The returns settings in the application state.
#[derive(Clone, Debug)]
pub struct ReturnsSettings {
    pub policy: ReturnPolicy,
    /// Where photos are stored: outside the public site.
    pub upload_dir: PathBuf,
    /// How often the refund worker looks for due refunds (and exchange payments to settle).
    pub refund_poll: Duration,
    /// Base of the refund retry backoff (doubling, capped at 10 s, with jitter).
    pub refund_backoff_base_ms: u64,
    /// A server without a heartbeat for this long is gone (`INSTANCE_LIVENESS_MS`): a refund
    /// it was running is taken over at once, not after the claim expires.
    pub instance_liveness_ms: i64,
    /// Draft photos (uploaded, never submitted) older than this are deleted, file and row.
    pub draft_photo_ttl_ms: i64,
}

/// Who acts, for the transition check and the timeline.
#[derive(Clone, Copy, Debug)]
pub(super) struct Who {
    pub actor: Actor,
    pub id: Option<i64>,
}

impl Who {
    fn system() -> Self {
        Who { actor: Actor::System, id: None }
    }
}

pub(super) fn not_found() -> AppError {
    AppError::NotFound("no such return".to_owned())
}

fn changed() -> AppError {
    AppError::Conflict("this return changed meanwhile; reload it to see what happened".to_owned())
}

fn invalid(err: impl std::fmt::Display) -> AppError {
    AppError::Invalid(err.to_string())
}

fn order_not_found() -> AppError {
    AppError::NotFound("no such order".to_owned())
}

pub fn config(state: &AppState) -> ReturnsConfig {
    ReturnsConfig { policy: state.returns.policy.clone(), upload_url: "/api/returns/photos".to_owned() }
}

/// Applies `action` to `ret` (see the module comment) and records it; `ret.status` follows.
pub(super) async fn apply(
    tx: &mut Tx,
    ret: &mut StoredReturn,
    action: Action,
    who: Who,
    note: &str,
    now: i64,
) -> Result<ReturnStatus, AppError> {
    let checked_as = if action.actor() == Actor::System { Actor::System } else { who.actor };
    let to =
        transition(ret.status, action, checked_as, ret.context()).map_err(|e| AppError::Conflict(e.to_string()))?;
    if !store::set_status(tx, ret.id, ret.status, to, now).await? {
        return Err(changed());
    }
    let event = NewEvent { from: Some(ret.status), to, actor: who.actor, actor_id: who.id, note };
    store::insert_event(tx, ret.id, &event, now).await?;
    metrics::counter!("return_transitions_total", "to" => to.as_str()).increment(1);
    ret.status = to;
    Ok(to)
}

// ---------------------------------------------------------------------------------------------
// The wizard

async fn own_order(state: &AppState, customer: &Customer, order_id: i64) -> Result<OrderForReturn, AppError> {
    let mut conn = state.db.read().acquire().await?;
    match store::order_for_return(&mut conn, order_id).await? {
        Some(order) if order.user_id == customer.id() => Ok(order),
        _ => Err(order_not_found()),
    }
}

fn returnable_order(policy: &ReturnPolicy, order: &OrderForReturn, refunded: i64, now: i64) -> ReturnableOrder {
    let facts = order.facts();
    ReturnableOrder {
        order_id: order.id,
        created_at_ms: order.created_at_ms,
        delivered_at_ms: order.delivered_at_ms,
        total_cents: order.total_cents,
        refunded_before_cents: refunded,
        paid: facts.paid,
        ineligible: policy.eligibility(&facts, now).err().map(|e| e.to_string()),
        window_ends_at_ms: policy.window_ends_at(&facts),
        lines: order
            .lines
            .iter()
            .zip(facts.lines.iter())
            .map(|(l, f)| ReturnableLine {
                order_line_id: l.id,
                product_id: l.product_id,
                name: l.name.clone(),
                quantity: l.quantity,
                claimed: l.claimed,
                returnable: policy.returnable(f),
                unit_paid_cents: l.unit_paid_cents,
                shipping_cents: l.shipping_cents,
                duty_cents: l.duty_cents,
            })
            .collect(),
    }
}

/// Step 1: the customer's newest orders, each eligible or with the reason it is not.
pub async fn returnable_orders(state: &AppState, customer: &Customer) -> Result<Vec<ReturnableOrder>, AppError> {
    let now = now_ms();
    let mut conn = state.db.read().acquire().await?;
    let orders = store::orders_for_return_of(&mut conn, customer.id()).await?;
    let refunded = refunds::refunded_by_order(&mut conn, customer.id()).await?;
    let policy = &state.returns.policy;
    Ok(orders
        .iter()
        .map(|order| returnable_order(policy, order, refunded.get(&order.id).copied().unwrap_or(0), now))
        .collect())
}

fn pairs(items: &[ItemRequest]) -> Vec<(i64, i64)> {
    items.iter().map(|i| (i.order_line_id, i.quantity)).collect()
}

/// The refund lines of `units` per order line.
fn refund_lines(order: &OrderForReturn, units: &[(i64, i64)]) -> Vec<RefundLine> {
    units
        .iter()
        .filter_map(|(line_id, n)| {
            order.lines.iter().find(|l| l.id == *line_id).map(|l| RefundLine {
                unit_paid_cents: l.unit_paid_cents,
                line_quantity: l.quantity,
                line_shipping_cents: l.shipping_cents,
                line_duty_cents: l.duty_cents,
                units: *n,
            })
        })
        .collect()
}

/// Checks of a request that need no database.
fn check_request(policy: &ReturnPolicy, request: &NewReturn) -> Result<(), AppError> {
    policy.check_details(&request.details).map_err(invalid)?;
    policy.check_photos(request.reason, request.photo_ids.len()).map_err(invalid)?;
    if request.method == RefundMethod::Exchange && request.exchange_product_id.is_none() {
        return Err(AppError::Invalid("choose the product you want in exchange".to_owned()));
    }
    Ok(())
}

/// Step 5: the refund for each method, explained; nothing is stored.
pub async fn estimate(state: &AppState, customer: &Customer, request: &NewReturn) -> Result<ReturnEstimate, AppError> {
    let policy = &state.returns.policy;
    let order = own_order(state, customer, request.order_id).await?;
    let units = pairs(&request.items);
    policy.check_items(&order.facts(), &units).map_err(invalid)?;
    let lines = refund_lines(&order, &units);
    let (before, _) = refunds::refunded_before(state.db.read(), order.id, 0).await?;
    let for_method = |method| refund_estimate(policy, request.reason, method, &lines, order.total_cents, before);
    let exchange = match request.exchange_product_id {
        Some(product_id) => {
            let credit = for_method(RefundMethod::Exchange).total_cents;
            let balance = credit::balance(&state.db, customer.id()).await?;
            Some(exchange_quote(state, product_id, total_units(&units), credit, balance).await?)
        }
        None => None,
    };
    let mut conn = state.db.read().acquire().await?;
    let keep_it = keep_it_applies(&mut conn, policy, customer.id(), &order, &units).await?;
    Ok(ReturnEstimate {
        original_payment: for_method(RefundMethod::OriginalPayment),
        store_credit: for_method(RefundMethod::StoreCredit),
        exchange,
        keep_it,
    })
}

/// A replacement dearer than the refund is paid for by the card the customer gives with the
/// request, charged when it is submitted; without a card, from store credit when the exchange is
/// settled. A customer whose balance cannot pay it and who gives no card is told now, not after
/// the parcel was inspected.
async fn difference_charge(
    state: &AppState,
    customer: &Customer,
    request: &NewReturn,
) -> Result<Option<DifferenceCharge>, AppError> {
    if request.method != RefundMethod::Exchange {
        return Ok(None);
    }
    let Some(quote) = estimate(state, customer, request).await?.exchange else {
        return Ok(None);
    };
    let ExchangeBalance::CustomerPays(owed) = quote.balance else {
        return Ok(None);
    };
    match request.card_number.as_ref().filter(|n| !n.is_blank()) {
        Some(number) => {
            let expiry = request.card_expiry.as_deref().unwrap_or_default();
            let today = domain::card::year_month_of(now_ms());
            let card = domain::card::Card::parse(&number.0, expiry, today)
                .map_err(|e| AppError::Invalid(format!("the card for the price difference: {e}")))?;
            Ok(Some(DifferenceCharge { amount_cents: owed, replacement_cents: quote.price_cents, card }))
        }
        None if quote.store_credit_cents >= owed => Ok(None),
        None => Err(AppError::Invalid(format!(
            "the replacement costs {} more than your refund: enter a card to pay the difference (your store credit, {}, does not cover it), or choose a product that costs less",
            domain::money::format_cents(owed),
            domain::money::format_cents(quote.store_credit_cents)
        ))),
    }
}

fn total_units(units: &[(i64, i64)]) -> i64 {
    units.iter().map(|(_, n)| *n).fold(0, i64::saturating_add)
}

/// The replacement `units` × `product_id` against the refund's `credit`, with the customer's
/// store-credit `balance` (which pays a difference given no card).
async fn exchange_quote(
    state: &AppState,
    product_id: i64,
    units: i64,
    credit: i64,
    balance: i64,
) -> Result<ExchangeQuote, AppError> {
    let product = active_product(state, product_id).await?;
    let price = unit_price(&product).saturating_mul(units);
    Ok(ExchangeQuote {
        product_id,
        name: product.name,
        price_cents: price,
        in_stock: product.stock >= units,
        balance: exchange_balance(credit, price),
        store_credit_cents: balance,
    })
}

/// What one unit of `product` sells for now.
fn unit_price(product: &catalog::Product) -> i64 {
    domain::pricing::discounted_cents(product.price_cents, product.discount_percent)
}

async fn active_product(state: &AppState, product_id: i64) -> Result<catalog::Product, AppError> {
    match catalog::store::find(&state.db, product_id).await? {
        Some(p) if p.active => Ok(p),
        _ => Err(AppError::NotFound("that product is not for sale".to_owned())),
    }
}

/// Products an exchange may be made for.
pub async fn exchange_options(state: &AppState) -> Result<Vec<ExchangeOption>, AppError> {
    Ok(catalog::store::list_active(&state.db)
        .await?
        .into_iter()
        .filter(|p| p.stock > 0)
        .map(|p| ExchangeOption { product_id: p.id, price_cents: unit_price(&p), name: p.name, stock: p.stock })
        .collect())
}

async fn keep_it_applies(
    conn: &mut sqlx::AnyConnection,
    policy: &ReturnPolicy,
    user_id: i64,
    order: &OrderForReturn,
    units: &[(i64, i64)],
) -> Result<bool, AppError> {
    let kept = store::kept_products(&mut *conn, user_id).await?;
    let items: Vec<KeepItItem> = units
        .iter()
        .filter_map(|(line_id, _)| order.lines.iter().find(|l| l.id == *line_id))
        .map(|l| KeepItItem { unit_paid_cents: l.unit_paid_cents, kept_before: kept.contains(&l.product_id) })
        .collect();
    Ok(policy.keep_it(&items))
}

async fn review_reason(
    conn: &mut sqlx::AnyConnection,
    policy: &ReturnPolicy,
    user_id: i64,
    now: i64,
) -> Result<Option<String>, AppError> {
    let since = now.saturating_sub(90 * DAY_MS);
    let (returns, returned_cents) = store::returned_since(&mut *conn, user_id, since).await?;
    let ordered_cents = store::ordered_since(conn, user_id, since).await?;
    let history = CustomerHistory {
        returns_last_90_days: returns,
        returned_cents_last_90_days: returned_cents,
        ordered_cents_last_90_days: ordered_cents,
    };
    Ok(policy.review_reason(&history))
}

/// Step 6: the request, checked again in full; authorized at once unless the abuse limits
/// send it to a person. Exactly one of two requests for an order's last unit succeeds: the
/// order's row is locked before the claimed units are counted.
pub async fn create(state: &AppState, customer: &Customer, request: NewReturn) -> Result<ReturnDetail, AppError> {
    let policy = &state.returns.policy;
    check_request(policy, &request)?;
    let charge = difference_charge(state, customer, &request).await?;
    let now = now_ms();
    let units = pairs(&request.items);
    let mut tx = state.db.begin().await?;
    if !crate::orders::store::lock_placed_by(&mut tx, request.order_id, customer.id()).await? {
        return Err(order_not_found());
    }
    // The customer's history (abuse limits, products kept) is counted one request at a time.
    crate::accounts::store::lock(&mut tx, customer.id()).await?;
    let order = store::order_for_return(&mut tx, request.order_id).await?.ok_or_else(order_not_found)?;
    policy.eligibility(&order.facts(), now).map_err(invalid)?;
    policy.check_items(&order.facts(), &units).map_err(invalid)?;
    let review = review_reason(&mut tx, policy, customer.id(), now).await?;
    let keep_it = keep_it_applies(&mut tx, policy, customer.id(), &order, &units).await?;
    let row = NewReturnRow {
        order_id: order.id,
        user_id: customer.id(),
        reason: request.reason,
        details: request.details.trim(),
        method: request.method,
        review_reason: review.as_deref(),
        keep_it,
        exchange_product_id: request.exchange_product_id.filter(|_| request.method == RefundMethod::Exchange),
    };
    let id = store::insert(&mut tx, &row, now).await?;
    store::insert_items(&mut tx, id, &units).await?;
    let attached = store::attach_photos(&mut tx, customer.id(), id, &request.photo_ids).await?;
    if attached != request.photo_ids.len() as u64 {
        return Err(AppError::Invalid("a photo was not found; please upload it again".to_owned()));
    }
    let who = Who { actor: Actor::Customer, id: Some(customer.id()) };
    let event = NewEvent { from: None, to: ReturnStatus::Requested, actor: who.actor, actor_id: who.id, note: "" };
    store::insert_event(&mut tx, id, &event, now).await?;
    match charge {
        // Authorized once the difference is paid (`difference_paid`).
        Some(charge) => {
            let key = exchange_payments::insert(&mut tx, id, &charge, &state.instance_id, now).await?;
            tx.commit().await?;
            exchange_payments::charge(state, id, key, charge).await?;
        }
        None => {
            if review.is_none() {
                authorize_in(state, &mut tx, id, Who::system(), "authorized automatically", now).await?;
            }
            tx.commit().await?;
        }
    }
    metrics::counter!("returns_created_total").increment(1);
    get(state, customer, id).await
}

/// The price difference of an exchange was charged: the return goes on like any other
/// (authorized at once unless the abuse limits sent it to a person). Once, however often the
/// charge is reported. False when the return had been withdrawn meanwhile: the charge is then
/// paid back.
pub(super) async fn difference_paid(
    state: &AppState,
    return_id: i64,
    key: &str,
    reference: &str,
) -> Result<bool, AppError> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    if !exchange_payments::mark_charged(&mut tx, key, reference, now).await? {
        drop(tx);
        exchange_payments::charged_after_withdrawal(&state.db, key, reference, now).await?;
        return Ok(exchange_payments::find(state.db.read(), return_id).await?.is_some_and(|p| p.charge_key == key));
    }
    let ret = store::find(&mut *tx, return_id).await?.ok_or_else(not_found)?;
    if ret.review_reason.is_none() && ret.status == ReturnStatus::Requested {
        authorize_in(state, &mut tx, return_id, Who::system(), "authorized automatically", now).await?;
    }
    tx.commit().await?;
    metrics::counter!("exchange_payments_total", "outcome" => "charged").increment(1);
    Ok(true)
}

/// The provider has no charge for a return's difference, and the customer may have seen the
/// return (its charge could not be confirmed when it was submitted): the shop cancels it.
pub(super) async fn difference_never_charged(state: &AppState, payment: &ExchangePayment) -> Result<(), AppError> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    if !exchange_payments::mark_withdrawn(&mut tx, &payment.charge_key).await? {
        return Ok(());
    }
    if let Some(return_id) = payment.return_id {
        let mut ret = store::find(&mut *tx, return_id).await?.ok_or_else(not_found)?;
        let note = "the payment for the price difference did not go through; nothing was charged";
        apply(&mut tx, &mut ret, Action::PaymentFailed, Who::system(), note, now).await?;
        undo_exchange(&mut tx, &ret, now).await?;
    }
    tx.commit().await?;
    metrics::counter!("exchange_payments_total", "outcome" => "not_charged").increment(1);
    Ok(())
}

/// Authorization: the RMA number, the exchange's stock held (if it is in stock), and for a
/// "keep it" return the approval and refund at once.
async fn authorize_in(state: &AppState, tx: &mut Tx, id: i64, who: Who, note: &str, now: i64) -> Result<(), AppError> {
    let mut ret = store::find(&mut **tx, id).await?.ok_or_else(not_found)?;
    apply(tx, &mut ret, Action::Authorize, who, note, now).await?;
    let reserved = match ret.exchange_product_id {
        Some(product_id) => catalog::store::take_stock(tx, product_id, ret.units).await?,
        None => false,
    };
    store::set_authorized(tx, id, &domain::returns::rma_number(now, id), reserved).await?;
    if ret.keep_it {
        store::approve_all(tx, id).await?;
        apply(tx, &mut ret, Action::KeepIt, Who::system(), "keep it: no need to send it back", now).await?;
        let order = store::order_for_return(tx, ret.order_id).await?.ok_or_else(order_not_found)?;
        // An exchange whose replacement sold out waits for the customer to choose another.
        let replacement_ready = ret.exchange_product_id.is_none() || reserved;
        if !needs_manual_payout(&ret, &order) && replacement_ready {
            ret.exchange_reserved = reserved;
            start_refund_in(state, tx, &mut ret, Who::system(), None, now).await?;
        }
    }
    Ok(())
}

/// A cash order refunded "to the original payment" is paid out by a person, with a reference.
fn needs_manual_payout(ret: &StoredReturn, order: &OrderForReturn) -> bool {
    ret.method == RefundMethod::OriginalPayment && order.payment_method == "cash"
}

// ---------------------------------------------------------------------------------------------
// Refunds

/// How a refund is paid out, decided from the method and the order's payment.
struct PayoutPlan {
    payout: Payout,
    /// To the card or paid by hand.
    amount_cents: i64,
    /// As store credit (refund part, without the bonus).
    credit_cents: i64,
    /// How an exchange's difference is settled (store credit in or out, card paid back).
    exchange: ExchangeSettlement,
    /// Held replacement units no longer needed (an exchange approved in part): back into stock.
    unheld_units: i64,
}

/// What was there before the refund: the order, earlier refunds to its card, an exchange's
/// card payment.
struct Paid<'a> {
    order: &'a OrderForReturn,
    card_refunded_before: i64,
    exchange_payment: Option<&'a ExchangePayment>,
    /// Units approved for the refund (an exchange replaces only these).
    approved_units: i64,
}

async fn plan_payout(
    state: &AppState,
    ret: &StoredReturn,
    paid: Paid<'_>,
    estimate: &RefundEstimate,
    reference: Option<&str>,
) -> Result<PayoutPlan, AppError> {
    let refund = estimate.refund_cents;
    let order = paid.order;
    let plan = |payout, amount_cents, credit_cents| PayoutPlan {
        payout,
        amount_cents,
        credit_cents,
        exchange: ExchangeSettlement::default(),
        unheld_units: 0,
    };
    match ret.method {
        RefundMethod::StoreCredit => Ok(plan(Payout::StoreCredit, 0, refund)),
        RefundMethod::Exchange => exchange_plan(state, ret, estimate, &paid).await,
        RefundMethod::OriginalPayment if needs_manual_payout(ret, order) => match reference {
            Some(r) if !r.trim().is_empty() => Ok(plan(Payout::Manual, refund, 0)),
            _ => Err(AppError::Invalid(
                "this order was paid in cash: pay the refund by hand and enter the payout's reference".to_owned(),
            )),
        },
        RefundMethod::OriginalPayment => {
            let split = domain::returns::credit::refund_split(refund, order.card_paid_cents, paid.card_refunded_before);
            if split.card_cents > 0 && order.charge_reference.is_some() {
                Ok(plan(Payout::Card, split.card_cents, split.credit_cents))
            } else {
                Ok(plan(Payout::StoreCredit, 0, refund))
            }
        }
    }
}

/// The swap at the replacement's price when the customer paid (by card), or at today's price
/// (paid from store credit). Approved in part, it replaces only the approved units: the rest of
/// the held replacement goes back into stock (and what was paid for it back to the card).
async fn exchange_plan(
    state: &AppState,
    ret: &StoredReturn,
    estimate: &RefundEstimate,
    paid: &Paid<'_>,
) -> Result<PayoutPlan, AppError> {
    let Some(product_id) = ret.exchange_product_id.filter(|_| ret.exchange_reserved) else {
        return Err(AppError::Conflict(
            "the replacement sold out: the customer must choose another product first".to_owned(),
        ));
    };
    let (unit, prepaid) = match paid.exchange_payment.filter(|p| p.charged()) {
        Some(p) => (p.unit_price_cents(ret.units), p.amount_cents),
        None => (unit_price(&active_product(state, product_id).await?), 0),
    };
    let units = paid.approved_units.clamp(0, ret.units);
    let price = unit.saturating_mul(units);
    Ok(PayoutPlan {
        payout: Payout::Exchange,
        amount_cents: estimate.refund_cents,
        credit_cents: 0,
        exchange: settle_exchange(estimate.total_cents, price, prepaid),
        unheld_units: ret.units - units,
    })
}

fn approved_units(items: &[StoredItem]) -> i64 {
    items.iter().map(|i| i.item.approved_quantity.unwrap_or(0)).fold(0, i64::saturating_add)
}

fn approved_lines(items: &[StoredItem]) -> Vec<RefundLine> {
    items
        .iter()
        .map(|i| RefundLine {
            unit_paid_cents: i.item.unit_paid_cents,
            line_quantity: i.line_quantity,
            line_shipping_cents: i.line_shipping_cents,
            line_duty_cents: i.line_duty_cents,
            units: i.item.approved_quantity.unwrap_or(0),
        })
        .collect()
}

/// Approved → refund pending, with the refund row: queued for a card, paid at once otherwise.
async fn start_refund_in(
    state: &AppState,
    tx: &mut Tx,
    ret: &mut StoredReturn,
    who: Who,
    reference: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    let items = store::items(&mut **tx, ret.id).await?;
    let order = store::order_for_return(tx, ret.order_id).await?.ok_or_else(order_not_found)?;
    let (before, card_before) = refunds::refunded_before(&mut **tx, ret.order_id, ret.id).await?;
    let policy = &state.returns.policy;
    let estimate = refund_estimate(policy, ret.reason, ret.method, &approved_lines(&items), order.total_cents, before);
    if estimate.refund_cents <= 0 {
        return Err(AppError::Invalid("nothing is left to refund for this return".to_owned()));
    }
    let payment = match ret.method {
        RefundMethod::Exchange => exchange_payments::find(&mut **tx, ret.id).await?,
        _ => None,
    };
    let paid = Paid {
        order: &order,
        card_refunded_before: card_before,
        exchange_payment: payment.as_ref(),
        approved_units: approved_units(&items),
    };
    let plan = plan_payout(state, ret, paid, &estimate, reference).await?;
    if let (Some(product_id), true) = (ret.exchange_product_id, plan.unheld_units > 0) {
        catalog::store::return_stock(tx, product_id, plan.unheld_units).await?;
    }
    let note = match who.actor {
        Actor::Admin => "refund started by an administrator",
        _ => "refund started",
    };
    apply(tx, ret, Action::StartRefund, Who { actor: Actor::System, id: who.id }, note, now).await?;
    let bonus = if plan.payout == Payout::StoreCredit { estimate.bonus_cents } else { 0 };
    let new = NewRefund {
        return_id: ret.id,
        order_id: ret.order_id,
        payout: plan.payout,
        amount_cents: plan.amount_cents,
        credit_cents: plan.credit_cents.saturating_add(bonus),
        bonus_cents: bonus,
        charge_reference: order.charge_reference.as_deref(),
    };
    let refund_id = refunds::insert(tx, &new, now).await?;
    pay_credit_parts(tx, ret, &plan, bonus, now).await?;
    if plan.payout != Payout::Card {
        let reference = match plan.payout {
            Payout::Manual => reference.unwrap_or_default().trim().to_owned(),
            _ => format!("CREDIT-{refund_id:05}"),
        };
        refunds::mark_paid(tx, refund_id, &reference, now).await?;
        apply(tx, ret, Action::RefundPaid, Who::system(), &format!("refunded ({reference})"), now).await?;
        let method = plan.payout.as_str();
        metrics::counter!("refunds_total", "method" => method, "outcome" => "paid").increment(1);
    }
    Ok(())
}

/// The store-credit parts of a refund: the credit, its bonus, an exchange's difference.
async fn pay_credit_parts(
    tx: &mut Tx,
    ret: &StoredReturn,
    plan: &PayoutPlan,
    bonus: i64,
    now: i64,
) -> Result<(), AppError> {
    let links = Links { return_id: Some(ret.id), order_id: None };
    let rma = ret.rma_number.clone().unwrap_or_else(|| format!("return {}", ret.id));
    let change = |amount_cents, reason| Change { user_id: ret.user_id, amount_cents, reason, links, note: &rma };
    credit::credit(tx, &change(plan.credit_cents, CreditReason::Refund), now).await?;
    credit::credit(tx, &change(bonus, CreditReason::Bonus), now).await?;
    let exchange = plan.exchange;
    credit::credit(tx, &change(exchange.credit_cents, CreditReason::ExchangeDifference), now).await?;
    let owed = exchange.debit_cents;
    if owed > 0 && !credit::debit(tx, &change(owed, CreditReason::ExchangeDifference), now).await? {
        return Err(AppError::Invalid(format!(
            "the replacement costs {} more than the refund and the customer's store credit is not enough",
            domain::money::format_cents(owed)
        )));
    }
    exchange_payments::pay_back_in(tx, ret.id, exchange.card_back_cents, now).await
}

/// The worker's settlement of a paid card refund: the refund row and the return, once.
pub async fn refund_paid(state: &AppState, return_id: i64, refund_id: i64, reference: &str) -> Result<bool, AppError> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    if !refunds::mark_paid(&mut tx, refund_id, reference, now).await? {
        return Ok(false);
    }
    let mut ret = store::find(&mut *tx, return_id).await?.ok_or_else(not_found)?;
    apply(&mut tx, &mut ret, Action::RefundPaid, Who::system(), &format!("refunded to the card ({reference})"), now)
        .await?;
    tx.commit().await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// The customer's return

async fn own(state: &AppState, customer: &Customer, id: i64) -> Result<StoredReturn, AppError> {
    match store::find(state.db.read(), id).await? {
        Some(ret) if ret.user_id == customer.id() => Ok(ret),
        _ => Err(not_found()),
    }
}

pub async fn list_own(state: &AppState, customer: &Customer) -> Result<Vec<ReturnSummary>, AppError> {
    Ok(store::list_by_user(&state.db, customer.id()).await?.iter().map(|r| r.summary(false)).collect())
}

/// One of the customer's returns; someone else's is 404, as if it did not exist.
pub async fn get(state: &AppState, customer: &Customer, id: i64) -> Result<ReturnDetail, AppError> {
    let ret = own(state, customer, id).await?;
    detail(state, ret, Actor::Customer).await
}

fn customer(customer: &Customer) -> Who {
    Who { actor: Actor::Customer, id: Some(customer.id()) }
}

/// The return will not be exchanged: the replacement's held stock is given back, and a price
/// difference paid by card goes back to the card.
async fn undo_exchange(tx: &mut Tx, ret: &StoredReturn, now: i64) -> Result<(), AppError> {
    if let (Some(product_id), true) = (ret.exchange_product_id, ret.exchange_reserved) {
        catalog::store::return_stock(tx, product_id, ret.units).await?;
        store::set_exchange(tx, ret.id, Some(product_id), false).await?;
    }
    exchange_payments::pay_all_back_in(tx, ret.id, now).await
}

/// Nothing is done with a return whose price difference is still being charged: it may yet be
/// withdrawn.
async fn check_not_charging(state: &AppState, id: i64) -> Result<(), AppError> {
    if exchange_payments::is_charging(&state.db, id).await? {
        return Err(AppError::Conflict(
            "the payment for the price difference is still being confirmed; try again in a minute".to_owned(),
        ));
    }
    Ok(())
}

/// The customer withdraws the return (until the parcel is received).
pub async fn cancel(state: &AppState, customer: &Customer, id: i64, note: &str) -> Result<ReturnDetail, AppError> {
    let mut ret = own(state, customer, id).await?;
    check_not_charging(state, id).await?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    apply(&mut tx, &mut ret, Action::Cancel, self::customer(customer), note.trim(), now).await?;
    undo_exchange(&mut tx, &ret, now).await?;
    tx.commit().await?;
    get(state, customer, id).await
}

/// The customer sent the parcel; with early refunds (the timing setting, customers under the
/// abuse limits) the refund starts now.
pub async fn ship(
    state: &AppState,
    customer: &Customer,
    id: i64,
    carrier: &str,
    tracking: &str,
) -> Result<ReturnDetail, AppError> {
    let domain::shipment::Shipment { carrier, tracking } =
        domain::shipment::Shipment::parse(carrier, tracking).map_err(|e| AppError::Invalid(e.to_string()))?;
    let mut ret = own(state, customer, id).await?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let note = format!("{carrier} {tracking}");
    apply(&mut tx, &mut ret, Action::Ship, self::customer(customer), &note, now).await?;
    store::set_shipment(&mut tx, id, &carrier, &tracking, now).await?;
    let order = store::order_for_return(&mut tx, ret.order_id).await?.ok_or_else(order_not_found)?;
    let early = state.returns.policy.refunds_in_transit(ret.review_reason.is_some());
    if early && !needs_manual_payout(&ret, &order) && ret.method != RefundMethod::Exchange {
        store::approve_all(&mut tx, id).await?;
        apply(&mut tx, &mut ret, Action::RefundEarly, Who::system(), "refunded in transit", now).await?;
        store::set_flags(&mut tx, id, true, false).await?;
        ret.refunded_early = true;
        start_refund_in(state, &mut tx, &mut ret, Who::system(), None, now).await?;
    }
    tx.commit().await?;
    get(state, customer, id).await
}

/// An exchange whose replacement sold out: the customer picks another product, which is held.
pub async fn choose_exchange(
    state: &AppState,
    customer: &Customer,
    id: i64,
    product_id: i64,
) -> Result<ReturnDetail, AppError> {
    let ret = own(state, customer, id).await?;
    if ret.method != RefundMethod::Exchange || ret.exchange_reserved || ret.status.is_final() {
        return Err(AppError::Conflict("this return has no exchange waiting for a product".to_owned()));
    }
    check_not_charging(state, id).await?;
    let product = active_product(state, product_id).await?;
    let price = unit_price(&product);
    if let Some(paid) = exchange_payments::find(state.db.read(), id).await?.filter(|p| p.charged()) {
        let most = paid.unit_price_cents(ret.units);
        if price > most {
            return Err(AppError::Conflict(format!(
                "you paid for a replacement of at most {} each: choose a product that costs no more, or cancel the return",
                domain::money::format_cents(most)
            )));
        }
    }
    let mut tx = state.db.begin().await?;
    if !store::lock(&mut tx, id).await? {
        return Err(not_found());
    }
    let reserved =
        ret.status != ReturnStatus::Requested && catalog::store::take_stock(&mut tx, product_id, ret.units).await?;
    if ret.status != ReturnStatus::Requested && !reserved {
        return Err(AppError::Conflict("that product is sold out too; please choose another".to_owned()));
    }
    store::set_exchange(&mut tx, id, Some(product_id), reserved).await?;
    exchange_payments::set_replacement(&mut tx, id, price.saturating_mul(ret.units)).await?;
    if reserved && ret.keep_it && ret.status == ReturnStatus::Approved {
        // A "keep it" return waited only for this: it is refunded now, as at authorization.
        let mut ret = store::find(&mut *tx, id).await?.ok_or_else(not_found)?;
        start_refund_in(state, &mut tx, &mut ret, Who::system(), None, now_ms()).await?;
    }
    tx.commit().await?;
    get(state, customer, id).await
}

// ---------------------------------------------------------------------------------------------
// The admin console

pub async fn queue(state: &AppState, _admin: &Admin, filter: &QueueFilter) -> Result<Vec<ReturnSummary>, AppError> {
    let min_age = filter.min_age_days.unwrap_or(0).max(0);
    let created_before = now_ms().saturating_sub(min_age.saturating_mul(DAY_MS));
    let rows = store::queue(&state.db, filter.status, filter.reason, created_before, filter.review_only).await?;
    Ok(rows.iter().map(|r| r.summary(true)).collect())
}

pub async fn admin_get(state: &AppState, _admin: &Admin, id: i64) -> Result<ReturnDetail, AppError> {
    let ret = store::find(state.db.read(), id).await?.ok_or_else(not_found)?;
    detail(state, ret, Actor::Admin).await
}

/// Applies one admin action (see `AdminCommand`).
pub async fn command(
    state: &AppState,
    admin: &Admin,
    id: i64,
    command: AdminCommand,
) -> Result<ReturnDetail, AppError> {
    let mut ret = store::find(state.db.read(), id).await?.ok_or_else(not_found)?;
    check_not_charging(state, id).await?;
    let who = Who { actor: Actor::Admin, id: Some(admin.id()) };
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let tx_ref = &mut tx;
    match command {
        AdminCommand::Authorize { note } => {
            // `authorize_in` reads the return again inside the transaction.
            if ret.status != ReturnStatus::Requested {
                return Err(AppError::Conflict(format!(
                    "this return is {} already",
                    ret.status.label().to_lowercase()
                )));
            }
            authorize_in(state, tx_ref, id, who, note.trim(), now).await?;
        }
        AdminCommand::Reject { reason } => reject(tx_ref, &mut ret, who, &reason, now).await?,
        AdminCommand::Receive { note } => {
            apply(tx_ref, &mut ret, Action::Receive, who, note.trim(), now).await?;
            store::set_received(tx_ref, id, now).await?;
        }
        AdminCommand::Inspect { items, note } => inspect(tx_ref, &mut ret, who, &items, note.trim(), now).await?,
        AdminCommand::Approve { items, note } => approve(tx_ref, &mut ret, who, &items, note.trim(), now).await?,
        AdminCommand::Refund { reference } => {
            start_refund_in(state, tx_ref, &mut ret, who, reference.as_deref(), now).await?;
        }
        AdminCommand::RetryRefund => {
            let refund = refunds::retry_now(tx_ref, id, now).await?;
            let paying_back = exchange_payments::retry_now(tx_ref, id, now).await?;
            if !refund && !paying_back {
                return Err(AppError::Conflict("this return has no pending or failed refund to retry".to_owned()));
            }
        }
        AdminCommand::PaidByHand { reference } => paid_by_hand(tx_ref, &mut ret, who, &reference, now).await?,
        AdminCommand::Close { note } => close(tx_ref, &mut ret, who, note.trim(), now).await?,
    }
    tx.commit().await?;
    admin_get(state, admin, id).await
}

async fn reject(tx: &mut Tx, ret: &mut StoredReturn, who: Who, reason: &str, now: i64) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::Invalid(
            "give the customer the reason for the rejection (at most 1000 characters)".to_owned(),
        ));
    }
    apply(tx, ret, Action::Reject, who, reason, now).await?;
    store::set_rejection(tx, ret.id, reason).await?;
    undo_exchange(tx, ret, now).await
}

fn reviewed(items: &[StoredItem]) -> Vec<ReviewedItem> {
    items
        .iter()
        .map(|i| ReviewedItem { item_id: i.item.id, name: i.item.name.clone(), requested: i.item.quantity })
        .collect()
}

/// Per item: condition and disposition; restocked units go back into stock (and only those).
async fn inspect(
    tx: &mut Tx,
    ret: &mut StoredReturn,
    who: Who,
    results: &[InspectedItem],
    note: &str,
    now: i64,
) -> Result<(), AppError> {
    let items = store::items(&mut **tx, ret.id).await?;
    let decided: Vec<(i64, i64)> = results.iter().map(|r| (r.item_id, 0)).collect();
    check_review(&reviewed(&items), &decided, false).map_err(invalid)?;
    apply(tx, ret, Action::Inspect, who, note, now).await?;
    // `items` are in product-id order: the stock lock order.
    for item in &items {
        let Some(result) = results.iter().find(|r| r.item_id == item.item.id) else {
            continue;
        };
        let restock = units_to_restock(result.disposition, item.item.quantity);
        store::set_inspection(tx, item.item.id, result.condition, result.disposition, restock).await?;
        if restock > 0 {
            catalog::store::return_stock(tx, item.item.product_id, restock).await?;
        }
    }
    store::set_flags(tx, ret.id, ret.refunded_early, true).await?;
    ret.inspected = true;
    Ok(())
}

/// Approval, full or partial, per item.
async fn approve(
    tx: &mut Tx,
    ret: &mut StoredReturn,
    who: Who,
    approved: &[ApprovedItem],
    note: &str,
    now: i64,
) -> Result<(), AppError> {
    if ret.refunded_early {
        return Err(AppError::Conflict("this return was refunded in transit; close it once inspected".to_owned()));
    }
    let items = store::items(&mut **tx, ret.id).await?;
    let decided: Vec<(i64, i64)> = approved.iter().map(|a| (a.item_id, a.quantity)).collect();
    check_review(&reviewed(&items), &decided, true).map_err(invalid)?;
    apply(tx, ret, Action::Approve, who, note, now).await?;
    for a in approved {
        store::set_approved(tx, a.item_id, a.quantity).await?;
    }
    Ok(())
}

/// A card refund the provider refused for good, paid another way: only then, never while the
/// provider may still pay it (pending), so it is not paid twice.
async fn paid_by_hand(
    tx: &mut Tx,
    ret: &mut StoredReturn,
    who: Who,
    reference: &str,
    now: i64,
) -> Result<(), AppError> {
    let reference = reference.trim();
    if reference.is_empty() || reference.chars().count() > 120 {
        return Err(AppError::Invalid(
            "enter the reference of the payout (bank transfer, cash), at most 120 characters".to_owned(),
        ));
    }
    if !refunds::paid_by_hand(tx, ret.id, reference, now).await? {
        return Err(AppError::Conflict(
            "only a card refund the payment provider refused can be paid by hand; retry a pending one".to_owned(),
        ));
    }
    let note = format!("refunded by hand ({reference})");
    apply(tx, ret, Action::RefundPaid, Who { actor: Actor::System, id: who.id }, &note, now).await?;
    metrics::counter!("refunds_total", "method" => "manual", "outcome" => "paid").increment(1);
    Ok(())
}

async fn close(tx: &mut Tx, ret: &mut StoredReturn, who: Who, note: &str, now: i64) -> Result<(), AppError> {
    apply(tx, ret, Action::Close, who, note, now).await?;
    let seconds = (now - ret.created_at_ms).max(0) as f64 / 1000.0;
    metrics::histogram!("rma_cycle_seconds").record(seconds);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The return's page

fn instructions(ret: &StoredReturn) -> Option<String> {
    let rma = ret.rma_number.as_deref()?;
    match ret.status {
        ReturnStatus::Authorized if !ret.keep_it => Some(format!(
            "Pack the items with a note saying {rma}, send the parcel to Retail Returns, 1 Warehouse Way, \
             and enter the carrier and tracking number here."
        )),
        _ if ret.keep_it => Some("You may keep the items: there is nothing to send back.".to_owned()),
        _ => None,
    }
}

async fn detail(state: &AppState, ret: StoredReturn, viewer: Actor) -> Result<ReturnDetail, AppError> {
    let items = store::items(state.db.read(), ret.id).await?;
    let mut conn = state.db.read().acquire().await?;
    let order = store::order_for_return(&mut conn, ret.order_id).await?.ok_or_else(order_not_found)?;
    drop(conn);
    let (before, _) = refunds::refunded_before(state.db.read(), ret.order_id, ret.id).await?;
    let approved = items.iter().any(|i| i.item.approved_quantity.is_some());
    let exchanged_units = if approved { approved_units(&items) } else { ret.units };
    let lines: Vec<RefundLine> = if approved {
        approved_lines(&items)
    } else {
        refund_lines(&order, &items.iter().map(|i| (i.item.order_line_id, i.item.quantity)).collect::<Vec<_>>())
    };
    let policy = &state.returns.policy;
    let estimate = refund_estimate(policy, ret.reason, ret.method, &lines, order.total_cents, before);
    let mut actions = available(ret.status, viewer, ret.context());
    if ret.refunded_early {
        actions.retain(|a| *a != Action::Approve);
    }
    Ok(ReturnDetail {
        summary: ret.summary(viewer == Actor::Admin),
        details: ret.details.clone(),
        instructions: instructions(&ret),
        rejection_reason: ret.rejection_reason.clone(),
        keep_it: ret.keep_it,
        items: items.into_iter().map(|i| i.item).collect(),
        photos: store::photos_of(&state.db, ret.id).await?,
        shipment: ret.shipment.clone(),
        refund: refunds::find_for_return(&state.db, ret.id).await?.map(|r| r.refund),
        exchange: exchange_view(state, &ret, exchanged_units).await?,
        estimate,
        timeline: timeline(state, ret.id, viewer).await?,
        actions,
        order: OrderBrief {
            id: order.id,
            payment_method: order.payment_method.clone(),
            total_cents: order.total_cents,
            created_at_ms: order.created_at_ms,
            delivered_at_ms: order.delivered_at_ms,
        },
    })
}

/// The return's events; names of the people who acted only for admins.
async fn timeline(state: &AppState, id: i64, viewer: Actor) -> Result<Vec<ReturnEvent>, AppError> {
    let mut events = store::events(&state.db, id).await?;
    if viewer != Actor::Admin {
        events.iter_mut().for_each(|e| {
            e.actor_name = None;
            e.actor_id = None;
        });
    }
    Ok(events)
}

/// The replacement for `units` (the approved ones once approved).
async fn exchange_view(state: &AppState, ret: &StoredReturn, units: i64) -> Result<Option<Exchange>, AppError> {
    let Some(product_id) = ret.exchange_product_id else {
        return Ok(None);
    };
    let Some(product) = catalog::store::find(&state.db, product_id).await? else {
        return Ok(None);
    };
    let waiting = !ret.exchange_reserved && !matches!(ret.status, ReturnStatus::Requested) && !ret.status.is_final();
    let payment = exchange_payments::find(state.db.read(), ret.id).await?;
    // Paid by card, nothing dearer than what was paid for.
    let most = payment.as_ref().filter(|p| p.charged()).map_or(i64::MAX, |p| p.unit_price_cents(ret.units));
    let alternatives = if waiting {
        let fits = |o: &ExchangeOption| o.stock >= ret.units && o.price_cents <= most;
        exchange_options(state).await?.into_iter().filter(fits).take(12).collect()
    } else {
        Vec::new()
    };
    // With a card payment (charged or not yet), the swap is at the price it was made for.
    let price_cents = match &payment {
        Some(p) => p.unit_price_cents(ret.units).saturating_mul(units),
        None => unit_price(&product).saturating_mul(units),
    };
    Ok(Some(Exchange {
        product_id,
        price_cents,
        name: product.name,
        reserved: ret.exchange_reserved,
        alternatives,
        card_payment: payment.map(|p| p.view()),
    }))
}
