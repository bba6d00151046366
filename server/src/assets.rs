//! Asset delivery: the browser bundle under the site's pkg dir, the cache policy and validators
//! of HTML pages, and which bundle file names a page will ask for.
//!
//! - Bundle files whose names carry cargo-leptos' content hash (`retail.<hash>.wasm`, with
//!   `hash-files = true`) are cached for a year and never revalidated; any other file under
//!   pkg is revalidated on every use (`no-cache`, `Last-Modified`). Precompressed `.br` / `.gz`
//!   siblings (`cargo leptos build --release --precompress`) are sent when the client accepts
//!   them; anything else is compressed on the fly by the outer compression layer.
//! - HTML pages are `private, no-cache` with an ETag of their body: a browser revalidates the
//!   page on every visit, so a new page (naming a new bundle) is never replaced by a stored old
//!   one, and an unchanged page costs a 304.

use std::path::{Path, PathBuf};

use app::platform::RequestId;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::Response;
use axum::Router;
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

use crate::hardening::CspNonce;

/// Content-addressed files: the name changes whenever the content does.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files whose name stays while their content changes: ask the server each time.
pub const REVALIDATE: &str = "no-cache";
/// Pages: per user (they show who is signed in), revalidated on every visit.
pub const PAGE: &str = "private, no-cache";

/// Pages are buffered to be hashed; larger ones are refused (today's largest are a few tens of
/// KiB).
const MAX_PAGE: usize = 4 * 1024 * 1024;

/// Larger bodies are not compressed on the fly: a debug build's WASM (tens of MB) would cost
/// seconds of CPU on every download. A release bundle (about 1.4 MB) is below it, and with
/// `--precompress` is sent from its `.br` file without any work.
const MAX_ON_THE_FLY: u64 = 4 * 1024 * 1024;

/// Length of cargo-leptos' hashes: an MD5 in unpadded base64url.
const HASH_LEN: usize = 22;

/// The routes of the bundle directory (`/pkg/*`), served from the site root.
pub fn bundle_routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let files = ServeDir::new(&*options.site_root)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    let path = format!("{}{{*file}}", options.site_pkg_dir_route_base());
    Router::new().route_service(&path, files).layer(from_fn(bundle_headers))
}

async fn bundle_headers(req: Request, next: Next) -> Response {
    let hashed = is_content_hashed(req.uri().path());
    let mut response = next.run(req).await;
    let found = matches!(response.status(), StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED);
    let policy = if found && hashed { IMMUTABLE } else { REVALIDATE };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    // The same URL is answered in brotli, gzip or plain, by what the client accepts.
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// `name.<hash>.ext`, as cargo-leptos renames the files it hashes (the wasm-split loader's
/// all-underscore placeholder is not a hash).
pub fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.rsplitn(3, '.');
    let (Some(ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !ext.is_empty()
        && !stem.is_empty()
        && hash.len() == HASH_LEN
        && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && hash.bytes().any(|b| b != b'_')
}

// ---------------------------------------------------------------------------------------------
// Compression

/// Brotli or gzip, as the client accepts (brotli at quality 4, gzip at its default), for what
/// tower-http compresses by default (text, JSON, JS, WASM, SVG; not images, not event streams,
/// nothing of 32 bytes or less, nothing already encoded such as a precompressed bundle file)
/// up to `MAX_ON_THE_FLY` bytes.
pub fn compression() -> CompressionLayer<CompressWhen> {
    CompressionLayer::new().compress_when(CompressWhen)
}

#[derive(Clone, Copy, Debug)]
pub struct CompressWhen;

impl Predicate for CompressWhen {
    fn should_compress<B: http_body::Body>(&self, response: &axum::http::Response<B>) -> bool {
        let size = response
            .body()
            .size_hint()
            .exact()
            .or_else(|| response.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok()));
        size.is_none_or(|n| n <= MAX_ON_THE_FLY) && DefaultPredicate::new().should_compress(response)
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

/// Every HTML answer gets `Cache-Control: private, no-cache` (unless its handler chose one);
/// a successful GET also gets a weak ETag of its body, and a matching `If-None-Match` is
/// answered 304 without a body. The CSP nonce and the request id differ on every response, so
/// the ETag is taken over the body without them: an unchanged page revalidates although each
/// render carries fresh ones. A page that has an ETag already keeps it and is not buffered.
pub async fn page_validators(req: Request, next: Next) -> Response {
    let get = req.method() == Method::GET;
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let volatile = volatile_parts(req.extensions());
    let mut response = next.run(req).await;
    if !is_html(response.headers()) {
        return response;
    }
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(PAGE));
    }
    if !get || response.status() != StatusCode::OK {
        return response;
    }
    let matches =
        |etag: &str| if_none_match.as_ref().and_then(|v| v.to_str().ok()).is_some_and(|v| etag_matches(v, etag));
    // Set already (the storefront cache hashes a page once per render, not once per request).
    if let Some(etag) = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned) {
        return if matches(&etag) { not_modified(response.into_parts().0.headers, &etag) } else { response };
    }
    let (mut parts, body) = response.into_parts();
    let body = match to_bytes(body, MAX_PAGE).await {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "page could not be buffered");
            let mut failed = Response::new(Body::empty());
            *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            return failed;
        }
    };
    let etag = page_etag(&body, &volatile);
    if matches(&etag) {
        return not_modified(parts.headers, &etag);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, value);
    }
    Response::from_parts(parts, Body::from(body))
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// What differs between two renders of the same page: the response's CSP nonce and its request
/// id (in the session info the page carries for hydration).
pub fn volatile_parts(extensions: &axum::http::Extensions) -> Vec<String> {
    let nonce = extensions.get::<CspNonce>().map(|n| n.0.to_string());
    let request_id = extensions.get::<RequestId>().map(|id| id.0.clone());
    nonce.into_iter().chain(request_id).filter(|s| !s.is_empty()).collect()
}

