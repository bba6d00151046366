//! What the orders console and the order page's progress show (both targets).

use serde::{Deserialize, Serialize};

/// Where an order is on its way to the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Placed, not shipped yet.
    Processing,
    Shipped,
    Delivered,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Processing, Self::Shipped, Self::Delivered].into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Processing => "Processing",
            Self::Shipped => "Shipped",
            Self::Delivered => "Delivered",
        }
    }
}

/// The customer-visible progress of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderProgress {
    pub order_id: i64,
    pub stage: Stage,
    pub placed_at_ms: i64,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
    pub shipped_at_ms: Option<i64>,
    pub delivered_at_ms: Option<i64>,
}

/// An order in the admin console's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleOrder {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    /// The payment status (`domain::orders::OrderStatus` as text).
    pub status: String,
    pub payment_method: String,
    pub total_cents: i64,
    pub item_count: i64,
    pub created_at_ms: i64,
    pub progress: OrderProgress,
}

/// The console's filters: payment status, fulfilment stage, and a search by order id or
/// username.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleFilter {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub stage: Option<Stage>,
    #[serde(default)]
    pub q: Option<String>,
}

/// One order in the console's detail view: what the list shows plus the order's lines,
/// totals and payment (the receipt's data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleOrderDetail {
    pub summary: ConsoleOrder,
    pub order: domain::orders::Order,
}

/// Whether an order may be shipped: paid, or cash to be paid on delivery.
pub fn may_ship(status: &str) -> bool {
    matches!(status, "paid" | "cash_on_delivery")
}

/// What the admin can do to an order now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleAction {
    Ship,
    Deliver,
}

/// The console's valid actions for an order: ship a paid (or cash) order not shipped yet,
/// deliver a shipped one.
pub fn console_actions(status: &str, stage: Stage) -> Vec<ConsoleAction> {
    match stage {
        Stage::Processing if may_ship(status) => vec![ConsoleAction::Ship],
        Stage::Shipped => vec![ConsoleAction::Deliver],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paid_or_cash_orders_ship() {
        assert!(may_ship("paid") && may_ship("cash_on_delivery"));
        assert!(!may_ship("payment_pending") && !may_ship("declined") && !may_ship("payment_failed"));
        assert_eq!(Stage::parse("shipped"), Some(Stage::Shipped));
        assert_eq!(Stage::parse("lost"), None);
    }

    #[test]
    fn the_console_offers_exactly_the_next_step() {
        assert_eq!(console_actions("paid", Stage::Processing), vec![ConsoleAction::Ship]);
        assert_eq!(console_actions("cash_on_delivery", Stage::Processing), vec![ConsoleAction::Ship]);
        assert_eq!(console_actions("payment_pending", Stage::Processing), vec![]);
        assert_eq!(console_actions("cash_on_delivery", Stage::Shipped), vec![ConsoleAction::Deliver]);
        assert_eq!(console_actions("paid", Stage::Delivered), vec![]);
    }
}
