//! How much a return refunds, and how.
//!
//! - Items: approved units × the unit price actually paid (after discounts).
//! - Restocking fee: `restocking_fee_percent` of the items, rounded to the cent (halves away
//!   from zero), waived when the shop is at fault (damaged, wrong item).
//! - Shipping and duty: with `ShippingRefund::WhenShopsFault`, the returned units' share of the
//!   line's shipping and duty (line amount × units ÷ line quantity, rounded) when the shop is at
//!   fault; otherwise none.
//! - The refund is never more than what was paid minus earlier refunds, and never negative.
//! - Store credit and exchanges add the bonus (`percent` of the refund + `fixed_cents`, at most
//!   `cap_cents`); money back to the original payment has no bonus.
//! - An exchange compares the credit with the replacement's price: the customer pays the
//!   difference, or gets it as store credit.

use serde::{Deserialize, Serialize};

use super::policy::{Reason, ReturnPolicy, ShippingRefund};
use crate::money::format_cents;
use crate::pricing::div_round;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundMethod {
    /// Back to the card (or, for cash orders, paid out by the shop with a reference).
    OriginalPayment,
    StoreCredit,
    Exchange,
}

impl RefundMethod {
    pub const ALL: [RefundMethod; 3] = [Self::OriginalPayment, Self::StoreCredit, Self::Exchange];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OriginalPayment => "original_payment",
            Self::StoreCredit => "store_credit",
            Self::Exchange => "exchange",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OriginalPayment => "Refund to the original payment",
            Self::StoreCredit => "Store credit",
            Self::Exchange => "Exchange for another product",
        }
    }

    pub fn earns_bonus(self) -> bool {
        matches!(self, Self::StoreCredit | Self::Exchange)
    }
}

/// One order line in a return: what was paid for it and how many units are refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    pub unit_paid_cents: i64,
    pub line_quantity: i64,
    pub line_shipping_cents: i64,
    pub line_duty_cents: i64,
    pub units: i64,
}

/// The refund, part by part, as the customer sees it explained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundEstimate {
    pub items_cents: i64,
    pub restocking_fee_cents: i64,
    pub shipping_and_duty_cents: i64,
    /// What the refund would be before the cap.
    pub uncapped_cents: i64,
    /// Money (or credit) refunded for the goods.
    pub refund_cents: i64,
    /// Extra store credit for choosing credit or an exchange.
    pub bonus_cents: i64,
    /// What the customer receives: refund plus bonus.
    pub total_cents: i64,
    pub explanation: Vec<String>,
}

/// Computes the refund of `lines` for `reason` paid by `method`; `paid_cents` is what the
/// order cost, `refunded_before_cents` what earlier returns of it already refunded.
pub fn estimate(
    policy: &ReturnPolicy,
    reason: Reason,
    method: RefundMethod,
    lines: &[RefundLine],
    paid_cents: i64,
    refunded_before_cents: i64,
) -> RefundEstimate {
    let items_cents = lines.iter().map(|l| l.unit_paid_cents.saturating_mul(l.units)).fold(0i64, i64::saturating_add);
    let restocking_fee_cents = if reason.is_shops_fault() {
        0
    } else {
        div_round(items_cents.saturating_mul(policy.restocking_fee_percent.clamp(0, 100)), 100)
    };
    let shipping_and_duty_cents = match policy.shipping_refund {
        ShippingRefund::WhenShopsFault if reason.is_shops_fault() => {
            lines.iter().map(share_of_shipping_and_duty).fold(0i64, i64::saturating_add)
        }
        _ => 0,
    };
    let uncapped_cents = items_cents.saturating_sub(restocking_fee_cents).saturating_add(shipping_and_duty_cents);
    let left_to_refund = paid_cents.saturating_sub(refunded_before_cents).max(0);
    let refund_cents = uncapped_cents.clamp(0, left_to_refund);
    let bonus_cents = if method.earns_bonus() { bonus(policy, refund_cents) } else { 0 };
    let mut e = RefundEstimate {
        items_cents,
        restocking_fee_cents,
        shipping_and_duty_cents,
        uncapped_cents,
        refund_cents,
        bonus_cents,
        total_cents: refund_cents.saturating_add(bonus_cents),
        explanation: Vec::new(),
    };
    e.explanation = explain(&e, reason, method);
    e
}

fn share_of_shipping_and_duty(line: &RefundLine) -> i64 {
    if line.line_quantity <= 0 {
        return 0;
    }
    let line_total = line.line_shipping_cents.saturating_add(line.line_duty_cents);
    div_round(line_total.saturating_mul(line.units.min(line.line_quantity)), line.line_quantity)
}

