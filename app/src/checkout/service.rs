//! The checkout, step by step:
//! 1. validate the payment choice; a key used before answers from its record, whatever the
//!    cart, stock or breaker are now;
//! 2. price the cart (reads only);
//! 3. one transaction takes the key, consumes the ordered cart lines (one cart makes at most
//!    one order), reserves stock and flash-sale units, and records order, lines, payment record
//!    and the payment job (cash and zero-total orders are complete here);
//! 4. cards are charged through the gateway (breaker + bounded retry), outside any transaction,
//!    in a task of its own: if the client goes away, the charge and its settlement still finish;
//! 5. one transaction settles the outcome and stores the idempotent answer: paid; declined or
//!    refused (stock released, lines back in the cart); or, when the provider is unavailable,
//!    accepted as `payment_pending` for the background worker.

use std::time::Instant;

use super::card::{year_month_of, Card};
use super::gate::{ThrottleKey, ThrottleSettings};
use super::model::{parse_payment, CheckoutReceipt, CheckoutRequest, Payment};
use super::store::{self, IdempotencyKey, KeyRecord, Reservation, ReserveError, Reserved, StoredAnswer};
use crate::accounts::guard::{Admin, Customer};
use crate::cart;
use crate::cart::model::{Cart, LineProblem};
use crate::orders::OrderStatus;
use crate::payments::backoff::backoff_ms;
use crate::payments::gateway::ChargeError;
use crate::payments::settle;
use crate::platform::{now_ms, AppError, AppState, Tx};
use domain::orders::PaymentMethod;

/// The customer's checkout of their cart; `key` (the `Idempotency-Key`) makes a repeat get the
/// first answer. Also counts and times the outcome.
pub async fn checkout(
    state: &AppState,
    customer: &Customer,
    request: &CheckoutRequest,
    key: Option<&str>,
) -> Result<CheckoutReceipt, AppError> {
    let started = Instant::now();
    metrics::counter!("orders_submitted_total").increment(1);
    let answer = match state.checkout_gate.enter().await {
        Ok(_slot) => attempt(state, customer.id(), request, key).await,
        Err(busy) => Err(busy),
    };
    match &answer {
        Ok(receipt) => {
            let mode = match receipt.status {
                OrderStatus::Paid => "paid",
                OrderStatus::CashOnDelivery => "cash",
                _ => "queued",
            };
            metrics::counter!("orders_accepted_total", "mode" => mode).increment(1);
            metrics::histogram!("checkout_duration_seconds").record(started.elapsed().as_secs_f64());
        }
        Err(err) => metrics::counter!("orders_rejected_total", "reason" => rejection_reason(err)).increment(1),
    }
    state.sli.checkout(sli_outcome(&answer), started.elapsed());
    answer
}

/// The outcome as the dashboard's A.1 / P.1 indicators count it.
fn sli_outcome(answer: &Result<CheckoutReceipt, AppError>) -> crate::platform::sli::CheckoutOutcome {
    use crate::platform::sli::CheckoutOutcome;
    match answer {
        Ok(receipt) if receipt.status == OrderStatus::PaymentPending => CheckoutOutcome::Queued,
        Ok(_) => CheckoutOutcome::Completed,
        Err(AppError::Busy { .. }) => CheckoutOutcome::Throttled,
        Err(AppError::Invalid(_)) => CheckoutOutcome::Invalid,
        Err(_) => CheckoutOutcome::Refused,
    }
}

fn rejection_reason(err: &AppError) -> &'static str {
    match err {
        AppError::PaymentDeclined(_) => "declined",
        AppError::PaymentFailed { .. } => "payment_failed",
        AppError::ShortStock { .. } | AppError::Conflict(_) => "stock",
        AppError::Invalid(_) => "invalid",
        AppError::Busy { .. } => "busy",
        AppError::Internal(_) => "internal",
        _ => "other",
    }
}

