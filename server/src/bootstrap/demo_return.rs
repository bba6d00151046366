//! The demo return (DEMO_SEED=1): alice's delivered, paid card order of a laptop with an
//! authorized return `RMA-CP3-DEMO-001`, like the original shop's, so the refund drill
//! (`scripts/refund-outage`) works out of the box. Written once; later starts leave it alone.
//! The order's rows are written here directly: they stand for an order placed in the past.

use app::platform::{now_ms, AppError, Db, Tx};
use app::returns::model::{Actor, Reason, RefundMethod, ReturnStatus};
use app::returns::store::{self as returns, NewEvent, NewReturnRow};

pub const DEMO_RMA: &str = "RMA-CP3-DEMO-001";
const DAY_MS: i64 = 86_400_000;

pub(super) async fn seed(db: &Db) -> Result<(), AppError> {
    let seeded: i64 = sqlx::query_scalar("SELECT COUNT(*) AS n FROM returns WHERE rma_number = $1")
        .bind(DEMO_RMA)
        .fetch_one(db.read())
        .await?;
    if seeded > 0 {
        return Ok(());
    }
    let alice: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'alice'").fetch_optional(db.read()).await?;
    let laptop: Option<(i64, String, i64, i64)> =
        sqlx::query_as("SELECT id, name, price_cents, discount_percent FROM products WHERE name = 'Laptop'")
            .fetch_optional(db.read())
            .await?;
    let (Some(alice), Some(laptop)) = (alice, laptop) else {
        return Ok(());
    };
    let now = now_ms();
    let mut tx = db.begin().await?;
    let (order_id, line_id) = delivered_order(&mut tx, alice, &laptop, now - 5 * DAY_MS, now - 2 * DAY_MS).await?;
    authorized_return(&mut tx, alice, order_id, line_id, now - DAY_MS).await?;
    tx.commit().await?;
    tracing::info!(rma = DEMO_RMA, order_id, "demo return ready");
    Ok(())
}

async fn delivered_order(
    tx: &mut Tx,
    user_id: i64,
    (product_id, name, price, discount): &(i64, String, i64, i64),
    placed: i64,
    delivered: i64,
) -> Result<(i64, i64), AppError> {
    let unit = domain_discounted(*price, *discount);
    let order_id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (user_id, status, payment_method, subtotal_cents, discount_cents, shipping_cents, \
         duty_cents, total_cents, created_at, updated_at) VALUES ($1, 'paid', 'card', $2, $3, 0, 0, $4, $5, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(price)
    .bind(price - unit)
    .bind(unit)
    .bind(placed)
    .fetch_one(&mut **tx)
    .await?;
    let line_id: i64 = sqlx::query_scalar(
        "INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_cents, \
         discounted_unit_cents, discount_percent, subtotal_cents, shipping_cents, duty_cents, total_cents) \
         VALUES ($1, $2, $3, 1, $4, $5, $6, $5, 0, 0, $5) RETURNING id",
    )
    .bind(order_id)
    .bind(product_id)
    .bind(name)
    .bind(price)
    .bind(unit)
    .bind(discount)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO payments (order_id, method, amount_cents, status, card_brand, card_last4, provider_reference, \
         provider_key, updated_at) VALUES ($1, 'card', $2, 'succeeded', 'Visa', '4242', 'ch_demo_0001', $3, $4)",
    )
    .bind(order_id)
    .bind(unit)
    .bind(format!("demo-ord{order_id}"))
    .bind(placed)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO shipments (order_id, carrier, tracking, shipped_at, delivered_at) VALUES ($1, 'DHL', 'JD014600006281', $2, $3)",
    )
    .bind(order_id)
    .bind(placed + DAY_MS)
    .bind(delivered)
    .execute(&mut **tx)
    .await?;
    Ok((order_id, line_id))
}

fn domain_discounted(price: i64, percent: i64) -> i64 {
    app::cart::pricing::discounted_cents(price, percent)
}

async fn authorized_return(tx: &mut Tx, user_id: i64, order_id: i64, line_id: i64, at: i64) -> Result<(), AppError> {
    let row = NewReturnRow {
        order_id,
        user_id,
        reason: Reason::Damaged,
        details: "The screen arrived cracked.",
        method: RefundMethod::OriginalPayment,
        review_reason: None,
        keep_it: false,
        exchange_product_id: None,
    };
    let id = returns::insert(tx, &row, at).await?;
    returns::insert_items(tx, id, &[(line_id, 1)]).await?;
    let requested =
        NewEvent { from: None, to: ReturnStatus::Requested, actor: Actor::Customer, actor_id: Some(user_id), note: "" };
    returns::insert_event(tx, id, &requested, at).await?;
    returns::set_status(tx, id, ReturnStatus::Requested, ReturnStatus::Authorized, at).await?;
    returns::set_authorized(tx, id, DEMO_RMA, false).await?;
    let authorized = NewEvent {
        from: Some(ReturnStatus::Requested),
        to: ReturnStatus::Authorized,
        actor: Actor::System,
        actor_id: None,
        note: "demo data",
    };
    returns::insert_event(tx, id, &authorized, at).await
}
