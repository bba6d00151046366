//! One error type for handlers and server functions. Internal causes are logged (with the
//! request id) and replaced by a generic message; everything else is a message for a person.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::FnError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// An upload over its size limit (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// An upload of a type that is not accepted (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many attempts, try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Checkout is over its throttle or concurrency bound.
    #[error("System is busy, please try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("{message}")]
    ShortStock { message: String, product_id: i64, available: i64 },
    #[error("{0}")]
    PaymentDeclined(String),
    /// The order failed for good without a charge (the provider refused it); names the order.
    #[error("{message}")]
    PaymentFailed { message: String, order_id: i64 },
    #[error("internal error: {0}")]
    Internal(String),
}

/// The message a person sees for an internal error; details stay in the log.
pub const INTERNAL_MESSAGE: &str = "something went wrong on our side; please try again";

/// Marker put on error responses; the request middleware turns it into the JSON body
/// `{error, request_id, ...extra}` because only it knows the request id.
#[derive(Clone, Debug)]
pub struct ErrorBody {
    pub message: String,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl AppError {
    pub fn internal(err: impl std::fmt::Display) -> Self {
        AppError::Internal(err.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited { .. } | AppError::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::ShortStock { .. } => StatusCode::CONFLICT,
            AppError::PaymentDeclined(_) => StatusCode::PAYMENT_REQUIRED,
            AppError::PaymentFailed { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs internal causes and returns the text a person may see.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(cause = %cause, "internal error");
                INTERNAL_MESSAGE.to_owned()
            }
            other => other.to_string(),
        }
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs } | AppError::Busy { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// Machine-readable fields added to the JSON error body next to `error`.
    pub fn extra_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut extra = serde_json::Map::new();
        match self {
            AppError::ShortStock { product_id, available, .. } => {
                extra.insert("product_id".into(), (*product_id).into());
                extra.insert("available".into(), (*available).into());
            }
            AppError::RateLimited { retry_after_secs } | AppError::Busy { retry_after_secs } => {
                extra.insert("retry_after_secs".into(), (*retry_after_secs).into());
            }
            AppError::PaymentFailed { order_id, .. } => {
                extra.insert("order_id".into(), (*order_id).into());
            }
            _ => {}
        }
        extra
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::Internal(format!("database: {err}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        if let Some(secs) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        let extra = self.extra_fields();
        response.extensions_mut().insert(ErrorBody { message: self.public_message(), extra });
        response
    }
}

/// Whether the current request is a plain HTML form posted to a server function (JavaScript
/// off, or the WASM not loaded yet), told apart the way Leptos does it: a POST whose `Accept`
/// asks for `text/html`. The server function answers it with a redirect back to the page,
/// carrying the error in the URL (`?__path=…&__err=…`, which `ServerAction` reads), so the
/// status must stay the redirect's. The WASM client asks for the function's encoding instead.
fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.method == http::Method::POST
            && parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// Used by server functions: sets the page/response status (except on a plain form post, which
/// is redirected back to its page) and gives the view a message.
impl From<AppError> for FnError {
    fn from(err: AppError) -> Self {
        let options = leptos::prelude::use_context::<leptos_axum::ResponseOptions>();
        if let Some(options) = options.filter(|_| !is_plain_form_post()) {
            options.set_status(err.status());
            if let Some(secs) = err.retry_after() {
                options.insert_header(header::RETRY_AFTER, HeaderValue::from(secs));
            }
        }
        let available = match &err {
            AppError::ShortStock { available, .. } => Some(*available),
            _ => None,
        };
        FnError {
            message: err.public_message(),
            status: err.status().as_u16(),
            retry_after_secs: err.retry_after(),
            available,
        }
    }
}
