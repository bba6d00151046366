use super::rules::{validate_new, FlashSale, FlashSaleError, NewFlashSale};
use super::store;
use crate::catalog;
use crate::platform::{now_ms, AppError, AppState};

pub async fn schedule(state: &AppState, sale: NewFlashSale) -> Result<i64, AppError> {
    let now = now_ms();
    validate_new(&sale, now).map_err(|e| AppError::Invalid(e.to_string()))?;
    if catalog::store::find(&state.db, sale.product_id).await?.is_none() {
        return Err(AppError::NotFound(format!("no product with id {}", sale.product_id)));
    }
    let id = store::insert_if_free(&state.db, &sale, now)
        .await?
        .ok_or_else(|| AppError::Conflict(FlashSaleError::Overlaps.to_string()))?;
    state.caches.running_sales.clear();
    tracing::info!(flash_sale_id = id, product_id = sale.product_id, "flash sale scheduled");
    Ok(id)
}

pub async fn upcoming(state: &AppState) -> Result<Vec<FlashSale>, AppError> {
    store::upcoming(&state.db, now_ms()).await
}

/// Sales running now, by product, from a cache refreshed every second. A sale that just ended
/// can still show for that second; checkout re-checks the sale's window when it takes units.
pub async fn running(state: &AppState, now_ms: i64) -> Result<std::collections::HashMap<i64, FlashSale>, AppError> {
    if let Some(sales) = state.caches.running_sales.get(&()) {
        return Ok(sales.into_iter().filter(|(_, s)| s.is_running(now_ms)).collect());
    }
    let sales = store::running_uncached(&state.db, now_ms).await?;
    state.caches.running_sales.put((), sales.clone());
    Ok(sales)
}
