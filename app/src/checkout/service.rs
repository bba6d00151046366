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

use serde_json::json;

use super::card::{year_month_of, Card};
use super::model::{parse_payment, CheckoutReceipt, CheckoutRequest, Payment};
use super::store::{self, IdempotencyKey, KeyRecord, Reservation, ReserveError, Reserved};
use crate::cart;
use crate::orders::OrderStatus;
use crate::payments::backoff::backoff_ms;
use crate::payments::gateway::ChargeError;
use crate::payments::settle;
use crate::platform::{now_ms, AppError, AppState};

/// The answer to a checkout, also what an idempotent replay returns.
#[derive(Debug)]
pub enum CheckoutAnswer {
    Accepted(CheckoutReceipt),
    Failed(AppError),
}

pub async fn checkout(
    state: &AppState,
    user_id: i64,
    request: &CheckoutRequest,
    idempotency_key: Option<&str>,
) -> CheckoutAnswer {
    let started = Instant::now();
    metrics::counter!("orders_submitted_total").increment(1);
    let answer = match state.checkout_gate.enter().await {
        Ok(_slot) => run(state, user_id, request, idempotency_key).await,
        Err(busy) => CheckoutAnswer::Failed(busy),
    };
    match &answer {
        CheckoutAnswer::Accepted(receipt) => {
            let mode = match receipt.status {
                OrderStatus::Paid => "paid",
                OrderStatus::CashOnDelivery => "cash",
                _ => "queued",
            };
            metrics::counter!("orders_accepted_total", "mode" => mode).increment(1);
            metrics::histogram!("checkout_duration_seconds").record(started.elapsed().as_secs_f64());
        }
        CheckoutAnswer::Failed(err) => {
            metrics::counter!("orders_rejected_total", "reason" => rejection_reason(err)).increment(1);
        }
    }
    answer
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

async fn run(state: &AppState, user_id: i64, request: &CheckoutRequest, key: Option<&str>) -> CheckoutAnswer {
    match attempt(state, user_id, request, key).await {
        Ok(answer) => answer,
        Err(err) => CheckoutAnswer::Failed(err),
    }
}

async fn attempt(
    state: &AppState,
    user_id: i64,
    request: &CheckoutRequest,
    key: Option<&str>,
) -> Result<CheckoutAnswer, AppError> {
    if let Some(key) = key {
        if key.is_empty() || key.len() > 100 {
            return Err(AppError::Invalid("Idempotency-Key must be 1 to 100 characters".into()));
        }
    }
    let now = now_ms();
    let payment = parse_payment(request, year_month_of(now)).map_err(|e| AppError::Invalid(e.to_string()))?;
    let fingerprint = payment.fingerprint();
    state.checkout_gate.admit(user_id)?;
    if let Some(key) = key {
        if let Some(record) = store::find_key(&state.db, user_id, key, now).await? {
            return answer_from_record(state, &record, &fingerprint, now).await;
        }
    }
    let cart = cart::service::priced(state, user_id, now).await?;
    if cart.is_empty() {
        return Err(empty_cart(state, user_id, now).await?);
    }
    if let Some(problem) = cart.checkout_blocker() {
        let line = cart.lines.iter().find(|l| l.problem.is_some());
        return Err(match line {
            Some(l) => {
                AppError::ShortStock { message: problem, product_id: l.product_id, available: l.available.max(0) }
            }
            None => AppError::Conflict(problem),
        });
    }

    let card = match &payment {
        Payment::Card(card) => Some(card.clone()),
        Payment::Cash => None,
    };
    let reservation = Reservation {
        user_id,
        key: key.map(|key| IdempotencyKey {
            key,
            fingerprint: &fingerprint,
            expires_at: now.saturating_add(state.checkout.key_ttl_ms),
        }),
        cart: &cart,
        method: payment.method(),
        card: card.as_ref().map(|c| c.summary()),
        owner: &state.instance_id,
        lease_until: now.saturating_add(state.checkout.lease_ms),
        now_ms: now,
    };
    let order = match store::reserve(&state.db, &reservation).await {
        Ok(order) => order,
        Err(ReserveError::Replay(record)) => return answer_from_record(state, &record, &fingerprint, now).await,
        Err(ReserveError::CartChanged) => {
            return Err(AppError::Conflict(
                "your cart is already being ordered (another tab or a repeated click); nothing more was charged: \
                 check your orders"
                    .into(),
            ))
        }
        Err(ReserveError::ShortStock { line, available }) => {
            return Err(AppError::ShortStock {
                message: format!("stock for '{}' changed: only {available} left; nothing was charged", line.name),
                product_id: line.product_id,
                available,
            })
        }
        Err(ReserveError::FlashSaleGone { line }) => {
            return Err(AppError::Conflict(format!(
                "the flash sale for '{}' just sold out or ended; your cart shows the new price",
                line.name
            )))
        }
        Err(ReserveError::Db(e)) => return Err(e),
    };
    let (Some(card), OrderStatus::PaymentPending) = (card, order.status) else {
        // Cash and zero-total orders were closed inside the reservation.
        return Ok(CheckoutAnswer::Accepted(CheckoutReceipt { order_id: order.order_id, status: order.status }));
    };
    // The charge and its settlement run to the end even if this request is dropped.
    let charge = ChargeTask {
        state: state.clone(),
        user_id,
        key: key.map(str::to_owned),
        order,
        card,
        amount_cents: cart.totals.grand_total_cents,
    };
    match tokio::spawn(charge.run()).await {
        Ok(answer) => answer,
        Err(e) => Err(AppError::internal(format!("checkout charge task ended abnormally: {e}"))),
    }
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

struct ChargeTask {
    state: AppState,
    user_id: i64,
    key: Option<String>,
    order: Reserved,
    card: Card,
    amount_cents: i64,
}

impl ChargeTask {
    async fn run(self) -> Result<CheckoutAnswer, AppError> {
        let ChargeTask { state, user_id, key, order, card, amount_cents } = self;
        let order_id = order.order_id;
        let key = key.as_deref();
        let outcome = state.payments.charge(&order.provider_key, amount_cents, &card, state.checkout_attempts).await;
        let now = now_ms();
        let mut tx = state.db.write().begin().await?;
        let answer = match outcome {
            Ok(reference) => {
                if !settle::mark_paid(&mut tx, order_id, &reference, now).await? {
                    tracing::error!(order_id, reference = %reference, "charged, but the order had already left payment_pending");
                }
                let receipt = CheckoutReceipt { order_id, status: OrderStatus::Paid };
                store::close_attempt(&mut tx, user_id, key, 200, &json!(receipt).to_string()).await?;
                CheckoutAnswer::Accepted(receipt)
            }
            Err(ChargeError::Declined(reason)) => {
                let message = format!(
                    "your card was declined ({reason}); nothing was charged and your cart is kept: try another card or cash on delivery"
                );
                settle::mark_failed(&mut tx, order_id, OrderStatus::Declined, &message, settle::Cart::Restore, now)
                    .await?;
                store::close_attempt(&mut tx, user_id, key, 402, &json!({ "error": message }).to_string()).await?;
                tracing::info!(order_id, "card declined at checkout");
                CheckoutAnswer::Failed(AppError::PaymentDeclined(message))
            }
            Err(ChargeError::Rejected(reason)) => {
                let message = format!(
                    "the payment provider refused this payment ({reason}); nothing was charged and your cart is kept: \
                     try another card or cash on delivery"
                );
                settle::mark_failed(
                    &mut tx,
                    order_id,
                    OrderStatus::PaymentFailed,
                    &message,
                    settle::Cart::Restore,
                    now,
                )
                .await?;
                let stored = json!({ "error": message, "order_id": order_id }).to_string();
                store::close_attempt(&mut tx, user_id, key, 422, &stored).await?;
                tracing::warn!(order_id, reason = %reason, "payment refused by the provider");
                CheckoutAnswer::Failed(AppError::PaymentFailed { message, order_id })
            }
            Err(ChargeError::Unavailable { reason, retry_at_ms }) => {
                // Graceful degradation: keep the reservation and let the worker charge it.
                state.card_vault.keep(order_id, card);
                let jitter = rand::Rng::gen::<f64>(&mut rand::thread_rng());
                let due = retry_at_ms.unwrap_or_else(|| now + backoff_ms(1, 1_000, 30_000, jitter) as i64);
                settle::defer(&mut tx, order_id, due, &reason).await?;
                let receipt = CheckoutReceipt { order_id, status: OrderStatus::PaymentPending };
                store::close_attempt(&mut tx, user_id, key, 200, &json!(receipt).to_string()).await?;
                tracing::info!(order_id, reason = %reason, "payment deferred: order accepted as payment_pending");
                CheckoutAnswer::Accepted(receipt)
            }
        };
        tx.commit().await?;
        Ok(answer)
    }
}

/// The answer for a key used before: the stored one, or (when the first attempt was
/// interrupted before recording it) the real outcome of its order.
async fn answer_from_record(
    state: &AppState,
    record: &KeyRecord,
    fingerprint: &str,
    now: i64,
) -> Result<CheckoutAnswer, AppError> {
    if !record.fingerprint.is_empty() && record.fingerprint != fingerprint {
        return Err(AppError::Invalid(
            "this Idempotency-Key was already used for a different checkout request; use a new key for a new order"
                .into(),
        ));
    }
    if record.status_code != 0 {
        return replay(record.status_code, &record.response);
    }
    let still_running = AppError::Conflict("a checkout with this Idempotency-Key is still being processed".into());
    let Some(order_id) = record.order_id else {
        return Err(still_running);
    };
    let Some((status, message)) = crate::orders::store::status_of(&state.db, order_id).await? else {
        return Err(AppError::internal(format!("idempotency key points at missing order {order_id}")));
    };
    let receipt = CheckoutReceipt { order_id, status };
    match status {
        OrderStatus::Paid | OrderStatus::CashOnDelivery => Ok(CheckoutAnswer::Accepted(receipt)),
        OrderStatus::Declined => Ok(CheckoutAnswer::Failed(AppError::PaymentDeclined(message))),
        OrderStatus::PaymentFailed => Ok(CheckoutAnswer::Failed(AppError::PaymentFailed { message, order_id })),
        OrderStatus::PaymentPending if now < record.created_at.saturating_add(state.checkout.lease_ms) => {
            Err(still_running)
        }
        // The attempt is over but was never recorded: the order was accepted and the worker
        // settles it.
        OrderStatus::PaymentPending => Ok(CheckoutAnswer::Accepted(receipt)),
    }
}

fn replay(status_code: i64, response: &str) -> Result<CheckoutAnswer, AppError> {
    let stored = serde_json::from_str::<serde_json::Value>(response).unwrap_or_default();
    let message = |fallback: &str| stored["error"].as_str().map(str::to_owned).unwrap_or_else(|| fallback.to_owned());
    match status_code {
        200 => serde_json::from_value::<CheckoutReceipt>(stored.clone())
            .map(CheckoutAnswer::Accepted)
            .map_err(|e| AppError::internal(format!("stored checkout answer unreadable: {e}"))),
        402 => Ok(CheckoutAnswer::Failed(AppError::PaymentDeclined(message("your card was declined")))),
        422 => Ok(CheckoutAnswer::Failed(AppError::PaymentFailed {
            message: message("the payment provider refused this payment; nothing was charged"),
            order_id: stored["order_id"].as_i64().unwrap_or(0),
        })),
        other => Err(AppError::internal(format!("unexpected stored checkout status {other}"))),
    }
}
