//! Session tokens and the cookie that carries them. The database stores only a SHA-256 of
//! the token, so a leaked table cannot be replayed as cookies.

use axum::http::{header, HeaderMap, HeaderValue};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::platform::state::SessionSettings;

/// The cookie's name on plain-http runs (development, `COOKIE_SECURE=0`).
pub const COOKIE_NAME: &str = "retail_session";
/// The cookie's name when it is `Secure` (production): the `__Host-` prefix makes browsers
/// refuse it unless it is Secure, has `Path=/` and no `Domain`, so a sibling subdomain or a
/// plain-http page cannot plant or overwrite it.
pub const HOST_COOKIE_NAME: &str = "__Host-session";

/// The configured cookie name: `__Host-session` when the cookie is Secure, else `retail_session`.
pub fn cookie_name(settings: &SessionSettings) -> &'static str {
    if settings.secure_cookie {
        HOST_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The well-formed session cookies a request carries, under either name. Only the configured
/// name counts: read the token with [`SessionCookies::token`] (or [`token`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionCookies {
    plain: Option<String>,
    host: Option<String>,
}

impl SessionCookies {
    /// The token under the configured cookie name, if the request has it.
    pub fn token(&self, settings: &SessionSettings) -> Option<&str> {
        if settings.secure_cookie {
            self.host.as_deref()
        } else {
            self.plain.as_deref()
        }
    }
}

/// The session cookies from the `Cookie` header(s); `None` when there is none of either name.
/// (Configuration-blind so the middleware can tell "no cookie at all" cheaply; the token
/// itself is only ever read through [`SessionCookies::token`].)
pub fn token_from_headers(headers: &HeaderMap) -> Option<SessionCookies> {
    let mut found = SessionCookies::default();
    let pairs = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(_, value)| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()));
    for (name, value) in pairs {
        let slot = match name {
            COOKIE_NAME => &mut found.plain,
            HOST_COOKIE_NAME => &mut found.host,
            _ => continue,
        };
        slot.get_or_insert_with(|| value.to_owned());
    }
    (found.plain.is_some() || found.host.is_some()).then_some(found)
}

/// The session token under the configured cookie name.
pub fn token(headers: &HeaderMap, settings: &SessionSettings) -> Option<String> {
    token_from_headers(headers).and_then(|cookies| cookies.token(settings).map(str::to_owned))
}

pub fn set_cookie(token: &str, settings: &SessionSettings) -> HeaderValue {
    cookie(cookie_name(settings), token, settings.ttl_seconds, settings.secure_cookie)
}

pub fn clear_cookie(settings: &SessionSettings) -> HeaderValue {
    cookie(cookie_name(settings), "", 0, settings.secure_cookie)
}

/// `Path=/` and no `Domain`, as the `__Host-` prefix requires.
fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    // Only hex, digits and fixed ASCII go in, so this cannot fail.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("retail_session=; Path=/; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(secure_cookie: bool) -> SessionSettings {
        SessionSettings { ttl_seconds: 3600, secure_cookie }
    }

    #[test]
    fn a_secure_cookie_uses_the_host_prefix_path_root_and_no_domain() {
        let token = "ab".repeat(32);
        let cookie = set_cookie(&token, &settings(true));
        assert_eq!(
            cookie.to_str().ok(),
            Some(format!("__Host-session={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600; Secure").as_str())
        );
        let cleared = clear_cookie(&settings(true));
        assert_eq!(cleared.to_str().ok(), Some("__Host-session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure"));
        let plain = set_cookie(&token, &settings(false));
        assert_eq!(
            plain.to_str().ok(),
            Some(format!("retail_session={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600").as_str())
        );
    }

    #[test]
    fn only_the_configured_cookie_name_is_read() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let mut headers = HeaderMap::new();
        headers
            .insert(header::COOKIE, HeaderValue::from_str(&format!("retail_session={a}; theme=dark")).expect("ascii"));
        assert_eq!(token(&headers, &settings(false)), Some(a.clone()));
        assert_eq!(token(&headers, &settings(true)), None);
        headers.append(header::COOKIE, HeaderValue::from_str(&format!("__Host-session={b}")).expect("ascii"));
        assert_eq!(token(&headers, &settings(true)), Some(b));
        assert_eq!(token(&headers, &settings(false)), Some(a));
        let mut junk = HeaderMap::new();
        junk.insert(header::COOKIE, HeaderValue::from_static("__Host-session=not-hex; retail_session="));
        assert_eq!(token_from_headers(&junk), None);
    }
}
