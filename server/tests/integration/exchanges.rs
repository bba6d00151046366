//! Exchanges for a dearer product: the difference is charged to the customer's card when the
//! return is submitted (the provider records exactly one charge), a refused card submits
//! nothing, the card gets the payment back (exactly one refund) when the return is rejected or
//! cancelled, and a charge whose server died before recording it is settled from the
//! provider's record by another server.

use std::sync::Arc;
use std::time::Duration;

use app::payments::faults::FaultSettings;
use app::payments::provider::SimulatedProvider;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::returns::{
    admin_act, create, exchange_for, id_of, lines_of, paid_order, png, provider_shop, request, status_of, to_approved,
    upload, Uploads,
};
use crate::support::shop::{admin, expiry, stock_of, CARD, DECLINED_CARD};
use crate::support::{post, wait_until, TestApp};

/// A mug ($20, over the "keep it" value) returned for a lamp ($90): the refund is $18.00 (10 %
/// restocking fee) plus a $1.80 bonus for exchanging, so the customer owes $70.20.
const OWED: i64 = 7_020;

struct Shop {
    _uploads: Uploads,
    app: TestApp,
    provider: Arc<SimulatedProvider>,
    provider_url: String,
    alice: Client,
    lamp: i64,
}

async fn shop(extra: &[(&str, &str)]) -> Shop {
    let (uploads, app, provider, provider_url) = provider_shop(extra).await;
    let lamp = app.product("Lamp", 9_000, 10).await;
    let alice = app.signed_in("alice", app::accounts::Role::Customer).await;
    Shop { _uploads: uploads, app, provider, provider_url, alice, lamp }
}

impl Shop {
    /// A paid order of one mug and the request to exchange it for the lamp.
    async fn exchange_request(&self) -> Value {
        self.exchange_of(1).await
    }

    /// A paid order of `units` mugs and the request to exchange them for as many lamps.
    async fn exchange_of(&self, units: i64) -> Value {
        let mug = self.app.product("Mug", 2_000, 10).await;
        let order = paid_order(&self.app, &self.alice, &[(mug, units)]).await;
        let line = lines_of(&self.app, &self.alice, order).await[0].0;
        exchange_for(request(order, &[(line, units)], "no_longer_wanted", "exchange"), self.lamp)
    }

    /// What the provider holds under a key: the amount, or `None` when it has nothing.
    async fn provider_amount(&self, kind: &str, key: &str) -> Option<i64> {
        let answer = reqwest::get(format!("{}/v1/{kind}/{key}", self.provider_url)).await.expect("provider lookup");
        match answer.status() {
            StatusCode::OK => answer.json::<Value>().await.expect("json")["amount_cents"].as_i64(),
            StatusCode::NOT_FOUND => None,
            other => panic!("provider lookup answered {other}"),
        }
    }

    async fn key_of(&self, column: &str, id: i64) -> String {
        self.app.text_of(&format!("SELECT {column} AS t FROM exchange_payments WHERE return_id = {id}")).await
    }

    async fn paid_back(&self, id: i64) {
        let query = format!("SELECT back_status AS t FROM exchange_payments WHERE return_id = {id}");
        wait_until("the difference to be paid back", Duration::from_secs(10), || async {
            self.app.text_of(&query).await == "paid"
        })
        .await;
    }
}

/// Submits `body` in the background with the provider answering slowly (`faults`), waits until
/// the charge `reached` it, then starts a second server on the same database and crashes the
/// first, which never answers. Returns the second server and the provider, healed.
async fn crash_while_charging(
    shop: Shop,
    body: Value,
    faults: FaultSettings,
    reached: impl Fn(&SimulatedProvider) -> bool,
) -> (TestApp, Arc<SimulatedProvider>) {
    shop.provider.set_faults(faults);
    let (url, client) = (shop.app.url("/api/returns"), shop.alice.clone());
    let in_flight = tokio::spawn(async move { client.post(url).json(&body).send().await.map(|r| r.status()) });
    wait_until("the charge to reach the provider", Duration::from_secs(5), || async { reached(&shop.provider) }).await;
    let restarted = shop.app.restart().await;
    let Shop { app: first, provider, .. } = shop;
    first.crash();
    provider.set_faults(FaultSettings::default());
    assert!(in_flight.await.expect("task").is_err(), "the crashed server never answered");
    (restarted, provider)
}

