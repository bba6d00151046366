//! Server functions behind the login, register, logout and account-page forms: extraction
//! (state, caller, client address, session cookie) plus one call into `service`. Each ends with
//! a redirect, so the forms also work as plain HTML posts before (or without) the WASM.

use leptos::prelude::*;

use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "register")]
pub async fn register(username: String, email: String, password: String) -> Result<(), FnError> {
    use super::service::{self, Registration};
    use crate::platform::request;
    let (state, ip) = (request::app_state()?, request::client_ip()?);
    service::register(&state, Registration { username, email, password }, ip).await?;
    leptos_axum::redirect("/login?registered=1");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), FnError> {
    use super::{service, session};
    use crate::platform::request;
    let (state, ip) = (request::app_state()?, request::client_ip()?);
    let previous = session::token(&request::parts()?.headers, &state.sessions);
    let logged_in = service::login(&state, &username, &password, ip, previous.as_deref()).await?;
    send_cookie(session::set_cookie(&logged_in.token, &state.sessions))?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), FnError> {
    use super::{service, session};
    use crate::platform::request;
    let state = request::app_state()?;
    service::logout(&state, session::token(&request::parts()?.headers, &state.sessions).as_deref()).await?;
    send_cookie(session::clear_cookie(&state.sessions))?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The account page's password form: keeps this session, ends the user's others.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), FnError> {
    use super::{guard, service, session};
    use crate::platform::request;
    let (state, customer) = guard::signed_in()?;
    let token = session::token(&request::parts()?.headers, &state.sessions);
    let ip = request::client_ip()?;
    service::change_password(&state, &customer, token.as_deref(), ip, &current_password, &new_password).await?;
    leptos_axum::redirect("/account?password_changed=1");
    Ok(())
}

/// The account page's "Log out everywhere" button: ends every session of the user.
#[server(prefix = "/rpc", endpoint = "logout_everywhere")]
pub async fn logout_everywhere() -> Result<(), FnError> {
    use super::{guard, service, session};
    let (state, customer) = guard::signed_in()?;
    service::logout_everywhere(&state, &customer).await?;
    send_cookie(session::clear_cookie(&state.sessions))?;
    leptos_axum::redirect("/login?logged_out_everywhere=1");
    Ok(())
}

/// Adds the session cookie (set or cleared) to the server function's response.
#[cfg(feature = "ssr")]
fn send_cookie(cookie: http::HeaderValue) -> Result<(), crate::platform::AppError> {
    crate::platform::request::response_options()?.append_header(http::header::SET_COOKIE, cookie);
    Ok(())
}
