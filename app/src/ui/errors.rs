use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use super::session_info::use_session_info;

/// The error every server function returns: a message meant for a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct FnError {
    pub message: String,
    /// The HTTP status the server answered with (0 when the call never reached it).
    pub status: u16,
    /// Set for "busy" answers: when to try again.
    pub retry_after_secs: Option<u64>,
    /// Set for short-stock answers: how many are left.
    pub available: Option<i64>,
}

impl FnError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), status: 0, retry_after_secs: None, available: None }
    }
}

impl FromServerFnError for FnError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match value {
            ServerFnErrorErr::Request(_) => {
                "the shop could not be reached; check your connection and try again".to_owned()
            }
            ServerFnErrorErr::MissingArg(field) => format!("{field} is required"),
            ServerFnErrorErr::Args(_) => "the form could not be read; please check the fields".to_owned(),
            ServerFnErrorErr::ServerError(message) => message,
            _ => "something went wrong; please try again".to_owned(),
        };
        FnError::new(message)
    }
}

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
