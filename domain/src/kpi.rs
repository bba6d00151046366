//! Business KPIs for a period: daily series of orders and refunds, rates and the returns
//! figures. The server counts rows; these functions turn them into what the dashboard shows.
//! Days are local calendar days in the shop's zone (see [`crate::tz`]).
//!
//! - Quarter Qn of a year runs from local midnight on the first of January, April, July or
//!   October to the next quarter's start, end exclusive: [start, end) in UTC ms. Its key is
//!   `2026-Q1`, its label `Q1 2026`. The selected quarter is the requested key when it reads
//!   as one, else the quarter holding now.
//! - Daily series: each event in [start, end) counts on its local date. One point per day
//!   from the first day through the last, or through today while the period is still running
//!   (days that have not begun have no point, days without events are 0); events dated after
//!   today are not counted (the clock is the caller's). Total = sum of the points; peak = the
//!   day with the most events, the earliest on ties, none while the total is 0; mean per day =
//!   total / number of points (zero days included), none before the period begins.
//! - RMA rate = return requests / orders of the period; none without orders. It is not capped
//!   at 1: returns of last quarter's orders count in this one.
//! - RMA cycle time = mean and median of (closed − requested) over the requests closed;
//!   a pair closing before it was requested is bad data and left out; none when no request
//!   is closed. The median of an even count is the mean of the middle two, rounded down.
//! - Refund success rate = completed / (completed + failed) over refunds that reached an
//!   outcome (pending ones are not counted); none without outcomes.
//! - Revenue retained by returns = value given as exchanges + as store credit, set against the
//!   money refunded: retained share = retained / (retained + refunded), none when both are 0.
//!   Amounts are integer cents; negative amounts count as 0 and sums saturate.
//! - Top return reasons per product: returned lines grouped by product; products by number of
//!   returned lines (most first, ties by name, then id), each with its reasons (most first,
//!   ties by reason), at most `per_product` reasons listed; the product's total counts all.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tz::{local_date, start_of_day, Date, TimeZone};

/// A quarter of a year, Q1 to Q4. Serialized as its key, `2026-Q1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Quarter {
    year: i32,
    number: u8,
}

impl Quarter {
    pub fn new(year: i32, number: u8) -> Option<Quarter> {
        (1..=4).contains(&number).then_some(Quarter { year, number })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 to 4.
    pub fn number(self) -> u8 {
        self.number
    }

    pub fn containing_date(date: Date) -> Quarter {
        Quarter { year: date.year(), number: (date.month().saturating_sub(1) / 3).saturating_add(1) }
    }

    /// The quarter holding the instant, in the zone.
    pub fn containing<Z: TimeZone + ?Sized>(tz: &Z, utc_ms: i64) -> Quarter {
        Quarter::containing_date(local_date(tz, utc_ms))
    }

    pub fn first_day(self) -> Date {
        Date::ymd(self.year, self.number.saturating_mul(3).saturating_sub(2), 1)
    }

    pub fn last_day(self) -> Date {
        let month = self.number.saturating_mul(3);
        Date::ymd(self.year, month, crate::tz::days_in_month(self.year, month))
    }

    /// Days in the quarter: 90 to 92.
    pub fn days(self) -> i64 {
        self.first_day().days_until(self.last_day()).saturating_add(1)
    }

    pub fn next(self) -> Option<Quarter> {
        if self.number == 4 {
            Some(Quarter { year: self.year.checked_add(1)?, number: 1 })
        } else {
            Some(Quarter { year: self.year, number: self.number.saturating_add(1) })
        }
    }

    pub fn previous(self) -> Option<Quarter> {
        if self.number == 1 {
            Some(Quarter { year: self.year.checked_sub(1)?, number: 4 })
        } else {
            Some(Quarter { year: self.year, number: self.number.saturating_sub(1) })
        }
    }

    /// [start, end) in UTC ms: local midnight of the first day to the next quarter's.
    pub fn bounds<Z: TimeZone + ?Sized>(self, tz: &Z) -> (i64, i64) {
        let start = start_of_day(tz, self.first_day());
        let end = self.last_day().next_day().map_or(i64::MAX, |next| start_of_day(tz, next));
        (start, end)
    }

    pub fn period<Z: TimeZone + ?Sized>(self, tz: &Z) -> Period {
        let (start_ms, end_ms) = self.bounds(tz);
        Period { start_ms, end_ms, first_day: self.first_day(), last_day: self.last_day() }
    }

    /// `2026-Q1`.
    pub fn key(self) -> String {
        self.to_string()
    }

    /// `Q1 2026`.
    pub fn label(self) -> String {
        format!("Q{} {}", self.number, self.year)
    }

    /// Reads a key, `2026-Q1`.
    pub fn parse_key(text: &str) -> Option<Quarter> {
        let (year, number) = text.trim().rsplit_once("-Q")?;
        if number.len() != 1 || year.trim_start_matches('-').len() < 4 {
            return None;
        }
        Quarter::new(year.parse().ok()?, number.parse().ok()?)
    }

    /// The quarters from `first` to `last`, both included (empty when `last` is earlier).
    pub fn range(first: Quarter, last: Quarter) -> Vec<Quarter> {
        std::iter::successors(Some(first), |q| q.next()).take_while(|q| *q <= last).collect()
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.number)
    }
}

