use leptos::prelude::*;

use super::session_info::use_session_info;
use crate::accounts::views::LogoutButton;

#[component]
pub fn NavBar() -> impl IntoView {
    let info = use_session_info();
    let user = move || info.get().and_then(|r| r.ok()).and_then(|i| i.user);
    view! {
        <header class="navbar">
            <a href="/" class="brand">"Retail"</a>
            <nav>
                <a href="/">"Storefront"</a>
                <Transition fallback=|| ()>
                    {move || match user() {
                        Some(user) => {
                            let admin = user.role.is_admin().then(|| view! {
                                <a href="/admin/products">"Products"</a>
                                <a href="/admin/users">"Users"</a>
                                <a href="/admin/orders">"Orders"</a>
                                <a href="/admin/returns">"Returns queue"</a>
                                <a href="/admin/dashboard">"Dashboard"</a>
                            });
                            view! {
                                <a href="/orders">"Orders"</a>
                                <a href="/returns">"Returns"</a>
                                {admin}
                                <a href="/account">"Account"</a>
                                <span class="whoami">"Signed in as " <strong data-testid="username">{user.username}</strong></span>
                                <LogoutButton/>
                            }
                            .into_any()
                        }
                        None => view! {
                            <a href="/login">"Log in"</a>
                            <a href="/register">"Register"</a>
                        }
                        .into_any(),
                    }}
                </Transition>
            </nav>
        </header>
    }
}
