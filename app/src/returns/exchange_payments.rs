//! The card payment of an exchange's price difference: a replacement dearer than the refund is
//! paid for when the return is submitted, and what is no longer owed goes back to the same card.
//! This module owns `exchange_payments`; a payment is known by its charge's provider key.
//!
//! Submitting: the return (requested, not authorized yet) and its payment row (`charging`) are
//! committed first; then the card is charged in a task of its own, so a client that goes away
//! does not stop it halfway. Charged: the return goes on (`service::difference_paid`). Not
//! charged (declined, refused, or the provider holding no charge under the key): the return is
//! withdrawn as if it had never been submitted (its rows deleted, its photos back in the
//! customer's draft) and the customer is told why. When the provider cannot say (its answer was
//! lost and it cannot be asked, e.g. the breaker opened), the return waits, shown as "confirming",
//! and the worker asks again shortly. A server that dies in between leaves a `charging` row; once
//! its claim expires, or at once when that server's heartbeat stops, the worker asks the provider
//! about the key: charged, the return goes on; not, the shop cancels it (`payment_failed`: the
//! customer may have seen it). Nothing is decided on a guess, and a charge that turns up after
//! its return was withdrawn is paid back.
//!
//! Paying back: rejecting or cancelling a charged exchange, or settling it for less than was paid
//! (`domain::returns::refund::settle_exchange`), schedules `back_cents` to the card under a key of
//! its own, sent by the refund queue's rules (`refunds::send_to_card`): retried while the provider
//! is down, claimed by one server at a time, paid once.

use domain::card::Card;

use super::model::{DifferencePayment, RefundState};
use super::refunds::{backoff, send_to_card, Sent, CLAIM_MS};
use crate::payments::gateway::{ChargeError, Lookup};
use crate::platform::{now_ms, AppError, AppState, Db, Tx};

/// The one column list of `exchange_payments`.
macro_rules! payment_columns {
    () => {
        "charge_key, return_id, amount_cents, replacement_cents, card_brand, card_last4, status, charge_reference, \
         back_cents, back_key, back_status, back_reference, attempts, next_attempt_at, last_error \
         FROM exchange_payments"
    };
}

/// A payment as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ExchangePayment {
    pub charge_key: String,
    /// `None` once its return was withdrawn (deleted).
    pub return_id: Option<i64>,
    pub amount_cents: i64,
    pub replacement_cents: i64,
    card_brand: String,
    card_last4: String,
    status: String,
    charge_reference: Option<String>,
    back_cents: i64,
    back_key: Option<String>,
    back_status: String,
    back_reference: Option<String>,
    attempts: i64,
    next_attempt_at: Option<i64>,
    last_error: String,
}

impl ExchangePayment {
    pub fn charged(&self) -> bool {
        self.status == "charged"
    }

    pub fn charging(&self) -> bool {
        self.status == "charging"
    }

    /// The price paid for each replacement unit (`units`: the return's).
    pub fn unit_price_cents(&self, units: i64) -> i64 {
        self.replacement_cents / units.max(1)
    }

    pub fn view(&self) -> DifferencePayment {
        DifferencePayment {
            amount_cents: self.amount_cents,
            card: format!("{} •••• {}", self.card_brand, self.card_last4),
            charged: self.charged(),
            charge_reference: self.charge_reference.clone(),
            back_cents: self.back_cents,
            back_state: RefundState::parse(&self.back_status),
            back_reference: self.back_reference.clone(),
            last_error: self.last_error.clone(),
        }
    }
}

/// What the customer pays by card when submitting an exchange.
pub struct DifferenceCharge {
    pub amount_cents: i64,
    /// The replacement's price now: the swap is settled at it.
    pub replacement_cents: i64,
    pub card: Card,
}

pub async fn find<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Any>,
    return_id: i64,
) -> Result<Option<ExchangePayment>, AppError> {
    let sql = concat!("SELECT ", payment_columns!(), " WHERE return_id = $1");
    Ok(sqlx::query_as(sql).bind(return_id).fetch_optional(conn).await?)
}

/// Whether the return waits for its difference's charge to be confirmed (nothing may be done
/// with it until then: it may still be withdrawn).
pub async fn is_charging(db: &Db, return_id: i64) -> Result<bool, AppError> {
    Ok(find(db.read(), return_id).await?.is_some_and(|p| p.charging()))
}

