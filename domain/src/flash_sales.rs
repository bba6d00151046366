//! Flash-sale rules: scheduling validity, overlap, and how many units a customer may buy.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashSale {
    pub id: i64,
    pub product_id: i64,
    /// Unix milliseconds, UTC; the sale runs in [starts_at_ms, ends_at_ms).
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub discount_percent: i64,
    pub units_total: i64,
    pub units_sold: i64,
    pub per_customer_limit: i64,
}

/// A sale an admin wants to schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFlashSale {
    pub product_id: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub discount_percent: i64,
    pub units_total: i64,
    pub per_customer_limit: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlashSaleError {
    #[error("the sale must end after it starts")]
    EndsBeforeStart,
    #[error("the sale must end in the future")]
    AlreadyOver,
    #[error("discount must be between 1 and 99 percent")]
    BadDiscount,
    #[error("units must be from 1 to {MAX_SALE_UNITS}")]
    NoUnits,
    #[error("the sale must start and end between 2000-01-01 and 2100-01-01 (UTC)")]
    OutOfCalendar,
    #[error("the per-customer limit must be from 1 to the units for the sale")]
    BadLimit,
    #[error("this product already has a flash sale in that time")]
    Overlaps,
    #[error("the flash sale is sold out")]
    SoldOut,
    #[error("the flash sale allows {allowed} more unit(s) for you")]
    OverCustomerLimit { allowed: i64 },
}

/// Sales are scheduled within this window of Unix milliseconds (2000-01-01 to 2100-01-01 UTC),
/// which keeps every date sum and difference far from overflow.
pub const CALENDAR_MS: std::ops::Range<i64> = 946_684_800_000..4_102_444_800_000;
pub const MAX_SALE_UNITS: i64 = 10_000_000;

pub fn validate_new(sale: &NewFlashSale, now_ms: i64) -> Result<(), FlashSaleError> {
    if !CALENDAR_MS.contains(&sale.starts_at_ms) || !CALENDAR_MS.contains(&sale.ends_at_ms) {
        return Err(FlashSaleError::OutOfCalendar);
    }
    if sale.ends_at_ms <= sale.starts_at_ms {
        return Err(FlashSaleError::EndsBeforeStart);
    }
    if sale.ends_at_ms <= now_ms {
        return Err(FlashSaleError::AlreadyOver);
    }
    if !(1..=99).contains(&sale.discount_percent) {
        return Err(FlashSaleError::BadDiscount);
    }
    if !(1..=MAX_SALE_UNITS).contains(&sale.units_total) {
        return Err(FlashSaleError::NoUnits);
    }
    if !(1..=sale.units_total).contains(&sale.per_customer_limit) {
        return Err(FlashSaleError::BadLimit);
    }
    Ok(())
}

