//! Returns and refunds, end to end over the JSON API: the lifecycle, the last-unit race,
//! photo uploads (sniffed, scrubbed, private), who may see what, illegal and concurrent
//! transitions, refunds through a failing provider, and store credit.

use std::path::{Path, PathBuf};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::no_javascript::{location, signed_in_browser};
use crate::support::shop::{self, add_ok, admin, card_body, checkout, order_id_of, stock_of, CARD};
use crate::support::{error_of, get_json, post, TestApp};

/// A shop with its photo folder in a fresh temporary directory (removed by the caller's
/// `Uploads` guard).
pub(crate) struct Uploads(PathBuf);

impl Drop for Uploads {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Uploads {
    pub(crate) fn new() -> Self {
        Uploads(std::env::temp_dir().join(format!("retail-returns-{}", uuid::Uuid::new_v4().simple())))
    }

    fn dir(&self) -> String {
        self.0.display().to_string()
    }

    /// Every file in the folder (temporary ones included).
    pub(crate) fn files(&self) -> Vec<String> {
        match std::fs::read_dir(&self.0) {
            Ok(entries) => entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

pub(crate) async fn returns_shop(uploads: &Uploads, extra: &[(&str, &str)]) -> TestApp {
    let dir = uploads.dir();
    let mut env = vec![("RETURNS_UPLOAD_DIR", dir.as_str())];
    env.extend_from_slice(extra);
    shop::shop(&env).await
}

/// A paid card order of `lines` (product id, quantity) by the client's customer.
pub(crate) async fn paid_order(app: &TestApp, client: &Client, lines: &[(i64, i64)]) -> i64 {
    for (product, quantity) in lines {
        add_ok(app, client, *product, *quantity).await;
    }
    let (status, body) = checkout(app, client, &card_body(CARD), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "paid", "{body}");
    order_id_of(&body)
}

/// The order's lines as the wizard sees them: (order line id, product id).
pub(crate) async fn lines_of(app: &TestApp, client: &Client, order_id: i64) -> Vec<(i64, i64)> {
    let orders = get_json(app, client, "/api/returns/orders").await;
    let order = orders
        .as_array()
        .and_then(|all| all.iter().find(|o| o["order_id"] == order_id))
        .unwrap_or_else(|| panic!("order {order_id} not in {orders}"))
        .clone();
    order["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| (l["order_line_id"].as_i64().unwrap_or(0), l["product_id"].as_i64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn request(order_id: i64, items: &[(i64, i64)], reason: &str, method: &str) -> Value {
    let items: Vec<Value> = items.iter().map(|(line, n)| json!({ "order_line_id": line, "quantity": n })).collect();
    json!({ "order_id": order_id, "items": items, "reason": reason, "details": "", "method": method })
}

pub(crate) async fn create(app: &TestApp, client: &Client, body: &Value) -> (StatusCode, Value) {
    let response = post(app, client, "/api/returns", body.clone()).await;
    let status = response.status();
    (status, response.json().await.expect("json"))
}

pub(crate) async fn admin_act(
    app: &TestApp,
    admin: &Client,
    id: i64,
    action: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = post(app, admin, &format!("/api/admin/returns/{id}/{action}"), body).await;
    let status = response.status();
    (status, response.json().await.expect("json"))
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// A small JPEG whose Exif segment holds a GPS position.
fn jpeg_with_gps() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend(segment(0xE0, b"JFIF\0\x01\x02"));
    j.extend(segment(0xE1, b"Exif\0\0GPSLatitude=52.37;GPSLongitude=4.89"));
    j.extend(segment(0xDB, &[0u8; 65]));
    j.extend(segment(0xDA, &[1, 2, 3, 4, 5, 6]));
    j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]);
    j
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    c.extend_from_slice(&[0xAA, 0xBB, 0xCC, 0xDD]);
    c
}

pub(crate) fn png() -> Vec<u8> {
    let mut p = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    p.extend(png_chunk(b"IHDR", &[0; 13]));
    p.extend(png_chunk(b"IDAT", &[9; 20]));
    p.extend(png_chunk(b"IEND", &[]));
    p
}

/// Uploads `bytes` as a multipart form with one `photo` field named and typed as given.
pub(crate) async fn upload(
    app: &TestApp,
    client: &Client,
    path: &str,
    name: &str,
    declared: &str,
    bytes: &[u8],
) -> reqwest::Response {
    photo_post(client, &app.url(path), name, declared, bytes).send().await.expect("upload")
}

/// The multipart request `upload` sends.
fn photo_post(client: &Client, url: &str, name: &str, declared: &str, bytes: &[u8]) -> reqwest::RequestBuilder {
    let boundary = "retailtestboundary7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\nContent-Type: {declared}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    client.post(url).header("Content-Type", format!("multipart/form-data; boundary={boundary}")).body(body)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

pub(crate) async fn photo_rows(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) AS n FROM return_photos").await
}

fn stored_files(uploads: &Uploads) -> Vec<String> {
    let mut files = uploads.files();
    files.sort();
    files
}

fn is_stored_name(name: &str) -> bool {
    let path = Path::new(name);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn the_lifecycle_ends_refunded_with_stock_restored_only_for_restocked_units() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let mug = app.product("Mug", 2_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let order = paid_order(&app, &alice, &[(lamp, 2), (mug, 1)]).await;
    // The admin ships and delivers the order: the window now counts from delivery.
    let shipped =
        post(&app, &ops, &format!("/api/admin/orders/{order}/ship"), json!({ "carrier": "DHL", "tracking": "JD1" }))
            .await;
    assert_eq!(shipped.status(), StatusCode::OK);
    let delivered = post(&app, &ops, &format!("/api/admin/orders/{order}/deliver"), json!({})).await;
    assert_eq!(delivered.json::<Value>().await.expect("json")["progress"]["stage"], "delivered");
    let lines = lines_of(&app, &alice, order).await;
    let line_of = |product: i64| lines.iter().find(|(_, p)| *p == product).map(|(l, _)| *l).expect("line");
    let (lamp_line, mug_line) = (line_of(lamp), line_of(mug));

    let (status, created) =
        create(&app, &alice, &request(order, &[(lamp_line, 2), (mug_line, 1)], "no_longer_wanted", "store_credit"))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["summary"]["status"], "authorized", "auto-authorized: {created}");
    let id = created["summary"]["id"].as_i64().expect("id");
    let rma = created["summary"]["rma_number"].as_str().expect("rma number");
    assert!(rma.starts_with("RMA-") && rma.ends_with(&format!("{id:05}")), "{rma}");
    assert_eq!(created["actions"], json!(["cancel", "ship"]));

    let shipped =
        post(&app, &alice, &format!("/api/returns/{id}/shipment"), json!({ "carrier": "UPS", "tracking": "1Z9" }))
            .await;
    assert_eq!(shipped.json::<Value>().await.expect("json")["summary"]["status"], "in_transit");
    assert_eq!(admin_act(&app, &ops, id, "receive", json!({})).await.0, StatusCode::OK);
    let items = get_json(&app, &ops, &format!("/api/admin/returns/{id}")).await["items"].clone();
    let item_of = |product: i64| {
        items.as_array().and_then(|all| all.iter().find(|i| i["product_id"] == product)).map(|i| i["id"].clone())
    };
    let (lamp_item, mug_item) = (item_of(lamp).expect("lamp item"), item_of(mug).expect("mug item"));
    let (status, inspected) = admin_act(
        &app,
        &ops,
        id,
        "inspect",
        json!({ "items": [
        { "item_id": lamp_item, "condition": "like_new", "disposition": "restock" },
        { "item_id": mug_item, "condition": "damaged", "disposition": "scrap" },
    ] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{inspected}");
    assert_eq!(stock_of(&app, lamp).await, 10, "both lamps restocked");
    assert_eq!(stock_of(&app, mug).await, 9, "the scrapped mug is not");

    // Partial approval: one lamp of two, and the mug.
    let (status, approved) = admin_act(
        &app,
        &ops,
        id,
        "approve",
        json!({ "items": [
        { "item_id": lamp_item, "quantity": 1 }, { "item_id": mug_item, "quantity": 1 },
    ] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let (status, refunded) = admin_act(&app, &ops, id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_eq!(refunded["summary"]["status"], "refunded");
    // $40 + $20 = $60, minus the 10 % restocking fee = $54.00, plus the 10 % credit bonus.
    assert_eq!(refunded["refund"]["state"], "paid");
    assert_eq!(refunded["refund"]["credit_cents"], 5_940);
    assert_eq!(refunded["refund"]["bonus_cents"], 540);
    let credit = get_json(&app, &alice, "/api/store-credit").await;
    assert_eq!(credit["balance_cents"], 5_940);
    assert_eq!(credit["entries"].as_array().map(Vec::len), Some(2), "refund and bonus: {credit}");

    let (status, closed) = admin_act(&app, &ops, id, "close", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let timeline: Vec<&str> =
        closed["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["to"].as_str()).collect();
    assert_eq!(
        timeline,
        [
            "requested",
            "authorized",
            "in_transit",
            "received",
            "inspected",
            "approved",
            "refund_pending",
            "refunded",
            "closed"
        ]
    );
    assert_eq!(closed["timeline"][2]["actor"], "customer");
    assert_eq!(closed["timeline"][3]["actor"], "admin");
    assert_eq!(stock_of(&app, lamp).await, 10, "refunding changed no stock");
    assert_eq!(stock_of(&app, mug).await, 9);
}

#[tokio::test]
async fn two_requests_for_the_last_returnable_unit_make_exactly_one_return() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    for round in 1..=3 {
        let order = paid_order(&app, &alice, &[(lamp, 1)]).await;
        let line = lines_of(&app, &alice, order).await[0].0;
        let body = request(order, &[(line, 1)], "no_longer_wanted", "original_payment");
        let (a, b) = tokio::join!(create(&app, &alice, &body), create(&app, &alice, &body));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY], "round {round}: {a:?} {b:?}");
        let refused = if a.0 == StatusCode::CREATED { b.1 } else { a.1 };
        let message = refused["error"].as_str().unwrap_or("");
        assert!(
            message == "all units of 'Lamp' are already returned or in a return"
                || message == "everything in this order is already returned or in a return",
            "{message}"
        );
        let returns = app.scalar(&format!("SELECT COUNT(*) AS n FROM returns WHERE order_id = {order}")).await;
        assert_eq!(returns, 1, "round {round}");
    }
}

#[tokio::test]
async fn refused_uploads_leave_nothing_behind_and_sniffing_decides_the_type() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[("RETURNS_MAX_PHOTO_BYTES", "4096")]).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let path = "/api/returns/photos";

    let mut big = jpeg_with_gps();
    big.extend(vec![0u8; 5_000]);
    let too_large = upload(&app, &alice, path, "big.jpg", "image/jpeg", &big).await;
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(too_large).await, "this photo is too large: each may be at most 4 KB");

    let text = upload(&app, &alice, path, "holiday.jpg", "image/jpeg", b"just some text, named holiday.jpg").await;
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        error_of(text).await,
        "this file is not a JPEG, PNG or WebP image (the type is read from the file itself, not its name)"
    );
    assert_eq!(photo_rows(&app).await, 0);
    assert_eq!(stored_files(&uploads), Vec::<String>::new(), "nothing stored, no temporary file left");

    // A PNG declared (and named) as a JPEG is stored and served as what it is.
    let declared_jpeg = upload(&app, &alice, path, "photo.jpg", "image/jpeg", &png()).await;
    assert_eq!(declared_jpeg.status(), StatusCode::CREATED);
    let photo: Value = declared_jpeg.json().await.expect("json");
    assert_eq!(photo["kind"], "png");
    let served = alice.get(app.url(photo["url"].as_str().expect("url"))).send().await.expect("GET photo");
    assert_eq!(served.headers()["content-type"], "image/png");
    let files = stored_files(&uploads);
    assert_eq!(files.len(), 1);
    assert!(is_stored_name(&files[0]) && files[0].ends_with(".png"), "named by a random id: {files:?}");
    assert!(!files[0].contains("photo"), "never by the user's name");

    // The 21st photo of a set is refused.
    for n in 1..20 {
        let ok = upload(&app, &alice, path, &format!("{n}.png"), "image/png", &png()).await;
        assert_eq!(ok.status(), StatusCode::CREATED, "photo {}", n + 1);
    }
    let twenty_first = upload(&app, &alice, path, "21.png", "image/png", &png()).await;
    assert_eq!(twenty_first.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(twenty_first).await, "at most 20 photos can be added to one return");
    assert_eq!(photo_rows(&app).await, 20);
    assert_eq!(stored_files(&uploads).len(), 20);
}

#[tokio::test]
async fn a_stored_jpeg_has_no_gps_and_only_its_owner_and_admins_see_the_return() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let mallory = app.signed_in("mallory", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let order = paid_order(&app, &alice, &[(lamp, 1)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;

    let uploaded = upload(&app, &alice, "/api/returns/photos", "IMG_0001.JPG", "image/jpeg", &jpeg_with_gps()).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let photo: Value = uploaded.json().await.expect("json");
    let mut body = request(order, &[(line, 1)], "damaged", "original_payment");
    body["photo_ids"] = json!([photo["id"]]);
    let (status, created) = create(&app, &alice, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["summary"]["id"].as_i64().expect("id");
    let url = created["photos"][0]["url"].as_str().expect("photo url").to_owned();

    let served = alice.get(app.url(&url)).send().await.expect("GET photo");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    let bytes = served.bytes().await.expect("bytes");
    assert!(!contains(&bytes, b"GPSLatitude") && !contains(&bytes, b"Exif"), "location removed");
    assert!(contains(&bytes, b"JFIF"), "the rest kept");
    assert_eq!(ops.get(app.url(&url)).send().await.expect("admin GET").status(), StatusCode::OK);

    assert_eq!(mallory.get(app.url(&url)).send().await.expect("GET").status(), StatusCode::NOT_FOUND);
    let theirs = mallory.get(app.url(&format!("/api/returns/{id}"))).send().await.expect("GET");
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_of(theirs).await, "no such return");
    let cancel = post(&app, &mallory, &format!("/api/returns/{id}/cancel"), json!({})).await;
    assert_eq!(cancel.status(), StatusCode::NOT_FOUND);
    assert_eq!(get_json(&app, &mallory, "/api/returns").await, json!([]));
    let anonymous = app.client.get(app.url(&url)).send().await.expect("GET");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_illegal_transition_is_409_and_two_admins_cannot_both_apply_one() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let other_admin = app.signed_in("ops2", app::accounts::Role::Admin).await;
    let order = paid_order(&app, &alice, &[(lamp, 1)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let (_, created) =
        create(&app, &alice, &request(order, &[(line, 1)], "no_longer_wanted", "original_payment")).await;
    let id = created["summary"]["id"].as_i64().expect("id");

    let (status, refused) = admin_act(&app, &ops, id, "receive", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["error"], "this return is authorized and cannot be received");

    let shipped =
        post(&app, &alice, &format!("/api/returns/{id}/shipment"), json!({ "carrier": "UPS", "tracking": "1Z" })).await;
    assert_eq!(shipped.status(), StatusCode::OK);
    let (a, b) = tokio::join!(
        admin_act(&app, &ops, id, "receive", json!({})),
        admin_act(&app, &other_admin, id, "receive", json!({}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let received = app
        .scalar(&format!("SELECT COUNT(*) AS n FROM return_events WHERE return_id = {id} AND to_status = 'received'"))
        .await;
    assert_eq!(received, 1, "one transition recorded");

    let cancel = post(&app, &alice, &format!("/api/returns/{id}/cancel"), json!({})).await;
    assert_eq!(cancel.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(cancel).await, "this return is received and cannot be cancelled");
}

/// Takes a fresh return of one unit to `approved` (shipped, received, inspected as restock).
async fn approved_return(app: &TestApp, customer: &Client, ops: &Client, product: i64, method: &str) -> i64 {
    let order = paid_order(app, customer, &[(product, 1)]).await;
    let line = lines_of(app, customer, order).await[0].0;
    let (status, created) = create(app, customer, &request(order, &[(line, 1)], "no_longer_wanted", method)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["summary"]["id"].as_i64().expect("id");
    to_approved(app, customer, ops, id).await;
    id
}

/// A shop paying through a simulated provider of the test's own (with `extra` settings), with
/// its customer's approved return of a card-paid lamp ($40.00) to be refunded to the card.
struct CardRefund {
    _uploads: Uploads,
    app: TestApp,
    provider: std::sync::Arc<app::payments::provider::SimulatedProvider>,
    ops: Client,
    id: i64,
}

/// A returns shop paying through a simulated provider of the test's own (`extra` settings
/// added): its photo folder, the shop, the provider and the provider's URL.
pub(crate) async fn provider_shop(
    extra: &[(&str, &str)],
) -> (Uploads, TestApp, std::sync::Arc<app::payments::provider::SimulatedProvider>, String) {
    let uploads = Uploads::new();
    let (provider, url) = crate::support::standalone_provider().await;
    let mut env = vec![("PAYMENT_PROVIDER_URL", url.as_str())];
    env.extend_from_slice(extra);
    let app = returns_shop(&uploads, &env).await;
    (uploads, app, provider, url)
}

/// A return's id as its detail answers it.
pub(crate) fn id_of(detail: &Value) -> i64 {
    detail["summary"]["id"].as_i64().expect("id")
}

async fn card_refund(extra: &[(&str, &str)]) -> CardRefund {
    let (uploads, app, provider, _) = provider_shop(extra).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let id = approved_return(&app, &alice, &ops, lamp, "original_payment").await;
    CardRefund { _uploads: uploads, app, provider, ops, id }
}

#[tokio::test]
async fn a_card_refund_waits_while_the_provider_fails_and_is_paid_once_when_it_heals() {
    use app::payments::faults::FaultSettings;
    let CardRefund { _uploads, app, provider, ops, id } = card_refund(&[]).await;

    provider.set_faults(FaultSettings { failure_rate: 1.0, latency_ms: 0 });
    let (status, started) = admin_act(&app, &ops, id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["summary"]["status"], "refund_pending");
    assert_eq!(started["refund"]["state"], "pending");
    assert_eq!(started["refund"]["amount_cents"], 3_600, "$40.00 minus the 10 % restocking fee");
    let path = format!("/api/admin/returns/{id}");
    crate::support::wait_until("retries while the provider fails", std::time::Duration::from_secs(20), || async {
        get_json(&app, &ops, &path).await["refund"]["attempts"].as_i64().unwrap_or(0) >= 2
    })
    .await;
    let pending = get_json(&app, &ops, &path).await;
    assert_eq!(pending["refund"]["state"], "pending", "{pending}");
    assert_ne!(pending["refund"]["last_error"], "", "the reason is shown");
    assert_eq!(provider.refunds_made(), 0);

    provider.set_faults(FaultSettings::default());
    crate::support::wait_until("the refund is paid", std::time::Duration::from_secs(40), || async {
        get_json(&app, &ops, &path).await["refund"]["state"] == "paid"
    })
    .await;
    let paid = get_json(&app, &ops, &path).await;
    assert_eq!(paid["summary"]["status"], "refunded");
    assert_eq!(provider.refunds_made(), 1, "the provider recorded exactly one refund");
    let refunded_events = paid["timeline"].as_array().map(|t| t.iter().filter(|e| e["to"] == "refunded").count());
    assert_eq!(refunded_events, Some(1));
    let (status, retry) = admin_act(&app, &ops, id, "refund/retry", json!({})).await;
    assert_eq!(
        (status, retry["error"].clone()),
        (StatusCode::CONFLICT, json!("this return has no pending or failed refund to retry"))
    );
    assert_eq!(provider.refunds_made(), 1);
}

#[tokio::test]
async fn failing_refunds_open_the_breaker_and_an_admin_retries_a_pending_one_at_once() {
    use app::payments::faults::FaultSettings;
    // Retries far apart (at least 5 s), the breaker opening at the first failure.
    let env = [("PAYMENT_JOB_BACKOFF_MS", "20000"), ("BREAKER_CONSECUTIVE_FAILURES", "1")];
    let CardRefund { _uploads, app, provider, ops, id } = card_refund(&env).await;
    let opened_before = get_json(&app, &ops, "/api/admin/payment-provider").await["breaker"]["opened_total"].as_u64();

    provider.set_faults(FaultSettings { failure_rate: 1.0, latency_ms: 0 });
    assert_eq!(admin_act(&app, &ops, id, "refund", json!({})).await.0, StatusCode::OK);
    let path = format!("/api/admin/returns/{id}");
    crate::support::wait_until("the refund to fail once", std::time::Duration::from_secs(10), || async {
        get_json(&app, &ops, &path).await["refund"]["attempts"].as_i64().unwrap_or(0) >= 1
    })
    .await;
    let status = get_json(&app, &ops, "/api/admin/payment-provider").await;
    assert!(status["breaker"]["opened_total"].as_u64() > opened_before, "refund failures open the breaker: {status}");

    // Healed: the next try is seconds away; the admin's retry makes it due now.
    provider.set_faults(FaultSettings::default());
    assert_eq!(admin_act(&app, &ops, id, "refund/retry", json!({})).await.0, StatusCode::OK);
    crate::support::wait_until("the retried refund to be paid", std::time::Duration::from_secs(4), || async {
        get_json(&app, &ops, &path).await["refund"]["state"] == "paid"
    })
    .await;
    assert_eq!(provider.refunds_made(), 1);
}

#[tokio::test]
async fn a_card_refund_the_provider_refuses_for_good_is_paid_by_hand_with_a_reference() {
    use app::payments::faults::FaultSettings;
    let CardRefund { _uploads, app, provider, ops, id } = card_refund(&[]).await;

    // While it is pending, it may still be paid by the provider: not by hand.
    provider.set_faults(FaultSettings { failure_rate: 1.0, latency_ms: 0 });
    assert_eq!(admin_act(&app, &ops, id, "refund", json!({})).await.0, StatusCode::OK);
    let (status, refused) = admin_act(&app, &ops, id, "paid_by_hand", json!({ "reference": "TRF-1" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    // The simulated provider refuses a refund for good only when it names no charge: the card
    // account closed, as far as this shop can tell. Changed between two runs of the worker (not
    // claimed), and moving `next_attempt_at` so a run that read the row before cannot claim it.
    let cleared = format!(
        "UPDATE refunds SET charge_reference = ' ', next_attempt_at = next_attempt_at + 1 \
         WHERE return_id = {id} AND owner = ''"
    );
    crate::support::wait_until("the refund to be changed between runs", std::time::Duration::from_secs(10), || async {
        let changed = sqlx::query(&cleared).execute(app.db.write()).await.expect("update");
        changed.rows_affected() == 1
    })
    .await;
    provider.set_faults(FaultSettings::default());
    let path = format!("/api/admin/returns/{id}");
    crate::support::wait_until("the refund to fail", std::time::Duration::from_secs(20), || async {
        get_json(&app, &ops, &path).await["refund"]["state"] == "failed"
    })
    .await;

    let (status, missing) = admin_act(&app, &ops, id, "paid_by_hand", json!({ "reference": " " })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{missing}");
    let (status, paid) = admin_act(&app, &ops, id, "paid_by_hand", json!({ "reference": "TRF-2026-0042" })).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(
        (paid["summary"]["status"].clone(), paid["refund"]["payout"].clone(), paid["refund"]["reference"].clone()),
        (json!("refunded"), json!("manual"), json!("TRF-2026-0042"))
    );
    assert_eq!(provider.refunds_made(), 0, "nothing was paid through the provider");
}

#[tokio::test]
async fn heavy_returners_wait_for_review_and_a_rejection_tells_the_customer_why() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[("RETURNS_REVIEW_AFTER_RETURNS", "1")]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let order = paid_order(&app, &alice, &[(lamp, 2)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let body = request(order, &[(line, 1)], "no_longer_wanted", "store_credit");
    let (_, first) = create(&app, &alice, &body).await;
    assert_eq!(first["summary"]["status"], "authorized", "no return in the last 90 days yet");
    let (status, second) = create(&app, &alice, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(second["summary"]["status"], "requested", "one return in 90 days: manual review");
    assert_eq!(second["summary"]["review_reason"], Value::Null, "the customer is not told why");
    let id = second["summary"]["id"].as_i64().expect("id");
    let queue = get_json(&app, &ops, "/api/admin/returns?review_only=true").await;
    assert_eq!(queue[0]["id"], id);
    assert_eq!(queue[0]["review_reason"], "1 returns in the last 90 days (review from 1)");

    let (status, refused) = admin_act(&app, &ops, id, "reject", json!({ "reason": "" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"], "give the customer the reason for the rejection (at most 1000 characters)");
    let (status, _) =
        admin_act(&app, &ops, id, "reject", json!({ "reason": "Opened software cannot be returned" })).await;
    assert_eq!(status, StatusCode::OK);
    let seen = get_json(&app, &alice, &format!("/api/returns/{id}")).await;
    assert_eq!(seen["summary"]["status"], "rejected");
    assert_eq!(seen["rejection_reason"], "Opened software cannot be returned");
    assert_eq!(seen["actions"], json!([]));
    // The timeline says who: the admin's name for admins, the role only for the customer.
    let rejected = |detail: &Value| {
        let events = detail["timeline"].as_array().cloned().unwrap_or_default();
        events.into_iter().find(|e| e["to"] == "rejected").map(|e| (e["actor"].clone(), e["actor_name"].clone()))
    };
    assert_eq!(rejected(&seen), Some((json!("admin"), Value::Null)));
    let ids: Vec<Value> = seen["timeline"].as_array().into_iter().flatten().map(|e| e["actor_id"].clone()).collect();
    assert!(ids.iter().all(Value::is_null), "no user ids for the customer: {ids:?}");
    let console = get_json(&app, &ops, &format!("/api/admin/returns/{id}")).await;
    assert_eq!(rejected(&console), Some((json!("admin"), json!("ops"))));
    // The rejected return's unit may be claimed again.
    let orders = get_json(&app, &alice, "/api/returns/orders").await;
    assert_eq!(orders[0]["lines"][0]["returnable"], 1);
}

fn with_credit(mut body: Value) -> Value {
    body["use_store_credit"] = json!(true);
    body
}

#[tokio::test]
async fn store_credit_earned_from_a_return_pays_at_checkout_alone_or_with_a_card() {
    let uploads = Uploads::new();
    let (provider, url) = crate::support::standalone_provider().await;
    let app = returns_shop(&uploads, &[("PAYMENT_PROVIDER_URL", url.as_str())]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let mug = app.product("Mug", 2_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let id = approved_return(&app, &alice, &ops, lamp, "store_credit").await;
    let (status, refunded) = admin_act(&app, &ops, id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_eq!(get_json(&app, &alice, "/api/store-credit").await["balance_cents"], 3_960, "$36.00 + 10 % bonus");
    let charges_before = provider.charges_made();

    // Not enough for the lamp without a card: refused, nothing reserved or spent.
    add_ok(&app, &alice, lamp, 1).await;
    let no_card = with_credit(json!({ "payment_method": "card" }));
    let (status, refused) = checkout(&app, &alice, &no_card, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let message = "your store credit pays $39.60 of $40.00: enter a card for the rest, or choose cash on delivery";
    assert_eq!(refused["error"], message);
    assert_eq!(get_json(&app, &alice, "/api/store-credit").await["balance_cents"], 3_960);
    let emptied = post(&app, &alice, "/api/cart/remove", json!({ "product_id": lamp })).await;
    assert_eq!(emptied.status(), StatusCode::OK);

    // Alone: the credit covers the mug; no card is needed, none is charged.
    add_ok(&app, &alice, mug, 1).await;
    let (status, body) = checkout(&app, &alice, &no_card, Some("credit-1")).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("paid")), "{body}");
    let mug_order = order_id_of(&body);
    assert_eq!(provider.charges_made(), charges_before, "an order paid by credit never reaches the provider");
    assert_eq!(get_json(&app, &alice, "/api/store-credit").await["balance_cents"], 1_960);
    let (status, replay) = checkout(&app, &alice, &no_card, Some("credit-1")).await;
    assert_eq!((status, replay), (StatusCode::OK, body), "a replay answers the first checkout");
    assert_eq!(get_json(&app, &alice, "/api/store-credit").await["balance_cents"], 1_960, "and spends nothing");

    // With a card: the credit first, the card the rest.
    add_ok(&app, &alice, lamp, 1).await;
    let (status, body) = checkout(&app, &alice, &with_credit(card_body(CARD)), Some("credit-2")).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("paid")), "{body}");
    let lamp_order = order_id_of(&body);
    assert_eq!(provider.charges_made(), charges_before + 1);
    let card_paid = app.scalar(&format!("SELECT amount_cents AS n FROM payments WHERE order_id = {lamp_order}")).await;
    assert_eq!(card_paid, 4_000 - 1_960);
    let account = get_json(&app, &alice, "/api/store-credit").await;
    assert_eq!(account["balance_cents"], 0);
    let spent: Vec<(Value, Value)> = account["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["reason"] == "checkout")
        .map(|e| (e["order_id"].clone(), e["amount_cents"].clone()))
        .collect();
    assert_eq!(spent, [(json!(lamp_order), json!(-1_960)), (json!(mug_order), json!(-2_000))]);
}

#[tokio::test]
async fn a_cash_order_is_paid_on_delivery_and_refunded_by_hand_with_a_reference() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    add_ok(&app, &alice, lamp, 1).await;
    let (status, body) = checkout(&app, &alice, &json!({ "payment_method": "cash" }), None).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("cash_on_delivery")));
    let order = order_id_of(&body);
    let orders = get_json(&app, &alice, "/api/returns/orders").await;
    assert_eq!(orders[0]["ineligible"], "this order is not paid yet, so it cannot be returned");
    let early = post(&app, &ops, &format!("/api/admin/orders/{order}/deliver"), json!({})).await;
    assert_eq!(early.status(), StatusCode::CONFLICT, "not shipped yet");
    let ship = json!({ "carrier": "DHL", "tracking": "JD2" });
    assert_eq!(post(&app, &ops, &format!("/api/admin/orders/{order}/ship"), ship).await.status(), StatusCode::OK);
    let delivered = post(&app, &ops, &format!("/api/admin/orders/{order}/deliver"), json!({})).await;
    let delivered: Value = delivered.json().await.expect("json");
    assert_eq!(
        (delivered["status"].clone(), delivered["progress"]["stage"].clone()),
        (json!("paid"), json!("delivered"))
    );
    let progress = get_json(&app, &alice, &format!("/api/orders/{order}/progress")).await;
    assert_eq!((progress["carrier"].clone(), progress["tracking"].clone()), (json!("DHL"), json!("JD2")));
    let console = get_json(&app, &ops, "/api/admin/orders?stage=delivered&q=ali").await;
    assert_eq!(
        console.as_array().map(|o| o.iter().map(|o| o["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(order)])
    );

    let line = lines_of(&app, &alice, order).await[0].0;
    let (_, created) =
        create(&app, &alice, &request(order, &[(line, 1)], "no_longer_wanted", "original_payment")).await;
    let id = created["summary"]["id"].as_i64().expect("id");
    let shipped =
        post(&app, &alice, &format!("/api/returns/{id}/shipment"), json!({ "carrier": "UPS", "tracking": "1Z" })).await;
    assert_eq!(shipped.status(), StatusCode::OK);
    assert_eq!(admin_act(&app, &ops, id, "receive", json!({})).await.0, StatusCode::OK);
    let item = created["items"][0]["id"].clone();
    let inspect = json!({ "items": [{ "item_id": item, "condition": "new", "disposition": "restock" }] });
    assert_eq!(admin_act(&app, &ops, id, "inspect", inspect).await.0, StatusCode::OK);
    let approve = json!({ "items": [{ "item_id": item, "quantity": 1 }] });
    assert_eq!(admin_act(&app, &ops, id, "approve", approve).await.0, StatusCode::OK);
    let (status, refused) = admin_act(&app, &ops, id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused["error"],
        "this order was paid in cash: pay the refund by hand and enter the payout's reference"
    );
    let (status, refunded) = admin_act(&app, &ops, id, "refund", json!({ "reference": "BANK-2026-0042" })).await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_eq!(refunded["summary"]["status"], "refunded");
    assert_eq!(
        (
            refunded["refund"]["payout"].clone(),
            refunded["refund"]["reference"].clone(),
            refunded["refund"]["amount_cents"].clone()
        ),
        (json!("manual"), json!("BANK-2026-0042"), json!(3_600))
    );
}

#[tokio::test]
async fn a_cheap_item_is_refunded_without_shipping_it_back_once_per_product() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let pen = app.product("Pen", 900, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let order = paid_order(&app, &alice, &[(pen, 2)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let body = request(order, &[(line, 1)], "no_longer_wanted", "store_credit");
    let (status, kept) = create(&app, &alice, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{kept}");
    assert_eq!((kept["keep_it"].clone(), kept["summary"]["status"].clone()), (json!(true), json!("refunded")));
    assert_eq!(kept["instructions"], "You may keep the items: there is nothing to send back.");
    assert_eq!(stock_of(&app, pen).await, 8, "nothing came back");
    // $9.00 - 10 % fee = $8.10, + 10 % bonus (81 cents).
    assert_eq!(get_json(&app, &alice, "/api/store-credit").await["balance_cents"], 891);
    let (_, second) = create(&app, &alice, &body).await;
    assert_eq!((second["keep_it"].clone(), second["summary"]["status"].clone()), (json!(false), json!("authorized")));
}

#[tokio::test]
async fn a_product_kept_in_a_return_waiting_for_review_is_not_kept_again() {
    let uploads = Uploads::new();
    // From the second return on, every request waits for a person.
    let app = returns_shop(&uploads, &[("RETURNS_REVIEW_AFTER_RETURNS", "1")]).await;
    let pen = app.product("Pen", 900, 10).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    approved_return(&app, &alice, &ops, lamp, "store_credit").await;
    let order = paid_order(&app, &alice, &[(pen, 2)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let body = request(order, &[(line, 1)], "no_longer_wanted", "store_credit");

    let (_, first) = create(&app, &alice, &body).await;
    assert_eq!((first["keep_it"].clone(), first["summary"]["status"].clone()), (json!(true), json!("requested")));
    let (_, second) = create(&app, &alice, &body).await;
    assert_eq!(second["keep_it"], false, "the pen is kept once, by the return waiting for review: {second}");
}

#[tokio::test]
async fn two_requests_at_once_keep_a_product_once() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let pen = app.product("Pen", 900, 20).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let mut bodies = Vec::new();
    for _ in 0..4 {
        let order = paid_order(&app, &alice, &[(pen, 1)]).await;
        let line = lines_of(&app, &alice, order).await[0].0;
        bodies.push(request(order, &[(line, 1)], "no_longer_wanted", "store_credit"));
    }
    let mut racing = tokio::task::JoinSet::new();
    for body in bodies {
        let (url, client) = (app.url("/api/returns"), alice.clone());
        racing.spawn(async move {
            let answer = client.post(url).json(&body).send().await.expect("create");
            let status = answer.status();
            (status, answer.json::<Value>().await.expect("json")["keep_it"].clone())
        });
    }
    let mut kept = 0;
    while let Some(answer) = racing.join_next().await {
        let (status, keep_it) = answer.expect("task");
        assert_eq!(status, StatusCode::CREATED);
        kept += usize::from(keep_it == json!(true));
    }
    assert_eq!(kept, 1, "the pen is kept once however the requests interleave");
}

// ---------------------------------------------------------------------------------------------
// The admin console without JavaScript, exchanges, early refunds

/// Posts the detail page's action form as a browser does by itself (URL-encoded, brackets
/// percent-encoded, HTML accepted, the page as referer).
async fn post_action_form(app: &TestApp, client: &Client, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let id_text = id.to_string();
    let mut form = vec![("id", id_text.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url("/rpc/admin_return_action"))
        .header(reqwest::header::REFERER, app.url(&format!("/admin/returns/{id}")))
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .form(&form)
        .send()
        .await
        .expect("form post")
}

pub(crate) async fn status_of(app: &TestApp, id: i64) -> String {
    app.text_of(&format!("SELECT status AS t FROM returns WHERE id = {id}")).await
}

#[tokio::test]
async fn the_rma_console_forms_work_without_javascript() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[("RETURNS_REVIEW_AFTER_RETURNS", "1")]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let desk = signed_in_browser(&app, "desk", app::accounts::Role::Admin).await;
    let order = paid_order(&app, &alice, &[(lamp, 2)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let body = request(order, &[(line, 1)], "no_longer_wanted", "store_credit");
    create(&app, &alice, &body).await;
    let (_, second) = create(&app, &alice, &body).await;
    assert_eq!(second["summary"]["status"], "requested", "waits for a person");
    let id = second["summary"]["id"].as_i64().expect("id");
    let page = app.url(&format!("/admin/returns/{id}"));

    // The page's forms are plain forms to the action's server function.
    let html = desk.get(page.clone()).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(r#"action="/rpc/admin_return_action""#) && html.contains(r#"value="authorize""#), "{html}");

    let authorized = post_action_form(&app, &desk, id, &[("form[action]", "authorize"), ("form[note]", "ok")]).await;
    assert_eq!((authorized.status(), location(&authorized)), (StatusCode::FOUND, page.clone()));
    assert_eq!(status_of(&app, id).await, "authorized");
    let html = desk.get(page.clone()).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(r#"data-testid="rma-number""#) || html.contains("RMA-"), "the page shows the RMA");

    // A refused action comes back to the page with the reason on it.
    let early = post_action_form(&app, &desk, id, &[("form[action]", "receive")]).await;
    assert_eq!(early.status(), StatusCode::FOUND);
    assert!(location(&early).starts_with(&format!("{page}?")) && location(&early).contains("__err="));
    let html = desk.get(location(&early)).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("this return is authorized and cannot be received"), "{html}");

    let shipped =
        post(&app, &alice, &format!("/api/returns/{id}/shipment"), json!({ "carrier": "UPS", "tracking": "1Z" })).await;
    assert_eq!(shipped.status(), StatusCode::OK);
    let received = post_action_form(&app, &desk, id, &[("form[action]", "receive")]).await;
    assert_eq!((received.status(), location(&received)), (StatusCode::FOUND, page.clone()));
    assert_eq!(status_of(&app, id).await, "received");

    let item = second["items"][0]["id"].as_i64().expect("item id").to_string();
    let inspect = [
        ("form[action]", "inspect"),
        ("form[items][0][item_id]", item.as_str()),
        ("form[items][0][condition]", "like_new"),
        ("form[items][0][disposition]", "restock"),
    ];
    let inspected = post_action_form(&app, &desk, id, &inspect).await;
    assert_eq!(location(&inspected), page);
    assert_eq!(status_of(&app, id).await, "inspected");
    assert_eq!(stock_of(&app, lamp).await, 9, "the restocked unit is back");

    let approve =
        [("form[action]", "approve"), ("form[items][0][item_id]", item.as_str()), ("form[items][0][quantity]", "1")];
    assert_eq!(location(&post_action_form(&app, &desk, id, &approve).await), page);
    let refunded = post_action_form(&app, &desk, id, &[("form[action]", "refund")]).await;
    assert_eq!(location(&refunded), page);
    assert_eq!(status_of(&app, id).await, "refunded", "store credit is paid at once");

    // With JavaScript the same function answers the return as JSON.
    let scripted = desk
        .post(app.url("/rpc/admin_return_action"))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("id", id.to_string().as_str()), ("form[action]", "close")])
        .send()
        .await
        .expect("rpc");
    assert_eq!(scripted.status(), StatusCode::OK);
    assert_eq!(scripted.json::<Value>().await.expect("json")["summary"]["status"], "closed");
}

pub(crate) fn exchange_for(mut body: Value, product: i64) -> Value {
    body["exchange_product_id"] = json!(product);
    body
}

/// Ships, receives, inspects (restock) and approves every unit of a return.
pub(crate) async fn to_approved(app: &TestApp, customer: &Client, ops: &Client, id: i64) {
    let shipped =
        post(app, customer, &format!("/api/returns/{id}/shipment"), json!({ "carrier": "UPS", "tracking": "1Z" }))
            .await;
    assert_eq!(shipped.status(), StatusCode::OK);
    assert_eq!(admin_act(app, ops, id, "receive", json!({})).await.0, StatusCode::OK);
    let item = get_json(app, ops, &format!("/api/admin/returns/{id}")).await["items"][0]["id"].clone();
    let inspect = json!({ "items": [{ "item_id": item, "condition": "new", "disposition": "restock" }] });
    assert_eq!(admin_act(app, ops, id, "inspect", inspect).await.0, StatusCode::OK);
    let approve = json!({ "items": [{ "item_id": item, "quantity": 1 }] });
    assert_eq!(admin_act(app, ops, id, "approve", approve).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_pricier_exchange_the_store_credit_cannot_pay_is_refused_when_requested_not_after_inspection() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let mug = app.product("Mug", 1_000, 10).await;
    let lamp = app.product("Lamp", 9_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let order = paid_order(&app, &alice, &[(mug, 1)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let body = exchange_for(request(order, &[(line, 1)], "no_longer_wanted", "exchange"), lamp);

    let (status, refused) = create(&app, &alice, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["error"].as_str().unwrap_or_default().contains("more than your refund"), "{refused}");
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM returns").await, 0, "nothing is stored");
    assert_eq!(stock_of(&app, lamp).await, 10, "no replacement held");
}

#[tokio::test]
async fn an_exchange_holds_the_replacement_and_a_sold_out_one_is_offered_alternatives_not_refunded() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let mug = app.product("Mug", 3_000, 1).await;
    let vase = app.product("Vase", 2_500, 5).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let order = paid_order(&app, &alice, &[(lamp, 2)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let body = exchange_for(request(order, &[(line, 1)], "no_longer_wanted", "exchange"), mug);

    // Authorized at once: the last mug is held for this exchange.
    let (status, first) = create(&app, &alice, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["summary"]["status"], "authorized");
    assert_eq!(first["exchange"]["reserved"], true, "{first}");
    assert_eq!(stock_of(&app, mug).await, 0, "the replacement's stock is reserved at authorization");
    let first_id = first["summary"]["id"].as_i64().expect("id");

    // The second asks for the sold-out mug: authorized, nothing held, alternatives offered.
    let (_, second) = create(&app, &alice, &body).await;
    let second_id = second["summary"]["id"].as_i64().expect("id");
    assert_eq!(
        (second["summary"]["status"].clone(), second["exchange"]["reserved"].clone()),
        (json!("authorized"), json!(false))
    );
    let offered: Vec<i64> = second["exchange"]["alternatives"]
        .as_array()
        .expect("alternatives")
        .iter()
        .filter_map(|o| o["product_id"].as_i64())
        .collect();
    assert!(offered.contains(&vase) && !offered.contains(&mug), "{offered:?}");

    // Approved, its refund is refused until another product is chosen: never a silent refund.
    to_approved(&app, &alice, &ops, second_id).await;
    let (status, refused) = admin_act(&app, &ops, second_id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"], "the replacement sold out: the customer must choose another product first");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) AS n FROM refunds WHERE return_id = {second_id}")).await, 0);
    assert_eq!(status_of(&app, second_id).await, "approved");
    let chosen = post(&app, &alice, &format!("/api/returns/{second_id}/exchange"), json!({ "product_id": vase })).await;
    assert_eq!(chosen.status(), StatusCode::OK);
    assert_eq!(chosen.json::<Value>().await.expect("json")["exchange"]["reserved"], true);
    assert_eq!(stock_of(&app, vase).await, 4, "the alternative is held");
    let (status, exchanged) = admin_act(&app, &ops, second_id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    assert_eq!(
        (exchanged["summary"]["status"].clone(), exchanged["refund"]["payout"].clone()),
        (json!("refunded"), json!("exchange"))
    );

    // The first completes as an exchange for the held mug.
    to_approved(&app, &alice, &ops, first_id).await;
    let (status, exchanged) = admin_act(&app, &ops, first_id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    assert_eq!(exchanged["refund"]["payout"], "exchange");
    assert_eq!(stock_of(&app, mug).await, 0, "the held mug goes to the customer");
    assert_eq!(stock_of(&app, lamp).await, 10, "both returned lamps restocked");
    // Each cheaper replacement credits the difference: $36.00 + $3.60 bonus, less the price.
    let account = get_json(&app, &alice, "/api/store-credit").await;
    let mut differences: Vec<i64> = account["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["reason"] == "exchange_difference")
        .filter_map(|e| e["amount_cents"].as_i64())
        .collect();
    differences.sort_unstable();
    assert_eq!(differences, [960, 1_460], "{account}");
    assert_eq!(account["balance_cents"], 2_420);
}

#[tokio::test]
async fn with_in_transit_timing_the_refund_is_paid_when_the_customer_enters_the_tracking() {
    let uploads = Uploads::new();
    let (provider, url) = crate::support::standalone_provider().await;
    let timing = [
        ("PAYMENT_PROVIDER_URL", url.as_str()),
        ("RETURNS_REFUND_TIMING", "in_transit"),
        ("RETURNS_REVIEW_AFTER_RETURNS", "1"),
    ];
    let app = returns_shop(&uploads, &timing).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let order = paid_order(&app, &alice, &[(lamp, 2)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let body = request(order, &[(line, 1)], "no_longer_wanted", "original_payment");
    let (_, created) = create(&app, &alice, &body).await;
    let id = created["summary"]["id"].as_i64().expect("id");
    assert_eq!(created["summary"]["status"], "authorized", "under the abuse limits");

    let shipped =
        post(&app, &alice, &format!("/api/returns/{id}/shipment"), json!({ "carrier": "UPS", "tracking": "1Z9" }))
            .await;
    assert_eq!(shipped.status(), StatusCode::OK);
    let path = format!("/api/returns/{id}");
    crate::support::wait_until("the early refund is paid", std::time::Duration::from_secs(20), || async {
        get_json(&app, &alice, &path).await["summary"]["status"] == "refunded"
    })
    .await;
    let paid = get_json(&app, &alice, &path).await;
    assert_eq!(
        (paid["refund"]["state"].clone(), paid["refund"]["amount_cents"].clone()),
        (json!("paid"), json!(3_600))
    );
    assert_eq!(provider.refunds_made(), 1, "paid to the card once, before the parcel arrived");
    assert_eq!(stock_of(&app, lamp).await, 8, "nothing restocked before it is received");

    // The parcel is still received and inspected before the return closes.
    assert_eq!(admin_act(&app, &ops, id, "receive", json!({})).await.0, StatusCode::OK);
    let item = paid["items"][0]["id"].clone();
    let inspect = json!({ "items": [{ "item_id": item, "condition": "new", "disposition": "restock" }] });
    assert_eq!(admin_act(&app, &ops, id, "inspect", inspect).await.0, StatusCode::OK);
    let (status, closed) = admin_act(&app, &ops, id, "close", json!({})).await;
    assert_eq!((status, closed["summary"]["status"].clone()), (StatusCode::OK, json!("closed")), "{closed}");
    assert_eq!(stock_of(&app, lamp).await, 9);
    assert_eq!(provider.refunds_made(), 1);

    // A customer over the limits waits for the parcel: no early refund.
    let (_, reviewed) = create(&app, &alice, &body).await;
    let second = reviewed["summary"]["id"].as_i64().expect("id");
    assert_eq!(reviewed["summary"]["status"], "requested");
    assert_eq!(admin_act(&app, &ops, second, "authorize", json!({})).await.0, StatusCode::OK);
    let shipped =
        post(&app, &alice, &format!("/api/returns/{second}/shipment"), json!({ "carrier": "UPS", "tracking": "1Z8" }))
            .await;
    assert_eq!(shipped.json::<Value>().await.expect("json")["summary"]["status"], "in_transit");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(provider.refunds_made(), 1, "no refund before receipt");
}

#[tokio::test]
async fn a_crash_while_the_provider_pays_a_refund_is_resolved_by_another_server_and_paid_once() {
    use app::payments::faults::FaultSettings;
    let uploads = Uploads::new();
    let (provider, url) = crate::support::standalone_provider().await;
    let env =
        [("PAYMENT_PROVIDER_URL", url.as_str()), ("PAYMENT_TIMEOUT_MS", "5000"), ("INSTANCE_LIVENESS_MS", "1000")];
    let first = returns_shop(&uploads, &env).await;
    let lamp = first.product("Lamp", 4_000, 10).await;
    let alice = first.signed_in("alice", app::accounts::Role::Customer).await;
    let ops = admin(&first).await;
    let id = approved_return(&first, &alice, &ops, lamp, "original_payment").await;

    // The refund row is written and claimed; the provider pays at once but answers slowly, and
    // the server dies before the answer is recorded.
    provider.set_faults(FaultSettings { failure_rate: 0.0, latency_ms: 3_000 });
    let (status, started) = admin_act(&first, &ops, id, "refund", json!({})).await;
    assert_eq!((status, started["summary"]["status"].clone()), (StatusCode::OK, json!("refund_pending")));
    crate::support::wait_until("the refund to reach the provider", std::time::Duration::from_secs(5), || async {
        provider.refunds_made() == 1
    })
    .await;
    let restarted = first.restart().await;
    first.crash();
    provider.set_faults(FaultSettings::default());
    assert_eq!(restarted.text_of(&format!("SELECT status AS t FROM refunds WHERE return_id = {id}")).await, "pending");

    // The new server takes the dead one's refund over (the claim does not wait for its
    // expiry), sends it again with the same key, and the provider answers the first refund.
    crate::support::wait_until("the refund to be settled", std::time::Duration::from_secs(20), || async {
        restarted.text_of(&format!("SELECT status AS t FROM returns WHERE id = {id}")).await == "refunded"
    })
    .await;
    assert_eq!(provider.refunds_made(), 1, "the provider recorded exactly one refund");
    let refunds = restarted.scalar(&format!("SELECT COUNT(*) AS n FROM refunds WHERE return_id = {id}")).await;
    assert_eq!(refunds, 1);
    let paid_events = restarted
        .scalar(&format!("SELECT COUNT(*) AS n FROM return_events WHERE return_id = {id} AND to_status = 'refunded'"))
        .await;
    assert_eq!(paid_events, 1, "settled once");
}

#[tokio::test]
async fn draft_photos_never_submitted_are_deleted_after_their_time_file_and_row() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[("RETURNS_DRAFT_PHOTO_TTL_HOURS", "24")]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let mut ids = Vec::new();
    for name in ["old.png", "fresh.png", "sent.png"] {
        let uploaded = upload(&app, &alice, "/api/returns/photos", name, "image/png", &png()).await;
        assert_eq!(uploaded.status(), StatusCode::CREATED);
        ids.push(uploaded.json::<Value>().await.expect("json")["id"].as_str().expect("photo id").to_owned());
    }
    let (old, fresh, sent) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let order = paid_order(&app, &alice, &[(lamp, 1)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    let mut body = request(order, &[(line, 1)], "damaged", "store_credit");
    body["photo_ids"] = json!([sent]);
    assert_eq!(create(&app, &alice, &body).await.0, StatusCode::CREATED);
    // The old draft and the submitted photo were uploaded two days ago.
    let two_days = 48 * 3_600_000;
    for id in [&old, &sent] {
        let backdate = format!("UPDATE return_photos SET uploaded_at = uploaded_at - {two_days} WHERE id = '{id}'");
        sqlx::query(&backdate).execute(app.db.write()).await.expect("backdate");
    }
    assert_eq!(stored_files(&uploads).len(), 3);

    let dir = Path::new(&uploads.0);
    let ttl = 24 * 3_600_000;
    let now = app::platform::now_ms();
    let swept = app::returns::photos::sweep_drafts(&app.db, dir, ttl, now).await.expect("sweep");
    assert_eq!(swept, 1, "only the old draft");
    let left: Vec<String> =
        stored_files(&uploads).iter().map(|f| f.split('.').next().unwrap_or("").to_owned()).collect();
    assert!(!left.contains(&old) && left.contains(&fresh) && left.contains(&sent), "{left:?}");
    assert_eq!(photo_rows(&app).await, 2);
    let gone = alice.get(app.url(&format!("/api/returns/photos/{old}"))).send().await.expect("GET");
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    // A day later (the injectable clock) the fresh draft goes too; a submitted photo never does.
    let swept = app::returns::photos::sweep_drafts(&app.db, dir, ttl, now + ttl + 60_000).await.expect("sweep");
    assert_eq!(swept, 1);
    assert_eq!(stored_files(&uploads).len(), 1);
    assert_eq!(photo_rows(&app).await, 1);

    // The refund worker sweeps by itself: a server starting up deletes what is overdue.
    let late = upload(&app, &alice, "/api/returns/photos", "late.png", "image/png", &png()).await;
    let late = late.json::<Value>().await.expect("json")["id"].as_str().expect("photo id").to_owned();
    let backdate = format!("UPDATE return_photos SET uploaded_at = uploaded_at - {two_days} WHERE id = '{late}'");
    sqlx::query(&backdate).execute(app.db.write()).await.expect("backdate");
    let restarted = app.restart().await;
    // The sweep deletes the row, then the file: wait for both.
    crate::support::wait_until("the worker's sweep", std::time::Duration::from_secs(10), || async {
        restarted.scalar("SELECT COUNT(*) AS n FROM return_photos").await == 1 && stored_files(&uploads).len() == 1
    })
    .await;
}

#[tokio::test]
async fn store_credit_shows_on_the_account_page_and_pays_alone_at_checkout_without_javascript() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let mug = app.product("Mug", 2_000, 10).await;
    let alice = signed_in_browser(&app, "alice", app::accounts::Role::Customer).await;
    let ops = admin(&app).await;
    let id = approved_return(&app, &alice, &ops, lamp, "store_credit").await;
    assert_eq!(admin_act(&app, &ops, id, "refund", json!({})).await.0, StatusCode::OK);

    let (status, account) = crate::no_javascript::html(&app, &alice, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(account.contains(r#"data-testid="credit-balance""#) && account.contains("$39.60"), "{account}");
    assert!(account.contains(r#"data-reason="refund""#) && account.contains(r#"data-reason="bonus""#), "{account}");
    assert!(account.contains(&format!(r#"href="/returns/{id}""#)), "each entry links to its return");

    add_ok(&app, &alice, mug, 1).await;
    let (_, shop) = crate::no_javascript::html(&app, &alice, "/").await;
    assert!(shop.contains(r#"name="use_store_credit""#) && shop.contains("Use my store credit ($39.60)"), "{shop}");
    assert!(shop.contains(r#"data-testid="use-store-credit-box" checked"#), "ticked until unticked: {shop}");
    let form = [
        ("payment_method", "card"),
        ("card_number", ""),
        ("card_expiry", ""),
        ("attempt_key", "credit-form-1"),
        ("use_store_credit", "true"),
    ];
    let placed = crate::no_javascript::submit(&app, &alice, "/", "checkout", &form).await;
    assert_eq!(placed.status(), StatusCode::FOUND);
    let receipt = location(&placed);
    let order: i64 = receipt.strip_prefix("/orders/").and_then(|id| id.parse().ok()).expect("the receipt");
    assert_eq!(shop::order_status(&app, order).await, "paid");
    assert_eq!(get_json(&app, &alice, "/api/store-credit").await["balance_cents"], 1_960);
}

#[tokio::test]
async fn concurrent_uploads_never_pass_the_photo_limit() {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[("RETURNS_MAX_PHOTOS", "4")]).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    let photo = png();
    let mut racing = tokio::task::JoinSet::new();
    for n in 0..12 {
        let sending = photo_post(&alice, &app.url("/api/returns/photos"), &format!("p{n}.png"), "image/png", &photo);
        racing.spawn(async move { sending.send().await.map(|r| r.status()).ok() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = racing.join_next().await {
        statuses.push(status.expect("task"));
    }
    let stored = statuses.iter().filter(|s| **s == Some(StatusCode::CREATED)).count();
    let refused = statuses.iter().filter(|s| **s == Some(StatusCode::UNPROCESSABLE_ENTITY)).count();
    assert_eq!((stored, refused), (4, 8), "{statuses:?}");
    assert_eq!(photo_rows(&app).await, 4);
}
