//! The checkout, step by step:
//! 1. validate the payment choice and price the cart (reads only);
//! 2. one transaction reserves stock and flash-sale units and records order, lines and payment
//!    record (cash orders are complete here);
//! 3. cards are charged through the gateway (breaker + bounded retry), outside any transaction;
//! 4. one transaction settles the outcome, empties the cart and stores the idempotent answer:
//!    paid; declined (stock released, cart kept, 402); or, when the provider is unavailable,
//!    accepted as `payment_pending` with a durable job for the background worker.

use std::time::Instant;

use serde_json::json;

use super::card::year_month_of;
use super::model::{parse_payment, CheckoutReceipt, CheckoutRequest, Payment};
use super::store::{self, Reservation, ReserveError};
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
    let cart = cart::service::priced(state, user_id, now).await?;
    if cart.is_empty() {
        return Err(AppError::Invalid("your cart is empty".into()));
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
        idempotency_key: key,
        cart: &cart,
        method: payment.method(),
        card: card.as_ref().map(|c| c.summary()),
        now_ms: now,
    };
    let order_id = match store::reserve(&state.db, &reservation).await {
        Ok(id) => id,
        Err(ReserveError::Replay { status_code, response }) => return replay(status_code, &response),
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
    let Some(card) = card else {
        // Cash orders were closed inside the reservation.
        return Ok(CheckoutAnswer::Accepted(CheckoutReceipt { order_id, status: OrderStatus::CashOnDelivery }));
    };

    let outcome = state.payments.charge(order_id, cart.totals.grand_total_cents, &card, state.checkout_attempts).await;
    let now = now_ms();
    let mut tx = state.db.write().begin().await?;
    let answer = match outcome {
        Ok(reference) => {
            settle::mark_paid(&mut tx, order_id, &reference, now).await?;
            let receipt = CheckoutReceipt { order_id, status: OrderStatus::Paid };
            store::close_attempt(&mut tx, user_id, key, true, 200, &json!(receipt).to_string()).await?;
            CheckoutAnswer::Accepted(receipt)
        }
        Err(ChargeError::Declined(reason)) => {
            let message = format!(
                "your card was declined ({reason}); nothing was charged and your cart is kept: try another card or cash on delivery"
            );
            settle::mark_failed(&mut tx, order_id, OrderStatus::Declined, &message, now).await?;
            store::close_attempt(&mut tx, user_id, key, false, 402, &json!({ "error": message }).to_string()).await?;
            tracing::info!(order_id, "card declined at checkout");
            CheckoutAnswer::Failed(AppError::PaymentDeclined(message))
        }
        Err(ChargeError::Unavailable { reason, retry_at_ms }) => {
            // Graceful degradation: keep the reservation and let the worker charge it.
            state.card_vault.keep(order_id, card);
            let jitter = rand::Rng::gen::<f64>(&mut rand::thread_rng());
            let due = retry_at_ms.unwrap_or_else(|| now + backoff_ms(1, 1_000, 30_000, jitter) as i64);
            settle::queue(&mut tx, order_id, &state.instance_id, due, &reason, now).await?;
            let receipt = CheckoutReceipt { order_id, status: OrderStatus::PaymentPending };
            store::close_attempt(&mut tx, user_id, key, true, 200, &json!(receipt).to_string()).await?;
            tracing::info!(order_id, reason = %reason, "payment deferred: order accepted as payment_pending");
            CheckoutAnswer::Accepted(receipt)
        }
    };
    tx.commit().await?;
    Ok(answer)
}

fn replay(status_code: i64, response: &str) -> Result<CheckoutAnswer, AppError> {
    match status_code {
        0 => Err(AppError::Conflict("a checkout with this Idempotency-Key is still being processed".into())),
        200 => serde_json::from_str::<CheckoutReceipt>(response)
            .map(CheckoutAnswer::Accepted)
            .map_err(|e| AppError::internal(format!("stored checkout answer unreadable: {e}"))),
        402 => {
            let message = serde_json::from_str::<serde_json::Value>(response)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or_else(|| "your card was declined".into());
            Ok(CheckoutAnswer::Failed(AppError::PaymentDeclined(message)))
        }
        other => Err(AppError::internal(format!("unexpected stored checkout status {other}"))),
    }
}
