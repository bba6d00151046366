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

    /// The status an order starts in: a card order waits for its charge unless there is nothing
    /// to pay; a cash order is confirmed and paid on delivery.
    pub fn at_reservation(method: PaymentMethod, grand_total_cents: i64) -> Self {
        match method {
            PaymentMethod::Card if grand_total_cents == 0 => Self::Paid,
            PaymentMethod::Card => Self::PaymentPending,
            PaymentMethod::Cash => Self::CashOnDelivery,
        }
    }

    /// Still changing by itself: pages showing it keep polling.
    pub fn is_settling(self) -> bool {
        self == Self::PaymentPending
    }
}

/// Who may see an order (its receipt, its place in a history): the customer who placed it,
/// nobody else. Admins have no order view; anyone else's order is "not found", so ids reveal
/// nothing.
pub fn may_view(viewer_id: i64, owner_id: i64) -> bool {
    viewer_id == owner_id
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
    /// How the order is paid, in words for the receipt: the card (brand and last four), cash
    /// on delivery, or that a card was not charged because there was nothing to pay.
    pub fn payment_label(&self) -> Option<String> {
        let payment = self.payment.as_ref()?;
        Some(match (&payment.card_brand, &payment.card_last4) {
            (Some(_), Some(_)) if self.totals.grand_total_cents == 0 => {
                "nothing to pay, the card was not charged".to_owned()
            }
            (Some(brand), Some(last4)) => format!("{brand} •••• {last4}"),
            _ => "Cash on delivery".to_owned(),
        })
    }

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
    fn card_orders_wait_for_their_charge_unless_nothing_is_due() {
        assert_eq!(OrderStatus::at_reservation(PaymentMethod::Card, 100), OrderStatus::PaymentPending);
        assert_eq!(OrderStatus::at_reservation(PaymentMethod::Card, 0), OrderStatus::Paid);
        assert_eq!(OrderStatus::at_reservation(PaymentMethod::Cash, 100), OrderStatus::CashOnDelivery);
    }

    #[test]
    fn only_the_owner_may_view_an_order() {
        assert!(may_view(7, 7));
        assert!(!may_view(8, 7));
    }

    #[test]
    fn the_receipt_names_the_card_or_cash_or_that_nothing_was_charged() {
        let card = PaymentInfo {
            method: PaymentMethod::Card,
            status: "succeeded".into(),
            card_brand: Some("Visa".into()),
            card_last4: Some("4242".into()),
            reference: None,
        };
        let mut order = Order {
            id: 1,
            status: OrderStatus::Paid,
            status_message: String::new(),
            payment_method: PaymentMethod::Card,
            totals: Totals { grand_total_cents: 500, ..Totals::default() },
            created_at_ms: 0,
            updated_at_ms: 0,
            lines: Vec::new(),
            payment: Some(card),
        };
        assert_eq!(order.payment_label().as_deref(), Some("Visa •••• 4242"));
        order.totals.grand_total_cents = 0;
        assert_eq!(order.payment_label().as_deref(), Some("nothing to pay, the card was not charged"));
        order.payment = order.payment.map(|p| PaymentInfo { card_brand: None, card_last4: None, ..p });
        assert_eq!(order.payment_label().as_deref(), Some("Cash on delivery"));
        order.payment = None;
        assert_eq!(order.payment_label(), None);
    }

    #[test]
    fn payment_methods_parse_case_insensitively() {
        assert_eq!(PaymentMethod::parse(" Card "), Some(PaymentMethod::Card));
        assert_eq!(PaymentMethod::parse("CASH"), Some(PaymentMethod::Cash));
        assert_eq!(PaymentMethod::parse("paypal"), None);
    }
}
