use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::model::{Product, StockLevel};
use super::money::format_cents;
use super::server_fns::{load_product, load_storefront, Storefront};
use crate::cart::views::{provide_cart, AddToCartForm, CartPanel};
use crate::flash_sales::FlashSale;
use crate::time::countdown;
use crate::ui::ticker::use_ticker;

/// The server's clock at render time, advanced by the browser's ticker for countdowns.
#[derive(Clone, Copy)]
struct Clock {
    server_now_ms: i64,
    ticks: ReadSignal<u64>,
}

impl Clock {
    fn now_ms(&self) -> i64 {
        self.server_now_ms + self.ticks.get() as i64 * 1000
    }
}

#[component]
pub fn StorefrontPage() -> impl IntoView {
    provide_cart();
    let data = Resource::new(|| (), |_| load_storefront());
    let filter = RwSignal::new(String::new());
    view! {
        <Title text="Storefront · Retail"/>
        <div class="shop-layout">
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
                        data.get().map(|result| match result {
                            Ok(front) => view! { <ProductGrid front filter/> }.into_any(),
                            Err(err) => view! { <p class="alert alert-error">{err.message}</p> }.into_any(),
                        })
                    }}
                </Transition>
            </section>
            <CartPanel/>
        </div>
    }
}

#[component]
fn ProductGrid(front: Storefront, filter: RwSignal<String>) -> impl IntoView {
    let clock = Clock { server_now_ms: front.now_ms, ticks: use_ticker(Duration::from_secs(1)) };
    let front = StoredValue::new(front);
    let visible = move || {
        let query = filter.get();
        front.with_value(|f| f.products.iter().filter(|p| p.matches(&query)).cloned().collect::<Vec<_>>())
    };
    view! {
        <div class="grid" data-testid="product-grid">
            <For each=visible key=|p| p.id let:product>
                {
                    let sale = front.with_value(|f| f.sale_for(product.id).cloned());
                    view! { <ProductCard product sale clock/> }
                }
            </For>
        </div>
        <Show when=move || visible().is_empty()>
            <p class="muted" data-testid="no-products">"No products match your filter."</p>
        </Show>
    }
}

fn stock_badge(product: &Product) -> impl IntoView {
    let (class, text) = match product.stock_level() {
        StockLevel::Plenty => ("badge stock-plenty", format!("{} in stock", product.stock)),
        StockLevel::Low => ("badge stock-low", format!("Only {} left", product.stock)),
        StockLevel::SoldOut => ("badge stock-out", "Sold out".to_owned()),
    };
    view! { <span class=class data-testid="stock-badge">{text}</span> }
}

/// Price with the catalogue discount, and the flash-sale price with a live countdown.
#[component]
fn PriceBlock(product: Product, sale: Option<FlashSale>, clock: Clock) -> impl IntoView {
    let discounted = domain::pricing::discounted_cents(product.price_cents, product.discount_percent);
    let regular = if product.discount_percent > 0 {
        view! {
            <p class="price">
                {format_cents(discounted)} " "
                <s class="muted">{format_cents(product.price_cents)}</s> " "
                <span class="badge discount">{format!("−{}%", product.discount_percent)}</span>
            </p>
        }
        .into_any()
    } else {
        view! { <p class="price">{format_cents(product.price_cents)}</p> }.into_any()
    };
    let flash = sale.filter(|s| s.beats(product.discount_percent)).map(|sale| {
        let ends = sale.ends_at_ms;
        view! {
            <div class="flash-sale" data-testid="flash-sale">
                <strong>{format!("Flash sale {} (−{}%)", format_cents(sale.sale_price_cents(product.price_cents)), sale.discount_percent)}</strong>
                <span class="muted">
                    " ends in " <span data-testid="countdown">{move || countdown(ends - clock.now_ms())}</span>
                    {format!(" · {} left · max {} per customer", sale.units_left(), sale.per_customer_limit)}
                </span>
            </div>
        }
    });
    view! { {regular} {flash} }
}

#[component]
fn ProductCard(product: Product, sale: Option<FlashSale>, clock: Clock) -> impl IntoView {
    let href = format!("/products/{}", product.id);
    view! {
        <article class="card" data-testid="product-card">
            <h2><a href=href>{product.name.clone()}</a></h2>
            <p class="muted">{product.description.clone()}</p>
            <PriceBlock product=product.clone() sale clock/>
            {stock_badge(&product)}
            <AddToCartForm product_id=product.id stock=product.stock/>
        </article>
    }
}

/// `/products/{id}`
#[component]
pub fn ProductPage() -> impl IntoView {
    provide_cart();
    let params = use_params_map();
    let data =
        Resource::new(move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0), load_product);
    let ticks = use_ticker(Duration::from_secs(1));
    view! {
        <div class="shop-layout">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Ok(front) => {
                        let clock = Clock { server_now_ms: front.now_ms, ticks };
                        let sale = front.sales.first().cloned();
                        front.products.into_iter().next().map(|p| view! {
                            <Title text=format!("{} · Retail", p.name)/>
                            <section class="panel product-page" data-testid="product-page">
                                <h1>{p.name.clone()}</h1>
                                <p>{p.description.clone()}</p>
                                <PriceBlock product=p.clone() sale clock/>
                                {stock_badge(&p)}
                                <p class="muted">{format!("Made in {} · {}", p.country_of_origin,
                                    if p.requires_shipping { format!("ships at {:.1} kg", p.shipping_weight_grams as f64 / 1000.0) } else { "digital delivery".to_owned() })}</p>
                                <AddToCartForm product_id=p.id stock=p.stock/>
                                <p><a href="/">"Back to the shop"</a></p>
                            </section>
                        }).into_any()
                    }
                    Err(err) => view! { <section class="panel"><h1>"Product not found"</h1><p>{err.message}</p></section> }.into_any(),
                })}
            </Transition>
            <CartPanel/>
        </div>
    }
}