fn bonus(policy: &ReturnPolicy, refund_cents: i64) -> i64 {
    if refund_cents <= 0 {
        return 0;
    }
    let b = policy.store_credit_bonus;
    div_round(refund_cents.saturating_mul(b.percent.clamp(0, 100)), 100)
        .saturating_add(b.fixed_cents.max(0))
        .clamp(0, b.cap_cents.max(0))
}

fn explain(e: &RefundEstimate, reason: Reason, method: RefundMethod) -> Vec<String> {
    let mut lines = vec![format!("Items: {}", format_cents(e.items_cents))];
    if e.restocking_fee_cents > 0 {
        lines.push(format!("Restocking fee: −{}", format_cents(e.restocking_fee_cents)));
    } else if reason.is_shops_fault() {
        lines.push("No restocking fee: the item was damaged or wrong".to_owned());
    }
    if e.shipping_and_duty_cents > 0 {
        lines.push(format!("Shipping and duty refunded: {}", format_cents(e.shipping_and_duty_cents)));
    } else {
        lines.push("Shipping and duty are not refunded for this reason".to_owned());
    }
    if e.refund_cents < e.uncapped_cents {
        lines.push(format!("Limited to what is left of the payment: {}", format_cents(e.refund_cents)));
    }
    if e.bonus_cents > 0 {
        lines.push(format!("Bonus for choosing {}: +{}", method.label().to_lowercase(), format_cents(e.bonus_cents)));
    }
    lines.push(format!("You receive: {}", format_cents(e.total_cents)));
    lines
}

/// What an exchange leaves to settle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "cents")]
pub enum ExchangeBalance {
    /// The replacement costs more: the customer pays this much.
    CustomerPays(i64),
    /// The replacement costs less: this much becomes store credit.
    CustomerCredited(i64),
    Even,
}

pub fn exchange_balance(credit_cents: i64, replacement_cents: i64) -> ExchangeBalance {
    match replacement_cents.saturating_sub(credit_cents) {
        d if d > 0 => ExchangeBalance::CustomerPays(d),
        d if d < 0 => ExchangeBalance::CustomerCredited(d.saturating_neg()),
        _ => ExchangeBalance::Even,
    }
}

/// How an exchange is settled once its return is approved, given what the customer paid up front
/// for the difference (by card, when the replacement cost more than the refund they were quoted).
///
/// The swap costs `owed = replacement − credit` (negative: the customer is owed money). What was
/// paid up front beyond `owed` goes back: to the card first (never more than was charged), the
/// rest as store credit. What `owed` is beyond the payment (a partial approval lowered the credit)
/// is taken from store credit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExchangeSettlement {
    /// Refunded to the card the difference was paid with.
    pub card_back_cents: i64,
    /// Given as store credit.
    pub credit_cents: i64,
    /// Taken from store credit.
    pub debit_cents: i64,
}