fn with_card(mut body: Value, number: &str) -> Value {
    body["card_number"] = json!(number);
    body["card_expiry"] = json!(expiry());
    body
}

#[tokio::test]
async fn a_dearer_exchange_is_charged_to_the_card_on_submit_and_paid_back_once_when_rejected() {
    let shop = shop(&[]).await;
    let ops = admin(&shop.app).await;
    let body = shop.exchange_request().await;
    let charges_before = shop.provider.charges_made();

    let (status, created) = create(&shop.app, &shop.alice, &with_card(body, CARD)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["summary"]["status"], "authorized", "authorized once the difference is paid");
    let payment = &created["exchange"]["card_payment"];
    assert_eq!((payment["amount_cents"].clone(), payment["charged"].clone()), (json!(OWED), json!(true)), "{created}");
    assert_eq!(payment["card"], "Visa •••• 4242");
    assert_eq!(shop.provider.charges_made(), charges_before + 1, "one charge for the difference");
    let id = id_of(&created);
    let charge_key = shop.key_of("charge_key", id).await;
    assert_eq!(shop.provider_amount("charges", &charge_key).await, Some(OWED));
    assert_eq!(stock_of(&shop.app, shop.lamp).await, 9, "the lamp is held");
    let stored =
        shop.app.text_of(&format!("SELECT card_last4 AS t FROM exchange_payments WHERE return_id = {id}")).await;
    assert_eq!(stored, "4242", "only the last four digits are kept");

    let (status, rejected) = admin_act(&shop.app, &ops, id, "reject", json!({ "reason": "not ours" })).await;
    assert_eq!((status, rejected["summary"]["status"].clone()), (StatusCode::OK, json!("rejected")), "{rejected}");
    shop.paid_back(id).await;
    let back_key = shop.key_of("back_key", id).await;
    assert_eq!(shop.provider_amount("refunds", &back_key).await, Some(OWED), "the whole payment goes back");
    assert_eq!(shop.provider.refunds_made(), 1, "the provider recorded exactly one refund");
    assert_eq!(stock_of(&shop.app, shop.lamp).await, 10, "the lamp is released");
    let page = crate::support::get_json(&shop.app, &shop.alice, &format!("/api/returns/{id}")).await;
    assert_eq!(page["exchange"]["card_payment"]["back_state"], "paid", "{page}");
}