/// `W/"<128 bits of SHA-256>"` of the body with every occurrence of the `volatile` strings
/// left out.
pub fn page_etag(body: &[u8], volatile: &[String]) -> String {
    fn feed(hasher: &mut Sha256, text: &str, volatile: &[String]) {
        match volatile.split_first() {
            Some((first, rest)) => text.split(first.as_str()).for_each(|piece| feed(hasher, piece, rest)),
            None => hasher.update(text.as_bytes()),
        }
    }
    let mut hasher = Sha256::new();
    match std::str::from_utf8(body) {
        Ok(text) => feed(&mut hasher, text, volatile),
        Err(_) => hasher.update(body),
    }
    let digest = hasher.finalize();
    format!("W/\"{}\"", hex::encode(digest.get(..16).unwrap_or(&digest)))
}

/// `If-None-Match` (a list, or `*`) against our ETag, by weak comparison (RFC 9110 13.1.2).
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    if_none_match.split(',').map(str::trim).any(|tag| tag == "*" || opaque(tag) == ours)
}

/// The headers a 200 would have had, without those that describe its body.
fn not_modified(mut headers: HeaderMap, etag: &str) -> Response {
    for name in [header::CONTENT_LENGTH, header::CONTENT_TYPE, header::TRANSFER_ENCODING] {
        headers.remove(name);
    }
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    *response.headers_mut() = headers;
    response
}

// ---------------------------------------------------------------------------------------------
// Which bundle the pages name

/// The file names pages will ask for under the pkg dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleNames {
    pub js: String,
    pub wasm: String,
    pub css: String,
}

/// Where Leptos looks for cargo-leptos' hash file: `hash_file` beside the running binary
/// (an absolute `LEPTOS_HASH_FILE_NAME` is taken as it is).
pub fn hash_file_path(options: &LeptosOptions) -> PathBuf {
    let dir = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)).unwrap_or_default();
    dir.join(&*options.hash_file)
}

