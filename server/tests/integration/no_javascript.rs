//! Without JavaScript: the forms of checkout, login and the admin user page post to their
//! server functions as plain HTML forms. Success redirects to the right page; a refusal goes
//! back to the page it came from (`?__path=…&__err=…`), which shows the message in its HTML.
//! The receipt and the order list hold their data in the server's HTML.

use app::accounts::Role;
use reqwest::header::{ACCEPT, LOCATION, REFERER};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::support::shop::{add_ok, shop, CARD, DECLINED_CARD};
use crate::support::{login, TestApp, CUSTOMER_PASSWORD};

/// What a browser sends when it submits a form by itself.
pub(crate) const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A browser without JavaScript: keeps cookies, shows each redirect instead of following it.
pub(crate) fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

pub(crate) async fn signed_in_browser(app: &TestApp, username: &str, role: Role) -> Client {
    app.signed_in(username, role).await;
    let client = browser();
    assert_eq!(login(app, &client, username, CUSTOMER_PASSWORD).await.status(), StatusCode::OK);
    client
}

/// Submits a form of the page at `from` to `/rpc/{function}`.
pub(crate) async fn submit(
    app: &TestApp,
    client: &Client,
    from: &str,
    function: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(&format!("/rpc/{function}")))
        .header(REFERER, app.url(from))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(form)
        .send()
        .await
        .expect("form post")
}

/// Where the answer sends the browser (a bare trailing `?` of an empty query dropped).
pub(crate) fn location(response: &reqwest::Response) -> String {
    let to = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    to.trim_end_matches('?').to_owned()
}

pub(crate) async fn html(app: &TestApp, client: &Client, path_or_url: &str) -> (StatusCode, String) {
    let url = if path_or_url.starts_with("http") { path_or_url.to_owned() } else { app.url(path_or_url) };
    let page = client.get(url).header(ACCEPT, BROWSER_ACCEPT).send().await.expect("GET page");
    (page.status(), page.text().await.expect("html"))
}

fn card_form<'a>(number: &'a str, key: &'a str) -> [(&'a str, &'a str); 4] {
    [("payment_method", "card"), ("card_number", number), ("card_expiry", "12/2099"), ("attempt_key", key)]
}

