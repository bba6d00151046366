//! Account operations shared by the JSON API and the server functions behind the pages.

use std::net::IpAddr;

use super::credentials::{Email, Password, Username};
use super::model::{CurrentUser, Role};
use super::{session, store};
use crate::platform::{now_ms, AppError, AppState};

pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
}

pub async fn register(state: &AppState, input: Registration) -> Result<CurrentUser, AppError> {
    let invalid = |e: super::credentials::CredentialError| AppError::Invalid(e.to_string());
    let username = Username::parse(&input.username).map_err(invalid)?;
    let email = Email::parse(&input.email).map_err(invalid)?;
    let password = Password::parse(&input.password).map_err(invalid)?;

    if store::username_taken(&state.db, username.as_str()).await? {
        return Err(AppError::Conflict(format!("the username '{}' is already taken", username.as_str())));
    }
    if store::email_taken(&state.db, email.as_str()).await? {
        return Err(AppError::Conflict("an account with that email already exists".to_owned()));
    }
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let id = store::insert_user(&state.db, username.as_str(), email.as_str(), &hash, Role::Customer, now_ms())
        .await?
        .ok_or_else(|| AppError::Conflict("that username or email was just taken; choose another".to_owned()))?;
    tracing::info!(new_user_id = id, username = username.as_str(), "user registered");
    Ok(CurrentUser { id, username: username.as_str().to_owned(), role: Role::Customer })
}

/// A fresh session: the caller sends `token` as the cookie.
pub struct LoggedIn {
    pub user: CurrentUser,
    pub token: String,
}

/// Checks the limits and the password, ends the previous session (if any) and starts a new
/// one, so a session id planted before login is useless after it.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    client_ip: IpAddr,
    previous_token: Option<&str>,
) -> Result<LoggedIn, AppError> {
    let account = username.trim().to_ascii_lowercase();
    state.login_limiter.check(&account, client_ip).map_err(|retry_after_secs| {
        tracing::warn!(account = %account, client_ip = %client_ip, "login rate limit hit");
        AppError::RateLimited { retry_after_secs }
    })?;

    let stored = store::credentials_by_username(&state.db, &account).await?;
    let (user, hash) = match stored {
        Some(c) => (Some(c.user), Some(c.password_hash)),
        None => (None, None),
    };
    let verified = state.hasher.verify(password.to_owned(), hash).await?;
    let user = match user {
        Some(user) if verified => user,
        _ => {
            tracing::info!(account = %account, "login failed");
            return Err(AppError::Unauthorized("wrong username or password".to_owned()));
        }
    };

    if let Some(old) = previous_token {
        let old = session::token_hash(old);
        store::delete_session(&state.db, &old).await?;
        state.caches.sessions.remove(&old);
    }
    let now = now_ms();
    store::delete_expired_sessions(&state.db, now).await?;
    let token = session::new_token();
    let expires = now + state.sessions.ttl_seconds * 1000;
    store::insert_session(&state.db, &session::token_hash(&token), user.id, now, expires).await?;
    tracing::info!(logged_in_user_id = user.id, "login succeeded");
    Ok(LoggedIn { user, token })
}

pub async fn logout(state: &AppState, token: Option<&str>) -> Result<(), AppError> {
    if let Some(token) = token {
        let hash = session::token_hash(token);
        store::delete_session(&state.db, &hash).await?;
        state.caches.sessions.remove(&hash);
    }
    Ok(())
}

/// The user behind a session cookie, if the session exists and has not expired.
pub async fn user_for_token(state: &AppState, token: &str) -> Result<Option<CurrentUser>, AppError> {
    let hash = session::token_hash(token);
    if let Some(user) = state.caches.sessions.get(&hash) {
        return Ok(user);
    }
    let user = store::session_user(&state.db, &hash, now_ms()).await?;
    state.caches.sessions.put(hash, user.clone());
    Ok(user)
}
