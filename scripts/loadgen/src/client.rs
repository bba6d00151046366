//! HTTP sessions against the shop's JSON API. One `Session` is one simulated person: its own
//! reqwest client, connection pool and cookie jar (the `retail_session` cookie).

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::args::{Payment, Target};

/// The card number the simulated payment provider accepts.
pub const TEST_CARD: &str = "4242424242424242";

/// How one request ended, as far as the statistics care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    Timeout,
    /// Connection refused/reset, broken body, ...
    Transport,
}

/// A failed call during setup or an admin step, with the server's explanation.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Debug, Deserialize)]
pub struct Product {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub stock: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThrottleSettings {
    pub max_rps: u64,
    pub burst: u64,
    /// Any further settings the server reports (e.g. the bucket key), sent back unchanged
    /// when the earlier settings are restored.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Breaker {
    pub state: String,
    #[serde(default)]
    pub opened_total: u64,
    #[serde(default)]
    pub last_mttr_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProviderStatus {
    pub failure_rate: f64,
    pub latency_ms: u64,
    pub breaker: Breaker,
    #[serde(default)]
    pub jobs_pending: u64,
}

/// Result of one checkout attempt.
#[derive(Debug, Clone)]
pub struct CheckoutResult {
    pub answer: Answer,
    /// `status` from a 200 body: "paid", "payment_pending", ...
    pub order_status: Option<String>,
    pub elapsed: Duration,
    pub error: Option<String>,
}

/// Result of one add-to-cart request.
#[derive(Debug, Clone)]
pub struct CallResult {
    pub answer: Answer,
    pub error: Option<String>,
}

#[derive(Clone)]
pub struct Session {
    client: Client,
    base: String,
}

impl Session {
    pub fn new(target: &Target, timeout: Duration) -> Result<Session, String> {
        let mut builder = Client::builder()
            .cookie_store(true)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // Never through a proxy and never to another host via a redirect.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("loadgen/", env!("CARGO_PKG_VERSION")));
        if target.host == "localhost" {
            // Pin the name to loopback whatever the resolver says.
            builder = builder.resolve("localhost", SocketAddr::from((Ipv4Addr::LOCALHOST, target.port)));
        }
        let client = builder.build().map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Session { client, base: target.base_url() })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{}", self.base, path))
    }

    /// 201 created, or 409: the user exists already (fine for a load test).
    pub async fn register(&self, username: &str, email: &str, password: &str) -> Result<(), ApiError> {
        let body = json!({ "username": username, "email": email, "password": password });
        let response = send(self.request(Method::POST, "/api/register").json(&body), "POST /api/register").await?;
        expect(response, &[StatusCode::CREATED, StatusCode::CONFLICT], "POST /api/register").await.map(drop)
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<(), ApiError> {
        let body = json!({ "username": username, "password": password });
        let response = send(self.request(Method::POST, "/api/login").json(&body), "POST /api/login").await?;
        expect(response, &[StatusCode::OK], "POST /api/login").await.map(drop)
    }

    pub async fn products(&self) -> Result<Vec<Product>, ApiError> {
        self.get_json("/api/products").await
    }

    pub async fn add_to_cart(&self, product_id: i64, quantity: u32) -> CallResult {
        let body = json!({ "product_id": product_id, "quantity": quantity });
        let sent = self.request(Method::POST, "/api/cart/add").json(&body).send().await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                // Read the body so the connection goes back to the pool.
                let text = response.text().await.unwrap_or_default();
                let error = (status != 200).then(|| error_text(&text));
                CallResult { answer: Answer::Status(status), error }
            }
            Err(e) => CallResult { answer: classify(&e), error: Some(describe(&e)) },
        }
    }

    pub async fn checkout(&self, payment: Payment, idempotency_key: &str) -> CheckoutResult {
        let started = Instant::now();
        let sent = self
            .request(Method::POST, "/api/checkout")
            .header("Idempotency-Key", idempotency_key)
            .json(&checkout_body(payment, SystemTime::now()))
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return CheckoutResult {
                    answer: classify(&e),
                    order_status: None,
                    elapsed: started.elapsed(),
                    error: Some(describe(&e)),
                }
            }
        };
        let status = response.status().as_u16();
        let body = response.bytes().await;
        let elapsed = started.elapsed();
        match body {
            Ok(bytes) => {
                let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
                let order_status = if status == 200 {
                    parsed.as_ref().and_then(|v| v.get("status")).and_then(Value::as_str).map(str::to_owned)
                } else {
                    None
                };
                let error = (status != 200).then(|| error_text(&String::from_utf8_lossy(&bytes)));
                CheckoutResult { answer: Answer::Status(status), order_status, elapsed, error }
            }
            Err(e) => CheckoutResult {
                answer: classify(&e),
                order_status: None,
                elapsed,
                error: Some(format!("reading the body: {}", describe(&e))),
            },
        }
    }

    // ---- admin ----

    pub async fn set_stock(&self, product_id: i64, stock: i64) -> Result<(), ApiError> {
        let path = format!("/api/admin/products/{product_id}/stock");
        self.post_json(&path, &json!({ "stock": stock })).await.map(drop)
    }

    pub async fn throttle(&self) -> Result<ThrottleSettings, ApiError> {
        self.get_json("/api/admin/throttle").await
    }

    pub async fn set_throttle(&self, settings: &ThrottleSettings) -> Result<(), ApiError> {
        self.post_json("/api/admin/throttle", &json!(settings)).await.map(drop)
    }

    pub async fn provider(&self) -> Result<ProviderStatus, ApiError> {
        self.get_json("/api/admin/payment-provider").await
    }

    pub async fn set_provider(&self, failure_rate: f64, latency_ms: u64) -> Result<(), ApiError> {
        let body = json!({ "failure_rate": failure_rate, "latency_ms": latency_ms });
        self.post_json("/api/admin/payment-provider", &body).await.map(drop)
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let what = format!("GET {path}");
        let response = send(self.request(Method::GET, path), &what).await?;
        let text = expect(response, &[StatusCode::OK], &what).await?;
        serde_json::from_str(&text).map_err(|e| ApiError {
            status: Some(200),
            retry_after: None,
            message: format!("{what}: unexpected answer ({e}): {}", clip(&text)),
        })
    }

    async fn post_json(&self, path: &str, body: &Value) -> Result<String, ApiError> {
        let what = format!("POST {path}");
        let response = send(self.request(Method::POST, path).json(body), &what).await?;
        expect(response, &[StatusCode::OK], &what).await
    }
}

