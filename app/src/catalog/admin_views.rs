//! `/admin/products`, the catalogue's part: the product table (edit, restock, withdraw) and the
//! new-product form. The page, with the flash sales under it, is composed in
//! `flash_sales::admin_views` (flash sales build on the catalogue, not the other way round).

use leptos::prelude::*;

use super::form::ProductForm;
use super::server_fns::{admin_products, Restock, SaveProduct, SetProductActive};
use super::Product;
use crate::ui::components::{resource_view, Money};
use crate::ui::errors::ActionError;

/// The page's product actions. They outlive the table redrawing, so their errors stay shown.
#[derive(Clone, Copy)]
pub struct ProductActions {
    save: ServerAction<SaveProduct>,
    restock: ServerAction<Restock>,
    active: ServerAction<SetProductActive>,
}

impl ProductActions {
    pub fn new() -> Self {
        ProductActions { save: ServerAction::new(), restock: ServerAction::new(), active: ServerAction::new() }
    }

    /// Changes each time a product action completes: what lists products refetches on it.
    pub fn version(&self) -> (usize, usize, usize) {
        (self.save.version().get(), self.restock.version().get(), self.active.version().get())
    }
}

impl Default for ProductActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The products table and the new-product form, or the access-denied page.
#[component]
pub fn ProductAdmin(actions: ProductActions) -> impl IntoView {
    let data = Resource::new(move || actions.version(), |_| admin_products());
    resource_view(data, "Loading products…", move |products| view! { <ProductSections products actions/> })
}

#[component]
fn ProductSections(products: Vec<Product>, actions: ProductActions) -> impl IntoView {
    view! {
        <section class="panel">
            <h1>"Products"</h1>
            <ActionError value=actions.save.value()/>
            <ActionError value=actions.restock.value()/>
            <ActionError value=actions.active.value()/>
            <ProductTable products actions/>
        </section>
        <section class="panel">
            <h2>"New product"</h2>
            <ProductEditor form=ProductForm::blank() actions/>
        </section>
    }
}

#[component]
fn ProductTable(products: Vec<Product>, actions: ProductActions) -> impl IntoView {
    view! {
        <table class="table admin-products" data-testid="admin-products">
            <thead><tr><th>"Product"</th><th>"Price"</th><th>"Stock"</th><th>"State"</th><th></th></tr></thead>
            <tbody>{products.into_iter().map(|product| view! { <ProductRow product actions/> }).collect_view()}</tbody>
        </table>
    }
}

#[component]
fn ProductRow(product: Product, actions: ProductActions) -> impl IntoView {
    view! {
        <tr data-product-id=product.id>
            <td>
                <details>
                    <summary>{product.name.clone()}</summary>
                    <ProductEditor form=ProductForm::editing(&product) actions/>
                </details>
            </td>
            <td><Money cents=product.price_cents/></td>
            <td><RestockForm id=product.id stock=product.stock actions/></td>
            <td>{if product.active { "On sale" } else { "Withdrawn" }}</td>
            <td><ActiveToggle id=product.id active=product.active actions/></td>
        </tr>
    }
}

#[component]
fn RestockForm(id: i64, stock: i64, actions: ProductActions) -> impl IntoView {
    view! {
        <ActionForm action=actions.restock>
            <input type="hidden" name="id" value=id/>
            <input type="number" name="stock" value=stock min="0" step="1" aria-label="Stock"/>
            <button type="submit" class="small">"Set stock"</button>
        </ActionForm>
    }
}

#[component]
fn ActiveToggle(id: i64, active: bool, actions: ProductActions) -> impl IntoView {
    view! {
        <ActionForm action=actions.active>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="active" value=(!active).to_string()/>
            <button type="submit" class="small secondary">{if active { "Withdraw" } else { "Put on sale" }}</button>
        </ActionForm>
    }
}

/// The create form (no `id`) or the edit form of one product. Field names are `form[…]`: the
/// server function takes them as one `ProductForm`.
#[component]
fn ProductEditor(form: ProductForm, actions: ProductActions) -> impl IntoView {
    let editing = form.id;
    view! {
        <ActionForm action=actions.save>
            {editing.map(|id| view! { <input type="hidden" name="form[id]" value=id/> })}
            <div class="form-grid">
                <label>"Name" <input type="text" name="form[name]" value=form.name required maxlength="120"/></label>
                <label>"Price ($)" <input type="text" name="form[price]" value=form.price inputmode="decimal" required/></label>
                <StockField editing=editing.is_some() stock=form.stock/>
                <label>"Discount %" <input type="number" name="form[discount_percent]" value=form.discount_percent min="0" max="100"/></label>
                <label>"Shipping weight (g)" <input type="number" name="form[shipping_weight_grams]" value=form.shipping_weight_grams min="0"/></label>
                <label>"Country of origin" <input type="text" name="form[country_of_origin]" value=form.country_of_origin/></label>
                <label class="inline"><input type="checkbox" name="form[requires_shipping]" value="on" checked=form.requires_shipping.is_some()/> " Ships"</label>
            </div>
            <label>"Description" <textarea name="form[description]" rows="2">{form.description}</textarea></label>
            <button type="submit" class="small">{if editing.is_some() { "Save changes" } else { "Create product" }}</button>
        </ActionForm>
    }
}

/// Stock is typed when creating; an edit keeps it (restocking changes it).
#[component]
fn StockField(editing: bool, stock: String) -> impl IntoView {
    if editing {
        view! { <input type="hidden" name="form[stock]" value=stock/> }.into_any()
    } else {
        view! { <label>"Stock" <input type="number" name="form[stock]" value=stock min="0"/></label> }.into_any()
    }
}
