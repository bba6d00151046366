//! `/admin/products`: the catalogue's product sections, then this feature's flash sales (the
//! upcoming ones and the form that schedules one).

use leptos::prelude::*;
use leptos_meta::Title;

use super::server_fns::{admin_flash_sales, FlashSaleRow, FlashSalesOverview, ScheduleFlashSale};
use crate::catalog::admin_views::{ProductActions, ProductAdmin};
use crate::ui::errors::ActionError;

#[component]
pub fn AdminProductsPage() -> impl IntoView {
    let products = ProductActions::new();
    view! {
        <Title text="Products · Admin · Retail"/>
        <ProductAdmin actions=products/>
        <FlashSalesAdmin products/>
    }
}

/// Refetches when a sale is scheduled and when a product changes (new names for the form). An
/// access error is shown once, by the products part.
#[component]
fn FlashSalesAdmin(products: ProductActions) -> impl IntoView {
    let schedule = ServerAction::<ScheduleFlashSale>::new();
    let data = Resource::new(move || (schedule.version().get(), products.version()), |_| admin_flash_sales());
    view! {
        <Transition fallback=|| ()>
            {move || data.get().and_then(|r| r.ok()).map(|overview| view! { <FlashSalesSection overview schedule/> })}
        </Transition>
    }
}

#[component]
fn FlashSalesSection(overview: FlashSalesOverview, schedule: ServerAction<ScheduleFlashSale>) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Flash sales"</h2>
            <ActionError value=schedule.value()/>
            <table class="table">
                <thead><tr><th>"Product"</th><th>"Runs"</th><th>"Discount"</th><th>"Sold"</th><th>"Limit"</th></tr></thead>
                <tbody>{overview.rows.into_iter().map(|row| view! { <SaleRow row/> }).collect_view()}</tbody>
            </table>
            <ScheduleForm products=overview.products schedule/>
        </section>
    }
}

#[component]
fn SaleRow(row: FlashSaleRow) -> impl IntoView {
    view! {
        <tr>
            <td>{row.product_name}</td>
            <td>{row.runs}</td>
            <td>{row.discount}</td>
            <td>{row.sold}</td>
            <td>{row.per_customer_limit}</td>
        </tr>
    }
}

#[component]
fn ScheduleForm(products: Vec<(i64, String)>, schedule: ServerAction<ScheduleFlashSale>) -> impl IntoView {
    view! {
        <ActionForm action=schedule>
            <div class="form-grid">
                <label>"Product"
                    <select name="product_id">
                        {products.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Starts in (minutes)" <input type="number" name="starts_in_minutes" value="0" min="0"/></label>
                <label>"Runs for (minutes)" <input type="number" name="duration_minutes" value="60" min="1"/></label>
                <label>"Discount %" <input type="number" name="discount_percent" value="20" min="1" max="99"/></label>
                <label>"Units for the sale" <input type="number" name="units_total" value="50" min="1"/></label>
                <label>"Per-customer limit" <input type="number" name="per_customer_limit" value="2" min="1"/></label>
            </div>
            <button type="submit">"Schedule flash sale"</button>
        </ActionForm>
    }
}
