//! `/admin/products`: create, edit, restock and withdraw products; schedule flash sales.

use leptos::prelude::*;
use leptos_meta::Title;

use super::money::format_cents;
use super::server_fns::{admin_products, Restock, SaveProduct, ScheduleFlashSale, SetProductActive};
use super::Product;
use crate::flash_sales::FlashSale;
use crate::time::display_utc;
use crate::ui::errors::{ActionError, ForbiddenPage};

#[derive(Clone, Copy)]
struct AdminActions {
    save: ServerAction<SaveProduct>,
    restock: ServerAction<Restock>,
    active: ServerAction<SetProductActive>,
    sale: ServerAction<ScheduleFlashSale>,
}

#[component]
pub fn AdminProductsPage() -> impl IntoView {
    let actions = AdminActions {
        save: ServerAction::new(),
        restock: ServerAction::new(),
        active: ServerAction::new(),
        sale: ServerAction::new(),
    };
    let version = move || {
        (
            actions.save.version().get(),
            actions.restock.version().get(),
            actions.active.version().get(),
            actions.sale.version().get(),
        )
    };
    let data = Resource::new(version, |_| admin_products());
    view! {
        <Title text="Products · Admin · Retail"/>
        <Transition fallback=|| view! { <p class="muted">"Loading products…"</p> }>
            {move || data.get().map(|result| match result {
                Ok((products, sales)) => view! { <ProductAdmin products sales actions/> }.into_any(),
                Err(err) => view! { <ForbiddenPage message=err.message/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ProductAdmin(products: Vec<Product>, sales: Vec<FlashSale>, actions: AdminActions) -> impl IntoView {
    let names: Vec<(i64, String)> = products.iter().map(|p| (p.id, p.name.clone())).collect();
    view! {
        <section class="panel">
            <h1>"Products"</h1>
            <ActionError value=actions.save.value()/>
            <ActionError value=actions.restock.value()/>
            <ActionError value=actions.active.value()/>
            <table class="table admin-products" data-testid="admin-products">
                <thead><tr><th>"Product"</th><th>"Price"</th><th>"Stock"</th><th>"State"</th><th></th></tr></thead>
                <tbody>{products.into_iter().map(|p| view! { <ProductRow product=p actions/> }).collect_view()}</tbody>
            </table>
        </section>
        <section class="panel">
            <h2>"New product"</h2>
            <ProductForm product=None actions/>
        </section>
        <section class="panel">
            <h2>"Flash sales"</h2>
            <ActionError value=actions.sale.value()/>
            <table class="table">
                <thead><tr><th>"Product"</th><th>"Runs"</th><th>"Discount"</th><th>"Sold"</th><th>"Limit"</th></tr></thead>
                <tbody>
                    {sales.into_iter().map(|s| {
                        let name = names.iter().find(|(id, _)| *id == s.product_id).map(|(_, n)| n.clone()).unwrap_or_default();
                        view! {
                            <tr>
                                <td>{name}</td>
                                <td>{format!("{} → {}", display_utc(s.starts_at_ms), display_utc(s.ends_at_ms))}</td>
                                <td>{format!("{}%", s.discount_percent)}</td>
                                <td>{format!("{} / {}", s.units_sold, s.units_total)}</td>
                                <td>{s.per_customer_limit}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <ActionForm action=actions.sale>
                <div class="form-grid">
                    <label>"Product"
                        <select name="product_id">
                            {names.iter().map(|(id, name)| view! { <option value=*id>{name.clone()}</option> }).collect_view()}
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
        </section>
    }
}

#[component]
fn ProductRow(product: Product, actions: AdminActions) -> impl IntoView {
    let id = product.id;
    let active = product.active;
    view! {
        <tr data-product-id=id>
            <td>
                <details>
                    <summary>{product.name.clone()}</summary>
                    <ProductForm product=Some(product.clone()) actions/>
                </details>
            </td>
            <td>{format_cents(product.price_cents)}</td>
            <td>
                <ActionForm action=actions.restock>
                    <input type="hidden" name="id" value=id/>
                    <input type="number" name="stock" value=product.stock min="0" step="1" aria-label="Stock"/>
                    <button type="submit" class="small">"Set stock"</button>
                </ActionForm>
            </td>
            <td>{if active { "On sale" } else { "Withdrawn" }}</td>
            <td>
                <ActionForm action=actions.active>
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="active" value=(!active).to_string()/>
                    <button type="submit" class="small secondary">{if active { "Withdraw" } else { "Put on sale" }}</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// Create (no product) or edit form.
#[component]
fn ProductForm(product: Option<Product>, actions: AdminActions) -> impl IntoView {
    let editing = product.is_some();
    let p = product.unwrap_or(Product {
        id: 0,
        name: String::new(),
        description: String::new(),
        price_cents: 0,
        stock: 0,
        discount_percent: 0,
        shipping_weight_grams: 0,
        country_of_origin: String::new(),
        requires_shipping: true,
        active: true,
    });
    let price = format!("{}.{:02}", p.price_cents / 100, p.price_cents % 100);
    view! {
        <ActionForm action=actions.save>
            {editing.then(|| view! { <input type="hidden" name="id" value=p.id/> })}
            <div class="form-grid">
                <label>"Name" <input type="text" name="name" value=p.name.clone() required maxlength="120"/></label>
                <label>"Price ($)" <input type="text" name="price" value=price inputmode="decimal" required/></label>
                {(!editing).then(|| view! { <label>"Stock" <input type="number" name="stock" value="0" min="0"/></label> })}
                {editing.then(|| view! { <input type="hidden" name="stock" value="0"/> })}
                <label>"Discount %" <input type="number" name="discount_percent" value=p.discount_percent min="0" max="100"/></label>
                <label>"Shipping weight (g)" <input type="number" name="shipping_weight_grams" value=p.shipping_weight_grams min="0"/></label>
                <label>"Country of origin" <input type="text" name="country_of_origin" value=p.country_of_origin.clone()/></label>
                <label class="inline"><input type="checkbox" name="requires_shipping" value="on" checked=p.requires_shipping/> " Ships"</label>
            </div>
            <label>"Description" <textarea name="description" rows="2">{p.description.clone()}</textarea></label>
            <button type="submit" class="small">{if editing { "Save changes" } else { "Create product" }}</button>
        </ActionForm>
    }
}
