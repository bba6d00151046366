//! What the storefront shows of a product, computed on the server with the domain's pricing
//! rules, so the views only format it.

use serde::{Deserialize, Serialize};

use crate::catalog::Product;
use domain::flash_sales::FlashSale;
use domain::pricing::discounted_cents;

/// A running flash sale that beats the product's catalogue discount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashOffer {
    pub price_cents: i64,
    /// e.g. "−30%".
    pub discount_label: String,
    pub ends_at_ms: i64,
    pub units_left: i64,
    pub per_customer_limit: i64,
}

/// A product with its prices ready to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorefrontProduct {
    pub product: Product,
    /// One unit with the catalogue discount.
    pub price_cents: i64,
    /// The list price, shown struck through, when a catalogue discount lowers it.
    pub regular_cents: Option<i64>,
    /// e.g. "−10%", with `regular_cents`.
    pub discount_label: Option<String>,
    pub flash: Option<FlashOffer>,
    /// e.g. "Made in Germany · ships at 0.9 kg" or "Made in USA · digital delivery".
    pub shipping_text: String,
}

/// The storefront: products on sale and the server's clock (so countdowns start from the same
/// instant on the server and in the browser).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storefront {
    pub products: Vec<StorefrontProduct>,
    pub now_ms: i64,
}

/// One product's page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub item: StorefrontProduct,
    pub now_ms: i64,
}

fn percent_off(percent: i64) -> String {
    format!("−{percent}%")
}

impl StorefrontProduct {
    /// `product` as shown while `sale` (if any) runs: the best discount wins, never both.
    pub fn new(product: Product, sale: Option<&FlashSale>) -> Self {
        let discounted = product.discount_percent > 0;
        let flash = sale.filter(|s| s.beats(product.discount_percent)).map(|s| FlashOffer {
            price_cents: s.sale_price_cents(product.price_cents),
            discount_label: percent_off(s.discount_percent),
            ends_at_ms: s.ends_at_ms,
            units_left: s.units_left(),
            per_customer_limit: s.per_customer_limit,
        });
        let delivery = if product.requires_shipping {
            format!("ships at {:.1} kg", product.shipping_weight_grams as f64 / 1000.0)
        } else {
            "digital delivery".to_owned()
        };
        StorefrontProduct {
            price_cents: discounted_cents(product.price_cents, product.discount_percent),
            regular_cents: discounted.then_some(product.price_cents),
            discount_label: discounted.then(|| percent_off(product.discount_percent)),
            flash,
            shipping_text: format!("Made in {} · {delivery}", product.country_of_origin),
            product,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyboard() -> Product {
        Product {
            id: 3,
            name: "Keyboard".into(),
            description: String::new(),
            price_cents: 7_500,
            stock: 4,
            discount_percent: 15,
            shipping_weight_grams: 900,
            country_of_origin: "China".into(),
            requires_shipping: true,
            active: true,
        }
    }

    fn sale(discount_percent: i64) -> FlashSale {
        FlashSale {
            id: 1,
            product_id: 3,
            starts_at_ms: 0,
            ends_at_ms: 9_000,
            discount_percent,
            units_total: 10,
            units_sold: 4,
            per_customer_limit: 2,
        }
    }

    #[test]
    fn a_catalogue_discount_shows_the_price_struck_through() {
        let shown = StorefrontProduct::new(keyboard(), None);
        assert_eq!((shown.price_cents, shown.regular_cents), (6_375, Some(7_500)));
        assert_eq!(shown.discount_label.as_deref(), Some("−15%"));
        assert_eq!(shown.shipping_text, "Made in China · ships at 0.9 kg");
        let plain =
            StorefrontProduct::new(Product { discount_percent: 0, requires_shipping: false, ..keyboard() }, None);
        assert_eq!((plain.price_cents, plain.regular_cents, plain.discount_label), (7_500, None, None));
        assert_eq!(plain.shipping_text, "Made in China · digital delivery");
    }

    #[test]
    fn a_flash_sale_shows_only_when_it_beats_the_catalogue_discount() {
        let offer = StorefrontProduct::new(keyboard(), Some(&sale(30))).flash;
        assert_eq!(offer.as_ref().map(|o| (o.price_cents, o.units_left)), Some((5_250, 6)));
        assert_eq!(offer.map(|o| o.discount_label), Some("−30%".to_owned()));
        assert_eq!(StorefrontProduct::new(keyboard(), Some(&sale(10))).flash, None);
    }
}
