//! The owning store of `store_credit_accounts` and `store_credit_entries`: a customer's
//! balance changes only here, always with its ledger entry in the same transaction. A debit is
//! a conditional update (the balance never goes below zero, also a `CHECK`), and a return's
//! credit or an order's debit is written at most once (unique indexes), so a retried step can
//! never pay twice.

use crate::platform::{AppError, Db, Tx};
use domain::returns::credit::{CreditAccount, CreditEntry, CreditReason};

/// What a ledger entry belongs to.
#[derive(Clone, Copy, Debug, Default)]
pub struct Links {
    pub return_id: Option<i64>,
    pub order_id: Option<i64>,
}

/// One change of a customer's credit, as its ledger entry records it: how much (a positive
/// amount; `debit` takes it away), why, what it belongs to, and a note.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub user_id: i64,
    pub amount_cents: i64,
    pub reason: CreditReason,
    pub links: Links,
    pub note: &'a str,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    amount_cents: i64,
    reason: String,
    return_id: Option<i64>,
    order_id: Option<i64>,
    note: String,
    created_at: i64,
}

pub async fn balance(db: &Db, user_id: i64) -> Result<i64, AppError> {
    let balance: Option<i64> = sqlx::query_scalar("SELECT balance_cents FROM store_credit_accounts WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.read())
        .await?;
    Ok(balance.unwrap_or(0))
}

/// The balance and the newest 200 entries.
pub async fn account(db: &Db, user_id: i64) -> Result<CreditAccount, AppError> {
    let rows: Vec<EntryRow> = sqlx::query_as(
        "SELECT id, amount_cents, reason, return_id, order_id, note, created_at FROM store_credit_entries \
         WHERE user_id = $1 ORDER BY id DESC LIMIT 200",
    )
    .bind(user_id)
    .fetch_all(db.read())
    .await?;
    let entries = rows
        .into_iter()
        .map(|row| {
            let reason = CreditReason::parse(&row.reason)
                .ok_or_else(|| AppError::internal(format!("unknown credit reason {}", row.reason)))?;
            Ok(CreditEntry {
                id: row.id,
                amount_cents: row.amount_cents,
                reason,
                return_id: row.return_id,
                order_id: row.order_id,
                note: row.note,
                created_at_ms: row.created_at,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(CreditAccount { balance_cents: balance(db, user_id).await?, entries })
}

/// The ledger entry of `change`, signed: `amount_cents` is what the balance moved by.
async fn entry(tx: &mut Tx, change: &Change<'_>, amount_cents: i64, now_ms: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO store_credit_entries (user_id, amount_cents, reason, return_id, order_id, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(change.user_id)
    .bind(amount_cents)
    .bind(change.reason.as_str())
    .bind(change.links.return_id)
    .bind(change.links.order_id)
    .bind(change.note)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds the change's amount to the customer's credit with its ledger entry (nothing when it is
/// not positive).
pub async fn credit(tx: &mut Tx, change: &Change<'_>, now_ms: i64) -> Result<(), AppError> {
    let (user_id, amount_cents) = (change.user_id, change.amount_cents);
    if amount_cents <= 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO store_credit_accounts (user_id, balance_cents, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET balance_cents = store_credit_accounts.balance_cents + excluded.balance_cents, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(amount_cents)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    entry(tx, change, amount_cents, now_ms).await
}

/// Takes the change's amount from the customer's credit; false (nothing changed) when the
/// balance is smaller. Locks the customer's account row until `tx` ends.
pub async fn debit(tx: &mut Tx, change: &Change<'_>, now_ms: i64) -> Result<bool, AppError> {
    let (user_id, amount_cents) = (change.user_id, change.amount_cents);
    if amount_cents <= 0 {
        return Ok(true);
    }
    let taken = sqlx::query(
        "UPDATE store_credit_accounts SET balance_cents = balance_cents - $1, updated_at = $2 \
         WHERE user_id = $3 AND balance_cents >= $1",
    )
    .bind(amount_cents)
    .bind(now_ms)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(false);
    }
    entry(tx, change, -amount_cents, now_ms).await?;
    Ok(true)
}

/// Gives back the store credit an order took at checkout (the order failed: nothing was
/// charged), once; nothing when it took none.
pub async fn give_back_checkout(tx: &mut Tx, user_id: i64, order_id: i64, now_ms: i64) -> Result<(), AppError> {
    let spent: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(-amount_cents), 0) AS BIGINT) AS n FROM store_credit_entries \
         WHERE order_id = $1 AND reason = 'checkout'",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?;
    let links = Links { return_id: None, order_id: Some(order_id) };
    let change = Change { user_id, amount_cents: spent, reason: CreditReason::CheckoutReversed, links, note: "" };
    credit(tx, &change, now_ms).await
}
