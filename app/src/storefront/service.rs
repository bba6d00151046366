//! The storefront's reads: products on sale from the catalogue, each with the flash sale that
//! runs for it now, turned into the display model.

use super::model::{ProductDetail, Storefront, StorefrontProduct};
use crate::catalog;
use crate::flash_sales;
use crate::platform::{now_ms, AppError, AppState};

pub async fn storefront(state: &AppState) -> Result<Storefront, AppError> {
    let now_ms = now_ms();
    let products = catalog::service::on_sale(state).await?;
    let sales = flash_sales::service::running(state, now_ms).await?;
    let products = products
        .into_iter()
        .map(|p| {
            let sale = sales.get(&p.id);
            StorefrontProduct::new(p, sale)
        })
        .collect();
    Ok(Storefront { products, now_ms })
}

/// One product on sale; 404 for a withdrawn or unknown one.
pub async fn product(state: &AppState, id: i64) -> Result<ProductDetail, AppError> {
    let now_ms = now_ms();
    let product = catalog::service::find_on_sale(state, id).await?;
    let sale = flash_sales::service::running(state, now_ms).await?.remove(&id);
    Ok(ProductDetail { item: StorefrontProduct::new(product, sale.as_ref()), now_ms })
}
