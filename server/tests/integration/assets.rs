//! Asset delivery: hashed bundle names in the pages, long-lived caching of hashed files,
//! revalidation of everything else, compression, and the CSP nonce of compressed pages.
//! Each test serves a small fake site of its own (a hashed bundle and its hash file), so no
//! `cargo leptos build` is needed first.

use std::io::Read;
use std::path::PathBuf;

use crate::support::{spawn_app_with, TestApp};
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use reqwest::StatusCode;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
// cargo-leptos' hashes: 22 characters of unpadded base64url.
const JS_HASH: &str = "JsHash0123456789abcd-_";
const WASM_HASH: &str = "WasmHash0123456789abc_";
const CSS_HASH: &str = "CssHash0123456789abcd-";

/// A site root with a hashed bundle (the WASM also precompressed as `.br`), an unhashed file,
/// and the hash file cargo-leptos writes; removed when dropped.
struct FakeSite {
    dir: PathBuf,
    wasm: Vec<u8>,
    wasm_br: Vec<u8>,
}

impl FakeSite {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("retail-assets-{}", uuid::Uuid::new_v4().simple()));
        let pkg = dir.join("site/pkg");
        std::fs::create_dir_all(&pkg).expect("pkg dir");
        // Large and repetitive enough to be worth compressing.
        let wasm: Vec<u8> = b"\0asm\x01\0\0\0".iter().copied().chain((0..40_000u32).map(|i| (i % 7) as u8)).collect();
        let wasm_br = b"precompressed brotli stand-in".to_vec();
        let write = |name: &str, bytes: &[u8]| std::fs::write(pkg.join(name), bytes).expect("write bundle file");
        write(&format!("retail.{JS_HASH}.js"), "export default function init() {}\n".repeat(50).as_bytes());
        write(&format!("retail.{WASM_HASH}.wasm"), &wasm);
        write(&format!("retail.{WASM_HASH}.wasm.br"), &wasm_br);
        write(&format!("retail.{CSS_HASH}.css"), b"body { margin: 0 }\n");
        write("unhashed.js", b"console.log('not content-addressed');\n");
        std::fs::write(dir.join("hash.txt"), format!("js: {JS_HASH}\nwasm: {WASM_HASH}\ncss: {CSS_HASH}\n"))
            .expect("hash file");
        Self { dir, wasm, wasm_br }
    }

    async fn serve(&self) -> TestApp {
        let root = self.dir.join("site").display().to_string();
        let hash_file = self.dir.join("hash.txt").display().to_string();
        spawn_app_with(&[
            ("LEPTOS_SITE_ROOT", root.as_str()),
            ("LEPTOS_HASH_FILES", "true"),
            // Absolute: Leptos joins it to the binary's folder, which an absolute path replaces.
            ("LEPTOS_HASH_FILE_NAME", hash_file.as_str()),
        ])
        .await
    }
}

impl Drop for FakeSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response.headers().get(&name).map(|v| v.to_str().expect("ascii header").to_owned()).unwrap_or_default()
}

