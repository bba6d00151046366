//! Inspection and approval of a received return, item by item.
//!
//! - Each item gets a condition (as received) and a disposition: restock (back on sale),
//!   refurbish, scrap, or return to the vendor. Only restocked units go back into stock.
//! - Approval is per item: any number of units from 0 to the units requested. A return with
//!   no unit approved is rejected instead (with a reason), never "approved for nothing".

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Unopened, as sold.
    New,
    /// Opened, no sign of use.
    LikeNew,
    Used,
    Damaged,
}

impl Condition {
    pub const ALL: [Condition; 4] = [Self::New, Self::LikeNew, Self::Used, Self::Damaged];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::LikeNew => "like_new",
            Self::Used => "used",
            Self::Damaged => "damaged",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::New => "New, unopened",
            Self::LikeNew => "Like new",
            Self::Used => "Used",
            Self::Damaged => "Damaged",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Restock,
    Refurbish,
    Scrap,
    ReturnToVendor,
}

impl Disposition {
    pub const ALL: [Disposition; 4] = [Self::Restock, Self::Refurbish, Self::Scrap, Self::ReturnToVendor];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restock => "restock",
            Self::Refurbish => "refurbish",
            Self::Scrap => "scrap",
            Self::ReturnToVendor => "return_to_vendor",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Restock => "Restock",
            Self::Refurbish => "Refurbish",
            Self::Scrap => "Scrap",
            Self::ReturnToVendor => "Return to vendor",
        }
    }

    /// Units with this disposition go back into sellable stock.
    pub fn restores_stock(self) -> bool {
        self == Self::Restock
    }
}

/// The units of an item that go back into stock.
pub fn units_to_restock(disposition: Disposition, units: i64) -> i64 {
    if disposition.restores_stock() {
        units.max(0)
    } else {
        0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("every item of the return needs a result: '{name}' has none")]
    MissingItem { name: String },
    #[error("'{name}' is not part of this return")]
    UnknownItem { name: String },
    #[error("at most {requested} unit(s) of '{name}' can be approved: that is what was returned")]
    OverRequested { name: String, requested: i64 },
    #[error("approved units cannot be negative")]
    Negative,
    #[error("no unit is approved: reject the return instead, with a reason")]
    NothingApproved,
}

/// An item of the return as the reviewer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewedItem {
    pub item_id: i64,
    pub name: String,
    pub requested: i64,
}

/// Checks that `decided` (item id, value) names every item of `items`, with a value the
/// item allows: `units` approved from 0 to what was requested. Used for inspection (units
/// ignored: every item needs a result) and for approval (units checked).
pub fn check_review(items: &[ReviewedItem], decided: &[(i64, i64)], approving: bool) -> Result<(), ReviewError> {
    for (id, _) in decided {
        if !items.iter().any(|i| i.item_id == *id) {
            return Err(ReviewError::UnknownItem { name: format!("item {id}") });
        }
    }
    let mut approved_total = 0i64;
    for item in items {
        let Some((_, units)) = decided.iter().find(|(id, _)| *id == item.item_id) else {
            return Err(ReviewError::MissingItem { name: item.name.clone() });
        };
        if !approving {
            continue;
        }
        if *units < 0 {
            return Err(ReviewError::Negative);
        }
        if *units > item.requested {
            return Err(ReviewError::OverRequested { name: item.name.clone(), requested: item.requested });
        }
        approved_total = approved_total.saturating_add(*units);
    }
    if approving && approved_total == 0 {
        return Err(ReviewError::NothingApproved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<ReviewedItem> {
        vec![
            ReviewedItem { item_id: 1, name: "Lamp".into(), requested: 2 },
            ReviewedItem { item_id: 2, name: "Mug".into(), requested: 1 },
        ]
    }

    #[test]
    fn only_restocked_units_go_back_into_stock() {
        assert_eq!(units_to_restock(Disposition::Restock, 2), 2);
        for d in [Disposition::Refurbish, Disposition::Scrap, Disposition::ReturnToVendor] {
            assert_eq!(units_to_restock(d, 2), 0, "{d:?}");
        }
        assert_eq!(units_to_restock(Disposition::Restock, -1), 0);
    }

    #[test]
    fn partial_approval_is_bounded_per_item() {
        assert_eq!(check_review(&items(), &[(1, 1), (2, 0)], true), Ok(()));
        assert_eq!(check_review(&items(), &[(1, 2), (2, 1)], true), Ok(()));
        assert_eq!(
            check_review(&items(), &[(1, 3), (2, 0)], true),
            Err(ReviewError::OverRequested { name: "Lamp".into(), requested: 2 })
        );
        assert_eq!(check_review(&items(), &[(1, -1), (2, 0)], true), Err(ReviewError::Negative));
        assert_eq!(check_review(&items(), &[(1, 0), (2, 0)], true), Err(ReviewError::NothingApproved));
    }

    #[test]
    fn every_item_is_decided() {
        assert_eq!(check_review(&items(), &[(1, 1)], true), Err(ReviewError::MissingItem { name: "Mug".into() }));
        assert_eq!(
            check_review(&items(), &[(1, 1), (2, 1), (9, 1)], false),
            Err(ReviewError::UnknownItem { name: "item 9".into() })
        );
        assert_eq!(check_review(&items(), &[(1, 0), (2, 0)], false), Ok(()), "inspection ignores units");
    }

    #[test]
    fn names_round_trip() {
        for c in Condition::ALL {
            assert_eq!(Condition::parse(c.as_str()), Some(c));
        }
        for d in Disposition::ALL {
            assert_eq!(Disposition::parse(d.as_str()), Some(d));
        }
        assert_eq!(Disposition::parse("burn"), None);
    }
}
