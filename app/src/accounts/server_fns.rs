//! Server functions behind the login, register and logout forms.

use leptos::prelude::*;

use crate::ui::errors::FnError;

#[server(prefix = "/rpc", endpoint = "register")]
pub async fn register(username: String, email: String, password: String) -> Result<(), FnError> {
    use super::service::{self, Registration};
    let state = crate::platform::request::app_state()?;
    service::register(&state, Registration { username, email, password }).await?;
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
    let previous = session::token_from_headers(&parts.headers);
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
    service::logout(&state, session::token_from_headers(&parts.headers).as_deref()).await?;
    let response =
        use_context::<leptos_axum::ResponseOptions>().ok_or_else(|| AppError::internal("response options missing"))?;
    response.append_header(http::header::SET_COOKIE, session::clear_cookie(&state.sessions));
    leptos_axum::redirect("/");
    Ok(())
}
