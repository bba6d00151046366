use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::credentials::Password;
use super::server_fns::{ChangePassword, Login, Logout, LogoutEverywhere, Register};
use crate::ui::errors::ActionError;
use crate::ui::session_info::{refresh_session, use_session_info};

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
    let everywhere = move || query.read().get("logged_out_everywhere").is_some();
    view! {
        <Title text="Log in · Retail"/>
        <section class="panel auth">
            <h1>"Log in"</h1>
            <Show when=registered>
                <p class="alert alert-ok">"Account created. Log in with your new username and password."</p>
            </Show>
            <Show when=everywhere>
                <p class="alert alert-ok">"You were logged out on every device."</p>
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

/// The signed-in user's account: change the password (ends the other sessions) and log out
/// everywhere. Plain forms posting to server functions, so both work before the WASM loads.
#[component]
pub fn AccountPage() -> impl IntoView {
    let info = use_session_info();
    let user = move || info.get().and_then(|r| r.ok()).and_then(|i| i.user);
    view! {
        <Title text="Your account · Retail"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || match user() {
                Some(user) => view! { <AccountForms username=user.username/> }.into_any(),
                None => view! {
                    <section class="panel auth">
                        <h1>"Your account"</h1>
                        <p>"Please " <a href="/login">"log in"</a> " to manage your account."</p>
                    </section>
                }
                .into_any(),
            }}
        </Transition>
    }
}

#[component]
fn AccountForms(username: String) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    refresh_on_completion(everywhere.version());
    let query = use_query_map();
    let changed = move || query.read().get("password_changed").is_some();
    let hint = format!("At least {} characters, with a letter and a digit.", Password::MIN_LEN);
    view! {
        <section class="panel auth">
            <h1>"Your account"</h1>
            <p>"Signed in as " <strong>{username}</strong></p>
            <h2>"Change password"</h2>
            <Show when=changed>
                <p class="alert alert-ok" data-testid="password-changed">"Password changed. Your other sessions were logged out."</p>
            </Show>
            <ActionForm action=change>
                <label>"Current password" <input type="password" name="current_password" autocomplete="current-password" required/></label>
                <label>"New password" <input type="password" name="new_password" autocomplete="new-password" minlength="10" required/></label>
                <p class="muted">{hint}</p>
                <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
            </ActionForm>
            <ActionError value=change.value()/>
            <h2>"Sessions"</h2>
            <p class="muted">"Ends every session of your account, on this device and all others."</p>
            <ActionForm action=everywhere>
                <button type="submit" disabled=move || everywhere.pending().get()>"Log out everywhere"</button>
            </ActionForm>
            <ActionError value=everywhere.value()/>
        </section>
    }
}
