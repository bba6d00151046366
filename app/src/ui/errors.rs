use leptos::prelude::*;

use crate::error::FnError;

use super::session_info::use_session_info;

/// Shows the error of the last action, if any.
#[component]
pub fn ActionError<T: Send + Sync + Clone + 'static>(
    #[prop(into)] value: Signal<Option<Result<T, FnError>>>,
) -> impl IntoView {
    move || match value.get() {
        Some(Err(err)) => Some(view! { <p class="alert alert-error" role="alert">{err.message}</p> }),
        _ => None,
    }
}

/// The request id line on error pages, so a user's report can be matched to a log line.
#[component]
pub fn RequestIdNote() -> impl IntoView {
    let info = use_session_info();
    view! {
        <Transition fallback=|| ()>
            {move || {
                info.get()
                    .and_then(|r| r.ok())
                    .map(|i| view! { <p class="muted">"Reference: " <code data-testid="request-id">{i.request_id}</code></p> })
            }}
        </Transition>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="panel">
            <h1>"Page not found"</h1>
            <p>"We could not find that page. " <a href="/">"Back to the shop"</a></p>
            <RequestIdNote/>
        </section>
    }
}

/// Shown when the signed-in user lacks the role for a page (HTTP 403), or nobody is signed in (401).
#[component]
pub fn ForbiddenPage(message: String) -> impl IntoView {
    view! {
        <section class="panel" data-testid="forbidden">
            <h1>"Access denied"</h1>
            <p>{message}</p>
            <p><a href="/">"Back to the shop"</a> " · " <a href="/login">"Log in with another account"</a></p>
            <RequestIdNote/>
        </section>
    }
}
