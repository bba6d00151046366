//! Micro-cache for the anonymous storefront: the page every visitor without a session sees is
//! rendered at most once per `ttl` and served from memory in between. Signed-in customers and
//! every other path always get a fresh render. Stock badges on the cached page may lag by at
//! most `ttl`; add-to-cart and checkout always check live stock. A cached page gets the
//! current request's CSP nonce in place of the one it was rendered with.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::accounts::session;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::assets;
use crate::hardening::CspNonce;

/// Pages larger than this are not cached (the storefront is far smaller).
const MAX_BODY: usize = 2 * 1024 * 1024;

pub struct PageCache {
    ttl: Duration,
    entry: Mutex<Option<Entry>>,
}

struct Entry {
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
    /// The CSP nonce the page was rendered with.
    nonce: Option<Arc<str>>,
}

impl PageCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entry: Mutex::new(None) }
    }

    fn fresh(&self) -> Option<(HeaderMap, Bytes, Option<Arc<str>>)> {
        let entry = self.entry.lock().ok()?;
        entry
            .as_ref()
            .filter(|e| e.at.elapsed() < self.ttl)
            .map(|e| (e.headers.clone(), e.body.clone(), e.nonce.clone()))
    }

    fn store(&self, headers: HeaderMap, body: Bytes, nonce: Option<Arc<str>>) {
        if let Ok(mut entry) = self.entry.lock() {
            *entry = Some(Entry { at: Instant::now(), headers, body, nonce });
        }
    }
}

fn cacheable(req: &Request) -> bool {
    req.method() == Method::GET
        && req.uri().path() == "/"
        && req.uri().query().is_none()
        && session::token_from_headers(req.headers()).is_none()
}

pub async fn serve_cached_storefront(
    State(cache): State<std::sync::Arc<PageCache>>,
    req: Request,
    next: Next,
) -> Response {
    if cache.ttl.is_zero() || !cacheable(&req) {
        return next.run(req).await;
    }
    let nonce = req.extensions().get::<CspNonce>().map(|n| n.0.clone());
    if let Some((headers, body, rendered_with)) = cache.fresh() {
        let body = match (rendered_with, &nonce) {
            (Some(old), Some(new)) => replace_nonce(&body, &old, new),
            _ => body,
        };
        return rebuild(StatusCode::OK, headers, body);
    }
    let volatile = assets::volatile_parts(req.extensions());
    let response = next.run(req).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            // Hashed once per render; every answer from the cache reuses it (`assets`).
            if let Ok(etag) = HeaderValue::from_str(&assets::page_etag(&bytes, &volatile)) {
                parts.headers.insert(header::ETAG, etag);
            }
            cache.store(parts.headers.clone(), bytes.clone(), nonce);
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(err) => {
            tracing::error!(error = %err, "storefront page could not be buffered");
            Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).body(Body::empty()).unwrap_or_default()
        }
    }
}

/// The nonce is 32 random hex digits: it occurs in the page only where Leptos put it.
fn replace_nonce(body: &Bytes, old: &str, new: &str) -> Bytes {
    match std::str::from_utf8(body) {
        Ok(text) if old != new => Bytes::from(text.replace(old, new)),
        _ => body.clone(),
    }
}

fn rebuild(status: StatusCode, headers: HeaderMap, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
