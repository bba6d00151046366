use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use super::errors::NotFoundPage;
use super::layout::NavBar;
use super::lazy_pages::*;
use super::session_info::provide_session_info;
use crate::accounts::views::{LoginPage, RegisterPage};
use crate::storefront::views::{ProductPage, StorefrontPage};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone()/>
                // The bundle's stylesheet, by its hashed name when cargo-leptos hashes files.
                <HashedStylesheet options id="leptos"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_session_info();
    view! {
        <Title text="Retail"/>
        <Router>
            // "true" once the WASM has taken over all of the page (`mark_hydrated`).
            <div class="app" data-hydrated="false">
                <NavBar/>
                <main>
                    <Routes fallback=NotFoundPage>
                        <Route path=path!("/") view=StorefrontPage ssr=SsrMode::Async/>
                        <Route path=path!("/login") view=LoginPage/>
                        <Route path=path!("/register") view=RegisterPage/>
                        <Route path=path!("/account") view={Lazy::<LazyAccount>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/products/:id") view=ProductPage ssr=SsrMode::Async/>
                        // Pages whose content is data: sent once it is loaded, so the server's HTML
                        // holds it (no JavaScript needed to read them) and carries its status.
                        <Route path=path!("/orders") view={Lazy::<LazyOrders>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/orders/:id") view={Lazy::<LazyReceipt>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users") view={Lazy::<LazyAdminUsers>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/products") view={Lazy::<LazyAdminProducts>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/returns") view={Lazy::<LazyReturns>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/returns/new") view={Lazy::<LazyNewReturn>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/returns/:id") view={Lazy::<LazyReturn>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/returns") view={Lazy::<LazyAdminReturns>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/returns/:id") view={Lazy::<LazyAdminReturn>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/orders") view={Lazy::<LazyAdminOrders>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/orders/:id") view={Lazy::<LazyAdminOrder>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/dashboard") view={Lazy::<LazyDashboard>::new()} ssr=SsrMode::Async/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// Says on the page that hydration has finished, lazily loaded page included: the browser entry
/// calls it once `hydrate_from_async` has returned (an attribute the view sets statically, so
/// the app never overwrites it).
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Ok(Some(shell)) = document().query_selector("div.app") {
        let _ = shell.set_attribute("data-hydrated", "true");
    }
}
