//! The return policy: which orders and units may be returned, what evidence a reason needs,
//! when a request goes to manual review, and when an item may be kept.
//!
//! - An order may be returned when it is paid and the window (`window_days`, 30) has not
//!   passed. The window counts from delivery; an order never marked delivered counts from the
//!   day it was placed. Whole days: a return on day 30 is still in time, on day 31 it is not.
//! - Per order line at most `max_item_quantity` (5) units, and never more than were bought
//!   minus the units in this line's other returns that are not rejected or cancelled.
//! - Some reasons require photos (`photo_required_for`); at most `max_photos` (20).
//! - A request is sent to manual review instead of being authorized at once when the customer
//!   made `review_after_returns` (5) or more returns in the last 90 days, or returned more than
//!   `review_above_returned_share` (50 %) of what they ordered in that time. The customer is not
//!   told why; the admin sees the reason.
//! - "Keep it": when every unit returned is worth at most `keep_it_max_unit_cents` and the
//!   customer never kept this product before, the refund is made without shipping it back.

use serde::{Deserialize, Serialize};

pub const DAY_MS: i64 = 86_400_000;

/// Why a customer returns something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Damaged,
    WrongItem,
    NotAsDescribed,
    NoLongerWanted,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 5] =
        [Self::Damaged, Self::WrongItem, Self::NotAsDescribed, Self::NoLongerWanted, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Damaged => "damaged",
            Self::WrongItem => "wrong_item",
            Self::NotAsDescribed => "not_as_described",
            Self::NoLongerWanted => "no_longer_wanted",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Damaged => "Damaged",
            Self::WrongItem => "Wrong item",
            Self::NotAsDescribed => "Not as described",
            Self::NoLongerWanted => "No longer wanted",
            Self::Other => "Other",
        }
    }

    /// The shop sent something broken or wrong: no restocking fee.
    pub fn is_shops_fault(self) -> bool {
        matches!(self, Self::Damaged | Self::WrongItem)
    }
}

/// When a refund is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundTiming {
    /// Once the parcel was received and inspected (the default).
    OnReceipt,
    /// As soon as the carrier has the parcel, for customers under the abuse limits.
    InTransit,
}

/// Whether shipping and import duty are refunded with the items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingRefund {
    /// Never: only the items are refunded.
    Never,
    /// For the shop's faults (damaged, wrong item): the returned units' share of the line's
    /// shipping and duty (the default).
    WhenShopsFault,
}

/// A bonus for choosing store credit or an exchange: `percent` of the refund plus
/// `fixed_cents`, at most `cap_cents`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bonus {
    pub percent: i64,
    pub fixed_cents: i64,
    pub cap_cents: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnPolicy {
    pub window_days: i64,
    pub max_item_quantity: i64,
    pub max_photos: usize,
    pub max_photo_bytes: u64,
    pub photo_required_for: Vec<Reason>,
    pub restocking_fee_percent: i64,
    pub shipping_refund: ShippingRefund,
    pub store_credit_bonus: Bonus,
    pub keep_it_max_unit_cents: i64,
    pub review_after_returns: i64,
    pub review_above_returned_share: f64,
    pub refund_timing: RefundTiming,
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        Self {
            window_days: 30,
            max_item_quantity: 5,
            max_photos: 20,
            max_photo_bytes: 10 * 1024 * 1024,
            photo_required_for: vec![Reason::Damaged, Reason::WrongItem],
            restocking_fee_percent: 10,
            shipping_refund: ShippingRefund::WhenShopsFault,
            store_credit_bonus: Bonus { percent: 10, fixed_cents: 0, cap_cents: 5_000 },
            keep_it_max_unit_cents: 1_000,
            review_after_returns: 5,
            review_above_returned_share: 0.5,
            refund_timing: RefundTiming::OnReceipt,
        }
    }
}

/// An order as the policy sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderFacts {
    pub paid: bool,
    pub ordered_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
    pub lines: Vec<LineFacts>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineFacts {
    pub order_line_id: i64,
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    /// Units of this line in returns that are not rejected or cancelled.
    pub claimed: i64,
}

