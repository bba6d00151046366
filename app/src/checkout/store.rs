//! The checkout's transactions. The first reserves: idempotency key, the ordered cart lines,
//! stock, flash-sale units, order, lines, payment record and the payment job change together
//! or not at all (cash and zero-total orders are also closed in it). The second closes a card
//! attempt with its outcome and the idempotent answer.
//!
//! Lock order, the same in every transaction that takes these rows (so two of them never wait
//! on each other in a cycle on PostgreSQL): idempotency key, then cart lines by product id,
//! then products and their flash sales by product id.

use serde::{Deserialize, Serialize};

use super::model::CheckoutReceipt;
use crate::cart::model::{Cart, CartLine};
use crate::checkout::card::CardSummary;
use crate::flash_sales;
use crate::orders::store::{self as orders, NewOrder};
use crate::orders::{OrderStatus, PaymentMethod};
use crate::payments::store::{self as payments, NewPayment, PaymentStatus};
use crate::platform::{AppError, Db, Tx};
use domain::returns::credit::PaymentSplit;

/// What an idempotency key remembers.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub fingerprint: String,
    pub answer: StoredAnswer,
    pub order_id: Option<i64>,
    pub created_at: i64,
}

/// The answer stored under an idempotency key, replayed to a repeated request. Stored as a
/// status code and a JSON text (`encode` / `decode`, the only two places that know the format):
/// 0 and nothing while in flight, 200 and the receipt, 402 and `{error}`, 422 and
/// `{error, order_id}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredAnswer {
    /// The attempt has not recorded its answer (yet): its order tells what became of it.
    InFlight,
    Accepted(CheckoutReceipt),
    /// The card was declined.
    Declined(String),
    /// The provider refused the payment for good; the order names the failed order.
    Failed {
        message: String,
        order_id: i64,
    },
}

#[derive(Serialize, Deserialize)]
struct StoredError {
    error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order_id: Option<i64>,
}

impl StoredAnswer {
    /// The `(status_code, response)` columns.
    pub fn encode(&self) -> (i64, String) {
        let json = |value: Result<String, serde_json::Error>| value.unwrap_or_default();
        match self {
            StoredAnswer::InFlight => (0, String::new()),
            StoredAnswer::Accepted(receipt) => (200, json(serde_json::to_string(receipt))),
            StoredAnswer::Declined(message) => {
                (402, json(serde_json::to_string(&StoredError { error: message.clone(), order_id: None })))
            }
            StoredAnswer::Failed { message, order_id } => {
                let stored = StoredError { error: message.clone(), order_id: Some(*order_id) };
                (422, json(serde_json::to_string(&stored)))
            }
        }
    }

    /// Reads the columns back; an unreadable receipt or an unknown status is an internal error.
    pub fn decode(status_code: i64, response: &str) -> Result<Self, AppError> {
        let error = || serde_json::from_str::<StoredError>(response).ok();
        match status_code {
            0 => Ok(StoredAnswer::InFlight),
            200 => serde_json::from_str::<CheckoutReceipt>(response)
                .map(StoredAnswer::Accepted)
                .map_err(|e| AppError::internal(format!("stored checkout answer unreadable: {e}"))),
            402 => Ok(StoredAnswer::Declined(error().map_or_else(|| "your card was declined".to_owned(), |e| e.error))),
            422 => {
                let stored = error();
                Ok(StoredAnswer::Failed {
                    order_id: stored.as_ref().and_then(|e| e.order_id).unwrap_or(0),
                    message: stored.map_or_else(
                        || "the payment provider refused this payment; nothing was charged".to_owned(),
                        |e| e.error,
                    ),
                })
            }
            other => Err(AppError::internal(format!("unexpected stored checkout status {other}"))),
        }
    }

    /// The answer as the checkout gives it.
    pub fn into_result(self) -> Result<CheckoutReceipt, AppError> {
        match self {
            StoredAnswer::InFlight => {
                Err(AppError::Conflict("a checkout with this Idempotency-Key is still being processed".into()))
            }
            StoredAnswer::Accepted(receipt) => Ok(receipt),
            StoredAnswer::Declined(message) => Err(AppError::PaymentDeclined(message)),
            StoredAnswer::Failed { message, order_id } => Err(AppError::PaymentFailed { message, order_id }),
        }
    }
}

