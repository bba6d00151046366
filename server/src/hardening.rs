//! What stands between the network and the application: the connection loop (header-read
//! timeout, HTTP/1.1 and HTTP/2), and the outer request layers — security headers with a
//! per-request CSP nonce, the request context, a request timeout, a panic catcher and per-route
//! body limits. Every refusal here answers with the project's JSON error body.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use app::platform::error::{ErrorBody, INTERNAL_MESSAGE};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tower_http::catch_panic::CatchPanicLayer;

use crate::configuration::HttpSettings;
use crate::middleware as mw;

/// Body limit of the JSON API and of server functions.
pub const BODY_LIMIT: usize = 16 * 1024;
/// Body limit where long texts are sent (product descriptions).
pub const LARGE_BODY_LIMIT: usize = 64 * 1024;

/// Body limit of photo uploads (multipart); each photo is also held to RETURNS_MAX_PHOTO_BYTES
/// as it streams.
pub const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The limit for a request path.
pub fn body_limit_for(path: &str) -> usize {
    let products = path == "/api/admin/products" || path.starts_with("/api/admin/products/");
    let photo_upload = path.starts_with("/api/returns/") && path.ends_with("/photos");
    // The wizard's photo step as a plain form (no JavaScript) uploads photos too.
    if photo_upload || path == app::returns::model::PHOTO_FORM_URL {
        UPLOAD_BODY_LIMIT
    } else if products || path == "/rpc/admin_save_product" {
        LARGE_BODY_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// The outer layers around the application router, outermost last (see `middleware`).
pub fn wrap(router: Router, http: Arc<HttpSettings>) -> Router {
    metrics::describe_counter!("http_panics_total", "Requests whose handler panicked (answered 500).");
    metrics::counter!("http_panics_total").increment(0);
    router
        .layer(from_fn(limit_body))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(http.clone(), request_timeout))
        .layer(from_fn_with_state(http.clone(), mw::request_context))
        // Outside the error bodies (request_context) and the storefront cache's nonce
        // substitution, so what is compressed is the final body. Bundle files with a
        // precompressed variant arrive encoded already and pass through.
        .layer(crate::assets::compression())
        .layer(from_fn_with_state(http, security_headers))
}

/// An error answer; `request_context` fills in the JSON body with the request id.
fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(ErrorBody { message: message.into(), extra: serde_json::Map::new() });
    response
}

// ---------------------------------------------------------------------------------------------
// Security headers

/// The nonce of this response's Content-Security-Policy, for Leptos to put on its scripts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(pub Arc<str>);

/// 128 random bits, hex.
fn new_nonce() -> Arc<str> {
    format!("{:032x}", rand::random::<u128>()).into()
}

/// Leptos additional context: the page is rendered with this request's nonce (the one in the
/// CSP header), instead of one Leptos would make up that the header does not know.
pub fn provide_request_nonce() {
    let nonce = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// The policy: scripts only from this origin or carrying the nonce (Leptos puts it on its
/// hydration and streaming scripts), WebAssembly compilation allowed, nothing framed, no
/// plugins. `live_reload` (cargo-leptos watch) also lets the reload websocket connect.
pub fn content_security_policy(nonce: &str, live_reload: bool) -> String {
    let connect = if live_reload { "'self' ws: wss:" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: blob:; connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

pub fn apply_security_headers(headers: &mut HeaderMap, nonce: &str, http: &HttpSettings) {
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(nonce, http.live_reload)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if http.hsts {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
}

async fn security_headers(State(http): State<Arc<HttpSettings>>, mut req: Request, next: Next) -> Response {
    let nonce = new_nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(req).await;
    apply_security_headers(response.headers_mut(), &nonce, &http);
    if response.status() == StatusCode::NOT_MODIFIED {
        // The browser keeps the page it revalidated and the policy stored with it, whose nonce
        // is the one on that page's scripts; a 304's headers replace the stored ones, and this
        // response's nonce would block them.
        response.headers_mut().remove(header::CONTENT_SECURITY_POLICY);
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Request timeout and panics

async fn request_timeout(State(http): State<Arc<HttpSettings>>, req: Request, next: Next) -> Response {
    let limit = Duration::from_millis(http.request_timeout_ms);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            if let Some(suppressed) = app::log_budget!(10) {
                tracing::warn!(timeout_ms = http.request_timeout_ms, suppressed, "request timed out");
            }
            error_response(StatusCode::SERVICE_UNAVAILABLE, "the request took too long and was stopped")
        }
    }
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_owned());
    metrics::counter!("http_panics_total").increment(1);
    tracing::error!(panic = %detail, "handler panicked");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_MESSAGE)
}

// ---------------------------------------------------------------------------------------------
// Body limits

fn too_large(limit: usize) -> Response {
    error_response(StatusCode::PAYLOAD_TOO_LARGE, format!("request body too large: at most {limit} bytes here"))
}

/// Refuses a declared `Content-Length` over the route's limit at once; a body without one
/// (chunked) is cut off when it passes the limit, and the answer is the same 413 whatever the
/// handler made of the failed read.
async fn limit_body(req: Request, next: Next) -> Response {
    let limit = body_limit_for(req.uri().path());
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let exceeded = Arc::new(AtomicBool::new(false));
    let flag = exceeded.clone();
    let req = req.map(|inner| Body::new(CappedBody { inner, remaining: limit, exceeded: flag }));
    let response = next.run(req).await;
    if exceeded.load(Ordering::Relaxed) {
        return too_large(limit);
    }
    response
}

struct CappedBody {
    inner: Body,
    remaining: usize,
    exceeded: Arc<AtomicBool>,
}

#[derive(Debug)]
struct BodyTooLarge;

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("length limit exceeded")
    }
}

