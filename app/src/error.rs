//! The contract between server functions and the views that call them: one error type that
//! travels over the wire, shared by every feature (not part of the UI or the server plumbing).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

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
        // On the server a deserialization error is the request's arguments failing to decode.
        let bad_input = matches!(value, ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Args(_))
            || (cfg!(feature = "ssr") && matches!(value, ServerFnErrorErr::Deserialization(_)));
        let message = match value {
            ServerFnErrorErr::Request(_) => {
                "the shop could not be reached; check your connection and try again".to_owned()
            }
            ServerFnErrorErr::MissingArg(field) => format!("{field} is required"),
            ServerFnErrorErr::Args(_) => "the form could not be read; please check the fields".to_owned(),
            ServerFnErrorErr::Deserialization(_) if bad_input => {
                "the form could not be read; please check the fields".to_owned()
            }
            ServerFnErrorErr::ServerError(message) => message,
            _ => "something went wrong; please try again".to_owned(),
        };
        // On the server, arguments that cannot be read are the caller's mistake: a 422 with
        // this message, not a 500.
        #[cfg(feature = "ssr")]
        if bad_input {
            return crate::platform::AppError::Invalid(message).into();
        }
        #[cfg(not(feature = "ssr"))]
        let _ = bad_input;
        FnError::new(message)
    }
}