impl From<Quarter> for String {
    fn from(q: Quarter) -> String {
        q.key()
    }
}

impl TryFrom<String> for Quarter {
    type Error = String;

    fn try_from(text: String) -> Result<Quarter, String> {
        Quarter::parse_key(&text).ok_or_else(|| format!("not a quarter key like 2026-Q1: {text}"))
    }
}

/// The requested quarter when `requested` reads as a key, else the one holding `now_ms`.
pub fn select_quarter<Z: TimeZone + ?Sized>(requested: Option<&str>, now_ms: i64, tz: &Z) -> Quarter {
    requested.and_then(Quarter::parse_key).unwrap_or_else(|| Quarter::containing(tz, now_ms))
}

/// A run of local days and the UTC instants they span, [start, end).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start_ms: i64,
    pub end_ms: i64,
    pub first_day: Date,
    pub last_day: Date,
}

/// The longest period [`Period::days`] builds: ten years of days.
pub const MAX_PERIOD_DAYS: i64 = 3_660;

impl Period {
    /// The local days `first_day` through `last_day`; `None` when `last_day` is earlier or the
    /// run is longer than [`MAX_PERIOD_DAYS`].
    pub fn days<Z: TimeZone + ?Sized>(tz: &Z, first_day: Date, last_day: Date) -> Option<Period> {
        let span = first_day.days_until(last_day);
        if !(0..MAX_PERIOD_DAYS).contains(&span) {
            return None;
        }
        let start_ms = start_of_day(tz, first_day);
        let end_ms = last_day.next_day().map_or(i64::MAX, |next| start_of_day(tz, next));
        Some(Period { start_ms, end_ms, first_day, last_day })
    }

