use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::credentials::Password;
use super::server_fns::{Login, Logout, Register};
use crate::ui::errors::ActionError;
use crate::ui::session_info::refresh_session;

/// Refetches "who is signed in" whenever `version` moves (an action finished).
fn refresh_on_completion(version: RwSignal<usize>) {
    Effect::new(move |_| {
        if version.get() > 0 {
            refresh_session();
        }
    });
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    refresh_on_completion(login.version());
    let query = use_query_map();
    let registered = move || query.read().get("registered").is_some();
    view! {
        <Title text="Log in · Retail"/>
        <section class="panel auth">
            <h1>"Log in"</h1>
            <Show when=registered>
                <p class="alert alert-ok">"Account created. Log in with your new username and password."</p>
            </Show>
            <ActionForm action=login>
                <label>"Username" <input type="text" name="username" autocomplete="username" required/></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                <button type="submit" disabled=move || login.pending().get()>"Log in"</button>
            </ActionForm>
            <ActionError value=login.value()/>
            <p>"New here? " <a href="/register">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    let hint = format!("At least {} characters, with a letter and a digit.", Password::MIN_LEN);
    view! {
        <Title text="Create an account · Retail"/>
        <section class="panel auth">
            <h1>"Create an account"</h1>
            <ActionForm action=register>
                <label>"Username" <input type="text" name="username" autocomplete="username" minlength="3" maxlength="32" required/></label>
                <label>"Email" <input type="email" name="email" autocomplete="email" required/></label>
                <label>"Password" <input type="password" name="password" autocomplete="new-password" minlength="10" required/></label>
                <p class="muted">{hint}</p>
                <button type="submit" disabled=move || register.pending().get()>"Create account"</button>
            </ActionForm>
            <ActionError value=register.value()/>
            <p>"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

#[component]
pub fn LogoutButton() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    refresh_on_completion(logout.version());
    view! {
        <ActionForm action=logout>
            <button type="submit" class="link-button">"Log out"</button>
        </ActionForm>
    }
}