#[tokio::test]
async fn a_cancelled_exchange_gets_its_difference_back_and_an_approved_one_is_settled_at_the_price_paid() {
    let shop = shop(&[]).await;
    let ops = admin(&shop.app).await;

    // Cancelled by the customer: paid back in full, once.
    let (status, cancelled) = create(&shop.app, &shop.alice, &with_card(shop.exchange_request().await, CARD)).await;
    assert_eq!(status, StatusCode::CREATED, "{cancelled}");
    let cancelled_id = id_of(&cancelled);
    let answer = post(&shop.app, &shop.alice, &format!("/api/returns/{cancelled_id}/cancel"), json!({})).await;
    assert_eq!(answer.status(), StatusCode::OK);
    shop.paid_back(cancelled_id).await;
    assert_eq!(shop.provider_amount("refunds", &shop.key_of("back_key", cancelled_id).await).await, Some(OWED));

    // Approved: the swap costs what was paid, so nothing moves (no refund, no store credit),
    // even though the lamp got dearer meanwhile.
    let (status, kept) = create(&shop.app, &shop.alice, &with_card(shop.exchange_request().await, CARD)).await;
    assert_eq!(status, StatusCode::CREATED, "{kept}");
    let id = id_of(&kept);
    let dearer = json!({ "name": "Lamp", "description": "", "price_cents": 12_000, "stock": 0, "discount_percent": 0,
        "shipping_weight_grams": 0, "country_of_origin": "USA", "requires_shipping": false });
    let changed = post(&shop.app, &ops, &format!("/api/admin/products/{}", shop.lamp), dearer).await;
    assert_eq!(changed.status(), StatusCode::OK);
    to_approved(&shop.app, &shop.alice, &ops, id).await;
    let (status, exchanged) = admin_act(&shop.app, &ops, id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    assert_eq!(
        (exchanged["summary"]["status"].clone(), exchanged["refund"]["payout"].clone()),
        (json!("refunded"), json!("exchange"))
    );
    assert_eq!(exchanged["exchange"]["card_payment"]["back_state"], Value::Null, "{exchanged}");
    let account = crate::support::get_json(&shop.app, &shop.alice, "/api/store-credit").await;
    assert_eq!(account["balance_cents"], 0, "{account}");
    assert_eq!(shop.provider.refunds_made(), 1, "only the cancelled one was paid back");
}

#[tokio::test]
async fn a_refused_card_or_an_unreachable_provider_submits_nothing() {
    let shop = shop(&[]).await;
    let body = shop.exchange_request().await;
    let photo = upload(&shop.app, &shop.alice, "/api/returns/photos", "box.png", "image/png", &png()).await;
    assert_eq!(photo.status(), StatusCode::CREATED);
    let photo_id = photo.json::<Value>().await.expect("json")["id"].clone();
    let mut body = body;
    body["photo_ids"] = json!([photo_id]);
    let charges_before = shop.provider.charges_made();
    let nothing_stored = || async {
        let returns = shop.app.scalar("SELECT COUNT(*) AS n FROM returns").await;
        let payments = shop.app.scalar("SELECT COUNT(*) AS n FROM exchange_payments WHERE status <> 'withdrawn'").await;
        let drafts = shop.app.scalar("SELECT COUNT(*) AS n FROM return_photos WHERE return_id IS NULL").await;
        assert_eq!((returns, payments, drafts), (0, 0, 1), "no return; the photo is still the draft's");
        assert_eq!(stock_of(&shop.app, shop.lamp).await, 10, "no lamp held");
    };

    // Without a card, and no store credit to pay the difference.
    let (status, refused) = create(&shop.app, &shop.alice, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["error"].as_str().unwrap_or_default().contains("enter a card to pay the difference"), "{refused}");
    nothing_stored().await;

    // A card number that is not one.
    let (status, refused) = create(&shop.app, &shop.alice, &with_card(body.clone(), "4242 4242 4242 4241")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "the card for the price difference: card number is not valid (check the digits)");
    nothing_stored().await;

    // Declined by the issuer.
    let (status, declined) = create(&shop.app, &shop.alice, &with_card(body.clone(), DECLINED_CARD)).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{declined}");
    assert!(declined["error"].as_str().unwrap_or_default().starts_with("your card was declined"), "{declined}");
    nothing_stored().await;

    // The provider fails every call: it holds no charge under the key, so nothing was charged.
    shop.provider.set_faults(FaultSettings { failure_rate: 1.0, latency_ms: 0 });
    let (status, unreachable) = create(&shop.app, &shop.alice, &with_card(body.clone(), CARD)).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{unreachable}");
    assert!(unreachable["error"].as_str().unwrap_or_default().contains("cannot be reached"), "{unreachable}");
    nothing_stored().await;
    assert_eq!(shop.provider.charges_made(), charges_before, "nothing was charged");

    // Healed: the same request goes through.
    shop.provider.set_faults(FaultSettings::default());
    let (status, created) = create(&shop.app, &shop.alice, &with_card(body, CARD)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["photos"].as_array().map(Vec::len), Some(1), "{created}");
}

#[tokio::test]
async fn a_crash_while_the_difference_is_charged_is_settled_from_the_providers_record_by_another_server() {
    let shop = shop(&[("PAYMENT_TIMEOUT_MS", "5000"), ("INSTANCE_LIVENESS_MS", "1000")]).await;
    let body = with_card(shop.exchange_request().await, CARD);
    let charges_before = shop.provider.charges_made();

    // The provider charges at once but answers slowly; the server dies before the answer.
    let slow = FaultSettings { failure_rate: 0.0, latency_ms: 3_000 };
    let charged = move |p: &SimulatedProvider| p.charges_made() == charges_before + 1;
    let (restarted, provider) = crash_while_charging(shop, body, slow, charged).await;
    let id = restarted.scalar("SELECT id AS n FROM returns").await;
    assert_eq!(status_of(&restarted, id).await, "requested", "waiting for its payment");

    // The new server asks the provider about the dead one's charge and goes on with the return.
    wait_until("the charge to be settled", Duration::from_secs(20), || async {
        status_of(&restarted, id).await == "authorized"
    })
    .await;
    let payment = restarted.text_of(&format!("SELECT status AS t FROM exchange_payments WHERE return_id = {id}")).await;
    assert_eq!(payment, "charged");
    assert_eq!(provider.charges_made(), charges_before + 1, "charged exactly once");
}

#[tokio::test]
async fn an_exchange_approved_in_part_replaces_the_approved_units_and_pays_the_rest_back_to_the_card() {
    let shop = shop(&[]).await;
    let ops = admin(&shop.app).await;
    // Two mugs for two lamps: $180.00 − ($36.00 + $3.60 bonus) = $140.40 charged.
    let (status, created) = create(&shop.app, &shop.alice, &with_card(shop.exchange_of(2).await, CARD)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["exchange"]["card_payment"]["amount_cents"], 14_040, "{created}");
    let id = id_of(&created);
    assert_eq!(stock_of(&shop.app, shop.lamp).await, 8, "two lamps held");

    // One mug approved: one lamp for $90.00 − ($18.00 + $1.80) = $70.20; $70.20 goes back.
    to_approved(&shop.app, &shop.alice, &ops, id).await;
    let (status, exchanged) = admin_act(&shop.app, &ops, id, "refund", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    assert_eq!(exchanged["summary"]["status"], "refunded");
    assert_eq!(exchanged["exchange"]["price_cents"], 9_000, "one lamp at the price paid");
    shop.paid_back(id).await;
    assert_eq!(shop.provider_amount("refunds", &shop.key_of("back_key", id).await).await, Some(7_020));
    assert_eq!(shop.provider.refunds_made(), 1);
    assert_eq!(stock_of(&shop.app, shop.lamp).await, 9, "the lamp no longer needed is back in stock");
    let account = crate::support::get_json(&shop.app, &shop.alice, "/api/store-credit").await;
    assert_eq!(account["balance_cents"], 0, "nothing through store credit: {account}");
}

#[tokio::test]
async fn a_crash_while_a_failing_charge_is_answered_cancels_the_return_on_another_server() {
    let shop =
        shop(&[("PAYMENT_TIMEOUT_MS", "5000"), ("INSTANCE_LIVENESS_MS", "1000"), ("PAYMENT_RETRY_ATTEMPTS", "1")])
            .await;
    let mut body = with_card(shop.exchange_request().await, CARD);
    let photo = upload(&shop.app, &shop.alice, "/api/returns/photos", "box.png", "image/png", &png()).await;
    body["photo_ids"] = json!([photo.json::<Value>().await.expect("json")["id"]]);
    let charges_before = shop.provider.charges_made();

    // The provider fails the charge (nothing charged) but its answer is slow; the server dies
    // before it arrives.
    let requests_before = shop.provider.requests_received();
    let failing = FaultSettings { failure_rate: 1.0, latency_ms: 3_000 };
    let asked = move |p: &SimulatedProvider| p.requests_received() > requests_before;
    let (restarted, provider) = crash_while_charging(shop, body, failing, asked).await;
    assert_eq!(restarted.scalar("SELECT COUNT(*) AS n FROM exchange_payments WHERE status = 'charging'").await, 1);

    // The provider has no charge under the key: the shop cancels the return, saying why.
    let id = restarted.scalar("SELECT id AS n FROM returns").await;
    wait_until("the return to be cancelled", Duration::from_secs(20), || async {
        status_of(&restarted, id).await == "cancelled"
    })
    .await;
    let note = restarted
        .text_of(&format!("SELECT note AS t FROM return_events WHERE return_id = {id} AND to_status = 'cancelled'"))
        .await;
    assert_eq!(note, "the payment for the price difference did not go through; nothing was charged");
    let payment = restarted.text_of(&format!("SELECT status AS t FROM exchange_payments WHERE return_id = {id}")).await;
    assert_eq!(payment, "withdrawn");
    assert_eq!(provider.charges_made(), charges_before, "nothing was charged");
}

#[tokio::test]
async fn a_charge_whose_answer_was_lost_is_not_taken_for_no_charge_when_the_breaker_opens() {
    let breaker =
        [("PAYMENT_TIMEOUT_MS", "500"), ("PAYMENT_RETRY_ATTEMPTS", "2"), ("BREAKER_CONSECUTIVE_FAILURES", "1")];
    let shop = shop(&breaker).await;
    let body = with_card(shop.exchange_request().await, CARD);
    let charges_before = shop.provider.charges_made();

    // The provider charges, but answers after the timeout; that failure opens the breaker, so
    // the second attempt is never made and the provider cannot be asked at once.
    shop.provider.set_faults(FaultSettings { failure_rate: 0.0, latency_ms: 2_000 });
    let (status, created) = create(&shop.app, &shop.alice, &body).await;
    assert_eq!(status, StatusCode::CREATED, "the return is kept while its charge is unconfirmed: {created}");
    assert_eq!(created["exchange"]["card_payment"]["charged"], false, "{created}");
    assert_eq!(shop.provider.charges_made(), charges_before + 1);
    shop.provider.set_faults(FaultSettings::default());

    // Once the breaker lets it, the worker asks the provider and the return goes on.
    let id = id_of(&created);
    wait_until("the charge to be confirmed", Duration::from_secs(15), || async {
        status_of(&shop.app, id).await == "authorized"
    })
    .await;
    assert_eq!(shop.provider.charges_made(), charges_before + 1, "charged once");
}

#[tokio::test]
async fn a_card_paid_exchange_whose_replacement_sold_out_waits_for_a_product_no_dearer_than_paid() {
    let shop = shop(&[]).await;
    let ops = admin(&shop.app).await;
    // A keep-it mug ($10): approved and refunded at authorization, were the lamp in stock.
    let mug = shop.app.product("Cheap mug", 1_000, 10).await;
    let order = paid_order(&shop.app, &shop.alice, &[(mug, 1)]).await;
    let line = lines_of(&shop.app, &shop.alice, order).await[0].0;
    let body = exchange_for(request(order, &[(line, 1)], "no_longer_wanted", "exchange"), shop.lamp);
    let out_of_stock = json!({ "stock": 0 });
    let emptied = post(&shop.app, &ops, &format!("/api/admin/products/{}/stock", shop.lamp), out_of_stock).await;
    assert_eq!(emptied.status(), StatusCode::OK);

    // $90.00 − ($9.00 + $0.90 bonus) charged; the lamp sold out, so the return waits for another
    // product instead of failing after the charge.
    let (status, created) = create(&shop.app, &shop.alice, &with_card(body, CARD)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["exchange"]["card_payment"]["amount_cents"], 8_010);
    assert_eq!(
        (created["summary"]["status"].clone(), created["exchange"]["reserved"].clone()),
        (json!("approved"), json!(false))
    );
    let id = id_of(&created);

    // Nothing dearer than what was paid for; a cheaper one is held and the rest goes back.
    let dearer = shop.app.product("Big lamp", 9_500, 3).await;
    let vase = shop.app.product("Vase", 5_000, 3).await;
    let waiting = crate::support::get_json(&shop.app, &shop.alice, &format!("/api/returns/{id}")).await;
    let offered: Vec<i64> = waiting["exchange"]["alternatives"]
        .as_array()
        .map(|all| all.iter().filter_map(|o| o["product_id"].as_i64()).collect())
        .unwrap_or_default();
    assert!(offered.contains(&vase) && !offered.contains(&dearer), "{offered:?}");
    let refused =
        post(&shop.app, &shop.alice, &format!("/api/returns/{id}/exchange"), json!({ "product_id": dearer })).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let chosen =
        post(&shop.app, &shop.alice, &format!("/api/returns/{id}/exchange"), json!({ "product_id": vase })).await;
    assert_eq!(chosen.status(), StatusCode::OK);
    let exchanged: Value = chosen.json().await.expect("json");
    assert_eq!(exchanged["summary"]["status"], "refunded", "a keep-it return waited only for the product: {exchanged}");
    assert_eq!(stock_of(&shop.app, vase).await, 2, "the vase is the customer's");
    shop.paid_back(id).await;
    // The vase costs $50.00 − $9.90 = $40.10 of the $80.10 paid: $40.00 back.
    assert_eq!(shop.provider_amount("refunds", &shop.key_of("back_key", id).await).await, Some(4_000));
}