impl std::error::Error for BodyTooLarge {}

impl HttpBody for CappedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                if data.len() > self.remaining {
                    self.exceeded.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(axum::Error::new(BodyTooLarge))));
                }
                self.remaining -= data.len();
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

// ---------------------------------------------------------------------------------------------
// Connections

/// Serves `router` on `listener` (HTTP/1.1, and HTTP/2 with prior knowledge, as proxies speak it)
/// until `shutdown` resolves, then lets open connections finish. A connection must send a
/// complete request head within `header_read_timeout` (a silent one is closed too).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) if is_connection_error(&err) => continue,
                Err(err) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::error!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Without TCP_NODELAY the last chunk of a streamed page waits for the client's delayed
        // ACK (~40 ms) on keep-alive connections.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::warn!(error = %err, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            if !request_started(&stream, header_read_timeout).await {
                return;
            }
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                tower::ServiceExt::oneshot(router.clone(), req)
            });
            if let Err(err) = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn is_connection_error(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(err.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// Waits until the client has sent enough to tell HTTP/1 from HTTP/2 (hyper's header-read
/// timer only starts after that); `false` if it does not within `limit`, or hangs up.
async fn request_started(stream: &TcpStream, limit: Duration) -> bool {
    const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let wait = async {
        let mut buf = [0u8; 24];
        loop {
            let n = match stream.peek(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            if n >= H2_PREFACE.len() || buf.get(..n) != H2_PREFACE.get(..n) {
                return true;
            }
            // A partial HTTP/2 preface: peek would return at once again, so pause.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(limit, wait).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(hsts: bool) -> HttpSettings {
        HttpSettings {
            trusted_proxies: Default::default(),
            allowed_origins: Vec::new(),
            header_read_timeout_ms: 1000,
            request_timeout_ms: 1000,
            hsts,
            live_reload: false,
        }
    }

    #[test]
    fn hsts_only_in_production() {
        let mut headers = HeaderMap::new();
        apply_security_headers(&mut headers, "abc", &http(false));
        assert_eq!(headers.get(header::STRICT_TRANSPORT_SECURITY), None);
        apply_security_headers(&mut headers, "abc", &http(true));
        assert_eq!(headers[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000; includeSubDomains");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii");
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }

    #[test]
    fn nonces_are_long_and_fresh() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn only_the_product_editors_get_the_large_limit() {
        assert_eq!(body_limit_for("/api/login"), BODY_LIMIT);
        assert_eq!(body_limit_for("/api/checkout"), BODY_LIMIT);
        assert_eq!(body_limit_for("/rpc/login"), BODY_LIMIT);
        assert_eq!(body_limit_for("/api/admin/products"), LARGE_BODY_LIMIT);
        assert_eq!(body_limit_for("/api/admin/products/7"), LARGE_BODY_LIMIT);
        assert_eq!(body_limit_for("/api/admin/productsX"), BODY_LIMIT);
        assert_eq!(body_limit_for("/rpc/admin_save_product"), LARGE_BODY_LIMIT);
        assert_eq!(body_limit_for("/api/returns/photos"), UPLOAD_BODY_LIMIT);
        assert_eq!(body_limit_for("/api/returns/7/photos"), UPLOAD_BODY_LIMIT);
        assert_eq!(body_limit_for("/returns/new/photos"), UPLOAD_BODY_LIMIT);
        assert_eq!(body_limit_for("/api/returns/7"), BODY_LIMIT);
    }
}