/// Why an order cannot be returned, in the customer's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Ineligible {
    #[error("this order is not paid yet, so it cannot be returned")]
    NotPaid,
    #[error("the {days}-day return window for this order has passed")]
    WindowClosed { days: i64 },
    #[error("everything in this order is already returned or in a return")]
    NothingLeft,
}

/// A problem with the items or evidence of a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("choose at least one item to return")]
    NoItems,
    #[error("'{name}' is not part of this order")]
    UnknownLine { name: String },
    #[error("quantities must be whole numbers of at least 1")]
    BadQuantity,
    #[error("at most {max} units of '{name}' can be returned in one return")]
    OverPolicy { name: String, max: i64 },
    #[error("only {left} unit(s) of '{name}' can still be returned")]
    OverRemaining { name: String, left: i64 },
    #[error("all units of '{name}' are already returned or in a return")]
    NoneLeft { name: String },
    #[error("'{name}' is listed twice; list each item once")]
    Duplicate { name: String },
    #[error("please add at least one photo: the reason '{reason}' needs one")]
    PhotoRequired { reason: &'static str },
    #[error("at most {max} photos can be added to one return")]
    TooManyPhotos { max: usize },
    #[error("the details may be at most 2000 characters")]
    DetailsTooLong,
}

impl ReturnPolicy {
    /// When the return window of an order ends (the end of day `window_days`, counted from
    /// delivery, or from the order when it was never marked delivered).
    pub fn window_ends_at(&self, order: &OrderFacts) -> i64 {
        let start = order.delivered_at_ms.unwrap_or(order.ordered_at_ms);
        start.saturating_add(self.window_days.saturating_add(1).saturating_mul(DAY_MS))
    }

    /// Whether `order` can be returned at `now_ms`.
    pub fn eligibility(&self, order: &OrderFacts, now_ms: i64) -> Result<(), Ineligible> {
        if !order.paid {
            return Err(Ineligible::NotPaid);
        }
        if now_ms >= self.window_ends_at(order) {
            return Err(Ineligible::WindowClosed { days: self.window_days });
        }
        if order.lines.iter().all(|l| self.returnable(l) == 0) {
            return Err(Ineligible::NothingLeft);
        }
        Ok(())
    }

    /// Units of `line` that one new return may still take.
    pub fn returnable(&self, line: &LineFacts) -> i64 {
        line.quantity.saturating_sub(line.claimed).min(self.max_item_quantity).max(0)
    }

    /// Checks the requested (order line id, units) pairs against the order.
    pub fn check_items(&self, order: &OrderFacts, requested: &[(i64, i64)]) -> Result<(), RequestError> {
        if requested.is_empty() {
            return Err(RequestError::NoItems);
        }
        let mut seen: Vec<i64> = Vec::with_capacity(requested.len());
        for (line_id, units) in requested {
            let line = order
                .lines
                .iter()
                .find(|l| l.order_line_id == *line_id)
                .ok_or_else(|| RequestError::UnknownLine { name: format!("item {line_id}") })?;
            if seen.contains(line_id) {
                return Err(RequestError::Duplicate { name: line.name.clone() });
            }
            seen.push(*line_id);
            self.check_units(line, *units)?;
        }
        Ok(())
    }

    fn check_units(&self, line: &LineFacts, units: i64) -> Result<(), RequestError> {
        if units < 1 {
            return Err(RequestError::BadQuantity);
        }
        let left = line.quantity.saturating_sub(line.claimed).max(0);
        if left == 0 {
            return Err(RequestError::NoneLeft { name: line.name.clone() });
        }
        if units > self.max_item_quantity {
            return Err(RequestError::OverPolicy { name: line.name.clone(), max: self.max_item_quantity });
        }
        if units > left {
            return Err(RequestError::OverRemaining { name: line.name.clone(), left });
        }
        Ok(())
    }

    /// Whether `reason` needs a photo, and the photo count is within the limit.
    pub fn check_photos(&self, reason: Reason, photos: usize) -> Result<(), RequestError> {
        if photos > self.max_photos {
            return Err(RequestError::TooManyPhotos { max: self.max_photos });
        }
        if photos == 0 && self.photo_required_for.contains(&reason) {
            return Err(RequestError::PhotoRequired { reason: reason.label() });
        }
        Ok(())
    }

