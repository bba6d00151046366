//! The storefront (`/`) and a product's page (`/products/{id}`): product cards with their
//! prices (computed on the server), the add-to-cart forms, and the cart with the checkout under
//! it.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::model::{FlashOffer, ProductDetail, Storefront, StorefrontProduct};
use super::server_fns::{load_product, load_storefront};
use crate::cart::views::{provide_cart, AddToCartForm, CartPanel};
use crate::catalog::model::{Product, StockLevel};
use crate::checkout::views::{provide_checkout, CheckoutFeedback, CheckoutPanel};
use crate::time::countdown;
use crate::ui::components::{resource_view, Money};
use crate::ui::ticker::use_ticker;

/// The server's clock at render time, advanced by the browser's ticker for countdowns.
#[derive(Clone, Copy)]
struct Clock {
    server_now_ms: i64,
    ticks: ReadSignal<u64>,
}

impl Clock {
    fn new(server_now_ms: i64) -> Self {
        Clock { server_now_ms, ticks: use_ticker(Duration::from_secs(1)) }
    }

    /// "1h 02m 03s" until `ends_at_ms`, live.
    fn until(&self, ends_at_ms: i64) -> String {
        let elapsed_ms = i64::try_from(self.ticks.get()).unwrap_or(i64::MAX).saturating_mul(1000);
        countdown(ends_at_ms.saturating_sub(self.server_now_ms.saturating_add(elapsed_ms)))
    }
}

#[component]
pub fn StorefrontPage() -> impl IntoView {
    provide_cart();
    provide_checkout();
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
                {resource_view(data, "Loading products…", move |front| view! { <ProductGrid front filter/> })}
            </section>
            <CartAside/>
        </div>
    }
}

/// The cart and, under it, the checkout.
#[component]
fn CartAside() -> impl IntoView {
    view! {
        <aside class="panel cart" data-testid="cart">
            <h2>"Your cart"</h2>
            <CheckoutFeedback/>
            <CartPanel/>
            <CheckoutPanel/>
        </aside>
    }
}

#[component]
fn ProductGrid(front: Storefront, filter: RwSignal<String>) -> impl IntoView {
    let clock = Clock::new(front.now_ms);
    let products = StoredValue::new(front.products);
    let visible = move || {
        let query = filter.get();
        products.with_value(|all| all.iter().filter(|p| p.product.matches(&query)).cloned().collect::<Vec<_>>())
    };
    view! {
        <div class="grid" data-testid="product-grid">
            <For each=visible key=|item| item.product.id let:item>
                <ProductCard item clock/>
            </For>
        </div>
        <Show when=move || visible().is_empty()>
            <p class="muted" data-testid="no-products">"No products match your filter."</p>
        </Show>
    }
}

#[component]
fn ProductCard(item: StorefrontProduct, clock: Clock) -> impl IntoView {
    let product = item.product.clone();
    view! {
        <article class="card" data-testid="product-card">
            <h2><a href=format!("/products/{}", product.id)>{product.name.clone()}</a></h2>
            <p class="muted">{product.description.clone()}</p>
            <PriceBlock item clock/>
            <StockBadge product=product.clone()/>
            <AddToCartForm product_id=product.id stock=product.stock/>
        </article>
    }
}

#[component]
fn StockBadge(product: Product) -> impl IntoView {
    let (class, text) = match product.stock_level() {
        StockLevel::Plenty => ("badge stock-plenty", format!("{} in stock", product.stock)),
        StockLevel::Low => ("badge stock-low", format!("Only {} left", product.stock)),
        StockLevel::SoldOut => ("badge stock-out", "Sold out".to_owned()),
    };
    view! { <span class=class data-testid="stock-badge">{text}</span> }
}

/// The price with the catalogue discount, and a running flash sale that beats it.
#[component]
fn PriceBlock(item: StorefrontProduct, clock: Clock) -> impl IntoView {
    let was = item.regular_cents.map(|cents| view! { " " <s class="muted"><Money cents/></s> });
    let label = item.discount_label.map(|label| view! { " " <span class="badge discount">{label}</span> });
    view! {
        <p class="price"><Money cents=item.price_cents/> {was} {label}</p>
        {item.flash.map(|offer| view! { <FlashOfferLine offer clock/> })}
    }
}

#[component]
fn FlashOfferLine(offer: FlashOffer, clock: Clock) -> impl IntoView {
    let ends = offer.ends_at_ms;
    view! {
        <div class="flash-sale" data-testid="flash-sale">
            <strong>"Flash sale " <Money cents=offer.price_cents/> " (" {offer.discount_label} ")"</strong>
            <span class="muted">
                " ends in " <span data-testid="countdown">{move || clock.until(ends)}</span>
                {format!(" · {} left · max {} per customer", offer.units_left, offer.per_customer_limit)}
            </span>
        </div>
    }
}

/// `/products/{id}`
#[component]
pub fn ProductPage() -> impl IntoView {
    provide_cart();
    provide_checkout();
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let data = Resource::new(id, load_product);
    view! {
        <div class="shop-layout">
            {resource_view(data, "Loading…", |detail| view! { <ProductSection detail/> })}
            <CartAside/>
        </div>
    }
}

#[component]
fn ProductSection(detail: ProductDetail) -> impl IntoView {
    let clock = Clock::new(detail.now_ms);
    let item = detail.item;
    let product = item.product.clone();
    view! {
        <Title text=format!("{} · Retail", product.name)/>
        <section class="panel product-page" data-testid="product-page">
            <h1>{product.name.clone()}</h1>
            <p>{product.description.clone()}</p>
            <PriceBlock item=item.clone() clock/>
            <StockBadge product=product.clone()/>
            <p class="muted">{item.shipping_text}</p>
            <AddToCartForm product_id=product.id stock=product.stock/>
            <p><a href="/">"Back to the shop"</a></p>
        </section>
    }
}
