//! Flash-sale operations: scheduling (admins), the running sales (everyone, cached), and the
//! admin page's list. Products come from the catalogue's service; this feature writes only its
//! own tables.

use std::collections::HashMap;

use super::rules::{validate_new, FlashSale, FlashSaleError, NewFlashSale};
use super::server_fns::{FlashSaleRow, FlashSalesOverview};
use super::store;
use crate::accounts::guard::Admin;
use crate::catalog;
use crate::platform::{now_ms, AppError, AppState};
use crate::time::display_utc;

/// Schedules a sale; 404 for an unknown product, 409 when it overlaps another of the product.
pub async fn schedule(state: &AppState, admin: &Admin, sale: NewFlashSale) -> Result<i64, AppError> {
    let now = now_ms();
    validate_new(&sale, now).map_err(|e| AppError::Invalid(e.to_string()))?;
    let mut tx = state.db.begin().await?;
    // Held until commit: concurrent schedules for the product queue up here, so the overlap
    // check and the insert cannot interleave with another's.
    catalog::service::hold(&mut tx, admin, sale.product_id).await?;
    if store::overlaps_another(&mut tx, &sale).await? {
        return Err(AppError::Conflict(FlashSaleError::Overlaps.to_string()));
    }
    let id = store::insert(&mut tx, &sale, now).await?;
    tx.commit().await?;
    state.caches.running_sales.clear();
    tracing::info!(
        flash_sale_id = id,
        product_id = sale.product_id,
        admin_user_id = admin.id(),
        "flash sale scheduled"
    );
    Ok(id)
}

/// Current and future sales, soonest first.
pub async fn upcoming(state: &AppState, _admin: &Admin) -> Result<Vec<FlashSale>, AppError> {
    store::upcoming(&state.db, now_ms()).await
}

/// The admin page's section: the upcoming sales with their product's name, ready to show,
/// and the products a sale can be scheduled for.
pub async fn overview(state: &AppState, admin: &Admin) -> Result<FlashSalesOverview, AppError> {
    let products: Vec<(i64, String)> =
        catalog::service::list_all(state, admin).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let names: HashMap<i64, &str> = products.iter().map(|(id, name)| (*id, name.as_str())).collect();
    let rows = upcoming(state, admin)
        .await?
        .into_iter()
        .map(|s| FlashSaleRow {
            product_name: names.get(&s.product_id).map(|n| n.to_string()).unwrap_or_default(),
            runs: format!("{} → {}", display_utc(s.starts_at_ms), display_utc(s.ends_at_ms)),
            discount: format!("{}%", s.discount_percent),
            sold: format!("{} / {}", s.units_sold, s.units_total),
            per_customer_limit: s.per_customer_limit,
        })
        .collect();
    Ok(FlashSalesOverview { rows, products })
}

/// Sales running now, by product, from a cache refreshed every second. A sale that just ended
/// can still show for that second; checkout re-checks the sale's window when it takes units.
pub async fn running(state: &AppState, now_ms: i64) -> Result<HashMap<i64, FlashSale>, AppError> {
    if let Some(sales) = state.caches.running_sales.get(&()) {
        return Ok(sales.into_iter().filter(|(_, s)| s.is_running(now_ms)).collect());
    }
    let sales = store::running_uncached(&state.db, now_ms).await?;
    state.caches.running_sales.put((), sales.clone());
    Ok(sales)
}

/// The running sales as a list by product id, for `GET /api/flash-sales`.
pub async fn running_list(state: &AppState) -> Result<Vec<FlashSale>, AppError> {
    let mut sales: Vec<FlashSale> = running(state, now_ms()).await?.into_values().collect();
    sales.sort_by_key(|s| s.product_id);
    Ok(sales)
}