    pub fn check_details(&self, details: &str) -> Result<(), RequestError> {
        if details.chars().count() > 2000 {
            return Err(RequestError::DetailsTooLong);
        }
        Ok(())
    }

    /// Why a request must be reviewed by a person before it is authorized, if it must.
    pub fn review_reason(&self, history: &CustomerHistory) -> Option<String> {
        if history.returns_last_90_days >= self.review_after_returns {
            return Some(format!(
                "{} returns in the last 90 days (review from {})",
                history.returns_last_90_days, self.review_after_returns
            ));
        }
        if history.ordered_cents_last_90_days > 0 {
            let share = history.returned_cents_last_90_days as f64 / history.ordered_cents_last_90_days as f64;
            if share > self.review_above_returned_share {
                return Some(format!(
                    "returned {:.0} % of the value ordered in the last 90 days (review above {:.0} %)",
                    share * 100.0,
                    self.review_above_returned_share * 100.0
                ));
            }
        }
        None
    }

    /// "Keep it": every unit is worth at most the threshold and no product was kept before.
    pub fn keep_it(&self, items: &[KeepItItem]) -> bool {
        !items.is_empty() && items.iter().all(|i| i.unit_paid_cents <= self.keep_it_max_unit_cents && !i.kept_before)
    }

    /// Whether the refund is paid when the parcel is in transit (rather than after receipt).
    pub fn refunds_in_transit(&self, under_review: bool) -> bool {
        self.refund_timing == RefundTiming::InTransit && !under_review
    }
}

