//! The returns wizard without JavaScript: every step is a plain form posted to
//! `return_draft_step` (and the photos to `/returns/new/photos`), the draft is the server's, and
//! each answer sends the browser back to the wizard, which shows the next step (or why not) in
//! its HTML, until the submit lands on the return's page.

use app::accounts::Role;
use reqwest::{Client, StatusCode};

use crate::no_javascript::{html, location, signed_in_browser, submit};
use crate::returns::{lines_of, paid_order, photo_rows, png, returns_shop, upload, Uploads};
use crate::support::TestApp;

/// Posts the wizard's form at `step` with the button `go` and the step's fields.
async fn step(app: &TestApp, client: &Client, step: usize, go: &str, fields: &[(&str, &str)]) -> String {
    let step_text = step.to_string();
    let mut form = vec![("form[step]", step_text.as_str()), ("form[go]", go)];
    form.extend_from_slice(fields);
    let answer = submit(app, client, "/returns/new", "returns_draft_step", &form).await;
    assert_eq!(answer.status(), StatusCode::FOUND, "a plain form is redirected");
    location(&answer)
}

/// The wizard as the browser shows it now.
async fn wizard(app: &TestApp, client: &Client) -> String {
    let (status, page) = html(app, client, "/returns/new").await;
    assert_eq!(status, StatusCode::OK);
    page
}

fn shows_step(page: &str, n: usize) -> bool {
    page.contains(&format!("Step {n} of 6"))
}

/// A shop with a paid order of `units` lamps by alice, signed in in a browser without
/// JavaScript: (photo folder, app, browser, order id, its line id).
async fn customer_with_an_order(units: i64) -> (Uploads, TestApp, Client, i64, i64) {
    let uploads = Uploads::new();
    let app = returns_shop(&uploads, &[]).await;
    let lamp = app.product("Lamp", 4_000, 10).await;
    let alice = signed_in_browser(&app, "alice", Role::Customer).await;
    let order = paid_order(&app, &alice, &[(lamp, units)]).await;
    let line = lines_of(&app, &alice, order).await[0].0;
    (uploads, app, alice, order, line)
}

