//! The admin's flash-sale form as it is posted: start and length in minutes from now (which
//! keeps time zones out of it), every number as typed text.

use serde::{Deserialize, Serialize};

use super::rules::{FlashSaleError, NewFlashSale};
use crate::catalog::form::whole_number;

const MINUTE_MS: i64 = 60_000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleForm {
    pub product_id: i64,
    pub starts_in_minutes: String,
    pub duration_minutes: String,
    pub discount_percent: String,
    pub units_total: String,
    pub per_customer_limit: String,
}

impl ScheduleForm {
    /// The sale the form describes, seen at `now_ms` (not yet validated). A start in the past
    /// means now; minutes so large the dates overflow are outside the calendar.
    pub fn sale(&self, now_ms: i64) -> Result<NewFlashSale, String> {
        let out_of_calendar = || FlashSaleError::OutOfCalendar.to_string();
        let starts_in = whole_number("starts in", &self.starts_in_minutes)?.max(0);
        let duration = whole_number("duration", &self.duration_minutes)?;
        let starts_at_ms =
            starts_in.checked_mul(MINUTE_MS).and_then(|ms| now_ms.checked_add(ms)).ok_or_else(out_of_calendar)?;
        let ends_at_ms =
            duration.checked_mul(MINUTE_MS).and_then(|ms| starts_at_ms.checked_add(ms)).ok_or_else(out_of_calendar)?;
        Ok(NewFlashSale {
            product_id: self.product_id,
            starts_at_ms,
            ends_at_ms,
            discount_percent: whole_number("discount", &self.discount_percent)?,
            units_total: whole_number("units", &self.units_total)?,
            per_customer_limit: whole_number("per-customer limit", &self.per_customer_limit)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ScheduleForm {
        ScheduleForm {
            product_id: 3,
            starts_in_minutes: "-5".into(),
            duration_minutes: "60".into(),
            discount_percent: "20".into(),
            units_total: "50".into(),
            per_customer_limit: "2".into(),
        }
    }

    #[test]
    fn minutes_from_now_become_dates() {
        let sale = form().sale(1_000);
        assert_eq!(sale.as_ref().map(|s| (s.starts_at_ms, s.ends_at_ms)), Ok((1_000, 1_000 + 60 * MINUTE_MS)));
        assert_eq!(sale.map(|s| (s.discount_percent, s.units_total, s.per_customer_limit)), Ok((20, 50, 2)));
    }

    #[test]
    fn huge_minutes_are_refused_not_overflowed() {
        let huge = ScheduleForm { duration_minutes: i64::MAX.to_string(), ..form() };
        assert_eq!(huge.sale(1_000), Err(FlashSaleError::OutOfCalendar.to_string()));
        let late = ScheduleForm { starts_in_minutes: (i64::MAX / 2).to_string(), ..form() };
        assert_eq!(late.sale(1_000), Err(FlashSaleError::OutOfCalendar.to_string()));
    }

    #[test]
    fn each_mistake_names_its_field() {
        let bad = ScheduleForm { units_total: "ten".into(), ..form() };
        assert_eq!(bad.sale(0), Err("units must be a whole number".into()));
    }
}
