use serde::{Deserialize, Serialize};

use crate::pricing::Totals;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Cash,
}

impl PaymentMethod {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "card" => Some(Self::Card),
            "cash" => Some(Self::Cash),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Cash => "cash",
        }
    }
}

/// Where an order stands. `payment_pending` moves to `paid` or `payment_failed` on its own
/// (the background payment worker); the others are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PaymentPending,
    Paid,
    PaymentFailed,
    Declined,
    CashOnDelivery,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentPending => "payment_pending",
            Self::Paid => "paid",
            Self::PaymentFailed => "payment_failed",
            Self::Declined => "declined",
            Self::CashOnDelivery => "cash_on_delivery",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::PaymentPending, Self::Paid, Self::PaymentFailed, Self::Declined, Self::CashOnDelivery]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PaymentPending => "Order received, payment processing",
            Self::Paid => "Paid",
            Self::PaymentFailed => "Payment failed",
            Self::Declined => "Card declined",
            Self::CashOnDelivery => "Confirmed, pay on delivery",
        }
    }

    /// Still changing by itself: pages showing it keep polling.
    pub fn is_settling(self) -> bool {
        self == Self::PaymentPending
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: i64,
    pub product_name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub discounted_unit_cents: i64,
    pub discount_percent: i64,
    pub subtotal_cents: i64,
    pub shipping_cents: i64,
    pub duty_cents: i64,
    pub total_cents: i64,
    pub flash_sale_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInfo {
    pub method: PaymentMethod,
    pub status: String,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub reference: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: i64,
    pub status: OrderStatus,
    pub status_message: String,
    pub payment_method: PaymentMethod,
    pub totals: Totals,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub lines: Vec<OrderLine>,
    pub payment: Option<PaymentInfo>,
}

impl Order {
    /// True when the printed lines add up to the printed total.
    pub fn adds_up(&self) -> bool {
        let lines: i64 = self.lines.iter().map(|l| l.total_cents).sum();
        let parts = self.totals.subtotal_cents + self.totals.shipping_cents + self.totals.duty_cents;
        lines == self.totals.grand_total_cents && parts == self.totals.grand_total_cents
    }
}

/// One row of the order history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub id: i64,
    pub status: OrderStatus,
    pub total_cents: i64,
    pub item_count: i64,
    pub created_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_only_pending_settles() {
        for s in [
            OrderStatus::PaymentPending,
            OrderStatus::Paid,
            OrderStatus::PaymentFailed,
            OrderStatus::Declined,
            OrderStatus::CashOnDelivery,
        ] {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            assert_eq!(s.is_settling(), s == OrderStatus::PaymentPending);
        }
        assert_eq!(OrderStatus::parse("shipped"), None);
    }

    #[test]
    fn payment_methods_parse_case_insensitively() {
        assert_eq!(PaymentMethod::parse(" Card "), Some(PaymentMethod::Card));
        assert_eq!(PaymentMethod::parse("CASH"), Some(PaymentMethod::Cash));
        assert_eq!(PaymentMethod::parse("paypal"), None);
    }
}
