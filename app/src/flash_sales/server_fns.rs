//! The admin page's flash-sale server functions.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::FnError;

/// One upcoming sale as the admin table shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashSaleRow {
    pub product_name: String,
    /// "start → end", UTC.
    pub runs: String,
    pub discount: String,
    /// "sold / total".
    pub sold: String,
    pub per_customer_limit: i64,
}

/// The flash-sale section: upcoming sales, and the (id, name) of every product for the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashSalesOverview {
    pub rows: Vec<FlashSaleRow>,
    pub products: Vec<(i64, String)>,
}

#[server(prefix = "/rpc", endpoint = "admin_flash_sales")]
pub async fn admin_flash_sales() -> Result<FlashSalesOverview, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::overview(&state, &admin).await?)
}

/// Schedules a flash sale from the admin form (start and length in minutes from now).
#[server(prefix = "/rpc", endpoint = "admin_flash_sale")]
pub async fn schedule_flash_sale(
    product_id: i64,
    starts_in_minutes: String,
    duration_minutes: String,
    discount_percent: String,
    units_total: String,
    per_customer_limit: String,
) -> Result<(), FnError> {
    use super::form::ScheduleForm;
    use crate::platform::AppError;
    let (state, admin) = crate::accounts::guard::admin()?;
    let form = ScheduleForm {
        product_id,
        starts_in_minutes,
        duration_minutes,
        discount_percent,
        units_total,
        per_customer_limit,
    };
    let sale = form.sale(crate::platform::now_ms()).map_err(AppError::Invalid)?;
    super::service::schedule(&state, &admin, sale).await?;
    Ok(())
}