pub fn settle_exchange(credit_cents: i64, replacement_cents: i64, prepaid_cents: i64) -> ExchangeSettlement {
    let prepaid = prepaid_cents.max(0);
    let owed = replacement_cents.saturating_sub(credit_cents);
    let over = prepaid.saturating_sub(owed);
    if over >= 0 {
        let card_back_cents = over.min(prepaid);
        ExchangeSettlement { card_back_cents, credit_cents: over - card_back_cents, debit_cents: 0 }
    } else {
        ExchangeSettlement { debit_cents: over.saturating_neg(), ..ExchangeSettlement::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::returns::policy::Bonus;

    fn lamp(units: i64) -> RefundLine {
        // Bought 3 at $25.00 each (after discount); $3.00 shipping and $4.50 duty on the line.
        RefundLine { unit_paid_cents: 2_500, line_quantity: 3, line_shipping_cents: 300, line_duty_cents: 450, units }
    }

    #[test]
    fn a_partial_approval_refunds_only_the_approved_units_minus_the_fee() {
        let p = ReturnPolicy::default();
        let e = estimate(&p, Reason::NoLongerWanted, RefundMethod::OriginalPayment, &[lamp(2)], 8_250, 0);
        assert_eq!((e.items_cents, e.restocking_fee_cents, e.shipping_and_duty_cents), (5_000, 500, 0));
        assert_eq!((e.refund_cents, e.bonus_cents, e.total_cents), (4_500, 0, 4_500));
    }

    #[test]
    fn the_fee_is_waived_and_shipping_refunded_when_the_shop_is_at_fault() {
        let p = ReturnPolicy::default();
        let e = estimate(&p, Reason::Damaged, RefundMethod::OriginalPayment, &[lamp(2)], 8_250, 0);
        assert_eq!(e.restocking_fee_cents, 0);
        assert_eq!(e.shipping_and_duty_cents, 500, "2 of 3 units' share of $7.50");
        assert_eq!(e.refund_cents, 5_500);
        let never = ReturnPolicy { shipping_refund: ShippingRefund::Never, ..ReturnPolicy::default() };
        assert_eq!(
            estimate(&never, Reason::Damaged, RefundMethod::OriginalPayment, &[lamp(2)], 8_250, 0).refund_cents,
            5_000
        );
    }

    #[test]
    fn never_more_than_what_is_left_of_the_payment() {
        let p = ReturnPolicy::default();
        let e = estimate(&p, Reason::Damaged, RefundMethod::OriginalPayment, &[lamp(3)], 8_250, 6_000);
        assert_eq!(e.uncapped_cents, 8_250);
        assert_eq!(e.refund_cents, 2_250);
        assert!(
            e.explanation.iter().any(|l| l == "Limited to what is left of the payment: $22.50"),
            "{:?}",
            e.explanation
        );
        let nothing_left = estimate(&p, Reason::Damaged, RefundMethod::StoreCredit, &[lamp(1)], 8_250, 9_000);
        assert_eq!((nothing_left.refund_cents, nothing_left.bonus_cents), (0, 0));
    }

    #[test]
    fn rounding_is_half_away_from_zero_once() {
        let p = ReturnPolicy { restocking_fee_percent: 15, ..ReturnPolicy::default() };
        let odd =
            RefundLine { unit_paid_cents: 333, line_quantity: 1, line_shipping_cents: 0, line_duty_cents: 0, units: 1 };
        // 15 % of $3.33 = 49.95 cents -> 50 cents.
        assert_eq!(estimate(&p, Reason::Other, RefundMethod::OriginalPayment, &[odd], 333, 0).restocking_fee_cents, 50);
    }

    #[test]
    fn store_credit_earns_a_capped_bonus() {
        let p = ReturnPolicy {
            store_credit_bonus: Bonus { percent: 10, fixed_cents: 100, cap_cents: 500 },
            ..ReturnPolicy::default()
        };
        let credit = estimate(&p, Reason::NoLongerWanted, RefundMethod::StoreCredit, &[lamp(1)], 8_250, 0);
        // $25.00 - $2.50 fee = $22.50; bonus 10 % = $2.25 + $1.00 = $3.25.
        assert_eq!((credit.refund_cents, credit.bonus_cents, credit.total_cents), (2_250, 325, 2_575));
        let big = estimate(&p, Reason::Damaged, RefundMethod::Exchange, &[lamp(3)], 8_250, 0);
        assert_eq!(big.bonus_cents, 500, "capped");
        assert!(big.explanation.last().is_some_and(|l| l == "You receive: $87.50"), "{:?}", big.explanation);
    }

    #[test]
    fn an_exchange_settles_the_difference() {
        assert_eq!(exchange_balance(2_000, 2_500), ExchangeBalance::CustomerPays(500));
        assert_eq!(exchange_balance(2_000, 1_200), ExchangeBalance::CustomerCredited(800));
        assert_eq!(exchange_balance(2_000, 2_000), ExchangeBalance::Even);
    }

    #[test]
    fn an_exchange_paid_up_front_gets_back_what_it_no_longer_owes() {
        let settle = |credit, price, prepaid| {
            let s = settle_exchange(credit, price, prepaid);
            (s.card_back_cents, s.credit_cents, s.debit_cents)
        };
        // Nothing paid up front: the plain difference, credited or taken from store credit.
        assert_eq!(settle(2_000, 1_200, 0), (0, 800, 0));
        assert_eq!(settle(2_000, 2_500, 0), (0, 0, 500));
        assert_eq!(settle(2_000, 2_000, 0), (0, 0, 0));
        // Paid exactly what the approved swap costs: nothing moves.
        assert_eq!(settle(2_000, 2_500, 500), (0, 0, 0));
        // Partial approval (credit 1 000, not 2 000): 1 000 more, from store credit.
        assert_eq!(settle(1_000, 2_500, 500), (0, 0, 1_000));
        // The replacement got cheaper: part of the payment back to the card…
        assert_eq!(settle(2_000, 2_300, 500), (200, 0, 0));
        // …and once the refund covers it, all of it back to the card, the rest as credit.
        assert_eq!(settle(2_000, 1_500, 500), (500, 500, 0));
        assert_eq!(settle(2_000, 2_500, -5), (0, 0, 500), "a negative payment counts as none");
    }

    #[test]
    fn methods_round_trip() {
        for m in RefundMethod::ALL {
            assert_eq!(RefundMethod::parse(m.as_str()), Some(m));
        }
        assert!(!RefundMethod::OriginalPayment.earns_bonus());
    }
}
