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
    tracing::info!(flash_sale_id = id, product_id = sale.product_id, "flash sale scheduled");
    Ok(id)
}

pub async fn upcoming(state: &AppState) -> Result<Vec<FlashSale>, AppError> {
    store::upcoming(&state.db, now_ms()).await
}