/// Reads the hash file (`js: …`, `wasm: …`, `css: …` lines) into the names Leptos will render.
pub fn hashed_names(output_name: &str, hash_file: &str) -> BundleNames {
    let hash_of = |kind: &str| {
        hash_file.lines().filter_map(|line| line.split_once(':')).find(|(k, _)| k.trim() == kind).map(|(_, h)| h.trim())
    };
    let name = |kind: &str| match hash_of(kind) {
        Some(hash) => format!("{output_name}.{hash}.{kind}"),
        None => format!("{output_name}.{kind}"),
    };
    BundleNames { js: name("js"), wasm: name("wasm"), css: name("css") }
}

/// Makes the Leptos options agree with the site that is there, at start-up:
/// - file hashing on but no hash file beside the binary: Leptos would fail on every page (and
///   could name no bundle), so hashing is turned off with a warning;
/// - a site root whose pkg dir exists but lacks a bundle file the pages name (for example a
///   hashed site served with `LEPTOS_HASH_FILES` unset): a warning naming it.
///
/// Returns the names the pages will use.
pub fn reconcile(options: &mut LeptosOptions) -> BundleNames {
    let output_name = options.output_name.to_string();
    let names = if options.hash_files {
        let path = hash_file_path(options);
        match std::fs::read_to_string(&path) {
            Ok(text) => hashed_names(&output_name, &text),
            Err(err) => {
                tracing::warn!(
                    path = %path.display(),
                    error = %err,
                    "LEPTOS_HASH_FILES is on but the hash file cannot be read (cargo leptos build writes it beside \
                     the server binary); pages name the bundle files without hashes"
                );
                options.hash_files = false;
                hashed_names(&output_name, "")
            }
        }
    } else {
        hashed_names(&output_name, "")
    };
    let pkg = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    if pkg.is_dir() {
        for file in [&names.js, &names.wasm, &names.css] {
            if !pkg.join(file).is_file() {
                tracing::warn!(
                    file = %pkg.join(file).display(),
                    hash_files = options.hash_files,
                    "pages name a bundle file that is not in the site (build it with cargo leptos build; a site \
                     built with hash-files needs LEPTOS_HASH_FILES=true and the hash file beside the binary)"
                );
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cargo_leptos_hashed_names_are_immutable() {
        assert!(is_content_hashed("/pkg/retail.Ab3-_xYz0123456789abcd.wasm"));
        assert!(is_content_hashed("/pkg/retail.Ab3-_xYz0123456789abcd.js"));
        assert!(!is_content_hashed("/pkg/retail.wasm"));
        assert!(!is_content_hashed("/pkg/retail.css"));
        assert!(!is_content_hashed("/pkg/retail.short.js"));
        assert!(!is_content_hashed("/pkg/__wasm_split.______________________.js"));
        assert!(!is_content_hashed("/pkg/snippets/frontend-0123/inline0.js"));
        assert!(!is_content_hashed("/pkg/.Ab3-_xYz0123456789abcd.js"));
        assert!(!is_content_hashed("/pkg/retail.Ab3-_xYz0123456789abcd."));
    }

    #[test]
    fn etags_ignore_the_nonce_and_match_weakly() {
        let volatile = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let a = page_etag(b"<script nonce=\"n1\">x r1</script>", &volatile(&["n1", "r1"]));
        let b = page_etag(b"<script nonce=\"n2\">x r2</script>", &volatile(&["n2", "r2"]));
        let c = page_etag(b"<script nonce=\"n2\">y r2</script>", &volatile(&["n2", "r2"]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("W/\"") && a.len() == 2 + 1 + 32 + 1, "{a}");
        assert!(etag_matches(&a, &a));
        assert!(etag_matches(a.trim_start_matches("W/"), &a), "weak comparison");
        assert!(etag_matches(&format!("\"other\", {a}"), &a));
        assert!(etag_matches("*", &a));
        assert!(!etag_matches("\"other\"", &a));
    }

    #[test]
    fn hash_file_names_the_bundle() {
        let names = hashed_names("retail", "js: AAA\nwasm: BBB\ncss: CCC\n");
        assert_eq!(
            names,
            BundleNames {
                js: "retail.AAA.js".to_owned(),
                wasm: "retail.BBB.wasm".to_owned(),
                css: "retail.CCC.css".to_owned()
            }
        );
        assert_eq!(hashed_names("retail", "").wasm, "retail.wasm");
    }
}