/// Why the reservation did not happen; nothing was written.
pub enum ReserveError {
    /// The key was used before: answer from its record.
    Replay(KeyRecord),
    /// A line of the cart was ordered (or changed) by a concurrent checkout.
    CartChanged,
    ShortStock {
        line: CartLine,
        available: i64,
    },
    FlashSaleGone {
        line: CartLine,
    },
    /// The store credit to be used is no longer there (spent by another checkout).
    CreditChanged,
    /// Anything else that went wrong (the database, most likely).
    Failed(AppError),
}

impl From<sqlx::Error> for ReserveError {
    fn from(e: sqlx::Error) -> Self {
        ReserveError::Failed(e.into())
    }
}

impl From<AppError> for ReserveError {
    fn from(e: AppError) -> Self {
        ReserveError::Failed(e)
    }
}

pub struct IdempotencyKey<'a> {
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub expires_at: i64,
}

pub struct Reservation<'a> {
    pub user_id: i64,
    pub key: Option<IdempotencyKey<'a>>,
    pub cart: &'a Cart,
    pub method: PaymentMethod,
    pub card: Option<CardSummary>,
    /// How the total is paid: store credit first (taken from the customer's balance in the
    /// reservation), the rest by card or cash (`domain::returns::credit::split_payment`).
    pub split: PaymentSplit,
    /// The instance that will charge the card, and until when its checkout may be in flight.
    pub owner: &'a str,
    pub lease_until: i64,
    pub now_ms: i64,
}

/// A reserved order.
#[derive(Clone, Debug)]
pub struct Reserved {
    pub order_id: i64,
    pub status: OrderStatus,
    pub provider_key: String,
}

/// Reserves stock and records the order, in one transaction: all of it or nothing.
pub async fn reserve(db: &Db, r: &Reservation<'_>) -> Result<Reserved, ReserveError> {
    let mut tx = db.begin().await?;
    match reserve_in(&mut tx, r).await {
        Ok(reserved) => {
            tx.commit().await?;
            Ok(reserved)
        }
        // Dropping the transaction rolls it back.
        Err(Refused::Failed(e)) => Err(ReserveError::Failed(e)),
        Err(refused) => {
            // Rolled back before reading on: the reads need no lock (and, on PostgreSQL, the
            // connection goes back to the pool first).
            tx.rollback().await?;
            Err(explain(db, r, refused).await?)
        }
    }
}

/// Why `reserve_in` stopped (the caller rolls back, then `explain`s it).
enum Refused {
    /// The key is taken (and not expired).
    KeyTaken,
    CartChanged,
    ShortStock(CartLine),
    FlashSaleGone(CartLine),
    CreditChanged,
    Failed(AppError),
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        Refused::Failed(e)
    }
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        Refused::Failed(e.into())
    }
}

/// The reservation's steps, in the lock order (key, cart lines, products by id).
async fn reserve_in(tx: &mut Tx, r: &Reservation<'_>) -> Result<Reserved, Refused> {
    if let Some(key) = &r.key {
        if !claim_key(tx, r.user_id, key, r.now_ms).await? {
            return Err(Refused::KeyTaken);
        }
    }
    let mut lines: Vec<&CartLine> = r.cart.lines.iter().collect();
    lines.sort_by_key(|l| l.product_id);
    if !crate::cart::store::consume_lines(tx, r.user_id, &lines).await? {
        return Err(Refused::CartChanged);
    }
    take_stock_and_units(tx, r, &lines).await?;
    let reserved = record_order(tx, r).await?;
    if !spend_credit(tx, r, reserved.order_id).await? {
        return Err(Refused::CreditChanged);
    }
    if let Some(key) = &r.key {
        // Cash and zero-total orders are complete: their answer is final already.
        let answer = match reserved.status {
            OrderStatus::PaymentPending => StoredAnswer::InFlight,
            status => StoredAnswer::Accepted(CheckoutReceipt { order_id: reserved.order_id, status }),
        };
        link_key(tx, r.user_id, key.key, reserved.order_id, &answer).await?;
    }
    Ok(reserved)
}