/// The JSON body of a checkout: cash, or the test card with an expiry a year ahead.
pub fn checkout_body(payment: Payment, now: SystemTime) -> Value {
    match payment {
        Payment::Cash => json!({ "payment_method": "cash" }),
        Payment::Card => json!({
            "payment_method": "card",
            "card_number": TEST_CARD,
            "card_expiry": card_expiry(now),
        }),
    }
}

/// `MM/YYYY` one year after `now` (UTC).
pub fn card_expiry(now: SystemTime) -> String {
    let days = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs() / 86_400).unwrap_or(0) as i64;
    let (year, month, _) = civil_from_days(days);
    format!("{month:02}/{}", year + 1)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

async fn send(request: RequestBuilder, what: &str) -> Result<Response, ApiError> {
    request.send().await.map_err(|e| ApiError {
        status: None,
        retry_after: None,
        message: format!("{what}: {}", describe(&e)),
    })
}

/// The body as text when the status is one of `ok`, otherwise an error quoting the server.
async fn expect(response: Response, ok: &[StatusCode], what: &str) -> Result<String, ApiError> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await.map_err(|e| ApiError {
        status: Some(status.as_u16()),
        retry_after: None,
        message: format!("{what}: reading the answer: {}", describe(&e)),
    })?;
    if ok.contains(&status) {
        return Ok(text);
    }
    let hint = match status.as_u16() {
        404 => " (is this endpoint implemented on the server yet?)",
        401 | 403 => " (check the credentials and the account's role)",
        _ => "",
    };
    Err(ApiError {
        status: Some(status.as_u16()),
        retry_after,
        message: format!("{what} answered {status}: {}{hint}", error_text(&text)),
    })
}

/// `error (request_id …)` from an error body, or the body itself.
fn error_text(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).and_then(Value::as_str).map(str::to_owned);
    match (field("error"), field("request_id")) {
        (Some(error), Some(id)) => format!("{error} (request_id {id})"),
        (Some(error), None) => error,
        _ if body.trim().is_empty() => "(empty body)".to_owned(),
        _ => clip(body),
    }
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn classify(e: &reqwest::Error) -> Answer {
    if e.is_timeout() {
        Answer::Timeout
    } else {
        Answer::Transport
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect (is the server running? start it with scripts/run)".to_owned()
    } else {
        // Include the cause chain: reqwest's top-level message is often just "error sending request".
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn calendar_conversion() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(20_818), (2026, 12, 31));
    }

    #[test]
    fn card_expiry_is_a_year_ahead() {
        // 2026-05-14T12:00:00Z
        assert_eq!(card_expiry(at(1_778_760_000)), "05/2027");
        // 2026-12-31T23:59:59Z
        assert_eq!(card_expiry(at(1_798_761_599)), "12/2027");
        // 2027-01-01T00:00:00Z
        assert_eq!(card_expiry(at(1_798_761_600)), "01/2028");
    }

    #[test]
    fn checkout_bodies() {
        assert_eq!(checkout_body(Payment::Cash, at(0)), json!({ "payment_method": "cash" }));
        let card = checkout_body(Payment::Card, at(0));
        assert_eq!(card["payment_method"], "card");
        assert_eq!(card["card_number"], TEST_CARD);
        assert_eq!(card["card_expiry"], "01/1971");
    }

    #[test]
    fn error_bodies_are_quoted() {
        assert_eq!(error_text(r#"{"error":"out of stock","request_id":"abc"}"#), "out of stock (request_id abc)");
        assert_eq!(error_text(""), "(empty body)");
        assert_eq!(error_text("plain"), "plain");
    }

    #[test]
    fn throttle_settings_round_trip_unknown_fields() {
        let read: ThrottleSettings = serde_json::from_str(r#"{"max_rps":0,"burst":0,"key":"global"}"#).unwrap();
        assert_eq!((read.max_rps, read.burst), (0, 0));
        assert_eq!(json!(read), json!({"max_rps":0,"burst":0,"key":"global"}));
    }

    #[test]
    fn provider_status_parses_with_null_mttr() {
        let status: ProviderStatus = serde_json::from_str(
            r#"{"failure_rate":0.0,"latency_ms":20,"breaker":{"state":"closed","opened_total":0,"last_mttr_seconds":null},"jobs_pending":0}"#,
        )
        .unwrap();
        assert_eq!(status.breaker.state, "closed");
        assert_eq!(status.breaker.last_mttr_seconds, None);
    }
}
