//! Session tokens and the cookie that carries them. The database stores only a SHA-256 of
//! the token, so a leaked table cannot be replayed as cookies.

use axum::http::{header, HeaderMap, HeaderValue};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::platform::state::SessionSettings;

pub const COOKIE_NAME: &str = "retail_session";

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The session token from the `Cookie` header(s), if present and well formed.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn set_cookie(token: &str, settings: &SessionSettings) -> HeaderValue {
    cookie(token, settings.ttl_seconds, settings.secure_cookie)
}

pub fn clear_cookie(settings: &SessionSettings) -> HeaderValue {
    cookie("", 0, settings.secure_cookie)
}

fn cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    // Only hex, digits and fixed ASCII go in, so this cannot fail.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("retail_session=; Path=/; Max-Age=0"))
}
