//! The checkout, step by step:
//! 1. validate the payment choice and price the cart (reads only);
//! 2. one transaction reserves stock and flash-sale units and records order, lines, payment
//!    record and, for cards, a safety-net payment job;
//! 3. cards are charged through the gateway (breaker + bounded retry), outside any transaction;
//! 4. the outcome settles the order: paid; declined (stock released, cart kept, 402); or, when
//!    the provider is unavailable, accepted as `payment_pending` for the background worker.

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

/// How long a card order may sit unsettled before the worker picks it up by itself.
const SAFETY_NET_MS: i64 = 30_000;

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
        owner: &state.instance_id,
        now_ms: now,
        job_due_ms: now + SAFETY_NET_MS,
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
        store::clear_cart(&state.db, user_id).await?;
        return finish(state, user_id, key, Ok(CheckoutReceipt { order_id, status: OrderStatus::CashOnDelivery }))
            .await;
    };
    state.card_vault.keep(order_id, card.clone());
    let outcome = match state
        .payments
        .charge(order_id, cart.totals.grand_total_cents, &card, state.checkout_attempts)
        .await
    {
        Ok(reference) => {
            settle::paid(&state.db, order_id, &reference, now_ms()).await?;
            state.card_vault.forget(order_id);
            store::clear_cart(&state.db, user_id).await?;
            Ok(CheckoutReceipt { order_id, status: OrderStatus::Paid })
        }
        Err(ChargeError::Declined(reason)) => {
            let message = format!("your card was declined ({reason}); nothing was charged, your cart is kept: try another card or cash on delivery");
            settle::failed(&state.db, order_id, OrderStatus::Declined, &message, now_ms()).await?;
            state.card_vault.forget(order_id);
            tracing::info!(order_id, "card declined at checkout");
            Err(AppError::PaymentDeclined(message))
        }
        Err(ChargeError::Unavailable { reason, retry_at_ms }) => {
            // Graceful degradation: keep the reservation, let the worker charge it.
            let jitter = rand::Rng::gen::<f64>(&mut rand::thread_rng());
            let due = retry_at_ms.unwrap_or_else(|| now_ms() + backoff_ms(1, 1_000, 30_000, jitter) as i64);
            settle::retry_later(&state.db, order_id, 0, due, &reason).await?;
            store::clear_cart(&state.db, user_id).await?;
            tracing::info!(order_id, reason = %reason, "payment deferred: order accepted as payment_pending");
            Ok(CheckoutReceipt { order_id, status: OrderStatus::PaymentPending })
        }
    };
    finish(state, user_id, key, outcome).await
}

/// Stores the final answer under the idempotency key (accepted orders and declines).
async fn finish(
    state: &AppState,
    user_id: i64,
    key: Option<&str>,
    outcome: Result<CheckoutReceipt, AppError>,
) -> Result<CheckoutAnswer, AppError> {
    if let Some(key) = key {
        let (status, body) = match &outcome {
            Ok(receipt) => (200, json!(receipt)),
            Err(err) => (err.status().as_u16(), json!({ "error": err.to_string() })),
        };
        store::store_answer(&state.db, user_id, key, status, &body.to_string()).await?;
    }
    Ok(match outcome {
        Ok(receipt) => CheckoutAnswer::Accepted(receipt),
        Err(err) => CheckoutAnswer::Failed(err),
    })
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
