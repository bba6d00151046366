//! Facts about the current request, put into request extensions by the server's middleware.

use std::net::IpAddr;

/// The request id: taken from `X-Request-ID` or generated, echoed in the response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The client's address (the TCP peer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request parts Leptos provides to server functions and server rendering.
pub fn parts() -> Result<http::request::Parts, super::AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .ok_or_else(|| super::AppError::internal("request parts missing from the reactive context"))
}

pub fn request_id_of(parts: &http::request::Parts) -> String {
    parts.extensions.get::<RequestId>().map(|id| id.0.clone()).unwrap_or_default()
}

/// The application state provided by `leptos_routes_with_context`.
pub fn app_state() -> Result<super::AppState, super::AppError> {
    leptos::prelude::use_context::<super::AppState>()
        .ok_or_else(|| super::AppError::internal("application state missing from the reactive context"))
}

/// In server functions: the client's address (set by the server's middleware on every request).
pub fn client_ip() -> Result<IpAddr, super::AppError> {
    let parts = parts()?;
    let ClientIp(ip) =
        *parts.extensions.get::<ClientIp>().ok_or_else(|| super::AppError::internal("client address missing"))?;
    Ok(ip)
}

/// In server functions: the response the function's answer goes out with (headers, cookies).
pub fn response_options() -> Result<leptos_axum::ResponseOptions, super::AppError> {
    leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        .ok_or_else(|| super::AppError::internal("response options missing"))
}
