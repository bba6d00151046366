//! Pages a first visit does not need, loaded on demand.
//!
//! Built with `cargo leptos build --split`, each page below becomes a WASM chunk of its own,
//! fetched when the page is first shown (the server's HTML names the chunk of the page it sends
//! with a `modulepreload`, so hydration does not wait on a second round trip). The storefront,
//! product, login and register pages stay in the main bundle: they are what a first visit sees.
//! Every build passes `--split` (scripts/run, scripts/test, scripts/benchmark, deploy/Dockerfile):
//! the browser entry hydrates these pages through the split loader, which a build without it lacks.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::accounts::views::AccountPage;
use crate::admin::views::AdminUsersPage;
use crate::dashboard::views::DashboardPage;
use crate::flash_sales::admin_views::AdminProductsPage;
use crate::fulfilment::views::{AdminOrderPage, AdminOrdersPage, OrderPage};
use crate::orders::views::OrdersPage;
use crate::returns::views::{AdminReturnPage, AdminReturnsPage, NewReturnPage, ReturnPage, ReturnsPage};
use crate::store_credit::views::StoreCreditSection;

/// A lazily loaded route showing one page component (the page loads its own data).
macro_rules! lazy_page {
    ($route:ident shows $page:ident) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    };
}

/// The account's forms with the customer's store credit below them.
#[component]
fn AccountWithCredit() -> impl IntoView {
    view! {
        <AccountPage/>
        <StoreCreditSection/>
    }
}

lazy_page!(LazyAccount shows AccountWithCredit);
lazy_page!(LazyOrders shows OrdersPage);
lazy_page!(LazyReceipt shows OrderPage);
lazy_page!(LazyAdminUsers shows AdminUsersPage);
lazy_page!(LazyAdminProducts shows AdminProductsPage);
lazy_page!(LazyReturns shows ReturnsPage);
lazy_page!(LazyNewReturn shows NewReturnPage);
lazy_page!(LazyReturn shows ReturnPage);
lazy_page!(LazyAdminReturns shows AdminReturnsPage);
lazy_page!(LazyAdminReturn shows AdminReturnPage);
lazy_page!(LazyAdminOrders shows AdminOrdersPage);
lazy_page!(LazyDashboard shows DashboardPage);
lazy_page!(LazyAdminOrder shows AdminOrderPage);