/// Steps 1 to 4 (see the module doc): validate, answer a used key from its record, reserve,
/// charge.
async fn attempt(
    state: &AppState,
    user_id: i64,
    request: &CheckoutRequest,
    key: Option<&str>,
) -> Result<CheckoutReceipt, AppError> {
    let now = now_ms();
    check_key(key)?;
    // No card given with store credit: the credit must pay it all (checked once it is priced).
    let payment = match credit_alone(request) {
        true => None,
        false => Some(parse_payment(request, year_month_of(now)).map_err(|e| AppError::Invalid(e.to_string()))?),
    };
    let fingerprint = match (&payment, request.use_store_credit) {
        (Some(payment), true) => format!("{}:store_credit", payment.fingerprint()),
        (Some(payment), false) => payment.fingerprint(),
        (None, _) => "store_credit".to_owned(),
    };
    state.checkout_gate.admit(user_id)?;
    if let Some(key) = key {
        if let Some(record) = store::find_key(&state.db, user_id, key, now).await? {
            return answer_from_record(state, &record, &fingerprint, now).await;
        }
    }
    let cart = orderable_cart(state, user_id, now).await?;
    let split = store_credit_split(state, user_id, &cart, request.use_store_credit).await?;
    if payment.is_none() && split.card_cents > 0 {
        return Err(AppError::Invalid(format!(
            "your store credit pays {} of {}: enter a card for the rest, or choose cash on delivery",
            domain::money::format_cents(split.credit_cents),
            domain::money::format_cents(cart.totals.grand_total_cents)
        )));
    }
    let method = payment.as_ref().map_or(PaymentMethod::Card, Payment::method);
    let card = match payment {
        Some(Payment::Card(card)) => Some(card),
        Some(Payment::Cash) | None => None,
    };
    let reservation = Reservation {
        user_id,
        key: key.map(|key| IdempotencyKey {
            key,
            fingerprint: &fingerprint,
            expires_at: now.saturating_add(state.checkout.key_ttl_ms),
        }),
        cart: &cart,
        method,
        card: card.as_ref().map(Card::summary),
        split,
        owner: &state.instance_id,
        lease_until: now.saturating_add(state.checkout.lease_ms),
        now_ms: now,
    };
    let order = match store::reserve(&state.db, &reservation).await {
        Ok(order) => order,
        Err(ReserveError::Replay(record)) => return answer_from_record(state, &record, &fingerprint, now).await,
        Err(refused) => return Err(refusal(refused)),
    };
    let (Some(card), OrderStatus::PaymentPending) = (card, order.status) else {
        // Cash and zero-total orders were closed inside the reservation.
        return Ok(CheckoutReceipt { order_id: order.order_id, status: order.status });
    };
    let key = key.map(str::to_owned);
    charge(ChargeTask { state: state.clone(), user_id, key, order, card, amount_cents: split.card_cents }).await
}

/// How much of the cart the customer's store credit pays (when asked to), the rest by card or
/// cash. The balance is read here and taken, conditionally, inside the reservation.
async fn store_credit_split(
    state: &AppState,
    user_id: i64,
    cart: &Cart,
    use_credit: bool,
) -> Result<domain::returns::credit::PaymentSplit, AppError> {
    let balance = if use_credit { crate::store_credit::store::balance(&state.db, user_id).await? } else { 0 };
    Ok(domain::returns::credit::split_payment(cart.totals.grand_total_cents, balance, use_credit))
}

/// Step 1: a well-formed key (`attempt` then reads the payment choice).
fn check_key(key: Option<&str>) -> Result<(), AppError> {
    if key.is_some_and(|key| key.is_empty() || key.len() > 100) {
        return Err(AppError::Invalid("Idempotency-Key must be 1 to 100 characters".into()));
    }
    Ok(())
}

/// Store credit asked for, the card chosen and left empty: the credit is to pay alone.
fn credit_alone(request: &CheckoutRequest) -> bool {
    let blank = |field: &Option<String>| field.as_deref().is_none_or(|v| v.trim().is_empty());
    request.use_store_credit
        && PaymentMethod::parse(&request.payment_method) == Some(PaymentMethod::Card)
        && blank(&request.card_number)
        && blank(&request.card_expiry)
}

