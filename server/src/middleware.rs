//! Request pipeline, outermost first: security headers (`hardening`), request context (id,
//! client address, span, metrics, error bodies), request timeout, panic catcher, body limit
//! (`hardening`), cross-site request refusal, storefront page cache, session lookup.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use app::accounts::{service, session, CurrentUser};
use app::platform::error::ErrorBody;
use app::platform::log_safe;
use app::platform::request::REQUEST_ID_HEADER;
use app::platform::{AppError, AppState, ClientIp, RequestId};
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::field::Empty;
use tracing::Instrument;

use crate::client_addr;
use crate::configuration::HttpSettings;

/// Gives every request an id (the caller's `X-Request-ID` if sane), its client address
/// (`TRUSTED_PROXIES`), a tracing span, a "request finished" log line and its metrics; turns
/// `AppError` markers into JSON bodies.
pub async fn request_context(State(http): State<Arc<HttpSettings>>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "fallback".to_owned());
    let client_ip = client_addr::client_ip(peer_of(&req), req.headers(), &http.trusted_proxies);
    let sli = req.extensions().get::<Arc<app::platform::sli::Recorder>>().cloned();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    req.extensions_mut().insert(ClientIp(client_ip));

    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        path = %log_safe::clean(&path),
        client_ip = %client_ip,
        user_id = Empty
    );
    let mut response = next.run(req).instrument(span.clone()).await;

    if let Some(ErrorBody { message, extra }) = response.extensions_mut().remove::<ErrorBody>() {
        let mut body = serde_json::Map::new();
        body.insert("error".into(), message.into());
        body.insert("request_id".into(), request_id.clone().into());
        body.extend(extra);
        let body = serde_json::Value::Object(body);
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        *response.body_mut() = Body::from(body.to_string());
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(sli) = &sli {
        sli.http(&route, &method, status, elapsed);
    }
    let labels = [("method", method.to_string()), ("route", route), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    span.in_scope(|| {
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(status, latency_ms, "request finished");
        } else {
            tracing::info!(status, latency_ms, "request finished");
        }
    });
    response
}

/// The TCP peer (set by the accept loop); loopback when absent (tests calling the router).
fn peer_of(req: &Request) -> IpAddr {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// Refuses state-changing requests sent by a page of another site. Browsers always send
/// `Origin` (or `Sec-Fetch-Site`) on such requests; clients like curl send neither and are
/// not a cross-site forgery vector.
pub async fn refuse_cross_site(State(http): State<Arc<HttpSettings>>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE);
    if !safe && is_cross_site(&req, &http) {
        // At most 10 lines a second, however many requests are refused.
        if let Some(suppressed) = app::log_budget!(10) {
            let origin =
                req.headers().get(header::ORIGIN).map(|o| log_safe::clean(&String::from_utf8_lossy(o.as_bytes())));
            tracing::warn!(origin = origin.as_deref(), suppressed, "cross-site request refused");
        }
        return AppError::Forbidden("cross-site request refused".to_owned()).into_response();
    }
    next.run(req).await
}

/// With `ALLOWED_ORIGINS` set, the `Origin` must be one of them exactly (scheme included).
/// Otherwise its host[:port] must be the one the request was sent to: the `X-Forwarded-Host`
/// of a trusted proxy, else the request's authority (HTTP/2 `:authority`, which comes without a
/// `Host` header), else `Host`.
fn is_cross_site(req: &Request, http: &HttpSettings) -> bool {
    let headers = req.headers();
    let Some(origin) = headers.get(header::ORIGIN) else {
        return headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    if !http.allowed_origins.is_empty() {
        return !http.allowed_origins.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin));
    }
    let origin_host = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
    let target = client_addr::forwarded_host(peer_of(req), headers, &http.trusted_proxies)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
        .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned));
    match (origin_host, target) {
        (Some(origin_host), Some(target)) => !origin_host.eq_ignore_ascii_case(&target),
        _ => true, // "null" or malformed origins, or nothing to compare with
    }
}

/// Attaches the signed-in user (if any) to the request, and gives every `/admin` page a
/// 401/403 status for anyone who is not an admin (the page itself renders the message).
pub async fn attach_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let user = match session::token_from_headers(req.headers()) {
        Some(token) => match service::user_for_token(&state, &token).await {
            Ok(user) => user,
            Err(err) => {
                tracing::error!(error = %err, "session lookup failed; treating the request as anonymous");
                None
            }
        },
        None => None,
    };
    if let Some(user) = &user {
        tracing::Span::current().record("user_id", user.id);
        req.extensions_mut().insert::<CurrentUser>(user.clone());
    }
    let admin_page = req.uri().path() == "/admin" || req.uri().path().starts_with("/admin/");
    let mut response = next.run(req).await;
    if admin_page && response.status().is_success() {
        match &user {
            None => *response.status_mut() = StatusCode::UNAUTHORIZED,
            Some(u) if !u.role.is_admin() => *response.status_mut() = StatusCode::FORBIDDEN,
            Some(_) => {}
        }
    }
    response
}