#[tokio::test]
async fn a_checkout_posted_without_javascript_lands_on_the_receipt_with_its_data() {
    let app = shop(&[]).await;
    let lamp = app.product("Reading lamp", 2_500, 5).await;
    let customer = signed_in_browser(&app, "nadia", Role::Customer).await;
    add_ok(&app, &customer, lamp, 2).await;

    let placed = submit(&app, &customer, "/", "checkout", &card_form(CARD, "form-key-1")).await;
    assert_eq!(placed.status(), StatusCode::FOUND);
    let receipt_path = location(&placed);
    let id: i64 = receipt_path.strip_prefix("/orders/").and_then(|id| id.parse().ok()).expect("receipt path");

    let (status, receipt) = html(&app, &customer, &receipt_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(receipt.contains(r#"data-testid="receipt""#), "the receipt itself");
    assert!(!receipt.contains("Loading order"), "no placeholder waiting for a script to replace it");
    assert!(receipt.contains(&format!("Order #{id}")));
    assert!(receipt.contains("Reading lamp"));
    assert!(receipt.contains("$50.00"), "the total");
    assert!(receipt.contains(">Paid<"), "the status badge");

    let (status, list) = html(&app, &customer, "/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(r#"data-testid="orders-table""#));
    assert!(!list.contains("Loading orders"));
    assert!(list.contains(&format!(r#"href="/orders/{id}""#)));

    // Posting the same form again (a double submit) answers with the same order.
    let again = submit(&app, &customer, "/", "checkout", &card_form(CARD, "form-key-1")).await;
    assert_eq!(location(&again), receipt_path);

    // Somebody else's receipt is "not found", in the page's status too.
    let other = signed_in_browser(&app, "omar", Role::Customer).await;
    let (status, page) = html(&app, &other, &receipt_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Reading lamp"));
}

#[tokio::test]
async fn a_refused_checkout_goes_back_to_the_page_and_shows_why() {
    let app = shop(&[]).await;
    let lamp = app.product("Desk lamp", 1_000, 5).await;
    let customer = signed_in_browser(&app, "pia", Role::Customer).await;
    add_ok(&app, &customer, lamp, 1).await;

    let declined = submit(&app, &customer, "/", "checkout", &card_form(DECLINED_CARD, "form-key-2")).await;
    assert_eq!(declined.status(), StatusCode::FOUND, "a redirect back, not the JSON error");
    let back = location(&declined);
    assert!(back.starts_with(&app.url("/?")) && back.contains("__err="), "{back}");
    let (status, page) = html(&app, &customer, &back).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-testid="checkout-error""#), "the refusal is on the page");
    assert!(page.contains("your card was declined"));

    // Nobody signed in: back to the page with the reason, too.
    let anonymous = submit(&app, &browser(), "/", "checkout", &card_form(CARD, "form-key-3")).await;
    assert_eq!(anonymous.status(), StatusCode::FOUND);
    assert!(location(&anonymous).contains("__err="));

    // The browser bundle's own call is unchanged: the status and the JSON error.
    let scripted = customer
        .post(app.url("/rpc/checkout"))
        .header(ACCEPT, "application/json")
        .form(&card_form(DECLINED_CARD, "form-key-4"))
        .send()
        .await
        .expect("rpc");
    assert_eq!(scripted.status(), StatusCode::PAYMENT_REQUIRED);
    let body: Value = scripted.json().await.expect("json error");
    assert!(body["message"].as_str().unwrap_or_default().contains("declined"), "{body}");
}

#[tokio::test]
async fn login_and_role_forms_show_their_refusals_without_javascript() {
    let app = shop(&[]).await;
    app.signed_in("quinn", Role::Customer).await;
    let visitor = browser();
    let wrong = submit(&app, &visitor, "/login", "login", &[("username", "quinn"), ("password", "not-it-123")]).await;
    assert_eq!(wrong.status(), StatusCode::FOUND);
    let (status, page) = html(&app, &visitor, &location(&wrong)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("wrong username or password"));

    let right =
        submit(&app, &visitor, "/login", "login", &[("username", "quinn"), ("password", CUSTOMER_PASSWORD)]).await;
    assert_eq!((right.status(), location(&right)), (StatusCode::FOUND, "/".to_owned()));

    let admin = signed_in_browser(&app, "rhea", Role::Admin).await;
    let quinn = crate::support::user_id(&app, "quinn").await.to_string();
    let promote =
        submit(&app, &admin, "/admin/users", "admin_set_role", &[("user_id", quinn.as_str()), ("role", "admin")]).await;
    assert_eq!(promote.status(), StatusCode::FOUND);
    let (status, page) = html(&app, &admin, &location(&promote)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("only the super admin can grant or remove the admin role"));
    assert_eq!(crate::support::role_of(&app, "quinn").await, "customer");
}

#[tokio::test]
async fn the_orders_console_ships_and_delivers_an_order_without_javascript() {
    let app = shop(&[]).await;
    let lamp = app.product("Hall lamp", 3_000, 5).await;
    let customer = signed_in_browser(&app, "sven_k", Role::Customer).await;
    add_ok(&app, &customer, lamp, 2).await;
    let placed = submit(&app, &customer, "/", "checkout", &card_form(CARD, "console-key-1")).await;
    let receipt = location(&placed);
    let id = receipt.strip_prefix("/orders/").expect("receipt path").to_owned();
    let detail_path = format!("/admin/orders/{id}");

    // Admins only: a customer gets the 403 page, nobody signed in the access-denied page.
    let (status, page) = html(&app, &customer, "/admin/orders").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains(r#"data-testid="forbidden""#) && !page.contains("Hall lamp"));
    let (status, page) = html(&app, &browser(), &detail_path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains(r#"data-testid="forbidden""#) && page.contains(r#"href="/login""#));

    // The list, filtered and searched, in the server's HTML.
    let admin = signed_in_browser(&app, "tove", Role::Admin).await;
    let (status, list) = html(&app, &admin, "/admin/orders?status=paid&stage=processing&q=sve").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!(r#"data-order-id="{id}""#)) && list.contains("sven"), "{list}");
    // A whole username with an underscore is found too (the search is literal, not a pattern).
    let (_, found) = html(&app, &admin, "/admin/orders?q=SVEN_K").await;
    assert!(found.contains(&format!(r#"data-order-id="{id}""#)), "{found}");
    let (_, wildcard) = html(&app, &admin, "/admin/orders?q=s_en").await;
    assert!(wildcard.contains(r#"data-testid="orders-empty""#), "'_' matches only itself");
    let (_, none) = html(&app, &admin, "/admin/orders?stage=delivered").await;
    assert!(none.contains(r#"data-testid="orders-empty""#));
    let (_, page) = html(&app, &admin, &detail_path).await;
    assert!(page.contains(r#"data-testid="order-line""#) && page.contains("Hall lamp") && page.contains("$60.00"));
    assert!(page.contains(r#"data-testid="action-ship""#) && !page.contains(r#"data-testid="action-deliver""#));

    // Mark shipped, as a plain form: back to the order's page, which shows the shipment.
    let ship = [("order_id", id.as_str()), ("carrier", "DHL"), ("tracking", "JD0042")];
    let shipped = submit(&app, &admin, &detail_path, "admin_ship_order", &ship).await;
    let back = location(&shipped);
    assert_eq!((shipped.status(), back.as_str()), (StatusCode::FOUND, app.url(&detail_path).as_str()));
    let (_, page) = html(&app, &admin, &detail_path).await;
    assert!(page.contains(r#"data-stage="shipped""#) && page.contains("JD0042"));
    assert!(page.contains(r#"data-testid="action-deliver""#) && !page.contains(r#"data-testid="action-ship""#));
    // Shipping twice is refused on the page, with the reason.
    let again = submit(&app, &admin, &detail_path, "admin_ship_order", &ship).await;
    let (_, page) = html(&app, &admin, &location(&again)).await;
    assert!(page.contains("was shipped already"), "{page}");

    let delivered = submit(&app, &admin, &detail_path, "admin_deliver_order", &[("order_id", id.as_str())]).await;
    assert_eq!(location(&delivered), app.url(&detail_path));
    let (_, page) = html(&app, &admin, &detail_path).await;
    assert!(page.contains(r#"data-testid="order-progress" data-stage="delivered""#), "{page}");

    // The customer's order page shows the progress too.
    let (status, page) = html(&app, &customer, &receipt).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"data-testid="order-progress" data-stage="delivered""#) && page.contains("JD0042"),
        "{page}"
    );
}
