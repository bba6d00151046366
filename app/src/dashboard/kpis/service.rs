//! The KPI report of a quarter, from the database, with days in the shop's zone.

use domain::kpi::{
    cycle_time, daily_series_counted, refund_success_rate, revenue_retained, rma_rate, top_return_reasons, Quarter,
    ReturnedLine,
};

use super::model::{KpiPanelData, KpiReport};
use super::store;
use super::zone::ShopZone;
use crate::accounts::guard::Admin;
use crate::platform::{now_ms, AppError, AppState, Db};

/// Years a quarter may be asked for.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;
/// How far back the selector goes: eight quarters before the current one at most.
const SELECTABLE_BACK: usize = 8;
/// Products listed with their reasons, and reasons listed per product.
const TOP_PRODUCTS: usize = 10;
const REASONS_PER_PRODUCT: usize = 3;

pub async fn report(state: &AppState, _admin: &Admin, quarter: Option<&str>) -> Result<KpiReport, AppError> {
    report_at(&state.db, &state.shop_zone, quarter, now_ms()).await
}

pub async fn panel(state: &AppState, admin: &Admin, quarter: Option<&str>) -> Result<KpiPanelData, AppError> {
    Ok(super::present::panel(&report(state, admin, quarter).await?))
}

/// The requested quarter (`2026-Q4`), or the one holding `now` when none is asked for.
pub fn selected_quarter(requested: Option<&str>, zone: &ShopZone, now: i64) -> Result<Quarter, AppError> {
    match requested.map(str::trim).filter(|q| !q.is_empty()) {
        None => Ok(Quarter::containing(zone, now)),
        Some(text) => Quarter::parse_key(text).filter(|q| YEARS.contains(&q.year())).ok_or_else(|| {
            let shown: String = text.chars().take(40).collect();
            AppError::Invalid(format!(
                "quarter: '{shown}' is not a quarter such as 2026-Q4 (a year from {} to {}, then Q1 to Q4)",
                YEARS.start(),
                YEARS.end()
            ))
        }),
    }
}

/// The quarters the selector offers: the first order's to the current one (at most
/// `SELECTABLE_BACK` back), and the selected one wherever it is.
pub fn selectable(first_order_at: Option<i64>, selected: Quarter, zone: &ShopZone, now: i64) -> Vec<Quarter> {
    let current = Quarter::containing(zone, now);
    let floor = (0..SELECTABLE_BACK).fold(current, |q, _| q.previous().unwrap_or(q));
    let first = first_order_at.map_or(current, |at| Quarter::containing(zone, at)).clamp(floor, current);
    let mut list = Quarter::range(first, current);
    if !list.contains(&selected) {
        list.push(selected);
        list.sort();
    }
    list
}

/// The report for the quarter asked for, as of `now`.
pub async fn report_at(db: &Db, zone: &ShopZone, requested: Option<&str>, now: i64) -> Result<KpiReport, AppError> {
    let quarter = selected_quarter(requested, zone, now)?;
    let period = quarter.period(zone);
    let (start, end) = (period.start_ms, period.end_ms);
    let (order_slots, refund_slots, requests, resolutions, refunds, lines, first_order) = tokio::try_join!(
        store::order_slots(db, start, end),
        store::refund_slots(db, start, end),
        store::return_requests(db, start, end),
        store::resolutions(db, start, end),
        store::refund_totals(db, start, end),
        store::returned_lines(db, start, end),
        store::first_order_at(db),
    )?;
    let orders = daily_series_counted(zone, &period, now, order_slots);
    let completed = u64::try_from(refunds.completed).unwrap_or(0);
    let failed = u64::try_from(refunds.failed).unwrap_or(0);
    let returned = lines.iter().flat_map(|l| {
        let line = ReturnedLine { product_id: l.product_id, product_name: &l.product_name, reason: &l.reason };
        std::iter::repeat_n(line, usize::try_from(l.n).unwrap_or(0))
    });
    let mut top = top_return_reasons(returned, REASONS_PER_PRODUCT);
    top.truncate(TOP_PRODUCTS);
    Ok(KpiReport {
        quarter,
        label: quarter.label(),
        timezone: zone.name().to_owned(),
        start_ms: start,
        end_ms: end,
        generated_at_ms: now,
        rma_rate: rma_rate(requests, orders.total),
        orders,
        refunds: daily_series_counted(zone, &period, now, refund_slots),
        return_requests: requests,
        cycle_time: cycle_time(resolutions),
        refunds_completed: completed,
        refunds_failed: failed,
        refund_success_rate: refund_success_rate(completed, failed),
        revenue_retained: revenue_retained(refunds.exchange_cents, refunds.store_credit_cents, refunds.refunded_cents),
        top_return_reasons: top,
        quarters: selectable(first_order, quarter, zone, now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(year: i32, n: u8) -> Quarter {
        Quarter::new(year, n).unwrap()
    }

    /// 21 November 2026, 12:00 UTC.
    const NOW: i64 = 1_795_262_400_000;

    #[test]
    fn the_current_quarter_unless_one_is_asked_for() {
        let utc = ShopZone::utc();
        assert_eq!(selected_quarter(None, &utc, NOW).unwrap(), q(2026, 4));
        assert_eq!(selected_quarter(Some("  "), &utc, NOW).unwrap(), q(2026, 4));
        assert_eq!(selected_quarter(Some("2025-Q2"), &utc, NOW).unwrap(), q(2025, 2));
    }

    #[test]
    fn a_bad_quarter_is_refused_with_the_expected_form() {
        for bad in ["2026-Q5", "Q4", "1969-Q4", "10000-Q1", "2026-q4"] {
            let err = selected_quarter(Some(bad), &ShopZone::utc(), NOW).unwrap_err();
            assert!(matches!(&err, AppError::Invalid(m) if m.contains(bad) && m.contains("2026-Q4")), "{bad}: {err}");
        }
    }

    #[test]
    fn the_selector_runs_from_the_first_order_to_now_at_most_two_years() {
        let utc = ShopZone::utc();
        let may_2026 = 1_778_000_000_000;
        assert_eq!(selectable(Some(may_2026), q(2026, 4), &utc, NOW), vec![q(2026, 2), q(2026, 3), q(2026, 4)]);
        assert_eq!(selectable(None, q(2026, 4), &utc, NOW), vec![q(2026, 4)]);
        assert_eq!(selectable(Some(0), q(2026, 4), &utc, NOW).len(), 9, "eight back and the current one");
        assert_eq!(
            selectable(None, q(2030, 1), &utc, NOW),
            vec![q(2026, 4), q(2030, 1)],
            "an asked-for quarter is listed"
        );
    }
}
