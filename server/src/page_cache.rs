//! Micro-cache for the anonymous storefront: the page every visitor without a session sees is
//! rendered at most once per `ttl` and served from memory in between. Signed-in customers and
//! every other path always get a fresh render. Stock badges on the cached page may lag by at
//! most `ttl`; add-to-cart and checkout always check live stock.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::accounts::session;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Pages larger than this are not cached (the storefront is far smaller).
const MAX_BODY: usize = 2 * 1024 * 1024;

pub struct PageCache {
    ttl: Duration,
    entry: Mutex<Option<(Instant, HeaderMap, Bytes)>>,
}

impl PageCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entry: Mutex::new(None) }
    }

    fn fresh(&self) -> Option<(HeaderMap, Bytes)> {
        let entry = self.entry.lock().ok()?;
        entry
            .as_ref()
            .filter(|(at, _, _)| at.elapsed() < self.ttl)
            .map(|(_, headers, body)| (headers.clone(), body.clone()))
    }

    fn store(&self, headers: HeaderMap, body: Bytes) {
        if let Ok(mut entry) = self.entry.lock() {
            *entry = Some((Instant::now(), headers, body));
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
    if let Some((headers, body)) = cache.fresh() {
        return rebuild(StatusCode::OK, headers, body);
    }
    let response = next.run(req).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            cache.store(parts.headers.clone(), bytes.clone());
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(err) => {
            tracing::error!(error = %err, "storefront page could not be buffered");
            Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).body(Body::empty()).unwrap_or_default()
        }
    }
}

fn rebuild(status: StatusCode, headers: HeaderMap, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