/// Takes each line's stock and flash-sale units; `lines` are in product-id order, the lock
/// order `take_stock` asks for.
async fn take_stock_and_units(tx: &mut Tx, r: &Reservation<'_>, lines: &[&CartLine]) -> Result<(), Refused> {
    for line in lines {
        if !crate::catalog::store::take_stock(tx, line.product_id, line.quantity).await? {
            return Err(Refused::ShortStock((*line).clone()));
        }
        if let Some(sale) = &line.flash_sale {
            if !flash_sales::store::take_units(tx, sale.sale_id, r.user_id, line.quantity, r.now_ms).await? {
                return Err(Refused::FlashSaleGone((*line).clone()));
            }
        }
    }
    Ok(())
}

/// The refusal as the service sees it, with what it needs to answer (read after the rollback).
async fn explain(db: &Db, r: &Reservation<'_>, refused: Refused) -> Result<ReserveError, AppError> {
    Ok(match refused {
        Refused::KeyTaken => {
            let key = r.key.as_ref().map(|k| k.key).unwrap_or_default();
            match find_key(db, r.user_id, key, r.now_ms).await? {
                Some(record) => ReserveError::Replay(record),
                None => ReserveError::CartChanged,
            }
        }
        Refused::CartChanged => ReserveError::CartChanged,
        Refused::ShortStock(line) => {
            let available = crate::catalog::store::current_stock(db, line.product_id).await?;
            ReserveError::ShortStock { line, available }
        }
        Refused::FlashSaleGone(line) => ReserveError::FlashSaleGone { line },
        Refused::CreditChanged => ReserveError::CreditChanged,
        Refused::Failed(e) => ReserveError::Failed(e),
    })
}

/// Records order, lines and payment record through their stores; a card order with something
/// to pay also gets the job row that lets the worker settle it from the database alone,
/// whatever happens next.
async fn record_order(tx: &mut Tx, r: &Reservation<'_>) -> Result<Reserved, AppError> {
    let totals = &r.cart.totals;
    // What the card (or cash on delivery) pays after the store credit.
    let to_pay = r.split.card_cents;
    let status = match (r.split.credit_cents > 0, to_pay) {
        (true, 0) => OrderStatus::Paid,
        _ => OrderStatus::at_reservation(r.method, to_pay),
    };
    let order = NewOrder { user_id: r.user_id, status, method: r.method, totals, now_ms: r.now_ms };
    let order_id = orders::insert_order(tx, &order).await?;
    orders::insert_lines(tx, order_id, &r.cart.lines).await?;
    // Random per order: a restored backup or another installation reusing this order id can
    // never be mistaken by the provider for this charge.
    let provider_key = format!("ord{order_id}-{}", uuid::Uuid::new_v4().simple());
    let payment = NewPayment {
        order_id,
        method: r.method,
        amount_cents: to_pay,
        status: match status {
            OrderStatus::Paid => PaymentStatus::Succeeded,
            _ => PaymentStatus::at_reservation(status, r.card.is_some()),
        },
        card: r.card.as_ref(),
        provider_key: &provider_key,
        now_ms: r.now_ms,
    };
    payments::insert_payment(tx, &payment).await?;
    if status == OrderStatus::PaymentPending {
        payments::create_job(tx, order_id, r.owner, r.lease_until, r.now_ms).await?;
    }
    Ok(Reserved { order_id, status, provider_key })
}

/// Takes the store credit the order uses from the customer's balance (the credit store's
/// conditional debit; false when the balance is smaller now). Its lock comes after the
/// products', as in every transaction that takes both.
async fn spend_credit(tx: &mut Tx, r: &Reservation<'_>, order_id: i64) -> Result<bool, AppError> {
    use crate::store_credit::store::{self as credit, Change, Links};
    use domain::returns::credit::CreditReason;
    let links = Links { return_id: None, order_id: Some(order_id) };
    let change = Change {
        user_id: r.user_id,
        amount_cents: r.split.credit_cents,
        reason: CreditReason::Checkout,
        links,
        note: "",
    };
    credit::debit(tx, &change, r.now_ms).await
}

