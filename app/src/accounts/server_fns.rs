//! Server functions behind the login, register, logout and account-page forms.

use leptos::prelude::*;

use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "register")]
pub async fn register(username: String, email: String, password: String) -> Result<(), FnError> {
    use super::service::{self, Registration};
    use crate::platform::{request, AppError, ClientIp};
    let state = request::app_state()?;
    let parts = request::parts()?;
    let ClientIp(ip) =
        *parts.extensions.get::<ClientIp>().ok_or_else(|| AppError::internal("client address missing"))?;
    service::register(&state, Registration { username, email, password }, ip).await?;
    leptos_axum::redirect("/login?registered=1");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), FnError> {
    use super::{service, session};
    use crate::platform::{request, AppError, ClientIp};
    let state = request::app_state()?;
    let parts = request::parts()?;
    let ClientIp(ip) =
        *parts.extensions.get::<ClientIp>().ok_or_else(|| AppError::internal("client address missing"))?;
    let previous = session::token(&parts.headers, &state.sessions);
    let logged_in = service::login(&state, &username, &password, ip, previous.as_deref()).await?;
    let response =
        use_context::<leptos_axum::ResponseOptions>().ok_or_else(|| AppError::internal("response options missing"))?;
    response.append_header(http::header::SET_COOKIE, session::set_cookie(&logged_in.token, &state.sessions));
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), FnError> {
    use super::{service, session};
    use crate::platform::{request, AppError};
    let state = request::app_state()?;
    let parts = request::parts()?;
    service::logout(&state, session::token(&parts.headers, &state.sessions).as_deref()).await?;
    let response =
        use_context::<leptos_axum::ResponseOptions>().ok_or_else(|| AppError::internal("response options missing"))?;
    response.append_header(http::header::SET_COOKIE, session::clear_cookie(&state.sessions));
    leptos_axum::redirect("/");
    Ok(())
}

/// The account page's password form: keeps this session, ends the user's others.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), FnError> {
    use super::guard::{current_user, require_user};
    use super::{service, session};
    use crate::platform::{request, AppError, ClientIp};
    let state = request::app_state()?;
    let parts = request::parts()?;
    let user = current_user()?;
    let user = require_user(user.as_ref())?;
    let ClientIp(ip) =
        *parts.extensions.get::<ClientIp>().ok_or_else(|| AppError::internal("client address missing"))?;
    let token = session::token(&parts.headers, &state.sessions);
    service::change_password(&state, user, token.as_deref(), ip, &current_password, &new_password).await?;
    leptos_axum::redirect("/account?password_changed=1");
    Ok(())
}

/// The account page's "Log out everywhere" button: ends every session of the user.
#[server(prefix = "/rpc", endpoint = "logout_everywhere")]
pub async fn logout_everywhere() -> Result<(), FnError> {
    use super::guard::{current_user, require_user};
    use super::{service, session};
    use crate::platform::{request, AppError};
    let state = request::app_state()?;
    let user = current_user()?;
    let user = require_user(user.as_ref())?;
    service::logout_everywhere(&state, user).await?;
    let response =
        use_context::<leptos_axum::ResponseOptions>().ok_or_else(|| AppError::internal("response options missing"))?;
    response.append_header(http::header::SET_COOKIE, session::clear_cookie(&state.sessions));
    leptos_axum::redirect("/login?logged_out_everywhere=1");
    Ok(())
}
