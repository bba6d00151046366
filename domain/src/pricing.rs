//! Line and cart totals in integer cents.
//!
//! Rounding rule (the only one): every amount derived from a percentage or a weight is rounded
//! to the nearest cent, halves away from zero, once per line. The unit price is rounded first
//! and the line subtotal is `unit price x quantity`, so a receipt's lines always add up.
//!
//! - discounted unit price = price x (100 - discount%) / 100, where discount% is the best of
//!   the catalogue discount and an active flash sale's discount
//! - shipping = weight(kg) x quantity x $1.50, i.e. grams x quantity x 3/20 cents, when the
//!   product ships
//! - import duty = 5% of the undiscounted line price (price x quantity) unless made in the USA
//! - line total = subtotal + shipping + duty; grand total = sum of line totals

use serde::{Deserialize, Serialize};

/// What pricing needs to know about a product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricingInput<'a> {
    pub price_cents: i64,
    pub discount_percent: i64,
    pub shipping_weight_grams: i64,
    pub requires_shipping: bool,
    pub country_of_origin: &'a str,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePrice {
    pub unit_price_cents: i64,
    pub discounted_unit_cents: i64,
    /// Percent applied (catalogue or flash sale, whichever is better).
    pub discount_percent: i64,
    pub quantity: i64,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_cents: i64,
    pub duty_cents: i64,
    pub total_cents: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_cents: i64,
    pub duty_cents: i64,
    pub grand_total_cents: i64,
}

pub const DUTY_PERCENT: i64 = 5;
pub const DUTY_FREE_ORIGIN: &str = "USA";

/// `numerator / denominator` rounded to the nearest integer, halves away from zero.
pub fn div_round(numerator: i64, denominator: i64) -> i64 {
    debug_assert!(denominator > 0);
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        -((-numerator + half) / denominator)
    }
}

/// The discount that applies: the better of the catalogue's and a flash sale's, never both.
pub fn best_discount(catalogue_percent: i64, flash_sale_percent: Option<i64>) -> i64 {
    catalogue_percent.max(flash_sale_percent.unwrap_or(0)).clamp(0, 100)
}

/// The unit price after `discount_percent` (clamped to 0-100), rounded by the rule above.
pub fn discounted_cents(price_cents: i64, discount_percent: i64) -> i64 {
    div_round(price_cents * (100 - discount_percent.clamp(0, 100)), 100)
}

/// Prices one line. `flash_sale_percent` is the discount of a flash sale that applies to this
/// purchase, if any.
pub fn price_line(product: &PricingInput<'_>, quantity: i64, flash_sale_percent: Option<i64>) -> LinePrice {
    let discount_percent = best_discount(product.discount_percent, flash_sale_percent);
    let discounted_unit_cents = discounted_cents(product.price_cents, discount_percent);
    let subtotal_cents = discounted_unit_cents * quantity;
    let list_cents = product.price_cents * quantity;
    let shipping_cents =
        if product.requires_shipping { div_round(product.shipping_weight_grams * quantity * 3, 20) } else { 0 };
    let duty_cents =
        if product.country_of_origin == DUTY_FREE_ORIGIN { 0 } else { div_round(list_cents * DUTY_PERCENT, 100) };
    LinePrice {
        unit_price_cents: product.price_cents,
        discounted_unit_cents,
        discount_percent,
        quantity,
        subtotal_cents,
        discount_cents: list_cents - subtotal_cents,
        shipping_cents,
        duty_cents,
        total_cents: subtotal_cents + shipping_cents + duty_cents,
    }
}

pub fn totals<'a>(lines: impl IntoIterator<Item = &'a LinePrice>) -> Totals {
    lines.into_iter().fold(Totals::default(), |t, l| Totals {
        subtotal_cents: t.subtotal_cents + l.subtotal_cents,
        discount_cents: t.discount_cents + l.discount_cents,
        shipping_cents: t.shipping_cents + l.shipping_cents,
        duty_cents: t.duty_cents + l.duty_cents,
        grand_total_cents: t.grand_total_cents + l.total_cents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAPTOP: PricingInput<'static> = PricingInput {
        price_cents: 120_000,
        discount_percent: 10,
        shipping_weight_grams: 2500,
        requires_shipping: true,
        country_of_origin: "China",
    };
    const MOUSE: PricingInput<'static> = PricingInput {
        price_cents: 2_500,
        discount_percent: 0,
        shipping_weight_grams: 200,
        requires_shipping: true,
        country_of_origin: "USA",
    };

    #[test]
    fn laptop_times_two_matches_the_original_formulas() {
        let line = price_line(&LAPTOP, 2, None);
        assert_eq!(line.discounted_unit_cents, 108_000);
        assert_eq!(line.subtotal_cents, 216_000);
        assert_eq!(line.discount_cents, 24_000);
        assert_eq!(line.shipping_cents, 750);
        assert_eq!(line.duty_cents, 12_000);
        assert_eq!(line.total_cents, 228_750);
    }

    #[test]
    fn usa_products_pay_no_duty() {
        let line = price_line(&MOUSE, 1, None);
        assert_eq!((line.shipping_cents, line.duty_cents, line.total_cents), (30, 0, 2_530));
    }

    #[test]
    fn digital_goods_do_not_ship() {
        let licence = PricingInput { requires_shipping: false, shipping_weight_grams: 500, ..MOUSE };
        assert_eq!(price_line(&licence, 3, None).shipping_cents, 0);
    }

    #[test]
    fn unit_price_rounds_half_away_from_zero_and_lines_add_up() {
        let hub = PricingInput { price_cents: 4_599, discount_percent: 5, ..MOUSE };
        let line = price_line(&hub, 3, None);
        assert_eq!(line.discounted_unit_cents, 4_369); // 4369.05
        assert_eq!(line.subtotal_cents, 4_369 * 3);
        let odd = PricingInput { price_cents: 1_001, discount_percent: 50, ..MOUSE };
        assert_eq!(price_line(&odd, 1, None).discounted_unit_cents, 501); // 500.5 -> 501
    }

    #[test]
    fn shipping_and_duty_round_to_the_cent() {
        let light = PricingInput { shipping_weight_grams: 7, country_of_origin: "Japan", price_cents: 1_010, ..MOUSE };
        let line = price_line(&light, 1, None);
        assert_eq!(line.shipping_cents, 1); // 1.05 cents
        assert_eq!(line.duty_cents, 51); // 50.5 cents
    }

    #[test]
    fn a_flash_sale_replaces_a_smaller_catalogue_discount_only() {
        assert_eq!(price_line(&LAPTOP, 1, Some(25)).discounted_unit_cents, 90_000);
        assert_eq!(price_line(&LAPTOP, 1, Some(5)).discounted_unit_cents, 108_000);
        // Duty stays on the undiscounted price.
        assert_eq!(price_line(&LAPTOP, 1, Some(25)).duty_cents, 6_000);
    }

    #[test]
    fn totals_sum_every_line() {
        let lines = [price_line(&LAPTOP, 2, None), price_line(&MOUSE, 1, None)];
        let t = totals(&lines);
        assert_eq!(t.grand_total_cents, 228_750 + 2_530);
        assert_eq!(t.subtotal_cents + t.shipping_cents + t.duty_cents, t.grand_total_cents);
    }

    #[test]
    fn div_round_handles_signs() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(-4, 10), 0);
    }
}