async fn get_with(app: &TestApp, path: &str, headers: &[(reqwest::header::HeaderName, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    request.send().await.expect("GET")
}

fn nonce_of(response: &reqwest::Response) -> String {
    let csp = header(response, CONTENT_SECURITY_POLICY);
    let start = csp.find("'nonce-").expect("nonce in the CSP") + "'nonce-".len();
    csp[start..].split('\'').next().expect("nonce").to_owned()
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).expect("valid gzip");
    text
}

#[tokio::test]
async fn pages_name_the_hashed_bundle() {
    let site = FakeSite::new();
    let app = site.serve().await;
    let page = app.get("/").await.text().await.expect("page");
    for name in [format!("/pkg/retail.{JS_HASH}.js"), format!("/pkg/retail.{WASM_HASH}.wasm")] {
        assert!(page.contains(&name), "the hydration script and preload name {name}");
    }
    assert!(page.contains(&format!("href=\"/pkg/retail.{CSS_HASH}.css\"")), "the stylesheet is the hashed one");
    assert!(!page.contains("/pkg/retail.css") && !page.contains("/pkg/retail.wasm"), "no unhashed name");
}

#[tokio::test]
async fn hashed_bundle_files_are_cached_for_good_and_sent_precompressed() {
    let site = FakeSite::new();
    let app = site.serve().await;
    let wasm = format!("/pkg/retail.{WASM_HASH}.wasm");

    let br = get_with(&app, &wasm, &[(ACCEPT_ENCODING, "gzip, deflate, br")]).await;
    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(header(&br, CACHE_CONTROL), IMMUTABLE);
    assert_eq!(header(&br, CONTENT_ENCODING), "br");
    assert_eq!(header(&br, CONTENT_TYPE), "application/wasm");
    assert!(header(&br, VARY).to_ascii_lowercase().contains("accept-encoding"));
    assert_eq!(br.bytes().await.expect("body").as_ref(), site.wasm_br.as_slice(), "the .br file, as built");

    let plain = app.get(&wasm).await;
    assert_eq!(header(&plain, CACHE_CONTROL), IMMUTABLE);
    assert_eq!(header(&plain, CONTENT_ENCODING), "", "no encoding the client did not accept");
    assert_eq!(plain.bytes().await.expect("body").as_ref(), site.wasm.as_slice());

    // No .gz was built: compressed on the fly.
    let gzip = get_with(&app, &wasm, &[(ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(header(&gzip, CONTENT_ENCODING), "gzip");
    assert_eq!(header(&gzip, CACHE_CONTROL), IMMUTABLE);
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(gzip.bytes().await.expect("body").as_ref())
        .read_to_end(&mut decoded)
        .expect("valid gzip");
    assert_eq!(decoded, site.wasm);

    let js = app.get(&format!("/pkg/retail.{JS_HASH}.js")).await;
    assert_eq!((js.status(), header(&js, CACHE_CONTROL)), (StatusCode::OK, IMMUTABLE.to_owned()));
}

#[tokio::test]
async fn files_without_a_hash_are_revalidated() {
    let site = FakeSite::new();
    let app = site.serve().await;
    let first = app.get("/pkg/unhashed.js").await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header(&first, CACHE_CONTROL), "no-cache");
    let last_modified = header(&first, LAST_MODIFIED);
    assert!(!last_modified.is_empty(), "a validator");

    let again = get_with(&app, "/pkg/unhashed.js", &[(IF_MODIFIED_SINCE, &last_modified)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.expect("body").is_empty());

    let missing = app.get(&format!("/pkg/retail.{JS_HASH}x.js")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_ne!(header(&missing, CACHE_CONTROL), IMMUTABLE, "a 404 is never cached for good");
}

#[tokio::test]
async fn pages_are_revalidated_with_an_etag_that_ignores_the_nonce() {
    let site = FakeSite::new();
    let app = site.serve().await;
    let first = app.get("/").await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header(&first, CACHE_CONTROL), "private, no-cache", "never served from a cache unchecked");
    let etag = header(&first, ETAG);
    assert!(etag.starts_with("W/\""), "a validator, got '{etag}'");

    // The same page (from the storefront cache) with a fresh nonce and request id: same ETag.
    let second = app.get("/").await;
    assert_ne!(nonce_of(&first), nonce_of(&second), "a nonce per response");
    assert_eq!(header(&second, ETAG), etag);

    let revalidated = get_with(&app, "/", &[(IF_NONE_MATCH, &etag)]).await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&revalidated, ETAG), etag);
    assert_eq!(header(&revalidated, CACHE_CONTROL), "private, no-cache");
    assert_eq!(
        header(&revalidated, CONTENT_SECURITY_POLICY),
        "",
        "the browser keeps the policy stored with the page it revalidated"
    );
    assert!(revalidated.bytes().await.expect("body").is_empty());

    let changed = get_with(&app, "/", &[(IF_NONE_MATCH, "W/\"something-else\"")]).await;
    assert_eq!(changed.status(), StatusCode::OK, "another ETag gets the page");

    // A page rendered on every request is hashed as it is sent. (Whether two renders match
    // depends on the page: one that carries a fresh checkout key never does, rightly.)
    let product = app.product("Lamp", 2_500, 3).await;
    let page = app.get(&format!("/products/{product}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, CACHE_CONTROL), "private, no-cache");
    assert!(header(&page, ETAG).starts_with("W/\""));
}

#[tokio::test]
async fn compressed_pages_carry_their_own_nonce() {
    let site = FakeSite::new();
    let app = site.serve().await;
    // The second answer comes from the storefront micro-cache, its nonce replaced.
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let response = get_with(&app, "/", &[(ACCEPT_ENCODING, "gzip")]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, CONTENT_ENCODING), "gzip");
        let nonce = nonce_of(&response);
        let page = gunzip(&response.bytes().await.expect("body"));
        assert!(page.contains(&format!("nonce=\"{nonce}\"")), "the scripts carry this response's nonce");
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1]);

    let br = get_with(&app, "/", &[(ACCEPT_ENCODING, "br")]).await;
    assert_eq!(header(&br, CONTENT_ENCODING), "br", "brotli when the browser offers it");
    for n in 0..3 {
        app.product(&format!("Compressible product {n}"), 1_000, 5).await;
    }
    let json = get_with(&app, "/api/products", &[(ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(json.status(), StatusCode::OK);
    assert_eq!(header(&json, CONTENT_ENCODING), "gzip", "the JSON API too");
    serde_json::from_str::<serde_json::Value>(&gunzip(&json.bytes().await.expect("body"))).expect("JSON");
}

#[tokio::test]
async fn a_missing_hash_file_falls_back_to_plain_names() {
    let site = FakeSite::new();
    std::fs::remove_file(site.dir.join("hash.txt")).expect("remove the hash file");
    let app = site.serve().await;
    let page = app.get("/").await;
    assert_eq!(page.status(), StatusCode::OK, "pages still render");
    let page = page.text().await.expect("page");
    assert!(page.contains("/pkg/retail.js") && page.contains("/pkg/retail.css"), "plain names");
}
