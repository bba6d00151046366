//! The owning store of `returns`, `return_items`, `return_photos` and `return_events`: the only
//! SQL that writes them. Every status change is a conditional update on the status it was
//! computed from (`set_status`), so two requests acting at once cannot both apply one. Orders
//! and their lines are read here (joined) as the policy needs them; their writes stay with the
//! orders store.

use sqlx::{Any, Executor};

use super::model::{
    Actor, Condition, Disposition, ImageKind, Photo, Reason, RefundMethod, ReturnEvent, ReturnItem, ReturnStatus,
    ReturnSummary, Shipment,
};
use crate::platform::{AppError, Db, Tx};
use domain::returns::status::Context;

/// The one column list of `returns` (alias `r`, joined with `users u`); `ReturnRow` reads it.
macro_rules! return_columns {
    () => {
        "r.id, r.order_id, r.user_id, u.username, r.status, r.reason, r.details, r.method, r.rma_number, \
         r.review_reason, r.rejection_reason, r.keep_it, r.refunded_early, r.inspected, r.carrier, r.tracking, \
         r.shipped_at, r.received_at, r.exchange_product_id, r.exchange_reserved, r.created_at, r.updated_at, \
         (SELECT CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) FROM return_items i WHERE i.return_id = r.id) AS units \
         FROM returns r JOIN users u ON u.id = r.user_id"
    };
}

/// The one column list of `return_items` (alias `i`, joined with `order_lines l`).
macro_rules! item_columns {
    () => {
        "i.id, i.order_line_id, l.product_id, l.product_name, i.quantity, l.discounted_unit_cents, \
         l.quantity AS line_quantity, l.shipping_cents, l.duty_cents, i.approved_quantity, i.item_condition, \
         i.disposition, i.restocked FROM return_items i JOIN order_lines l ON l.id = i.order_line_id"
    };
}

#[derive(sqlx::FromRow)]
struct ReturnRow {
    id: i64,
    order_id: i64,
    user_id: i64,
    username: String,
    status: String,
    reason: String,
    details: String,
    method: String,
    rma_number: Option<String>,
    review_reason: Option<String>,
    rejection_reason: Option<String>,
    keep_it: i64,
    refunded_early: i64,
    inspected: i64,
    carrier: Option<String>,
    tracking: Option<String>,
    shipped_at: Option<i64>,
    received_at: Option<i64>,
    exchange_product_id: Option<i64>,
    exchange_reserved: i64,
    created_at: i64,
    updated_at: i64,
    units: i64,
}

/// A return as stored, typed.
#[derive(Clone, Debug)]
pub struct StoredReturn {
    pub id: i64,
    pub order_id: i64,
    pub user_id: i64,
    pub customer: String,
    pub status: ReturnStatus,
    pub reason: Reason,
    pub details: String,
    pub method: RefundMethod,
    pub rma_number: Option<String>,
    pub review_reason: Option<String>,
    pub rejection_reason: Option<String>,
    pub keep_it: bool,
    pub refunded_early: bool,
    pub inspected: bool,
    pub shipment: Option<Shipment>,
    pub exchange_product_id: Option<i64>,
    pub exchange_reserved: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub units: i64,
}

impl StoredReturn {
    pub fn context(&self) -> Context {
        Context { refunded_early: self.refunded_early, inspected: self.inspected }
    }

    /// The list entry; the review reason only for admins.
    pub fn summary(&self, for_admin: bool) -> ReturnSummary {
        ReturnSummary {
            id: self.id,
            rma_number: self.rma_number.clone(),
            order_id: self.order_id,
            customer_id: self.user_id,
            customer: self.customer.clone(),
            status: self.status,
            reason: self.reason,
            method: self.method,
            units: self.units,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            review_reason: if for_admin { self.review_reason.clone() } else { None },
        }
    }
}

fn corrupt(what: &str, text: &str) -> AppError {
    AppError::internal(format!("unknown {what} '{text}' in the returns tables"))
}

pub(super) fn parse_status(text: &str) -> Result<ReturnStatus, AppError> {
    ReturnStatus::parse(text).ok_or_else(|| corrupt("return status", text))
}

impl TryFrom<ReturnRow> for StoredReturn {
    type Error = AppError;