/// Two half-open intervals overlap when each starts before the other ends.
pub fn overlaps(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

impl FlashSale {
    pub fn is_running(&self, now_ms: i64) -> bool {
        self.starts_at_ms <= now_ms && now_ms < self.ends_at_ms
    }

    pub fn units_left(&self) -> i64 {
        (self.units_total - self.units_sold).max(0)
    }

    /// Units this customer may still buy at the sale price, having bought `already_bought`.
    pub fn allowance(&self, already_bought: i64) -> i64 {
        (self.per_customer_limit - already_bought).min(self.units_left()).max(0)
    }

    /// Whether this sale beats a catalogue discount (the best discount wins, never both).
    pub fn beats(&self, catalogue_discount_percent: i64) -> bool {
        crate::pricing::best_discount(catalogue_discount_percent, Some(self.discount_percent))
            > catalogue_discount_percent
    }

    pub fn sale_price_cents(&self, price_cents: i64) -> i64 {
        crate::pricing::discounted_cents(price_cents, self.discount_percent)
    }

    /// Checks that `quantity` more units may be sold to a customer who already bought
    /// `already_bought` in this sale. The database enforces the same limits atomically.
    pub fn check_purchase(&self, quantity: i64, already_bought: i64) -> Result<(), FlashSaleError> {
        if self.units_left() == 0 {
            return Err(FlashSaleError::SoldOut);
        }
        let allowed = self.allowance(already_bought);
        if quantity > allowed {
            return Err(FlashSaleError::OverCustomerLimit { allowed });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    /// 2026-12-01 00:00 UTC.
    const DAY0: i64 = 1_796_083_200_000;

    fn new_sale() -> NewFlashSale {
        NewFlashSale {
            product_id: 1,
            starts_at_ms: DAY0 + 10 * HOUR,
            ends_at_ms: DAY0 + 12 * HOUR,
            discount_percent: 25,
            units_total: 10,
            per_customer_limit: 2,
        }
    }

    fn running(sold: i64) -> FlashSale {
        FlashSale {
            id: 1,
            product_id: 1,
            starts_at_ms: 0,
            ends_at_ms: HOUR,
            discount_percent: 25,
            units_total: 10,
            units_sold: sold,
            per_customer_limit: 2,
        }
    }

    #[test]
    fn a_well_formed_sale_is_accepted() {
        assert_eq!(validate_new(&new_sale(), DAY0 + 9 * HOUR), Ok(()));
        assert_eq!(validate_new(&new_sale(), DAY0 + 11 * HOUR), Ok(()), "may be scheduled while running");
    }

    #[test]
    fn malformed_sales_are_refused() {
        let now = DAY0;
        assert_eq!(
            validate_new(&NewFlashSale { ends_at_ms: DAY0 + 10 * HOUR, ..new_sale() }, now),
            Err(FlashSaleError::EndsBeforeStart)
        );
        assert_eq!(validate_new(&new_sale(), DAY0 + 12 * HOUR), Err(FlashSaleError::AlreadyOver));
        assert_eq!(
            validate_new(&NewFlashSale { discount_percent: 0, ..new_sale() }, now),
            Err(FlashSaleError::BadDiscount)
        );
        assert_eq!(
            validate_new(&NewFlashSale { discount_percent: 100, ..new_sale() }, now),
            Err(FlashSaleError::BadDiscount)
        );
        assert_eq!(validate_new(&NewFlashSale { units_total: 0, ..new_sale() }, now), Err(FlashSaleError::NoUnits));
        assert_eq!(
            validate_new(&NewFlashSale { units_total: i64::MAX, ..new_sale() }, now),
            Err(FlashSaleError::NoUnits)
        );
        assert_eq!(
            validate_new(&NewFlashSale { ends_at_ms: i64::MAX, ..new_sale() }, now),
            Err(FlashSaleError::OutOfCalendar)
        );
        assert_eq!(
            validate_new(&NewFlashSale { starts_at_ms: i64::MIN, ..new_sale() }, now),
            Err(FlashSaleError::OutOfCalendar)
        );
        assert_eq!(
            validate_new(&NewFlashSale { per_customer_limit: 11, ..new_sale() }, now),
            Err(FlashSaleError::BadLimit)
        );
        assert_eq!(
            validate_new(&NewFlashSale { per_customer_limit: 0, ..new_sale() }, now),
            Err(FlashSaleError::BadLimit)
        );
    }

    #[test]
    fn overlap_is_half_open() {
        assert!(overlaps((0, 10), (5, 15)));
        assert!(overlaps((5, 15), (0, 10)));
        assert!(overlaps((0, 10), (2, 3)));
        assert!(!overlaps((0, 10), (10, 20)), "back-to-back sales do not overlap");
        assert!(!overlaps((10, 20), (0, 10)));
    }

    #[test]
    fn running_window_and_sale_price() {
        let sale = running(0);
        assert!(sale.is_running(0));
        assert!(!sale.is_running(HOUR));
        assert_eq!(sale.sale_price_cents(120_000), 90_000);
    }

    #[test]
    fn purchases_respect_units_and_the_per_customer_limit() {
        assert_eq!(running(0).check_purchase(2, 0), Ok(()));
        assert_eq!(running(0).check_purchase(3, 0), Err(FlashSaleError::OverCustomerLimit { allowed: 2 }));
        assert_eq!(running(0).check_purchase(1, 2), Err(FlashSaleError::OverCustomerLimit { allowed: 0 }));
        assert_eq!(running(9).check_purchase(2, 0), Err(FlashSaleError::OverCustomerLimit { allowed: 1 }));
        assert_eq!(running(10).check_purchase(1, 0), Err(FlashSaleError::SoldOut));
    }
}