    pub fn contains(&self, utc_ms: i64) -> bool {
        (self.start_ms..self.end_ms).contains(&utc_ms)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    pub date: Date,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailySeries {
    pub points: Vec<DayCount>,
    pub total: u64,
    pub peak: Option<DayCount>,
    pub mean_per_day: Option<f64>,
}

/// Events (UTC ms) per local day of `period`, up to today (see the module notes).
pub fn daily_series<Z: TimeZone + ?Sized>(
    tz: &Z,
    period: &Period,
    now_ms: i64,
    events: impl IntoIterator<Item = i64>,
) -> DailySeries {
    daily_series_counted(tz, period, now_ms, events.into_iter().map(|at| (at, 1)))
}

/// Width of the slots [`slot_start`] cuts time into: 15 minutes. Every UTC offset in use since
/// 1972 is a whole number of quarter hours, so a local midnight always starts a slot and all
/// of a slot's events fall on one local day.
pub const SLOT_MS: i64 = 900_000;

/// The start of the slot holding `utc_ms` (a database can group events by it:
/// `created_at / 900000`, times [`SLOT_MS`]).
pub fn slot_start(utc_ms: i64) -> i64 {
    utc_ms.div_euclid(SLOT_MS).saturating_mul(SLOT_MS)
}

/// [`daily_series`] over `(instant, count)` pairs: `count` events at that instant, e.g. one
/// pair per 15-minute slot counted by the database.
pub fn daily_series_counted<Z: TimeZone + ?Sized>(
    tz: &Z,
    period: &Period,
    now_ms: i64,
    events: impl IntoIterator<Item = (i64, u64)>,
) -> DailySeries {
    let today = local_date(tz, now_ms);
    let through = period.last_day.min(today);
    let days = period.first_day.days_until(through).saturating_add(1).clamp(0, MAX_PERIOD_DAYS);
    let mut counts = vec![0u64; usize::try_from(days).unwrap_or(0)];
    for (at, count) in events {
        if !period.contains(at) {
            continue;
        }
        let index = period.first_day.days_until(local_date(tz, at));
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| counts.get_mut(i)) {
            *slot = slot.saturating_add(count);
        }
    }
    let points: Vec<DayCount> = counts
        .into_iter()
        .zip(std::iter::successors(Some(period.first_day), |d| d.next_day()))
        .map(|(count, date)| DayCount { date, count })
        .collect();
    let total = points.iter().fold(0u64, |sum, p| sum.saturating_add(p.count));
    // `max_by_key` keeps the last of equal maxima; reversed, that is the earliest day.
    let peak = points.iter().rev().max_by_key(|p| p.count).copied().filter(|_| total > 0);
    let mean_per_day = (!points.is_empty()).then(|| total as f64 / points.len() as f64);
    DailySeries { points, total, peak, mean_per_day }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Return requests / orders; `None` without orders.
pub fn rma_rate(returns: u64, orders: u64) -> Option<f64> {
    ratio(returns, orders)
}

/// completed / (completed + failed); `None` without outcomes.
pub fn refund_success_rate(completed: u64, failed: u64) -> Option<f64> {
    ratio(completed, completed.saturating_add(failed))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleTime {
    /// Requests measured.
    pub closed: u64,
    pub mean_ms: i64,
    pub median_ms: i64,
}

/// Mean and median of `closed − requested` over `(requested_ms, closed_ms)` pairs.
pub fn cycle_time(spans: impl IntoIterator<Item = (i64, i64)>) -> Option<CycleTime> {
    let mut durations: Vec<i64> =
        spans.into_iter().filter_map(|(requested, closed)| closed.checked_sub(requested)).filter(|d| *d >= 0).collect();
    if durations.is_empty() {
        return None;
    }
    durations.sort_unstable();
    let n = durations.len();
    let sum: i128 = durations.iter().map(|d| i128::from(*d)).sum();
    let mean = sum.checked_div(i128::try_from(n).ok()?)?;
    let upper = durations.get(n / 2).copied()?;
    let median = if n.is_multiple_of(2) {
        let lower = durations.get((n / 2).checked_sub(1)?).copied()?;
        lower.saturating_add(upper.saturating_sub(lower) / 2)
    } else {
        upper
    };
    Some(CycleTime { closed: u64::try_from(n).ok()?, mean_ms: i64::try_from(mean).ok()?, median_ms: median })
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevenueRetained {
    pub exchange_cents: i64,
    pub store_credit_cents: i64,
    /// exchanges + store credit.
    pub retained_cents: i64,
    pub refunded_cents: i64,
    /// retained / (retained + refunded).
    pub retained_share: Option<f64>,
}

/// Exchanges and store credit against money refunded (see the module notes).
pub fn revenue_retained(exchange_cents: i64, store_credit_cents: i64, refunded_cents: i64) -> RevenueRetained {
    let (exchange_cents, store_credit_cents, refunded_cents) =
        (exchange_cents.max(0), store_credit_cents.max(0), refunded_cents.max(0));
    let retained_cents = exchange_cents.saturating_add(store_credit_cents);
    let returned = retained_cents.saturating_add(refunded_cents);
    let retained_share = (returned > 0).then(|| retained_cents as f64 / returned as f64);
    RevenueRetained { exchange_cents, store_credit_cents, retained_cents, refunded_cents, retained_share }
}

/// One returned order line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnedLine<'a> {
    pub product_id: i64,
    pub product_name: &'a str,
    pub reason: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductReasons {
    pub product_id: i64,
    pub product_name: String,
    /// Returned lines of this product, all reasons.
    pub returns: u64,
    pub reasons: Vec<ReasonCount>,
}

/// Returned lines grouped by product with their top reasons (see the module notes).
pub fn top_return_reasons<'a>(
    lines: impl IntoIterator<Item = ReturnedLine<'a>>,
    per_product: usize,
) -> Vec<ProductReasons> {
    let mut products: BTreeMap<i64, (&'a str, BTreeMap<&'a str, u64>)> = BTreeMap::new();
    for line in lines {
        let (_, reasons) = products.entry(line.product_id).or_insert((line.product_name, BTreeMap::new()));
        let count = reasons.entry(line.reason).or_insert(0);
        *count = count.saturating_add(1);
    }
    let mut out: Vec<ProductReasons> = products
        .into_iter()
        .map(|(product_id, (name, reasons))| {
            let returns = reasons.values().fold(0u64, |sum, c| sum.saturating_add(*c));
            let mut reasons: Vec<ReasonCount> =
                reasons.into_iter().map(|(reason, count)| ReasonCount { reason: reason.to_owned(), count }).collect();
            // The map is ordered by reason already; a stable sort by count keeps that for ties.
            reasons.sort_by_key(|r| std::cmp::Reverse(r.count));
            reasons.truncate(per_product);
            ProductReasons { product_id, product_name: name.to_owned(), returns, reasons }
        })
        .collect();
    out.sort_by(|a, b| {
        b.returns
            .cmp(&a.returns)
            .then_with(|| a.product_name.cmp(&b.product_name))
            .then(a.product_id.cmp(&b.product_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tz::tests::berlin_2026;
    use crate::tz::{FixedOffset, DAY_MS};

    const HOUR_MS: i64 = 3_600_000;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u8, d: u8, hour: i64) -> i64 {
        date(y, m, d).days_since_epoch() * DAY_MS + hour * HOUR_MS
    }

    fn q(year: i32, n: u8) -> Quarter {
        Quarter::new(year, n).unwrap()
    }

    #[test]
    fn quarters_start_on_the_first_of_january_april_july_october() {
        let firsts: Vec<Date> = (1..=4).map(|n| q(2026, n).first_day()).collect();
        assert_eq!(firsts, vec![date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)]);
        let lasts: Vec<Date> = (1..=4).map(|n| q(2026, n).last_day()).collect();
        assert_eq!(lasts, vec![date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]);
        assert_eq!([1, 2, 3, 4].map(|n| q(2026, n).days()), [90, 91, 92, 92]);
        assert_eq!(q(2024, 1).days(), 91, "leap year");
        assert_eq!(Quarter::new(2026, 0), None);
        assert_eq!(Quarter::new(2026, 5), None);
    }

    #[test]
    fn quarter_bounds_are_local_midnights_end_exclusive() {
        assert_eq!(q(2026, 1).bounds(&FixedOffset::UTC), (utc(2026, 1, 1, 0), utc(2026, 4, 1, 0)));
        let berlin = berlin_2026();
        // Q1 starts at CET midnight and ends at CEST midnight: one hour shorter.
        let (start, end) = q(2026, 1).bounds(&berlin);
        assert_eq!((start, end), (utc(2025, 12, 31, 23), utc(2026, 3, 31, 22)));
        assert_eq!(end - start, 90 * DAY_MS - HOUR_MS);
        assert_eq!(q(2026, 2).bounds(&berlin).0, end, "quarters tile without gap or overlap");
    }

    #[test]
    fn the_quarter_of_an_instant_is_read_in_the_zone() {
        let berlin = berlin_2026();
        // 23:30 UTC on 31 March is 01:30 on 1 April in Berlin.
        let late = utc(2026, 3, 31, 23) + HOUR_MS / 2;
        assert_eq!(Quarter::containing(&FixedOffset::UTC, late), q(2026, 1));
        assert_eq!(Quarter::containing(&berlin, late), q(2026, 2));
        let (start, _) = q(2026, 2).bounds(&berlin);
        assert_eq!(Quarter::containing(&berlin, start), q(2026, 2));
        assert_eq!(Quarter::containing(&berlin, start - 1), q(2026, 1));
    }

    #[test]
    fn quarters_step_across_years() {
        assert_eq!(q(2026, 4).next(), Some(q(2027, 1)));
        assert_eq!(q(2026, 1).previous(), Some(q(2025, 4)));
        assert_eq!(q(i32::MAX, 4).next(), None);
        assert_eq!(Quarter::range(q(2025, 3), q(2026, 2)), vec![q(2025, 3), q(2025, 4), q(2026, 1), q(2026, 2)]);
        assert!(Quarter::range(q(2026, 2), q(2026, 1)).is_empty());
        assert_eq!(Quarter::range(q(2025, 1), q(2050, 4)).len(), 104, "the original's selector");
    }

    #[test]
    fn quarter_keys_and_labels() {
        assert_eq!(q(2026, 3).key(), "2026-Q3");
        assert_eq!(q(2026, 3).label(), "Q3 2026");
        assert_eq!(Quarter::parse_key("2026-Q3"), Some(q(2026, 3)));
        for bad in ["2026-Q5", "2026-Q0", "2026Q1", "26-Q1", "2026-Q12", "", "x-Q1"] {
            assert_eq!(Quarter::parse_key(bad), None, "{bad}");
        }
        assert_eq!(Quarter::try_from(String::from("2026-Q3")), Ok(q(2026, 3)));
    }

    #[test]
    fn a_requested_quarter_wins_over_now_when_it_reads() {
        let now = utc(2026, 5, 10, 12);
        assert_eq!(select_quarter(Some("2025-Q4"), now, &FixedOffset::UTC), q(2025, 4));
        assert_eq!(select_quarter(Some("garbage"), now, &FixedOffset::UTC), q(2026, 2));
        assert_eq!(select_quarter(None, now, &FixedOffset::UTC), q(2026, 2));
    }

    #[test]
    fn events_count_on_their_local_day() {
        let new_york = FixedOffset::new(-5 * 3600).unwrap();
        let period = Period::days(&new_york, date(2026, 1, 9), date(2026, 1, 10)).unwrap();
        // 03:00 UTC on the 10th is the evening of the 9th in New York.
        let events = [utc(2026, 1, 10, 3), utc(2026, 1, 10, 6), utc(2026, 1, 10, 12)];
        let series = daily_series(&new_york, &period, utc(2026, 2, 1, 0), events);
        assert_eq!(
            series.points,
            vec![DayCount { date: date(2026, 1, 9), count: 1 }, DayCount { date: date(2026, 1, 10), count: 2 }]
        );
        let in_utc = daily_series(
            &FixedOffset::UTC,
            &Period::days(&FixedOffset::UTC, date(2026, 1, 9), date(2026, 1, 10)).unwrap(),
            utc(2026, 2, 1, 0),
            events,
        );
        assert_eq!(in_utc.points.iter().map(|p| p.count).collect::<Vec<_>>(), vec![0, 3]);
    }

    #[test]
    fn the_dst_days_hold_23_and_25_hours_of_events() {
        let berlin = berlin_2026();
        let period = Period::days(&berlin, date(2026, 3, 28), date(2026, 3, 30)).unwrap();
        // One event every hour from the period's start to its end.
        let hourly = (0..).map(|h| period.start_ms + h * HOUR_MS).take_while(|t| *t < period.end_ms);
        let series = daily_series(&berlin, &period, period.end_ms, hourly);
        assert_eq!(series.points.iter().map(|p| p.count).collect::<Vec<_>>(), vec![24, 23, 24]);
        let autumn = Period::days(&berlin, date(2026, 10, 25), date(2026, 10, 25)).unwrap();
        let hourly = (0..).map(|h| autumn.start_ms + h * HOUR_MS).take_while(|t| *t < autumn.end_ms);
        assert_eq!(daily_series(&berlin, &autumn, autumn.end_ms, hourly).total, 25);
    }

    #[test]
    fn slot_counts_land_on_their_local_day_across_a_dst_change() {
        let berlin = berlin_2026();
        // 25 October 2026: Berlin falls back at 01:00 UTC; the day lasts 25 hours.
        let period = Period::days(&berlin, date(2026, 10, 24), date(2026, 10, 26)).unwrap();
        // 21:45 UTC on the 24th is 23:45 (CEST) on the 24th; 22:00 UTC is midnight of the 25th.
        // 22:45 UTC on the 25th is 23:45 (CET) on the 25th; 23:00 UTC is midnight of the 26th.
        let slots = [
            (utc(2026, 10, 24, 21) + 3 * SLOT_MS, 2),
            (utc(2026, 10, 24, 22), 3),
            (utc(2026, 10, 25, 22) + 3 * SLOT_MS, 4),
            (utc(2026, 10, 25, 23), 5),
        ];
        let series = daily_series_counted(&berlin, &period, period.end_ms, slots);
        assert_eq!(series.points.iter().map(|p| p.count).collect::<Vec<_>>(), vec![2, 7, 5]);
        assert_eq!(series.total, 14);
        assert_eq!(series.peak, Some(DayCount { date: date(2026, 10, 25), count: 7 }));
        // The same slots read in UTC: 21:45 and 22:00 on the 24th, the rest on the 25th.
        let in_utc = Period::days(&FixedOffset::UTC, date(2026, 10, 24), date(2026, 10, 26)).unwrap();
        let utc_series = daily_series_counted(&FixedOffset::UTC, &in_utc, in_utc.end_ms, slots);
        assert_eq!(utc_series.points.iter().map(|p| p.count).collect::<Vec<_>>(), vec![5, 9, 0]);
    }

    #[test]
    fn local_midnights_start_slots_in_quarter_hour_zones() {
        assert_eq!(slot_start(utc(2026, 1, 1, 0) + SLOT_MS - 1), utc(2026, 1, 1, 0));
        assert_eq!(slot_start(-1), -SLOT_MS, "before 1970 rounds down too");
        let kathmandu = FixedOffset::new(5 * 3600 + 45 * 60).unwrap();
        let start = start_of_day(&kathmandu, date(2026, 7, 1));
        assert_eq!(slot_start(start), start);
        let series = daily_series_counted(
            &kathmandu,
            &Period::days(&kathmandu, date(2026, 6, 30), date(2026, 7, 1)).unwrap(),
            utc(2026, 8, 1, 0),
            [(slot_start(start - 1), 1), (slot_start(start), 1)],
        );
        assert_eq!(series.points.iter().map(|p| p.count).collect::<Vec<_>>(), vec![1, 1]);
    }

    #[test]
    fn events_outside_the_period_are_not_counted() {
        let period = q(2026, 1).period(&FixedOffset::UTC);
        let events = [period.start_ms - 1, period.start_ms, period.end_ms - 1, period.end_ms];
        let series = daily_series(&FixedOffset::UTC, &period, period.end_ms, events);
        assert_eq!(series.total, 2);
        assert_eq!(series.points.len(), 90);
        assert_eq!(series.points.first().map(|p| p.count), Some(1));
        assert_eq!(series.points.last().map(|p| p.count), Some(1));
    }

    #[test]
    fn a_running_quarter_has_points_through_today_zero_days_included() {
        let period = q(2026, 2).period(&FixedOffset::UTC);
        let now = utc(2026, 4, 10, 15);
        let events = [utc(2026, 4, 1, 9), utc(2026, 4, 1, 10), utc(2026, 4, 3, 9), utc(2026, 4, 10, 9)];
        let series = daily_series(&FixedOffset::UTC, &period, now, events);
        assert_eq!(series.points.len(), 10, "1 to 10 April");
        assert_eq!(series.total, 4);
        assert_eq!(series.mean_per_day, Some(0.4));
        assert_eq!(series.peak, Some(DayCount { date: date(2026, 4, 1), count: 2 }));
        let later_today = daily_series(&FixedOffset::UTC, &period, now, [utc(2026, 4, 11, 1)]);
        assert_eq!(later_today.total, 0, "an event after today is not counted");
    }

    #[test]
    fn a_quarter_that_has_not_begun_has_no_points_and_no_mean() {
        let period = q(2027, 1).period(&FixedOffset::UTC);
        let series = daily_series(&FixedOffset::UTC, &period, utc(2026, 6, 1, 0), [utc(2027, 1, 2, 0)]);
        assert!(series.points.is_empty());
        assert_eq!((series.total, series.peak, series.mean_per_day), (0, None, None));
    }

    #[test]
    fn a_quiet_period_has_a_zero_mean_and_no_peak() {
        let period = q(2026, 1).period(&FixedOffset::UTC);
        let series = daily_series(&FixedOffset::UTC, &period, utc(2026, 6, 1, 0), []);
        assert_eq!((series.total, series.peak, series.mean_per_day), (0, None, Some(0.0)));
        assert_eq!(series.points.len(), 90);
    }

    #[test]
    fn the_earliest_of_equal_peaks_wins() {
        let period = Period::days(&FixedOffset::UTC, date(2026, 1, 1), date(2026, 1, 3)).unwrap();
        let events = [utc(2026, 1, 2, 1), utc(2026, 1, 3, 1), utc(2026, 1, 3, 2), utc(2026, 1, 2, 2)];
        let series = daily_series(&FixedOffset::UTC, &period, utc(2026, 2, 1, 0), events);
        assert_eq!(series.peak, Some(DayCount { date: date(2026, 1, 2), count: 2 }));
    }

    #[test]
    fn periods_must_run_forward_and_not_too_long() {
        assert_eq!(Period::days(&FixedOffset::UTC, date(2026, 1, 2), date(2026, 1, 1)), None);
        assert!(Period::days(&FixedOffset::UTC, date(2026, 1, 1), date(2026, 1, 1)).is_some());
        assert_eq!(Period::days(&FixedOffset::UTC, date(2000, 1, 1), date(2026, 1, 1)), None);
    }

    #[test]
    fn rates_are_none_without_a_denominator() {
        assert_eq!(rma_rate(3, 200), Some(0.015));
        assert_eq!(rma_rate(3, 0), None);
        assert_eq!(rma_rate(5, 4), Some(1.25), "not capped");
        assert_eq!(refund_success_rate(9, 1), Some(0.9));
        assert_eq!(refund_success_rate(0, 0), None);
        assert_eq!(refund_success_rate(0, 2), Some(0.0));
        assert_eq!(refund_success_rate(u64::MAX, u64::MAX), Some(1.0), "saturates, no overflow");
    }

    #[test]
    fn cycle_time_is_the_mean_and_median_of_closed_requests() {
        let h = HOUR_MS;
        let ct = cycle_time([(0, 2 * h), (10 * h, 14 * h), (0, 30 * h)]).unwrap();
        assert_eq!(ct, CycleTime { closed: 3, mean_ms: 12 * h, median_ms: 4 * h });
        let even = cycle_time([(0, 1), (0, 2), (0, 4), (0, 10)]).unwrap();
        assert_eq!((even.mean_ms, even.median_ms), (4, 3));
        assert_eq!(cycle_time([(0, 1), (0, 2)]).unwrap().median_ms, 1, "1.5 rounds down");
    }

    #[test]
    fn cycle_time_leaves_out_bad_pairs_and_needs_one_closed() {
        assert_eq!(cycle_time([]), None);
        assert_eq!(cycle_time([(10, 5)]), None);
        assert_eq!(cycle_time([(10, 5), (0, 8)]).map(|c| (c.closed, c.mean_ms)), Some((1, 8)));
        assert_eq!(cycle_time([(i64::MIN, i64::MAX)]), None, "an overflowing span is bad data");
        let huge = cycle_time([(0, i64::MAX), (0, i64::MAX)]).unwrap();
        assert_eq!((huge.mean_ms, huge.median_ms), (i64::MAX, i64::MAX));
    }

    #[test]
    fn revenue_retained_sets_exchanges_and_credit_against_refunds() {
        let r = revenue_retained(3_000, 1_000, 12_000);
        assert_eq!(r.retained_cents, 4_000);
        assert_eq!(r.retained_share, Some(0.25));
        assert_eq!(revenue_retained(0, 0, 0).retained_share, None);
        assert_eq!(revenue_retained(0, 0, 500).retained_share, Some(0.0));
        assert_eq!(revenue_retained(-5, 100, -1).retained_share, Some(1.0), "negatives count as 0");
        let max = revenue_retained(i64::MAX, i64::MAX, i64::MAX);
        assert_eq!(max.retained_cents, i64::MAX, "saturates");
    }

    #[test]
    fn top_reasons_are_sorted_by_count_then_name() {
        let line = |product_id, product_name, reason| ReturnedLine { product_id, product_name, reason };
        let lines = [
            line(2, "Mouse", "damaged"),
            line(1, "Laptop", "wrong_item"),
            line(1, "Laptop", "damaged"),
            line(1, "Laptop", "not_as_described"),
            line(1, "Laptop", "damaged"),
            line(3, "Keyboard", "other"),
            line(2, "Mouse", "other"),
        ];
        let top = top_return_reasons(lines, 2);
        type Shape<'a> = (&'a str, u64, Vec<(&'a str, u64)>);
        let shape: Vec<Shape> = top
            .iter()
            .map(|p| {
                (p.product_name.as_str(), p.returns, p.reasons.iter().map(|r| (r.reason.as_str(), r.count)).collect())
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("Laptop", 4, vec![("damaged", 2), ("not_as_described", 1)]),
                ("Mouse", 2, vec![("damaged", 1), ("other", 1)]),
                ("Keyboard", 1, vec![("other", 1)]),
            ]
        );
        assert!(top_return_reasons([], 3).is_empty());
    }

    #[test]
    fn products_with_equal_returns_sort_by_name() {
        let line = |product_id, product_name| ReturnedLine { product_id, product_name, reason: "other" };
        let top = top_return_reasons([line(1, "Zebra"), line(2, "Apple"), line(3, "Apple")], 5);
        let order: Vec<i64> = top.iter().map(|p| p.product_id).collect();
        assert_eq!(order, vec![2, 3, 1]);
        assert!(top_return_reasons([line(1, "Zebra")], 0).iter().all(|p| p.reasons.is_empty() && p.returns == 1));
    }
}
