use serde::{Deserialize, Serialize};

use crate::flash_sales::FlashSale;
use crate::pricing::{price_line, totals, LinePrice, PricingInput, Totals};

/// A flash sale whose price applies to a cart line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedSale {
    pub sale_id: i64,
    pub discount_percent: i64,
    pub ends_at_ms: i64,
}

/// Why a line cannot be checked out as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineProblem {
    /// Fewer in stock than in the cart: offer "reduce to N" / "remove".
    ShortStock { available: i64 },
    /// The product was withdrawn from sale.
    Unavailable,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    pub available: i64,
    pub price: LinePrice,
    pub flash_sale: Option<AppliedSale>,
    /// Set when a running flash sale exists but this quantity is over the customer's limit,
    /// so the line is at the regular price: how many units would get the sale price.
    pub flash_sale_limit: Option<i64>,
    pub problem: Option<LineProblem>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    pub totals: Totals,
}

impl Cart {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// The first line that stops checkout, as a message for the customer.
    pub fn checkout_blocker(&self) -> Option<String> {
        self.lines.iter().find_map(|line| match &line.problem {
            Some(LineProblem::ShortStock { available: 0 }) => {
                Some(format!("'{}' is sold out; remove it to continue", line.name))
            }
            Some(LineProblem::ShortStock { available }) => {
                Some(format!("only {available} of '{}' left; reduce the quantity to continue", line.name))
            }
            Some(LineProblem::Unavailable) => Some(format!("'{}' is no longer sold; remove it to continue", line.name)),
            None => None,
        })
    }
}

/// Everything needed to price one line.
pub struct LineFacts<'a> {
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    pub stock: i64,
    pub active: bool,
    pub pricing: PricingInput<'a>,
    /// A flash sale running now for this product, and how many units this customer bought in it.
    pub sale: Option<(&'a FlashSale, i64)>,
}

pub fn build_line(facts: LineFacts<'_>) -> CartLine {
    let (applied, limit) = match facts.sale {
        Some((sale, bought)) => match sale.check_purchase(facts.quantity, bought) {
            Ok(()) => (
                Some(AppliedSale {
                    sale_id: sale.id,
                    discount_percent: sale.discount_percent,
                    ends_at_ms: sale.ends_at_ms,
                }),
                None,
            ),
            Err(_) => (None, Some(sale.allowance(bought))),
        },
        None => (None, None),
    };
    let price = price_line(&facts.pricing, facts.quantity, applied.as_ref().map(|s| s.discount_percent));
    let problem = if !facts.active {
        Some(LineProblem::Unavailable)
    } else if facts.quantity > facts.stock {
        Some(LineProblem::ShortStock { available: facts.stock.max(0) })
    } else {
        None
    };
    CartLine {
        product_id: facts.product_id,
        name: facts.name,
        quantity: facts.quantity,
        available: facts.stock,
        price,
        flash_sale: applied,
        flash_sale_limit: limit,
        problem,
    }
}

pub fn build_cart(lines: Vec<CartLine>) -> Cart {
    let totals = totals(lines.iter().map(|l| &l.price));
    Cart { lines, totals }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYBOARD: PricingInput<'static> = PricingInput {
        price_cents: 7_500,
        discount_percent: 15,
        shipping_weight_grams: 800,
        requires_shipping: true,
        country_of_origin: "China",
    };

    fn sale() -> FlashSale {
        FlashSale {
            id: 9,
            product_id: 3,
            starts_at_ms: 0,
            ends_at_ms: 1_000,
            discount_percent: 30,
            units_total: 20,
            units_sold: 0,
            per_customer_limit: 2,
        }
    }

    fn facts(quantity: i64, stock: i64, sale: Option<(&FlashSale, i64)>) -> LineFacts<'_> {
        LineFacts { product_id: 3, name: "Keyboard".into(), quantity, stock, active: true, pricing: KEYBOARD, sale }
    }

    #[test]
    fn a_line_within_the_sale_limit_gets_the_sale_price() {
        let s = sale();
        let line = build_line(facts(2, 10, Some((&s, 0))));
        assert_eq!(line.price.discounted_unit_cents, 5_250);
        assert_eq!(line.flash_sale.map(|a| a.sale_id), Some(9));
        assert_eq!(line.flash_sale_limit, None);
    }

    #[test]
    fn over_the_limit_the_line_is_at_the_regular_price_and_says_why() {
        let s = sale();
        let line = build_line(facts(3, 10, Some((&s, 0))));
        assert_eq!(line.price.discounted_unit_cents, 6_375);
        assert_eq!(line.flash_sale, None);
        assert_eq!(line.flash_sale_limit, Some(2));
        let bought_one = build_line(facts(2, 10, Some((&s, 1))));
        assert_eq!(bought_one.flash_sale_limit, Some(1));
    }

    #[test]
    fn short_stock_and_withdrawn_products_block_checkout() {
        let short = build_cart(vec![build_line(facts(5, 3, None))]);
        assert_eq!(short.lines[0].problem, Some(LineProblem::ShortStock { available: 3 }));
        assert_eq!(
            short.checkout_blocker().as_deref(),
            Some("only 3 of 'Keyboard' left; reduce the quantity to continue")
        );
        let gone = build_cart(vec![build_line(LineFacts { active: false, ..facts(1, 3, None) })]);
        assert_eq!(gone.lines[0].problem, Some(LineProblem::Unavailable));
        let fine = build_cart(vec![build_line(facts(3, 3, None))]);
        assert_eq!(fine.checkout_blocker(), None);
        assert_eq!(fine.item_count(), 3);
        assert_eq!(fine.totals.grand_total_cents, fine.lines[0].price.total_cents);
    }
}