/// The row written before the provider is called; returns the charge's provider key. Until the
/// charge is settled the row is claimed by this server (`owner`) for `CLAIM_MS`.
pub async fn insert(
    tx: &mut Tx,
    return_id: i64,
    charge: &DifferenceCharge,
    owner: &str,
    now: i64,
) -> Result<String, AppError> {
    let key = format!("ex{return_id}-{}", uuid::Uuid::new_v4().simple());
    let card = charge.card.summary();
    sqlx::query(
        "INSERT INTO exchange_payments (charge_key, return_id, amount_cents, replacement_cents, card_brand, card_last4, \
         status, owner, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'charging', $7, $8, $9)",
    )
    .bind(&key)
    .bind(return_id)
    .bind(charge.amount_cents)
    .bind(charge.replacement_cents)
    .bind(card.brand)
    .bind(card.last4)
    .bind(owner)
    .bind(now.saturating_add(CLAIM_MS))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(key)
}

/// The charge went through; false when it had been settled already.
pub async fn mark_charged(tx: &mut Tx, key: &str, reference: &str, now: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE exchange_payments SET status = 'charged', charge_reference = $1, charged_at = $2, \
         next_attempt_at = NULL, owner = '', last_error = '' WHERE charge_key = $3 AND status = 'charging'",
    )
    .bind(reference)
    .bind(now)
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A charge the provider made for a payment whose return was withdrawn meanwhile (the provider
/// could not be asked in time, then said there was none): it is paid back in full.
pub async fn charged_after_withdrawal(db: &Db, key: &str, reference: &str, now: i64) -> Result<(), AppError> {
    let back_key = format!("exb-{}", uuid::Uuid::new_v4().simple());
    let found = sqlx::query(
        "UPDATE exchange_payments SET status = 'charged', charge_reference = $1, charged_at = $2, \
         back_cents = amount_cents, back_key = $3, back_status = 'pending', next_attempt_at = $2, owner = '' \
         WHERE charge_key = $4 AND status = 'withdrawn' AND back_status = 'none'",
    )
    .bind(reference)
    .bind(now)
    .bind(back_key)
    .bind(key)
    .execute(db.write())
    .await?;
    if found.rows_affected() == 1 {
        tracing::error!(charge_key = key, reference, "exchange charged after its return was withdrawn: paying it back");
    }
    Ok(())
}

/// Marks a payment that was never charged `withdrawn`, in the caller's transaction; false when it
/// had been settled already.
pub async fn mark_withdrawn(tx: &mut Tx, key: &str) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE exchange_payments SET status = 'withdrawn', next_attempt_at = NULL, owner = '' \
         WHERE charge_key = $1 AND status = 'charging'",
    )
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Nothing was charged and the customer is told so now: the return is withdrawn as if never
/// submitted (its photos go back to the customer's draft; the payment row stays, detached).
async fn withdraw(db: &Db, return_id: i64, key: &str) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    if !mark_withdrawn(&mut tx, key).await? {
        return Ok(());
    }
    super::store::delete_unsubmitted(&mut tx, return_id).await?;
    tx.commit().await?;
    metrics::counter!("exchange_payments_total", "outcome" => "not_charged").increment(1);
    Ok(())
}