/// Step 2: the priced cart, if it can be ordered as it is.
async fn orderable_cart(state: &AppState, user_id: i64, now: i64) -> Result<Cart, AppError> {
    let cart = cart::service::priced(state, user_id, now).await?;
    if cart.is_empty() {
        return Err(empty_cart(state, user_id, now).await?);
    }
    let Some(problem) = cart.checkout_blocker() else {
        return Ok(cart);
    };
    // The line the blocker names: the first with a problem.
    let line = cart.lines.iter().find(|l| l.problem.is_some());
    Err(match line.and_then(|l| l.problem.clone().map(|p| (l.product_id, p))) {
        Some((product_id, LineProblem::ShortStock { available })) => {
            AppError::ShortStock { message: problem, product_id, available }
        }
        // A withdrawn product: there is no stock to offer.
        _ => AppError::Conflict(problem),
    })
}

/// An empty cart right after an order from it is a repeated checkout, not a mistake.
async fn empty_cart(state: &AppState, user_id: i64, now: i64) -> Result<AppError, AppError> {
    let recent = crate::orders::store::latest_order_since(&state.db, user_id, now - 10 * 60 * 1000).await?;
    Ok(match recent {
        Some(order_id) => {
            AppError::Conflict(format!("this cart was just ordered (order #{order_id}); nothing more was charged"))
        }
        None => AppError::Invalid("your cart is empty".into()),
    })
}

/// Why a reservation was refused, for the customer (a replay is answered from its record).
fn refusal(err: ReserveError) -> AppError {
    match err {
        // (A replay is answered from its record before it gets here.)
        ReserveError::Replay(_) | ReserveError::CartChanged => AppError::Conflict(
            "your cart is already being ordered (another tab or a repeated click); nothing more was charged: \
             check your orders"
                .into(),
        ),
        ReserveError::ShortStock { line, available } => AppError::ShortStock {
            message: format!("stock for '{}' changed: only {available} left; nothing was charged", line.name),
            product_id: line.product_id,
            available,
        },
        ReserveError::CreditChanged => AppError::Conflict(
            "your store credit changed meanwhile (another order used it); nothing was charged: please check out again"
                .into(),
        ),
        ReserveError::FlashSaleGone { line } => AppError::Conflict(format!(
            "the flash sale for '{}' just sold out or ended; your cart shows the new price",
            line.name
        )),
        ReserveError::Failed(e) => e,
    }
}

/// Step 4, in a task of its own: the charge and its settlement run to the end even if this
/// request is dropped.
async fn charge(task: ChargeTask) -> Result<CheckoutReceipt, AppError> {
    match tokio::spawn(task.run()).await {
        Ok(answer) => answer,
        Err(e) => Err(AppError::internal(format!("checkout charge task ended abnormally: {e}"))),
    }
}

struct ChargeTask {
    state: AppState,
    user_id: i64,
    key: Option<String>,
    order: Reserved,
    card: Card,
    amount_cents: i64,
}

impl ChargeTask {
    /// Charges, then settles the outcome and stores the idempotent answer in one transaction.
    async fn run(self) -> Result<CheckoutReceipt, AppError> {
        let attempts = self.state.checkout_attempts;
        let outcome =
            self.state.payments.charge(&self.order.provider_key, self.amount_cents, &self.card, attempts).await;
        let mut tx = self.state.db.begin().await?;
        let answer = self.settle(&mut tx, outcome).await?;
        store::close_attempt(&mut tx, self.user_id, self.key.as_deref(), &answer).await?;
        tx.commit().await?;
        answer.into_result()
    }

    /// Step 5: the charge's outcome applied to the order, inside `tx`.
    async fn settle(&self, tx: &mut Tx, outcome: Result<String, ChargeError>) -> Result<StoredAnswer, AppError> {
        let order_id = self.order.order_id;
        let now = now_ms();
        match outcome {
            Ok(reference) => {
                if !settle::paid_in(tx, order_id, &reference, now).await? {
                    tracing::error!(order_id, reference = %reference, "charged, but the order had already left payment_pending");
                }
                Ok(StoredAnswer::Accepted(CheckoutReceipt { order_id, status: OrderStatus::Paid }))
            }
            Err(ChargeError::Declined(reason)) => {
                let message = format!(
                    "your card was declined ({reason}); nothing was charged and your cart is kept: try another card or cash on delivery"
                );
                settle::failed_in(tx, order_id, OrderStatus::Declined, &message, settle::Cart::Restore, now).await?;
                tracing::info!(order_id, "card declined at checkout");
                Ok(StoredAnswer::Declined(message))
            }
            Err(ChargeError::Rejected(reason)) => {
                let message = format!(
                    "the payment provider refused this payment ({reason}); nothing was charged and your cart is kept: \
                     try another card or cash on delivery"
                );
                let status = OrderStatus::PaymentFailed;
                settle::failed_in(tx, order_id, status, &message, settle::Cart::Restore, now).await?;
                tracing::warn!(order_id, reason = %reason, "payment refused by the provider");
                Ok(StoredAnswer::Failed { message, order_id })
            }
            Err(ChargeError::Unavailable { reason, retry_at_ms }) => self.defer(tx, &reason, retry_at_ms, now).await,
        }
    }