    fn try_from(row: ReturnRow) -> Result<Self, AppError> {
        let shipment = match (row.carrier, row.tracking, row.shipped_at) {
            (Some(carrier), Some(tracking), Some(shipped_at_ms)) => {
                Some(Shipment { carrier, tracking, shipped_at_ms, received_at_ms: row.received_at })
            }
            _ => None,
        };
        Ok(StoredReturn {
            id: row.id,
            order_id: row.order_id,
            user_id: row.user_id,
            customer: row.username,
            status: parse_status(&row.status)?,
            reason: Reason::parse(&row.reason).ok_or_else(|| corrupt("reason", &row.reason))?,
            details: row.details,
            method: RefundMethod::parse(&row.method).ok_or_else(|| corrupt("method", &row.method))?,
            rma_number: row.rma_number,
            review_reason: row.review_reason,
            rejection_reason: row.rejection_reason,
            keep_it: row.keep_it == 1,
            refunded_early: row.refunded_early == 1,
            inspected: row.inspected == 1,
            shipment,
            exchange_product_id: row.exchange_product_id,
            exchange_reserved: row.exchange_reserved == 1,
            created_at_ms: row.created_at,
            updated_at_ms: row.updated_at,
            units: row.units,
        })
    }
}

fn typed(rows: Vec<ReturnRow>) -> Result<Vec<StoredReturn>, AppError> {
    rows.into_iter().map(StoredReturn::try_from).collect()
}

/// The return, read from the pool or inside the caller's transaction (after its lock).
pub async fn find<'e>(conn: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<StoredReturn>, AppError> {
    let sql = concat!("SELECT ", return_columns!(), " WHERE r.id = $1");
    let row: Option<ReturnRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    row.map(StoredReturn::try_from).transpose()
}

/// The customer's newest 100 returns.
pub async fn list_by_user(db: &Db, user_id: i64) -> Result<Vec<StoredReturn>, AppError> {
    let sql = concat!("SELECT ", return_columns!(), " WHERE r.user_id = $1 ORDER BY r.id DESC LIMIT 100");
    typed(sqlx::query_as(sql).bind(user_id).fetch_all(db.read()).await?)
}

/// The admin queue, oldest first: optional status and reason, created before `created_before`,
/// only those waiting for review.
pub async fn queue(
    db: &Db,
    status: Option<ReturnStatus>,
    reason: Option<Reason>,
    created_before: i64,
    review_only: bool,
) -> Result<Vec<StoredReturn>, AppError> {
    let sql = concat!(
        "SELECT ",
        return_columns!(),
        " WHERE ($1 = '' OR r.status = $1) AND ($2 = '' OR r.reason = $2) AND r.created_at <= $3 \
         AND ($4 = 0 OR (r.review_reason IS NOT NULL AND r.status = 'requested')) ORDER BY r.created_at, r.id LIMIT 500"
    );
    let rows = sqlx::query_as(sql)
        .bind(status.map(ReturnStatus::as_str).unwrap_or(""))
        .bind(reason.map(Reason::as_str).unwrap_or(""))
        .bind(created_before)
        .bind(i64::from(review_only))
        .fetch_all(db.read())
        .await?;
    typed(rows)
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    order_line_id: i64,
    product_id: i64,
    product_name: String,
    quantity: i64,
    discounted_unit_cents: i64,
    line_quantity: i64,
    shipping_cents: i64,
    duty_cents: i64,
    approved_quantity: Option<i64>,
    item_condition: Option<String>,
    disposition: Option<String>,
    restocked: i64,
}

/// An item with the facts of its order line the refund needs.
#[derive(Clone, Debug)]
pub struct StoredItem {
    pub item: ReturnItem,
    pub line_quantity: i64,
    pub line_shipping_cents: i64,
    pub line_duty_cents: i64,
    pub restocked: i64,
}

impl TryFrom<ItemRow> for StoredItem {
    type Error = AppError;

    fn try_from(row: ItemRow) -> Result<Self, AppError> {
        let condition =
            row.item_condition.as_deref().map(|c| Condition::parse(c).ok_or_else(|| corrupt("condition", c)));
        let disposition =
            row.disposition.as_deref().map(|d| Disposition::parse(d).ok_or_else(|| corrupt("disposition", d)));
        Ok(StoredItem {
            item: ReturnItem {
                id: row.id,
                order_line_id: row.order_line_id,
                product_id: row.product_id,
                name: row.product_name,
                quantity: row.quantity,
                unit_paid_cents: row.discounted_unit_cents,
                condition: condition.transpose()?,
                disposition: disposition.transpose()?,
                approved_quantity: row.approved_quantity,
            },
            line_quantity: row.line_quantity,
            line_shipping_cents: row.shipping_cents,
            line_duty_cents: row.duty_cents,
            restocked: row.restocked,
        })
    }
}