#[tokio::test]
async fn the_wizard_works_without_javascript_from_the_order_to_the_submitted_return() {
    let (_uploads, app, alice, order, line) = customer_with_an_order(2).await;
    let (order_text, units_field) = (order.to_string(), format!("form[units][{line}]"));

    let page = wizard(&app, &alice).await;
    assert!(shows_step(&page, 1) && page.contains(r#"action="/rpc/returns_draft_step""#), "{page}");
    assert!(page.contains(&format!(r#"name="form[order]" value="{order}""#)), "{page}");

    assert_eq!(step(&app, &alice, 1, "next", &[("form[order]", &order_text)]).await, "/returns/new");
    let page = wizard(&app, &alice).await;
    assert!(shows_step(&page, 2) && page.contains(&format!(r#"name="{units_field}""#)), "{page}");

    // More than was bought: the step stays, says why and keeps what was typed.
    step(&app, &alice, 2, "next", &[(&units_field, "3")]).await;
    let page = wizard(&app, &alice).await;
    assert!(shows_step(&page, 2) && page.contains("Only 2 unit(s) of") && page.contains(r#"value="3""#), "{page}");
    step(&app, &alice, 2, "next", &[(&units_field, "1")]).await;
    step(&app, &alice, 3, "next", &[("form[reason]", "damaged"), ("form[details]", "cracked shade")]).await;
    let page = wizard(&app, &alice).await;
    assert!(shows_step(&page, 4) && page.contains(r#"action="/returns/new/photos""#), "{page}");

    // "Damaged" needs a photo; a text file named .jpg is refused with nothing stored.
    step(&app, &alice, 4, "next", &[]).await;
    assert!(shows_step(&wizard(&app, &alice).await, 4), "no photo yet");
    let refused = upload(&app, &alice, "/returns/new/photos", "crack.jpg", "image/jpeg", b"not an image").await;
    assert_eq!((refused.status(), location(&refused)), (StatusCode::SEE_OTHER, "/returns/new".to_owned()));
    assert!(wizard(&app, &alice).await.contains("not a JPEG, PNG or WebP"), "the refusal is on the page");
    assert_eq!(photo_rows(&app).await, 0);
    let stored = upload(&app, &alice, "/returns/new/photos", "crack.png", "image/png", &png()).await;
    assert_eq!(stored.status(), StatusCode::SEE_OTHER);
    let page = wizard(&app, &alice).await;
    assert!(page.contains(r#"data-testid="draft-photo""#) && page.contains(r#"action="/rpc/returns_delete_photo""#));

    // Its Remove form takes it away again; the one uploaded next is the one submitted.
    let marker = r#"name="photo_id" value=""#;
    let photo_id = page.split(marker).nth(1).and_then(|rest| rest.split('"').next()).expect("the photo's form");
    let removed = submit(&app, &alice, "/returns/new", "returns_delete_photo", &[("photo_id", photo_id)]).await;
    assert_eq!((removed.status(), location(&removed)), (StatusCode::FOUND, app.url("/returns/new")));
    assert_eq!(photo_rows(&app).await, 0);
    assert!(!wizard(&app, &alice).await.contains(r#"data-testid="draft-photo""#));
    let stored = upload(&app, &alice, "/returns/new/photos", "crack.png", "image/png", &png()).await;
    assert_eq!(stored.status(), StatusCode::SEE_OTHER);

    step(&app, &alice, 4, "next", &[]).await;
    step(&app, &alice, 5, "next", &[("form[method]", "store_credit")]).await;
    let page = wizard(&app, &alice).await;
    assert!(shows_step(&page, 6) && page.contains(r#"data-testid="refund-estimate""#), "{page}");

    let submitted = step(&app, &alice, 6, "submit", &[]).await;
    let id: i64 = submitted.strip_prefix("/returns/").and_then(|id| id.parse().ok()).expect("the return's page");
    let (status, page) = html(&app, &alice, &submitted).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("cracked shade") && page.contains("Damaged"), "{page}");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) AS n FROM return_items WHERE return_id = {id}")).await, 1);
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) AS n FROM return_photos WHERE return_id = {id}")).await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM return_drafts").await, 0, "the draft is gone");
    assert!(shows_step(&wizard(&app, &alice).await, 1), "a new return starts afresh");
}

#[tokio::test]
async fn a_draft_is_resumed_on_another_device_and_start_over_deletes_it_with_its_photos() {
    let (uploads, app, alice, order, _) = customer_with_an_order(1).await;
    step(&app, &alice, 1, "next", &[("form[order]", &order.to_string())]).await;
    assert_eq!(
        upload(&app, &alice, "/returns/new/photos", "a.png", "image/png", &png()).await.status(),
        StatusCode::SEE_OTHER
    );

    let phone = crate::no_javascript::browser();
    assert_eq!(
        crate::support::login(&app, &phone, "alice", crate::support::CUSTOMER_PASSWORD).await.status(),
        StatusCode::OK
    );
    let page = wizard(&app, &phone).await;
    assert!(shows_step(&page, 2) && page.contains(r#"data-testid="draft-resumed""#), "{page}");

    let discarded = submit(&app, &phone, "/returns/new", "returns_draft_discard", &[]).await;
    assert_eq!((discarded.status(), location(&discarded)), (StatusCode::FOUND, app.url("/returns/new")));
    assert!(shows_step(&wizard(&app, &phone).await, 1));
    assert_eq!((photo_rows(&app).await, app.scalar("SELECT COUNT(*) AS n FROM return_drafts").await), (0, 0));
    assert!(uploads_are_empty(&uploads), "the photo's file went with its row");
}

fn uploads_are_empty(uploads: &Uploads) -> bool {
    uploads.files().is_empty()
}

#[tokio::test]
async fn the_receipts_return_link_starts_a_draft_the_next_plain_form_continues() {
    let (_uploads, app, alice, order, line) = customer_with_an_order(1).await;

    let (status, page) = html(&app, &alice, &format!("/returns/new?order={order}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(shows_step(&page, 2), "the link opens the items of that order: {page}");
    step(&app, &alice, 2, "next", &[(&format!("form[units][{line}]"), "1")]).await;
    assert!(shows_step(&wizard(&app, &alice).await, 3), "the step posted from that page counts");
}

#[tokio::test]
async fn a_dearer_exchange_is_paid_by_card_from_the_plain_review_form_and_a_declined_card_keeps_the_draft() {
    let (_uploads, app, alice, order, line) = customer_with_an_order(1).await;
    let vase = app.product("Vase", 10_000, 5).await;
    step(&app, &alice, 1, "next", &[("form[order]", &order.to_string())]).await;
    step(&app, &alice, 2, "next", &[(&format!("form[units][{line}]"), "1")]).await;
    step(&app, &alice, 3, "next", &[("form[reason]", "no_longer_wanted"), ("form[details]", "")]).await;
    step(&app, &alice, 4, "next", &[]).await;
    let vase_text = vase.to_string();
    step(&app, &alice, 5, "next", &[("form[method]", "exchange"), ("form[exchange_product]", &vase_text)]).await;
    let page = wizard(&app, &alice).await;
    assert!(shows_step(&page, 6) && page.contains(r#"data-testid="difference-card""#), "{page}");
    assert!(page.contains(r#"form="wizard-form" name="form[card_number]""#), "{page}");

    // Declined: back at the review with the reason; nothing submitted, the draft kept, the card
    // not in it.
    let card = |number: &'static str| [("form[card_number]", number), ("form[card_expiry]", "12/2099")];
    assert_eq!(step(&app, &alice, 6, "submit", &card(crate::support::shop::DECLINED_CARD)).await, "/returns/new");
    let page = wizard(&app, &alice).await;
    assert!(shows_step(&page, 6) && page.contains("Your card was declined"), "{page}");
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM returns").await, 0);
    let draft = app.text_of("SELECT body AS t FROM return_drafts").await;
    assert!(!draft.contains("0002") && draft.contains("exchange"), "{draft}");

    let submitted = step(&app, &alice, 6, "submit", &card(crate::support::shop::CARD)).await;
    assert!(submitted.starts_with("/returns/"), "{submitted}");
    let (status, page) = html(&app, &alice, &submitted).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-testid="difference-payment""#) && page.contains("Visa •••• 4242"), "{page}");
}

#[tokio::test]
async fn the_plain_photo_form_takes_a_photo_of_a_real_size() {
    let (_uploads, app, alice, order, _) = customer_with_an_order(1).await;
    step(&app, &alice, 1, "next", &[("form[order]", &order.to_string())]).await;
    // A 200 KB PNG: far over the 16 KiB body limit of forms, far under the photo limit.
    let mut photo = png();
    photo.extend(std::iter::repeat_n(0u8, 200 * 1024));
    let stored = upload(&app, &alice, "/returns/new/photos", "shelf.png", "image/png", &photo).await;
    assert_eq!((stored.status(), location(&stored)), (StatusCode::SEE_OTHER, "/returns/new".to_owned()));
    assert_eq!(photo_rows(&app).await, 1);
}
