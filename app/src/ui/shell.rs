use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use super::errors::NotFoundPage;
use super::layout::NavBar;
use super::session_info::provide_session_info;
use crate::accounts::views::{AccountPage, LoginPage, RegisterPage};
use crate::admin::views::AdminUsersPage;
use crate::catalog::admin_views::AdminProductsPage;
use crate::catalog::views::{ProductPage, StorefrontPage};
use crate::orders::views::{OrdersPage, ReceiptPage};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
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
    // Flips once the WASM has taken over, so tests (and people) can tell the page is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/retail.css"/>
        <Title text="Retail"/>
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().to_string()>
                <NavBar/>
                <main>
                    <Routes fallback=NotFoundPage>
                        <Route path=path!("/") view=StorefrontPage/>
                        <Route path=path!("/login") view=LoginPage/>
                        <Route path=path!("/register") view=RegisterPage/>
                        <Route path=path!("/account") view=AccountPage/>
                        <Route path=path!("/products/:id") view=ProductPage/>
                        <Route path=path!("/orders") view=OrdersPage/>
                        <Route path=path!("/orders/:id") view=ReceiptPage/>
                        <Route path=path!("/admin/users") view=AdminUsersPage/>
                        <Route path=path!("/admin/products") view=AdminProductsPage/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
