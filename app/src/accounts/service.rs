//! Account operations shared by the JSON API and the server functions behind the pages.

use std::net::IpAddr;

use super::credentials::{Email, Password, Username};
use super::guard::Customer;
use super::model::{CurrentUser, Role};
use super::{session, store};
use crate::platform::{now_ms, AppError, AppState};

pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// Creates a customer. Every attempt from `client_ip` counts against the registration limit
/// (invalid and refused ones too, so the endpoint cannot be used to probe for free).
pub async fn register(state: &AppState, input: Registration, client_ip: IpAddr) -> Result<CurrentUser, AppError> {
    state.login_limiter.check_registration(client_ip).map_err(|retry_after_secs| {
        if let Some(suppressed) = crate::log_budget!(10) {
            tracing::warn!(client_ip = %client_ip, suppressed, "registration rate limit hit");
        }
        AppError::RateLimited { retry_after_secs }
    })?;
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
        if let Some(suppressed) = crate::log_budget!(10) {
            let account = crate::platform::log_safe::clean(&account);
            tracing::warn!(account = %account, client_ip = %client_ip, suppressed, "login rate limit hit");
        }
        AppError::RateLimited { retry_after_secs }
    })?;
    let user = verify_credentials(state, &account, password).await?;
    if let Some(old) = previous_token {
        end_session(state, old).await?;
    }
    let token = start_session(state, user.id).await?;
    tracing::info!(logged_in_user_id = user.id, "login succeeded");
    Ok(LoggedIn { user, token })
}

/// The user whose password this is; the same refusal for an unknown name and a wrong password
/// (and the same time spent: an unknown name is checked against a dummy hash).
async fn verify_credentials(state: &AppState, account: &str, password: &str) -> Result<CurrentUser, AppError> {
    let (user, hash) = match store::credentials_by_username(&state.db, account).await? {
        Some(c) => (Some(c.user), Some(c.password_hash)),
        None => (None, None),
    };
    let verified = state.hasher.verify(password.to_owned(), hash).await?;
    match user {
        Some(user) if verified => Ok(user),
        _ => {
            if let Some(suppressed) = crate::log_budget!(20) {
                tracing::info!(account = %crate::platform::log_safe::clean(account), suppressed, "login failed");
            }
            Err(AppError::Unauthorized("wrong username or password".to_owned()))
        }
    }
}

/// A new session for `user_id` (expired ones are swept on the way); returns its token.
async fn start_session(state: &AppState, user_id: i64) -> Result<String, AppError> {
    let now = now_ms();
    store::delete_expired_sessions(&state.db, now).await?;
    let token = session::new_token();
    let expires = now + state.sessions.ttl_seconds * 1000;
    store::insert_session(&state.db, &session::token_hash(&token), user_id, now, expires).await?;
    Ok(token)
}

async fn end_session(state: &AppState, token: &str) -> Result<(), AppError> {
    let hash = session::token_hash(token);
    store::delete_session(&state.db, &hash).await?;
    state.caches.sessions.remove(&hash);
    Ok(())
}

/// Changes the signed-in user's password after checking the current one (attempts count
/// against the login limits, like logins). Ends every other session of the user, keeping
/// `current_token`'s. Returns how many sessions were ended.
pub async fn change_password(
    state: &AppState,
    customer: &Customer,
    current_token: Option<&str>,
    client_ip: IpAddr,
    current_password: &str,
    new_password: &str,
) -> Result<u64, AppError> {
    let user = customer.user();
    let new_password = Password::parse(new_password).map_err(|e| AppError::Invalid(e.to_string()))?;
    state.login_limiter.check(&user.username, client_ip).map_err(|retry_after_secs| {
        if let Some(suppressed) = crate::log_budget!(10) {
            tracing::warn!(user_id = user.id, client_ip = %client_ip, suppressed, "password change rate limit hit");
        }
        AppError::RateLimited { retry_after_secs }
    })?;
    let stored = store::password_hash_of(&state.db, user.id).await?;
    let Some(stored) = stored else {
        return Err(AppError::Unauthorized("please log in first".to_owned()));
    };
    if !state.hasher.verify(current_password.to_owned(), Some(stored)).await? {
        if let Some(suppressed) = crate::log_budget!(20) {
            tracing::info!(user_id = user.id, suppressed, "password change refused: wrong current password");
        }
        return Err(AppError::Unauthorized("the current password is wrong".to_owned()));
    }
    if current_password == new_password.expose() {
        return Err(AppError::Invalid("the new password must differ from the current one".to_owned()));
    }
    let hash = state.hasher.hash(new_password.expose().to_owned()).await?;
    let keep = current_token.map(session::token_hash);
    let ended = store::set_password_and_end_sessions(&state.db, user.id, &hash, keep.as_deref()).await?;
    state.caches.forget_sessions_of(user.id);
    tracing::info!(user_id = user.id, sessions_ended = ended, "password changed");
    Ok(ended)
}

/// Ends every session of the customer, this one included. Returns how many were ended.
pub async fn logout_everywhere(state: &AppState, customer: &Customer) -> Result<u64, AppError> {
    let ended = store::delete_sessions_of_user(&state.db, customer.id()).await?;
    state.caches.forget_sessions_of(customer.id());
    tracing::info!(user_id = customer.id(), sessions_ended = ended, "logged out everywhere");
    Ok(ended)
}

/// Ends the session of `token`, if there is one (logging out twice is fine).
pub async fn logout(state: &AppState, token: Option<&str>) -> Result<(), AppError> {
    match token {
        Some(token) => end_session(state, token).await,
        None => Ok(()),
    }
}

/// Who the caller is (the JSON API's `/api/me`).
pub fn me(customer: &Customer) -> CurrentUser {
    customer.user().clone()
}

/// The user behind the request's session cookie (the configured name only), if the session
/// exists and has not expired.
pub async fn user_for_token(
    state: &AppState,
    cookies: &session::SessionCookies,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(token) = cookies.token(&state.sessions) else {
        return Ok(None);
    };
    let hash = session::token_hash(token);
    if let Some(user) = state.caches.sessions.get(&hash) {
        return Ok(user);
    }
    // Read before the lookup: if a logout or password change invalidates the cache meanwhile,
    // this (possibly ended) session is not put back.
    let generation = state.caches.sessions.generation();
    let user = store::session_user(&state.db, &hash, now_ms()).await?;
    state.caches.sessions.put_if_unchanged(hash, user.clone(), generation);
    Ok(user)
}