/// Schedules `cents` back to the card the difference was paid with, never more than was paid
/// (nothing when there is no charged payment, or one was scheduled already).
pub async fn pay_back_in(tx: &mut Tx, return_id: i64, cents: i64, now: i64) -> Result<(), AppError> {
    if cents <= 0 {
        return Ok(());
    }
    let key = format!("exb-{}", uuid::Uuid::new_v4().simple());
    sqlx::query(
        "UPDATE exchange_payments SET back_cents = CASE WHEN $1 < amount_cents THEN $1 ELSE amount_cents END, \
         back_key = $2, back_status = 'pending', next_attempt_at = $3, attempts = 0, owner = '' \
         WHERE return_id = $4 AND status = 'charged' AND back_status = 'none'",
    )
    .bind(cents)
    .bind(key)
    .bind(now)
    .bind(return_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The whole payment back (the return was rejected or cancelled); nothing without a charged one.
pub async fn pay_all_back_in(tx: &mut Tx, return_id: i64, now: i64) -> Result<(), AppError> {
    pay_back_in(tx, return_id, i64::MAX, now).await
}

/// The customer chose another replacement (the first sold out): the swap is settled at its price.
pub async fn set_replacement(tx: &mut Tx, return_id: i64, replacement_cents: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE exchange_payments SET replacement_cents = $1 WHERE return_id = $2")
        .bind(replacement_cents)
        .bind(return_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An admin's "retry now" for a payment back that is pending or failed. False when there is none.
pub async fn retry_now(tx: &mut Tx, return_id: i64, now: i64) -> Result<bool, AppError> {
    let due = sqlx::query(
        "UPDATE exchange_payments SET back_status = 'pending', next_attempt_at = $1, owner = '' \
         WHERE return_id = $2 AND back_status IN ('pending', 'failed')",
    )
    .bind(now)
    .bind(return_id)
    .execute(&mut **tx)
    .await?;
    Ok(due.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------------
// Charging at submission

const NOT_REACHED: &str = "the payment provider cannot be reached just now; nothing was charged and your return \
                           was not submitted: please try again in a minute";

/// How soon the worker asks the provider again about a charge that could not be confirmed.
const ASK_AGAIN_MS: i64 = 1_000;

/// Charges the difference of the return just committed (see the module comment), in a task of
/// its own. `Err` when the return was withdrawn; `Ok` when it goes on, charged or being
/// confirmed.
pub async fn charge(state: &AppState, return_id: i64, key: String, charge: DifferenceCharge) -> Result<(), AppError> {
    match tokio::spawn(run_charge(state.clone(), return_id, key, charge)).await {
        Ok(outcome) => outcome,
        Err(e) => Err(AppError::internal(format!("exchange charge task ended abnormally: {e}"))),
    }
}

async fn run_charge(state: AppState, return_id: i64, key: String, charge: DifferenceCharge) -> Result<(), AppError> {
    if state.payments.open_for_ms(now_ms()).is_some() {
        // The breaker is open: no call is made.
        return not_charged(&state, return_id, &key, NOT_REACHED.to_owned()).await;
    }
    let outcome = state.payments.charge(&key, charge.amount_cents, &charge.card, state.checkout_attempts).await;
    match outcome {
        Ok(reference) => paid(&state, return_id, &key, &reference).await,
        Err(ChargeError::Declined(reason)) => {
            let message = format!(
                "your card was declined ({reason}); nothing was charged and your return was not submitted: try another card"
            );
            not_charged(&state, return_id, &key, message).await
        }
        Err(ChargeError::Rejected(reason)) => {
            let message = format!(
                "the payment provider refused this payment ({reason}); nothing was charged and your return was not \
                 submitted: try another card"
            );
            not_charged(&state, return_id, &key, message).await
        }
        // A call may have reached the provider (its answer lost, then perhaps the breaker
        // opened): only the provider's record says whether it charged.
        Err(ChargeError::Unavailable { reason, .. }) => match state.payments.lookup(&key).await {
            Ok(Lookup::Charged(reference)) => paid(&state, return_id, &key, &reference).await,
            Ok(Lookup::NoCharge) => not_charged(&state, return_id, &key, NOT_REACHED.to_owned()).await,
            Err(_) => {
                tracing::warn!(return_id, reason = %reason, "exchange charge unconfirmed: the worker asks again");
                let due = now_ms().saturating_add(ASK_AGAIN_MS);
                retry_later(&state.db, &key, 1, due, "confirming the payment with the payment provider").await
            }
        },
    }
}

async fn paid(state: &AppState, return_id: i64, key: &str, reference: &str) -> Result<(), AppError> {
    if super::service::difference_paid(state, return_id, key, reference).await? {
        return Ok(());
    }
    Err(AppError::PaymentDeclined(
        "your payment arrived after the shop had stopped waiting for it: it is being paid back to your card, and your \
         return was not submitted; please submit it again"
            .to_owned(),
    ))
}

async fn not_charged(state: &AppState, return_id: i64, key: &str, message: String) -> Result<(), AppError> {
    withdraw(&state.db, return_id, key).await?;
    Err(AppError::PaymentDeclined(message))
}

// ---------------------------------------------------------------------------------------------
// The worker (run by the refund worker's passes)

/// Charges to confirm and payments back that are due, and those claimed by a server that is gone
/// (see `refunds::due`).
async fn due(db: &Db, me: &str, now_ms: i64, alive_since_ms: i64) -> Result<Vec<ExchangePayment>, AppError> {
    let sql = concat!(
        "SELECT ",
        payment_columns!(),
        " WHERE (status = 'charging' OR back_status = 'pending') AND next_attempt_at IS NOT NULL \
         AND (next_attempt_at <= $1 OR (owner <> '' AND owner <> $3 AND NOT EXISTS (SELECT 1 FROM instances i \
         WHERE i.id = exchange_payments.owner AND i.last_seen_at > $2))) ORDER BY next_attempt_at LIMIT 16"
    );
    Ok(sqlx::query_as(sql).bind(now_ms).bind(alive_since_ms).bind(me).fetch_all(db.read()).await?)
}

async fn claim(db: &Db, payment: &ExchangePayment, owner: &str, until_ms: i64) -> Result<bool, AppError> {
    let claimed = sqlx::query(
        "UPDATE exchange_payments SET next_attempt_at = $1, owner = $2 WHERE charge_key = $3 AND next_attempt_at = $4",
    )
    .bind(until_ms)
    .bind(owner)
    .bind(&payment.charge_key)
    .bind(payment.next_attempt_at)
    .execute(db.write())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

pub(super) async fn run_once(state: &AppState, now: i64, alive_since: i64) -> Result<usize, AppError> {
    let mut ran = 0;
    for payment in due(&state.db, &state.instance_id, now, alive_since).await? {
        if !claim(&state.db, &payment, &state.instance_id, now_ms().saturating_add(CLAIM_MS)).await? {
            continue;
        }
        ran += 1;
        let outcome =
            if payment.charging() { confirm(state, &payment).await } else { send_back(state, &payment).await };
        if let Err(err) = outcome {
            tracing::error!(charge_key = %payment.charge_key, error = %err, "exchange payment run failed");
        }
    }
    Ok(ran)
}

/// A charge whose answer was never recorded: the provider's record decides. Asked again with
/// backoff when it cannot answer (or settling it fails).
async fn confirm(state: &AppState, payment: &ExchangePayment) -> Result<(), AppError> {
    let key = &payment.charge_key;
    let settled = match state.payments.lookup(key).await {
        Ok(Lookup::Charged(reference)) => match payment.return_id {
            Some(return_id) => super::service::difference_paid(state, return_id, key, &reference).await.map(|_| ()),
            None => charged_after_withdrawal(&state.db, key, &reference, now_ms()).await,
        },
        Ok(Lookup::NoCharge) => super::service::difference_never_charged(state, payment).await,
        Err(err) => Err(AppError::internal(err.reason())),
    };
    match settled {
        Ok(()) => Ok(()),
        Err(err) => {
            tracing::warn!(charge_key = %key, error = %err, "exchange charge not confirmed yet");
            let attempts = payment.attempts.saturating_add(1);
            let due = now_ms().saturating_add(backoff(state, attempts));
            retry_later(&state.db, key, attempts, due, "confirming the payment with the payment provider").await
        }
    }
}

async fn send_back(state: &AppState, payment: &ExchangePayment) -> Result<(), AppError> {
    let (Some(back_key), Some(charge)) = (payment.back_key.as_deref(), payment.charge_reference.as_deref()) else {
        return Err(AppError::internal("exchange payment back without a key or charge"));
    };
    let key = &payment.charge_key;
    match send_to_card(state, back_key, charge, payment.back_cents, payment.attempts).await {
        Sent::Paid(reference) => {
            sqlx::query(
                "UPDATE exchange_payments SET back_status = 'paid', back_reference = $1, next_attempt_at = NULL, \
                 owner = '', last_error = '' WHERE charge_key = $2 AND back_status = 'pending'",
            )
            .bind(&reference)
            .bind(key)
            .execute(state.db.write())
            .await?;
            metrics::counter!("refunds_total", "method" => "exchange_card", "outcome" => "paid").increment(1);
            tracing::info!(charge_key = %key, reference, "exchange difference paid back");
            Ok(())
        }
        Sent::Later { attempts, due_ms, reason, .. } => retry_later(&state.db, key, attempts, due_ms, &reason).await,
        Sent::Refused { attempts, reason } => {
            sqlx::query(
                "UPDATE exchange_payments SET back_status = 'failed', attempts = $1, last_error = $2, \
                 next_attempt_at = NULL, owner = '' WHERE charge_key = $3 AND back_status = 'pending'",
            )
            .bind(attempts)
            .bind(format!("the payment provider refused the refund: {reason}"))
            .bind(key)
            .execute(state.db.write())
            .await?;
            metrics::counter!("refunds_total", "method" => "exchange_card", "outcome" => "failed").increment(1);
            Ok(())
        }
    }
}

async fn retry_later(db: &Db, key: &str, attempts: i64, due_ms: i64, reason: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE exchange_payments SET attempts = $1, next_attempt_at = $2, last_error = $3, owner = '' \
         WHERE charge_key = $4 AND (status = 'charging' OR back_status = 'pending')",
    )
    .bind(attempts)
    .bind(due_ms)
    .bind(reason)
    .bind(key)
    .execute(db.write())
    .await?;
    Ok(())
}