/// Takes the key for this attempt; false when it is already taken (and not expired). An
/// expired record is replaced: the key is free again.
async fn claim_key(tx: &mut Tx, user_id: i64, key: &IdempotencyKey<'_>, now_ms: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at <= $3")
        .bind(user_id)
        .bind(key.key)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_fingerprint, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, key) DO NOTHING",
    )
    .bind(user_id)
    .bind(key.key)
    .bind(key.fingerprint)
    .bind(now_ms)
    .bind(key.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

async fn link_key(
    tx: &mut Tx,
    user_id: i64,
    key: &str,
    order_id: i64,
    answer: &StoredAnswer,
) -> Result<(), sqlx::Error> {
    let (status_code, response) = answer.encode();
    sqlx::query(
        "UPDATE idempotency_keys SET order_id = $1, status_code = $2, response = $3 WHERE user_id = $4 AND key = $5",
    )
    .bind(order_id)
    .bind(status_code)
    .bind(response)
    .bind(user_id)
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    request_fingerprint: String,
    status_code: i64,
    response: String,
    order_id: Option<i64>,
    created_at: i64,
}

/// The record of `key`, unless it expired.
pub async fn find_key(db: &Db, user_id: i64, key: &str, now_ms: i64) -> Result<Option<KeyRecord>, AppError> {
    let row: Option<KeyRow> = sqlx::query_as(
        "SELECT request_fingerprint, status_code, response, order_id, created_at FROM idempotency_keys \
         WHERE user_id = $1 AND key = $2 AND expires_at > $3",
    )
    .bind(user_id)
    .bind(key)
    .bind(now_ms)
    .fetch_optional(db.read())
    .await?;
    row.map(|row| {
        Ok(KeyRecord {
            fingerprint: row.request_fingerprint,
            answer: StoredAnswer::decode(row.status_code, &row.response)?,
            order_id: row.order_id,
            created_at: row.created_at,
        })
    })
    .transpose()
}

/// Records the attempt's answer under its key so replays get it.
pub async fn close_attempt(
    tx: &mut Tx,
    user_id: i64,
    key: Option<&str>,
    answer: &StoredAnswer,
) -> Result<(), AppError> {
    if let Some(key) = key {
        let (status_code, response) = answer.encode();
        sqlx::query("UPDATE idempotency_keys SET status_code = $1, response = $2 WHERE user_id = $3 AND key = $4")
            .bind(status_code)
            .bind(response)
            .bind(user_id)
            .bind(key)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Deletes expired keys; returns how many.
pub async fn purge_expired_keys(db: &Db, now_ms: i64) -> Result<u64, AppError> {
    let purged =
        sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1").bind(now_ms).execute(db.write()).await?;
    Ok(purged.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::OrderStatus;

    #[test]
    fn every_stored_answer_reads_back_as_written() {
        let answers = [
            StoredAnswer::InFlight,
            StoredAnswer::Accepted(CheckoutReceipt { order_id: 7, status: OrderStatus::PaymentPending }),
            StoredAnswer::Declined("your card was declined (insufficient funds)".into()),
            StoredAnswer::Failed { message: "refused".into(), order_id: 9 },
        ];
        for answer in answers {
            let (status, response) = answer.encode();
            assert_eq!(StoredAnswer::decode(status, &response).ok(), Some(answer));
        }
    }

    #[test]
    fn the_stored_format_is_the_one_earlier_versions_wrote() {
        let accepted = StoredAnswer::Accepted(CheckoutReceipt { order_id: 3, status: OrderStatus::Paid });
        assert_eq!(accepted.encode(), (200, r#"{"order_id":3,"status":"paid"}"#.to_owned()));
        let failed = StoredAnswer::Failed { message: "no".into(), order_id: 4 };
        assert_eq!(failed.encode(), (422, r#"{"error":"no","order_id":4}"#.to_owned()));
        assert_eq!(StoredAnswer::Declined("d".into()).encode(), (402, r#"{"error":"d"}"#.to_owned()));
        assert_eq!(StoredAnswer::decode(402, "").ok(), Some(StoredAnswer::Declined("your card was declined".into())));
        assert!(StoredAnswer::decode(500, "").is_err());
        assert!(StoredAnswer::decode(200, "{}").is_err());
    }

    #[test]
    fn stored_answers_become_the_checkout_result() {
        let receipt = CheckoutReceipt { order_id: 1, status: OrderStatus::Paid };
        assert_eq!(StoredAnswer::Accepted(receipt.clone()).into_result().ok(), Some(receipt));
        assert!(matches!(StoredAnswer::Declined("d".into()).into_result(), Err(AppError::PaymentDeclined(_))));
        assert!(matches!(
            StoredAnswer::Failed { message: "f".into(), order_id: 2 }.into_result(),
            Err(AppError::PaymentFailed { order_id: 2, .. })
        ));
        assert!(matches!(StoredAnswer::InFlight.into_result(), Err(AppError::Conflict(_))));
    }
}
