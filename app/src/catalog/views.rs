use leptos::prelude::*;
use leptos_meta::Title;

use super::model::{Product, StockLevel};
use super::money::format_cents;
use super::server_fns::list_products;

#[component]
pub fn StorefrontPage() -> impl IntoView {
    let products = Resource::new(|| (), |_| list_products());
    let filter = RwSignal::new(String::new());
    view! {
        <Title text="Storefront · Retail"/>
        <section class="storefront">
            <div class="toolbar">
                <h1>"Storefront"</h1>
                <input
                    type="search"
                    placeholder="Filter products"
                    aria-label="Filter products"
                    data-testid="product-filter"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading products…"</p> }>
                {move || {
                    products.get().map(|result| match result {
                        Ok(list) => view! { <ProductGrid products=list filter/> }.into_any(),
                        Err(err) => view! { <p class="alert alert-error">{err.message}</p> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn ProductGrid(products: Vec<Product>, filter: RwSignal<String>) -> impl IntoView {
    let products = StoredValue::new(products);
    let visible = move || {
        let query = filter.get();
        products.with_value(|all| all.iter().filter(|p| p.matches(&query)).cloned().collect::<Vec<_>>())
    };
    view! {
        <div class="grid" data-testid="product-grid">
            <For each=visible key=|p| p.id let:product>
                <ProductCard product/>
            </For>
        </div>
        <Show when=move || visible().is_empty()>
            <p class="muted" data-testid="no-products">"No products match your filter."</p>
        </Show>
    }
}

#[component]
fn ProductCard(product: Product) -> impl IntoView {
    let (badge_class, badge_text) = match product.stock_level() {
        StockLevel::Plenty => ("badge stock-plenty", format!("{} in stock", product.stock)),
        StockLevel::Low => ("badge stock-low", format!("Only {} left", product.stock)),
        StockLevel::SoldOut => ("badge stock-out", "Sold out".to_owned()),
    };
    let discount = (product.discount_percent > 0)
        .then(|| view! { <span class="badge discount">{format!("-{}%", product.discount_percent)}</span> });
    view! {
        <article class="card" data-testid="product-card">
            <h2>{product.name}</h2>
            <p class="muted">{product.description}</p>
            <p class="price">{format_cents(product.price_cents)} " " {discount}</p>
            <span class=badge_class>{badge_text}</span>
        </article>
    }
}
