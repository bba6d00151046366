//! Store credit: a per-customer ledger of signed entries (credits from refunds and bonuses,
//! debits when it pays for an order). The balance is the sum and never goes below zero.
//!
//! - At checkout, with "use store credit", credit pays first and the card the rest; an order
//!   fully paid by credit needs no card at all.
//! - A refund "to the original payment" of an order paid partly with credit goes back the same
//!   way: to the card up to what the card paid (minus earlier card refunds), the rest as credit.

use serde::{Deserialize, Serialize};

/// How an order's total is paid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSplit {
    pub credit_cents: i64,
    pub card_cents: i64,
}

/// Splits `total_cents` between the customer's credit `balance_cents` (when `use_credit`) and
/// the card.
pub fn split_payment(total_cents: i64, balance_cents: i64, use_credit: bool) -> PaymentSplit {
    let total = total_cents.max(0);
    let credit = if use_credit { balance_cents.clamp(0, total) } else { 0 };
    PaymentSplit { credit_cents: credit, card_cents: total.saturating_sub(credit) }
}

/// How a refund to the original payment is paid back: card part first, up to what is left of
/// the card payment, the rest as store credit.
pub fn refund_split(refund_cents: i64, card_paid_cents: i64, card_refunded_before_cents: i64) -> PaymentSplit {
    let refund = refund_cents.max(0);
    let card_left = card_paid_cents.saturating_sub(card_refunded_before_cents).max(0);
    let card = refund.min(card_left);
    PaymentSplit { card_cents: card, credit_cents: refund.saturating_sub(card) }
}

/// Why a ledger entry was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditReason {
    /// A return refunded as store credit.
    Refund,
    /// The bonus for choosing store credit or an exchange.
    Bonus,
    /// An exchange's replacement cost less than the credit.
    ExchangeDifference,
    /// Credit spent on an order.
    Checkout,
    /// Credit given back when an order paid with it failed.
    CheckoutReversed,
}

impl CreditReason {
    pub const ALL: [CreditReason; 5] =
        [Self::Refund, Self::Bonus, Self::ExchangeDifference, Self::Checkout, Self::CheckoutReversed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::Bonus => "bonus",
            Self::ExchangeDifference => "exchange_difference",
            Self::Checkout => "checkout",
            Self::CheckoutReversed => "checkout_reversed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Refund => "Refund of a return",
            Self::Bonus => "Bonus for choosing store credit",
            Self::ExchangeDifference => "Difference of an exchange",
            Self::Checkout => "Paid for an order",
            Self::CheckoutReversed => "Given back: the order was not completed",
        }
    }
}

/// The customer's store credit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditAccount {
    pub balance_cents: i64,
    /// Newest first.
    pub entries: Vec<CreditEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEntry {
    pub id: i64,
    pub amount_cents: i64,
    pub reason: CreditReason,
    pub return_id: Option<i64>,
    pub order_id: Option<i64>,
    pub note: String,
    pub created_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_pays_first_and_the_card_the_rest() {
        assert_eq!(split_payment(5_000, 2_000, true), PaymentSplit { credit_cents: 2_000, card_cents: 3_000 });
        assert_eq!(split_payment(5_000, 9_000, true), PaymentSplit { credit_cents: 5_000, card_cents: 0 });
        assert_eq!(split_payment(5_000, 9_000, false), PaymentSplit { credit_cents: 0, card_cents: 5_000 });
        assert_eq!(split_payment(5_000, -10, true), PaymentSplit { credit_cents: 0, card_cents: 5_000 });
    }

    #[test]
    fn refunds_go_back_the_way_they_were_paid() {
        assert_eq!(refund_split(3_000, 5_000, 0), PaymentSplit { card_cents: 3_000, credit_cents: 0 });
        assert_eq!(refund_split(3_000, 5_000, 4_000), PaymentSplit { card_cents: 1_000, credit_cents: 2_000 });
        assert_eq!(refund_split(3_000, 0, 0), PaymentSplit { card_cents: 0, credit_cents: 3_000 });
    }

    #[test]
    fn reasons_round_trip() {
        for r in CreditReason::ALL {
            assert_eq!(CreditReason::parse(r.as_str()), Some(r));
        }
    }
}