    /// Graceful degradation: the reservation stays and the worker charges the card later.
    async fn defer(
        &self,
        tx: &mut Tx,
        reason: &str,
        retry_at_ms: Option<i64>,
        now: i64,
    ) -> Result<StoredAnswer, AppError> {
        let order_id = self.order.order_id;
        self.state.card_vault.keep(order_id, self.card.clone());
        let jitter = rand::Rng::gen::<f64>(&mut rand::thread_rng());
        let due = retry_at_ms.unwrap_or_else(|| now + backoff_ms(1, 1_000, 30_000, jitter) as i64);
        settle::deferred_in(tx, order_id, due, reason).await?;
        tracing::info!(order_id, reason = %reason, "payment deferred: order accepted as payment_pending");
        Ok(StoredAnswer::Accepted(CheckoutReceipt { order_id, status: OrderStatus::PaymentPending }))
    }
}

/// The answer for a key used before: the stored one, or (when the first attempt was
/// interrupted before recording it) the real outcome of its order.
async fn answer_from_record(
    state: &AppState,
    record: &KeyRecord,
    fingerprint: &str,
    now: i64,
) -> Result<CheckoutReceipt, AppError> {
    if !record.fingerprint.is_empty() && record.fingerprint != fingerprint {
        return Err(AppError::Invalid(
            "this Idempotency-Key was already used for a different checkout request; use a new key for a new order"
                .into(),
        ));
    }
    if record.answer != StoredAnswer::InFlight {
        return record.answer.clone().into_result();
    }
    let Some(order_id) = record.order_id else {
        return StoredAnswer::InFlight.into_result();
    };
    let Some((status, message)) = crate::orders::store::status_of(&state.db, order_id).await? else {
        return Err(AppError::internal(format!("idempotency key points at missing order {order_id}")));
    };
    let receipt = CheckoutReceipt { order_id, status };
    match status {
        OrderStatus::Paid | OrderStatus::CashOnDelivery => Ok(receipt),
        OrderStatus::Declined => Err(AppError::PaymentDeclined(message)),
        OrderStatus::PaymentFailed => Err(AppError::PaymentFailed { message, order_id }),
        OrderStatus::PaymentPending if now < record.created_at.saturating_add(state.checkout.lease_ms) => {
            StoredAnswer::InFlight.into_result()
        }
        // The attempt is over but was never recorded: the order was accepted and the worker
        // settles it.
        OrderStatus::PaymentPending => Ok(receipt),
    }
}

/// The checkout throttle's current limits (admins).
pub fn throttle(state: &AppState, _admin: &Admin) -> ThrottleSettings {
    state.checkout_gate.throttle()
}

/// Replaces the throttle's limits (admins); `key` unset keeps the current bucket key.
pub fn set_throttle(
    state: &AppState,
    admin: &Admin,
    max_rps: u32,
    burst: u32,
    key: Option<ThrottleKey>,
) -> Result<ThrottleSettings, AppError> {
    let current = state.checkout_gate.throttle();
    let settings =
        ThrottleSettings { max_rps, burst, key: key.unwrap_or(current.key) }.validated().map_err(AppError::Invalid)?;
    state.checkout_gate.set_throttle(settings);
    let text = format!("checkout throttle set to {} /s, burst {}", settings.max_rps, settings.burst);
    state.sli.event("throttle_changed", text, &admin.user().username);
    Ok(settings)
}

/// Deletes expired idempotency keys every `every` (a task of its own, for the process's life).
pub fn spawn_key_purge(state: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match store::purge_expired_keys(&state.db, now_ms()).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired idempotency keys purged"),
                Err(err) => tracing::error!(error = %err, "purging idempotency keys failed"),
            }
        }
    });
}