/// What the abuse limits look at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHistory {
    /// Returns requested in the last 90 days, not counting the new one.
    pub returns_last_90_days: i64,
    pub returned_cents_last_90_days: i64,
    pub ordered_cents_last_90_days: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepItItem {
    pub unit_paid_cents: i64,
    /// The customer already kept this product in an earlier return.
    pub kept_before: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_796_083_200_000; // 2026-12-01 00:00 UTC

    fn line(id: i64, quantity: i64, claimed: i64) -> LineFacts {
        LineFacts { order_line_id: id, product_id: id * 10, name: format!("Item {id}"), quantity, claimed }
    }

    fn order(delivered: Option<i64>) -> OrderFacts {
        OrderFacts {
            paid: true,
            ordered_at_ms: T0,
            delivered_at_ms: delivered,
            lines: vec![line(1, 3, 0), line(2, 8, 0)],
        }
    }

    #[test]
    fn details_are_at_most_2000_characters_counted_as_characters() {
        let p = ReturnPolicy::default();
        assert_eq!(p.check_details(&"é".repeat(2000)), Ok(()), "2000 two-byte characters");
        assert_eq!(p.check_details(""), Ok(()));
        assert_eq!(p.check_details(&"x".repeat(2001)), Err(RequestError::DetailsTooLong));
    }

    #[test]
    fn the_window_counts_from_delivery_or_else_from_the_order() {
        let p = ReturnPolicy::default();
        let delivered = order(Some(T0 + 5 * DAY_MS));
        assert_eq!(p.eligibility(&delivered, T0 + 35 * DAY_MS), Ok(()), "day 30 after delivery");
        assert_eq!(
            p.eligibility(&delivered, T0 + 36 * DAY_MS),
            Err(Ineligible::WindowClosed { days: 30 }),
            "day 31 after delivery"
        );
        let never_delivered = order(None);
        assert_eq!(p.eligibility(&never_delivered, T0 + 30 * DAY_MS + DAY_MS - 1), Ok(()));
        assert_eq!(p.eligibility(&never_delivered, T0 + 31 * DAY_MS), Err(Ineligible::WindowClosed { days: 30 }));
    }

    #[test]
    fn only_paid_orders_with_units_left_are_returnable() {
        let p = ReturnPolicy::default();
        let unpaid = OrderFacts { paid: false, ..order(None) };
        assert_eq!(p.eligibility(&unpaid, T0), Err(Ineligible::NotPaid));
        let all_claimed = OrderFacts { lines: vec![line(1, 3, 3), line(2, 8, 8)], ..order(None) };
        assert_eq!(p.eligibility(&all_claimed, T0), Err(Ineligible::NothingLeft));
        assert_eq!(Ineligible::NothingLeft.to_string(), "everything in this order is already returned or in a return");
    }

    #[test]
    fn units_are_bounded_by_policy_and_by_what_is_left() {
        let p = ReturnPolicy::default();
        assert_eq!(p.returnable(&line(1, 8, 0)), 5, "policy maximum");
        assert_eq!(p.returnable(&line(1, 8, 6)), 2, "bought minus claimed");
        assert_eq!(p.returnable(&line(1, 3, 5)), 0, "never negative");
        let o = OrderFacts { lines: vec![line(1, 3, 1), line(2, 8, 0), line(3, 2, 2)], ..order(None) };
        assert_eq!(p.check_items(&o, &[(1, 2), (2, 5)]), Ok(()));
        assert_eq!(p.check_items(&o, &[]), Err(RequestError::NoItems));
        assert_eq!(p.check_items(&o, &[(2, 6)]), Err(RequestError::OverPolicy { name: "Item 2".into(), max: 5 }));
        assert_eq!(p.check_items(&o, &[(1, 3)]), Err(RequestError::OverRemaining { name: "Item 1".into(), left: 2 }));
        assert_eq!(p.check_items(&o, &[(3, 1)]), Err(RequestError::NoneLeft { name: "Item 3".into() }));
        assert_eq!(p.check_items(&o, &[(1, 0)]), Err(RequestError::BadQuantity));
        assert_eq!(p.check_items(&o, &[(9, 1)]), Err(RequestError::UnknownLine { name: "item 9".into() }));
        assert_eq!(p.check_items(&o, &[(1, 1), (1, 1)]), Err(RequestError::Duplicate { name: "Item 1".into() }));
        assert_eq!(
            RequestError::OverRemaining { name: "Lamp".into(), left: 1 }.to_string(),
            "only 1 unit(s) of 'Lamp' can still be returned"
        );
    }

    #[test]
    fn some_reasons_need_photos_and_photos_are_limited() {
        let p = ReturnPolicy::default();
        assert_eq!(p.check_photos(Reason::Damaged, 0), Err(RequestError::PhotoRequired { reason: "Damaged" }));
        assert_eq!(p.check_photos(Reason::Damaged, 1), Ok(()));
        assert_eq!(p.check_photos(Reason::NoLongerWanted, 0), Ok(()));
        assert_eq!(p.check_photos(Reason::Other, 21), Err(RequestError::TooManyPhotos { max: 20 }));
        assert_eq!(p.check_photos(Reason::Other, 20), Ok(()));
    }

    #[test]
    fn heavy_returners_go_to_manual_review() {
        let p = ReturnPolicy::default();
        let honest = CustomerHistory {
            returns_last_90_days: 1,
            returned_cents_last_90_days: 1_000,
            ordered_cents_last_90_days: 10_000,
        };
        assert_eq!(p.review_reason(&honest), None);
        let frequent = CustomerHistory { returns_last_90_days: 5, ..honest };
        assert_eq!(p.review_reason(&frequent).as_deref(), Some("5 returns in the last 90 days (review from 5)"));
        let big_share = CustomerHistory { returned_cents_last_90_days: 6_000, ..honest };
        assert_eq!(
            p.review_reason(&big_share).as_deref(),
            Some("returned 60 % of the value ordered in the last 90 days (review above 50 %)")
        );
        assert!(p.refunds_in_transit(false) == (p.refund_timing == RefundTiming::InTransit));
        let early = ReturnPolicy { refund_timing: RefundTiming::InTransit, ..ReturnPolicy::default() };
        assert!(early.refunds_in_transit(false) && !early.refunds_in_transit(true));
    }

    #[test]
    fn cheap_items_may_be_kept_once_per_product() {
        let p = ReturnPolicy::default();
        assert!(p.keep_it(&[KeepItItem { unit_paid_cents: 999, kept_before: false }]));
        assert!(!p.keep_it(&[KeepItItem { unit_paid_cents: 1_001, kept_before: false }]));
        assert!(!p.keep_it(&[KeepItItem { unit_paid_cents: 500, kept_before: true }]));
        assert!(!p.keep_it(&[]));
    }

    #[test]
    fn reasons_round_trip() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
        }
        assert_eq!(Reason::parse("broken"), None);
        assert!(Reason::Damaged.is_shops_fault() && !Reason::NotAsDescribed.is_shops_fault());
    }
}