/// The return's items, by product id (the stock lock order).
pub async fn items<'e>(conn: impl Executor<'e, Database = Any>, return_id: i64) -> Result<Vec<StoredItem>, AppError> {
    let sql = concat!("SELECT ", item_columns!(), " WHERE i.return_id = $1 ORDER BY l.product_id, i.id");
    let rows: Vec<ItemRow> = sqlx::query_as(sql).bind(return_id).fetch_all(conn).await?;
    rows.into_iter().map(StoredItem::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct EventRow {
    from_status: Option<String>,
    to_status: String,
    actor_id: Option<i64>,
    actor_role: String,
    actor_name: Option<String>,
    note: String,
    created_at: i64,
}

fn actor_of(text: &str) -> Result<Actor, AppError> {
    match text {
        "customer" => Ok(Actor::Customer),
        "admin" => Ok(Actor::Admin),
        "system" => Ok(Actor::System),
        other => Err(corrupt("actor", other)),
    }
}

fn actor_name(actor: Actor) -> &'static str {
    match actor {
        Actor::Customer => "customer",
        Actor::Admin => "admin",
        Actor::System => "system",
    }
}

/// The timeline, oldest first.
pub async fn events(db: &Db, return_id: i64) -> Result<Vec<ReturnEvent>, AppError> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.from_status, e.to_status, e.actor_id, e.actor_role, u.username AS actor_name, e.note, e.created_at \
         FROM return_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.return_id = $1 ORDER BY e.id",
    )
    .bind(return_id)
    .fetch_all(db.read())
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(ReturnEvent {
                from: row.from_status.as_deref().map(parse_status).transpose()?,
                to: parse_status(&row.to_status)?,
                actor: actor_of(&row.actor_role)?,
                actor_id: row.actor_id,
                actor_name: row.actor_name,
                note: row.note,
                at_ms: row.created_at,
            })
        })
        .collect()
}

/// One step of the timeline, written with the change it records.
pub struct NewEvent<'a> {
    pub from: Option<ReturnStatus>,
    pub to: ReturnStatus,
    pub actor: Actor,
    pub actor_id: Option<i64>,
    pub note: &'a str,
}

pub async fn insert_event(tx: &mut Tx, return_id: i64, event: &NewEvent<'_>, now_ms: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO return_events (return_id, from_status, to_status, actor_id, actor_role, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(return_id)
    .bind(event.from.map(ReturnStatus::as_str))
    .bind(event.to.as_str())
    .bind(event.actor_id)
    .bind(actor_name(event.actor))
    .bind(event.note)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves the return from `from` to `to`; false (nothing changed) when it is no longer `from`.
pub async fn set_status(
    tx: &mut Tx,
    id: i64,
    from: ReturnStatus,
    to: ReturnStatus,
    now_ms: i64,
) -> Result<bool, AppError> {
    let moved = sqlx::query("UPDATE returns SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(to.as_str())
        .bind(now_ms)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(moved.rows_affected() == 1)
}

/// A new request, before its items.
pub struct NewReturnRow<'a> {
    pub order_id: i64,
    pub user_id: i64,
    pub reason: Reason,
    pub details: &'a str,
    pub method: RefundMethod,
    pub review_reason: Option<&'a str>,
    pub keep_it: bool,
    pub exchange_product_id: Option<i64>,
}

pub async fn insert(tx: &mut Tx, new: &NewReturnRow<'_>, now_ms: i64) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO returns (order_id, user_id, status, reason, details, method, review_reason, keep_it, \
         exchange_product_id, created_at, updated_at) VALUES ($1, $2, 'requested', $3, $4, $5, $6, $7, $8, $9, $9) \
         RETURNING id",
    )
    .bind(new.order_id)
    .bind(new.user_id)
    .bind(new.reason.as_str())
    .bind(new.details)
    .bind(new.method.as_str())
    .bind(new.review_reason)
    .bind(i64::from(new.keep_it))
    .bind(new.exchange_product_id)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// (order line id, units) pairs of a new request.
pub async fn insert_items(tx: &mut Tx, return_id: i64, items: &[(i64, i64)]) -> Result<(), AppError> {
    for (line_id, units) in items {
        sqlx::query("INSERT INTO return_items (return_id, order_line_id, quantity) VALUES ($1, $2, $3)")
            .bind(return_id)
            .bind(line_id)
            .bind(units)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Locks the return's row for the rest of `tx`.
pub async fn lock(tx: &mut Tx, id: i64) -> Result<bool, AppError> {
    let locked = sqlx::query("UPDATE returns SET id = id WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(locked.rows_affected() == 1)
}

/// Authorization: the RMA number (and whether the exchange's stock is held).
pub async fn set_authorized(tx: &mut Tx, id: i64, rma: &str, exchange_reserved: bool) -> Result<(), AppError> {
    sqlx::query("UPDATE returns SET rma_number = $1, exchange_reserved = $2 WHERE id = $3")
        .bind(rma)
        .bind(i64::from(exchange_reserved))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_exchange(tx: &mut Tx, id: i64, product_id: Option<i64>, reserved: bool) -> Result<(), AppError> {
    sqlx::query("UPDATE returns SET exchange_product_id = $1, exchange_reserved = $2 WHERE id = $3")
        .bind(product_id)
        .bind(i64::from(reserved))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_rejection(tx: &mut Tx, id: i64, reason: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE returns SET rejection_reason = $1 WHERE id = $2")
        .bind(reason)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_shipment(tx: &mut Tx, id: i64, carrier: &str, tracking: &str, now_ms: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE returns SET carrier = $1, tracking = $2, shipped_at = $3 WHERE id = $4")
        .bind(carrier)
        .bind(tracking)
        .bind(now_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_received(tx: &mut Tx, id: i64, now_ms: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE returns SET received_at = $1 WHERE id = $2").bind(now_ms).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Flags of an early refund and of a finished inspection.
pub async fn set_flags(tx: &mut Tx, id: i64, refunded_early: bool, inspected: bool) -> Result<(), AppError> {
    sqlx::query("UPDATE returns SET refunded_early = $1, inspected = $2 WHERE id = $3")
        .bind(i64::from(refunded_early))
        .bind(i64::from(inspected))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_inspection(
    tx: &mut Tx,
    item_id: i64,
    condition: Condition,
    disposition: Disposition,
    restocked: i64,
) -> Result<(), AppError> {
    sqlx::query("UPDATE return_items SET item_condition = $1, disposition = $2, restocked = $3 WHERE id = $4")
        .bind(condition.as_str())
        .bind(disposition.as_str())
        .bind(restocked)
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_approved(tx: &mut Tx, item_id: i64, quantity: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE return_items SET approved_quantity = $1 WHERE id = $2")
        .bind(quantity)
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Approves every item in full (keep it, early refunds).
pub async fn approve_all(tx: &mut Tx, return_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE return_items SET approved_quantity = quantity WHERE return_id = $1")
        .bind(return_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Photos

/// The one column list of `return_photos`.
macro_rules! photo_columns {
    () => {
        "id, user_id, return_id, kind, bytes, uploaded_at FROM return_photos"
    };
}

#[derive(sqlx::FromRow)]
struct PhotoRow {
    id: String,
    user_id: i64,
    return_id: Option<i64>,
    kind: String,
    bytes: i64,
    uploaded_at: i64,
}

/// A photo with whose it is.
#[derive(Clone, Debug)]
pub struct StoredPhoto {
    pub owner_id: i64,
    pub return_id: Option<i64>,
    pub photo: Photo,
}

pub(super) fn kind_of(text: &str) -> Result<ImageKind, AppError> {
    match text {
        "jpeg" => Ok(ImageKind::Jpeg),
        "png" => Ok(ImageKind::Png),
        "webp" => Ok(ImageKind::Webp),
        other => Err(corrupt("photo type", other)),
    }
}

pub(super) fn kind_name(kind: ImageKind) -> &'static str {
    match kind {
        ImageKind::Jpeg => "jpeg",
        ImageKind::Png => "png",
        ImageKind::Webp => "webp",
    }
}

impl TryFrom<PhotoRow> for StoredPhoto {
    type Error = AppError;

    fn try_from(row: PhotoRow) -> Result<Self, AppError> {
        Ok(StoredPhoto {
            owner_id: row.user_id,
            return_id: row.return_id,
            photo: Photo {
                url: super::model::photo_url(&row.id),
                id: row.id,
                kind: kind_of(&row.kind)?,
                bytes: row.bytes,
                uploaded_at_ms: row.uploaded_at,
            },
        })
    }
}

pub async fn photo(db: &Db, id: &str) -> Result<Option<StoredPhoto>, AppError> {
    let sql = concat!("SELECT ", photo_columns!(), " WHERE id = $1");
    let row: Option<PhotoRow> = sqlx::query_as(sql).bind(id).fetch_optional(db.read()).await?;
    row.map(StoredPhoto::try_from).transpose()
}

pub async fn photos_of(db: &Db, return_id: i64) -> Result<Vec<Photo>, AppError> {
    let sql = concat!("SELECT ", photo_columns!(), " WHERE return_id = $1 ORDER BY uploaded_at, id");
    let rows: Vec<PhotoRow> = sqlx::query_as(sql).bind(return_id).fetch_all(db.read()).await?;
    rows.into_iter().map(|r| StoredPhoto::try_from(r).map(|p| p.photo)).collect()
}

/// The user's photos not attached to a return yet: the wizard draft's, oldest first.
pub async fn draft_photos(db: &Db, user_id: i64) -> Result<Vec<Photo>, AppError> {
    let sql =
        concat!("SELECT ", photo_columns!(), " WHERE user_id = $1 AND return_id IS NULL ORDER BY uploaded_at, id");
    let rows: Vec<PhotoRow> = sqlx::query_as(sql).bind(user_id).fetch_all(db.read()).await?;
    rows.into_iter().map(|r| StoredPhoto::try_from(r).map(|p| p.photo)).collect()
}

/// Photos of a return, or the user's drafts (`return_id` None).
pub async fn count_photos(db: &Db, user_id: i64, return_id: Option<i64>) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) AS n FROM return_photos WHERE user_id = $1 AND \
         (($2 = 0 AND return_id IS NULL) OR return_id = $2)",
    )
    .bind(user_id)
    .bind(return_id.unwrap_or(0))
    .fetch_one(db.read())
    .await?)
}

/// A stored photo's row, written only while fewer than `max` photos share its return (or the
/// user's drafts); false when the limit was reached meanwhile. The user's row is locked first:
/// under PostgreSQL's READ COMMITTED two uploads would otherwise both count the same photos.
pub async fn insert_photo(db: &Db, photo: &StoredPhoto, max: i64) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    crate::accounts::store::lock(&mut tx, photo.owner_id).await?;
    let inserted = sqlx::query(
        "INSERT INTO return_photos (id, user_id, return_id, kind, bytes, uploaded_at) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM return_photos WHERE user_id = $2 AND \
         (($7 = 0 AND return_id IS NULL) OR return_id = $7)) < $8",
    )
    .bind(&photo.photo.id)
    .bind(photo.owner_id)
    .bind(photo.return_id)
    .bind(kind_name(photo.photo.kind))
    .bind(photo.photo.bytes)
    .bind(photo.photo.uploaded_at_ms)
    .bind(photo.return_id.unwrap_or(0))
    .bind(max)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(inserted.rows_affected() == 1)
}

/// Deletes a return that was never submitted (its difference was never charged): its photos go
/// back to the customer's drafts, its items and timeline go with it (ON DELETE CASCADE).
pub async fn delete_unsubmitted(tx: &mut Tx, id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE return_photos SET return_id = NULL WHERE return_id = $1").bind(id).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM returns WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Attaches the user's draft photos to a new return; returns how many were attached.
pub async fn attach_photos(tx: &mut Tx, user_id: i64, return_id: i64, ids: &[String]) -> Result<u64, AppError> {
    let mut attached = 0;
    for id in ids {
        let done =
            sqlx::query("UPDATE return_photos SET return_id = $1 WHERE id = $2 AND user_id = $3 AND return_id IS NULL")
                .bind(return_id)
                .bind(id)
                .bind(user_id)
                .execute(&mut **tx)
                .await?;
        attached += done.rows_affected();
    }
    Ok(attached)
}

/// Deletes a draft photo's row; false when it is not the user's draft.
pub async fn delete_draft(db: &Db, user_id: i64, id: &str) -> Result<bool, AppError> {
    let deleted = sqlx::query("DELETE FROM return_photos WHERE id = $1 AND user_id = $2 AND return_id IS NULL")
        .bind(id)
        .bind(user_id)
        .execute(db.write())
        .await?;
    Ok(deleted.rows_affected() == 1)
}

/// Draft photos (never attached to a return) uploaded before `before_ms`: (id, type), at
/// most 500 per sweep.
pub async fn stale_drafts(db: &Db, before_ms: i64) -> Result<Vec<(String, ImageKind)>, AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, kind FROM return_photos WHERE return_id IS NULL AND uploaded_at < $1 ORDER BY uploaded_at LIMIT 500",
    )
    .bind(before_ms)
    .fetch_all(db.read())
    .await?;
    rows.into_iter().map(|(id, kind)| Ok((id, kind_of(&kind)?))).collect()
}

/// Deletes a stale draft's row; false when it was attached to a return meanwhile.
pub async fn delete_stale_draft(db: &Db, id: &str, before_ms: i64) -> Result<bool, AppError> {
    let deleted = sqlx::query("DELETE FROM return_photos WHERE id = $1 AND return_id IS NULL AND uploaded_at < $2")
        .bind(id)
        .bind(before_ms)
        .execute(db.write())
        .await?;
    Ok(deleted.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------------
// What the policy looks at

/// Returns the customer requested since `since_ms`, and the value of the units in them.
pub async fn returned_since<'e>(
    conn: impl Executor<'e, Database = Any>,
    user_id: i64,
    since_ms: i64,
) -> Result<(i64, i64), AppError> {
    let row: (i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(DISTINCT r.id) AS BIGINT) AS n, \
         CAST(COALESCE(SUM(i.quantity * l.discounted_unit_cents), 0) AS BIGINT) AS cents \
         FROM returns r JOIN return_items i ON i.return_id = r.id JOIN order_lines l ON l.id = i.order_line_id \
         WHERE r.user_id = $1 AND r.created_at >= $2 AND r.status <> 'cancelled'",
    )
    .bind(user_id)
    .bind(since_ms)
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Products the customer kept (returnless refunds) before, or is to keep in a return that is
/// still waiting for review.
pub async fn kept_products<'e>(conn: impl Executor<'e, Database = Any>, user_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT l.product_id FROM returns r JOIN return_items i ON i.return_id = r.id \
         JOIN order_lines l ON l.id = i.order_line_id \
         WHERE r.user_id = $1 AND r.keep_it = 1 AND r.status NOT IN ('rejected', 'cancelled')",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

// ---------------------------------------------------------------------------------------------
// Orders as returns see them (read only: the orders, payments and fulfilment stores write them)

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    user_id: i64,
    status: String,
    payment_method: String,
    total_cents: i64,
    created_at: i64,
    delivered_at: Option<i64>,
    payment_status: Option<String>,
    payment_amount: Option<i64>,
    provider_reference: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: i64,
    order_id: i64,
    product_id: i64,
    product_name: String,
    quantity: i64,
    discounted_unit_cents: i64,
    shipping_cents: i64,
    duty_cents: i64,
    claimed: i64,
}

/// An order with what its returns need: payment, delivery, and units claimed per line.
#[derive(Clone, Debug)]
pub struct OrderForReturn {
    pub id: i64,
    pub user_id: i64,
    pub paid: bool,
    pub payment_method: String,
    pub total_cents: i64,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
    /// What the card was charged (0 for cash or unpaid), and the charge's reference.
    pub card_paid_cents: i64,
    pub charge_reference: Option<String>,
    pub lines: Vec<OrderLineForReturn>,
}

#[derive(Clone, Debug)]
pub struct OrderLineForReturn {
    pub id: i64,
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    pub unit_paid_cents: i64,
    pub shipping_cents: i64,
    pub duty_cents: i64,
    pub claimed: i64,
}

impl OrderForReturn {
    pub fn facts(&self) -> domain::returns::policy::OrderFacts {
        domain::returns::policy::OrderFacts {
            paid: self.paid,
            ordered_at_ms: self.created_at_ms,
            delivered_at_ms: self.delivered_at_ms,
            lines: self
                .lines
                .iter()
                .map(|l| domain::returns::policy::LineFacts {
                    order_line_id: l.id,
                    product_id: l.product_id,
                    name: l.name.clone(),
                    quantity: l.quantity,
                    claimed: l.claimed,
                })
                .collect(),
        }
    }
}

/// The order (with its lines and claimed units) when it is `user_id`'s. Pass `&mut **tx` to
/// count claims inside a transaction that locked the order.
pub async fn order_for_return(
    conn: &mut sqlx::AnyConnection,
    order_id: i64,
) -> Result<Option<OrderForReturn>, AppError> {
    let sql = format!("{ORDER_SELECT} WHERE o.id = $1");
    let row: Option<OrderRow> = sqlx::query_as(&sql).bind(order_id).fetch_optional(&mut *conn).await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let sql = format!("{LINE_SELECT} WHERE l.order_id = $1 ORDER BY l.id");
    let lines: Vec<LineRow> = sqlx::query_as(&sql).bind(order_id).fetch_all(&mut *conn).await?;
    Ok(Some(assemble(row, lines)))
}

/// The customer's newest 50 orders as `order_for_return` reads one: two queries in all.
pub async fn orders_for_return_of(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
) -> Result<Vec<OrderForReturn>, AppError> {
    const NEWEST: &str = "SELECT id FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT 50";
    let sql = format!("{ORDER_SELECT} WHERE o.id IN ({NEWEST}) ORDER BY o.id DESC");
    let rows: Vec<OrderRow> = sqlx::query_as(&sql).bind(user_id).fetch_all(&mut *conn).await?;
    let sql = format!("{LINE_SELECT} WHERE l.order_id IN ({NEWEST}) ORDER BY l.order_id, l.id");
    let lines: Vec<LineRow> = sqlx::query_as(&sql).bind(user_id).fetch_all(&mut *conn).await?;
    let mut by_order: std::collections::BTreeMap<i64, Vec<LineRow>> = std::collections::BTreeMap::new();
    for line in lines {
        by_order.entry(line.order_id).or_default().push(line);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let lines = by_order.remove(&row.id).unwrap_or_default();
            assemble(row, lines)
        })
        .collect())
}

const ORDER_SELECT: &str = "SELECT o.id, o.user_id, o.status, o.payment_method, o.total_cents, o.created_at, \
    s.delivered_at, p.status AS payment_status, p.amount_cents AS payment_amount, p.provider_reference \
    FROM orders o LEFT JOIN shipments s ON s.order_id = o.id LEFT JOIN payments p ON p.order_id = o.id";

/// Each line with the units claimed by returns that are not rejected or cancelled.
const LINE_SELECT: &str = "SELECT l.id, l.order_id, l.product_id, l.product_name, l.quantity, \
    l.discounted_unit_cents, l.shipping_cents, l.duty_cents, (SELECT CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) \
    FROM return_items i JOIN returns r ON r.id = i.return_id WHERE i.order_line_id = l.id \
    AND r.status NOT IN ('rejected', 'cancelled')) AS claimed FROM order_lines l";

fn assemble(row: OrderRow, lines: Vec<LineRow>) -> OrderForReturn {
    let card_paid = row.payment_method == "card" && row.payment_status.as_deref() == Some("succeeded");
    OrderForReturn {
        id: row.id,
        user_id: row.user_id,
        paid: row.status == "paid",
        payment_method: row.payment_method,
        total_cents: row.total_cents,
        created_at_ms: row.created_at,
        delivered_at_ms: row.delivered_at,
        card_paid_cents: if card_paid { row.payment_amount.unwrap_or(0) } else { 0 },
        charge_reference: if card_paid { row.provider_reference } else { None },
        lines: lines
            .into_iter()
            .map(|l| OrderLineForReturn {
                id: l.id,
                product_id: l.product_id,
                name: l.product_name,
                quantity: l.quantity,
                unit_paid_cents: l.discounted_unit_cents,
                shipping_cents: l.shipping_cents,
                duty_cents: l.duty_cents,
                claimed: l.claimed,
            })
            .collect(),
    }
}

/// Value ordered by the customer since `since_ms` (paid orders).
pub async fn ordered_since(conn: &mut sqlx::AnyConnection, user_id: i64, since_ms: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) AS n FROM orders \
         WHERE user_id = $1 AND created_at >= $2 AND status = 'paid'",
    )
    .bind(user_id)
    .bind(since_ms)
    .fetch_one(conn)
    .await?)
}
