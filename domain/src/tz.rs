//! Local calendar days in a time zone, without a tz database.
//!
//! - A [`TimeZone`] answers one question: the offset of local time from UTC at a UTC instant.
//!   The server implements it over a real tz database (jiff or chrono-tz, for the IANA name in
//!   `DEFAULT_TIMEZONE`); this crate brings [`FixedOffset`] and [`TransitionZone`] (an offset
//!   table: an initial offset and the instants it changes), which the tests use to model real
//!   zones' DST changes.
//! - The local date of an instant is the calendar date of UTC time + offset.
//! - A local day starts at the first instant whose local date is that day. Usually that is
//!   local midnight; where the clocks skip midnight (DST starting at 00:00, as in Chile or
//!   Cuba) it is the moment of the jump (01:00 local); where midnight comes twice, the first.
//!   So a day lasts 24 hours, or 23 and 25 on the days the clocks change (or anything else a
//!   zone's history holds: Samoa skipped 30 December 2011, a day of 0 hours).
//! - Assumption: a zone changes its offset at most once within 36 hours of a local midnight,
//!   and offsets stay within ±26 hours, which holds for every zone in the tz database.
//! - Dates are proleptic Gregorian; years are i32.
//!
//! The server's side, with jiff, is a few lines:
//!
//! ```text
//! struct ShopZone(jiff::tz::TimeZone); // jiff::tz::TimeZone::get("Europe/Berlin")?
//! impl domain::tz::TimeZone for ShopZone {
//!     fn offset_seconds_at(&self, utc_ms: i64) -> i32 {
//!         jiff::Timestamp::from_millisecond(utc_ms).map_or(0, |t| self.0.to_offset(t).seconds())
//!     }
//! }
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

pub const DAY_MS: i64 = 86_400_000;

/// Largest offset accepted from [`FixedOffset`] and [`TransitionZone`]: under 26 hours.
pub const MAX_OFFSET_SECONDS: i32 = 26 * 3600 - 1;

/// How far either side of a local midnight [`start_of_day`] samples the offset.
const SEARCH_MS: i64 = 36 * 3_600_000;

/// A time zone's rule: the offset at an instant.
pub trait TimeZone {
    /// Local time minus UTC, in seconds (east of Greenwich positive), at the UTC instant.
    fn offset_seconds_at(&self, utc_ms: i64) -> i32;
}

fn offset_ms<Z: TimeZone + ?Sized>(tz: &Z, utc_ms: i64) -> i64 {
    // Clamped to ±26 h so an odd implementation cannot push the arithmetic near overflow.
    i64::from(tz.offset_seconds_at(utc_ms).clamp(-MAX_OFFSET_SECONDS, MAX_OFFSET_SECONDS)).saturating_mul(1000)
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TzError {
    #[error("a UTC offset must be under 26 hours either way; got {0} s")]
    Offset(i32),
    #[error("offset changes must be listed in time order, each instant once")]
    Order,
}

/// The same offset all year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FixedOffset {
    seconds: i32,
}

impl FixedOffset {
    pub const UTC: FixedOffset = FixedOffset { seconds: 0 };

    pub fn new(seconds: i32) -> Result<Self, TzError> {
        if seconds.abs() > MAX_OFFSET_SECONDS {
            return Err(TzError::Offset(seconds));
        }
        Ok(Self { seconds })
    }

    pub fn seconds(self) -> i32 {
        self.seconds
    }
}

impl TimeZone for FixedOffset {
    fn offset_seconds_at(&self, _utc_ms: i64) -> i32 {
        self.seconds
    }
}

/// A zone given as a table: `initial_seconds` until the first change, then each
/// `(utc_ms, seconds)` from that instant on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitionZone {
    initial_seconds: i32,
    changes: Vec<(i64, i32)>,
}

impl TransitionZone {
    pub fn new(initial_seconds: i32, changes: Vec<(i64, i32)>) -> Result<Self, TzError> {
        if let Some(bad) = std::iter::once(initial_seconds)
            .chain(changes.iter().map(|(_, s)| *s))
            .find(|s| s.abs() > MAX_OFFSET_SECONDS)
        {
            return Err(TzError::Offset(bad));
        }
        if !changes.windows(2).all(|pair| matches!(pair, [(a, _), (b, _)] if a < b)) {
            return Err(TzError::Order);
        }
        Ok(Self { initial_seconds, changes })
    }
}

impl TimeZone for TransitionZone {
    fn offset_seconds_at(&self, utc_ms: i64) -> i32 {
        let in_effect = self.changes.partition_point(|(at, _)| *at <= utc_ms);
        in_effect.checked_sub(1).and_then(|i| self.changes.get(i)).map_or(self.initial_seconds, |(_, s)| *s)
    }
}

/// A calendar date. Orders chronologically; shown and serialized as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1-12) of `year`; 0 for a month out of range.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(i64::from(year)) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        (day >= 1 && day <= days_in_month(year, month)).then_some(Date { year, month, day })
    }

    /// For values known to be valid (the first of a month, ...).
    pub(crate) fn ymd(year: i32, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil; with an i32 year nothing here comes near overflow.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01; `None` when the year leaves the i32 range.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        // Hinnant's civil_from_days. Only the first step and the year can overflow, and both
        // are checked; everything else stays within one 400-year era.
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = era.checked_mul(400)?.checked_add(yoe)?.checked_add(i64::from(month <= 2))?;
        Some(Date { year: i32::try_from(year).ok()?, month: u8::try_from(month).ok()?, day: u8::try_from(day).ok()? })
    }

    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }

    pub fn next_day(self) -> Option<Date> {
        self.add_days(1)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch().saturating_sub(self.days_since_epoch())
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.rsplitn(3, '-');
        let day = parts.next()?;
        let month = parts.next()?;
        let year = parts.next()?;
        if day.len() != 2 || month.len() != 2 || year.trim_start_matches('-').len() < 4 {
            return None;
        }
        Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl From<Date> for String {
    fn from(date: Date) -> String {
        date.to_string()
    }
}

impl TryFrom<String> for Date {
    type Error = String;

    fn try_from(text: String) -> Result<Date, String> {
        Date::parse(&text).ok_or_else(|| format!("not a YYYY-MM-DD date: {text}"))
    }
}

/// The local date at a UTC instant.
pub fn local_date<Z: TimeZone + ?Sized>(tz: &Z, utc_ms: i64) -> Date {
    let local = utc_ms.saturating_add(offset_ms(tz, utc_ms));
    // Every i64 millisecond instant lies within i32 years; the fallback is never taken.
    Date::from_days_since_epoch(local.div_euclid(DAY_MS)).unwrap_or(Date::ymd(1970, 1, 1))
}

/// The first UTC instant whose local date is `date` (see the module notes).
pub fn start_of_day<Z: TimeZone + ?Sized>(tz: &Z, date: Date) -> i64 {
    // Local midnight as if it were UTC.
    let wall = date.days_since_epoch().saturating_mul(DAY_MS);
    let wall_at = |utc: i64| utc.saturating_add(offset_ms(tz, utc));
    let before = offset_ms(tz, wall.saturating_sub(SEARCH_MS));
    let after = offset_ms(tz, wall.saturating_add(SEARCH_MS));
    // Midnight exists when reading it with an offset gives an instant that has that offset;
    // when it exists twice, the earlier counts.
    let candidates = [wall.saturating_sub(before), wall.saturating_sub(after)];
    if let Some(first) = candidates.into_iter().filter(|utc| wall_at(*utc) == wall).min() {
        return first;
    }
    if after <= before {
        // Not one forward jump: outside the assumption; read midnight with the earlier offset.
        return wall.saturating_sub(before);
    }
    // Midnight is skipped: the day starts when the clocks jump over it. Before `lo` the wall
    // clock shows less than midnight, from `hi` at least midnight; bisect to the millisecond.
    let (mut lo, mut hi) = (wall.saturating_sub(after), wall.saturating_sub(before));
    while hi.saturating_sub(lo) > 1 {
        let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
        if wall_at(mid) >= wall {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// How long the local day `date` lasts, in ms.
pub fn day_length_ms<Z: TimeZone + ?Sized>(tz: &Z, date: Date) -> i64 {
    let start = start_of_day(tz, date);
    let end = date.next_day().map_or(i64::MAX, |next| start_of_day(tz, next));
    end.saturating_sub(start)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const HOUR_MS: i64 = 3_600_000;

    fn utc(y: i32, m: u8, d: u8, hour: i64) -> i64 {
        Date::new(y, m, d).unwrap().days_since_epoch() * DAY_MS + hour * HOUR_MS
    }

    /// Europe/Berlin in 2026: CET (+1) until 29 March 01:00 UTC, CEST (+2) until 25 October
    /// 01:00 UTC, then CET again.
    pub(crate) fn berlin_2026() -> TransitionZone {
        TransitionZone::new(3600, vec![(utc(2026, 3, 29, 1), 7200), (utc(2026, 10, 25, 1), 3600)]).unwrap()
    }

    /// America/Santiago, September 2026: -4 until 6 September 04:00 UTC, when local midnight
    /// jumps to 01:00 (-3).
    fn santiago_2026() -> TransitionZone {
        TransitionZone::new(-4 * 3600, vec![(utc(2026, 9, 6, 4), -3 * 3600)]).unwrap()
    }

    /// America/Sao_Paulo, February 2018: -2 until 18 February 02:00 UTC, when local midnight
    /// goes back to 23:00 of the 17th (-3).
    fn sao_paulo_2018() -> TransitionZone {
        TransitionZone::new(-2 * 3600, vec![(utc(2018, 2, 18, 2), -3 * 3600)]).unwrap()
    }

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn dates_convert_to_days_and_back() {
        assert_eq!(date(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(date(2000, 3, 1).days_since_epoch(), 11_017);
        assert_eq!(date(1969, 12, 31).days_since_epoch(), -1);
        for days in [-800_000, -1, 0, 59, 11_016, 20_000, 2_000_000] {
            let d = Date::from_days_since_epoch(days).unwrap();
            assert_eq!(d.days_since_epoch(), days);
        }
        assert_eq!(Date::from_days_since_epoch(i64::MAX), None);
        assert_eq!(date(2024, 2, 28).next_day(), Some(date(2024, 2, 29)));
        assert_eq!(date(2023, 2, 28).next_day(), Some(date(2023, 3, 1)));
        assert_eq!(date(2026, 1, 1).days_until(date(2026, 4, 1)), 90);
    }

    #[test]
    fn invalid_dates_are_refused() {
        assert_eq!(Date::new(2023, 2, 29), None);
        assert_eq!(Date::new(1900, 2, 29), None);
        assert!(Date::new(2000, 2, 29).is_some());
        assert_eq!(Date::new(2026, 13, 1), None);
        assert_eq!(Date::new(2026, 4, 0), None);
    }

    #[test]
    fn dates_read_and_print_as_iso() {
        assert_eq!(date(2026, 3, 9).to_string(), "2026-03-09");
        assert_eq!(Date::parse("2026-03-09"), Some(date(2026, 3, 9)));
        assert_eq!(Date::parse("2026-3-9"), None);
        assert_eq!(Date::parse("2026-02-30"), None);
        assert_eq!(Date::parse("nonsense"), None);
        assert_eq!(Date::try_from(String::from("2026-12-31")), Ok(date(2026, 12, 31)));
        assert_eq!(String::from(date(2026, 12, 31)), "2026-12-31");
    }

    #[test]
    fn offsets_must_be_under_26_hours_and_changes_in_order() {
        assert_eq!(FixedOffset::new(26 * 3600), Err(TzError::Offset(26 * 3600)));
        assert!(FixedOffset::new(-12 * 3600).is_ok());
        assert_eq!(TransitionZone::new(0, vec![(10, 3600), (10, 0)]), Err(TzError::Order));
        assert_eq!(TransitionZone::new(0, vec![(10, 3600), (5, 0)]), Err(TzError::Order));
        assert_eq!(TransitionZone::new(0, vec![(10, 99 * 3600)]), Err(TzError::Offset(99 * 3600)));
    }

    #[test]
    fn a_table_zone_switches_at_each_change() {
        let z = berlin_2026();
        let change = utc(2026, 3, 29, 1);
        assert_eq!(z.offset_seconds_at(change - 1), 3600);
        assert_eq!(z.offset_seconds_at(change), 7200);
        assert_eq!(z.offset_seconds_at(utc(2026, 12, 1, 0)), 3600);
        assert_eq!(z.offset_seconds_at(i64::MIN), 3600);
    }

    #[test]
    fn the_day_changes_at_local_midnight_not_utc_midnight() {
        let new_york_winter = FixedOffset::new(-5 * 3600).unwrap();
        // 03:00 UTC on 10 January is 22:00 on the 9th in New York.
        assert_eq!(local_date(&new_york_winter, utc(2026, 1, 10, 3)), date(2026, 1, 9));
        assert_eq!(local_date(&new_york_winter, utc(2026, 1, 10, 5)), date(2026, 1, 10));
        assert_eq!(start_of_day(&new_york_winter, date(2026, 1, 10)), utc(2026, 1, 10, 5));
        let tokyo = FixedOffset::new(9 * 3600).unwrap();
        assert_eq!(local_date(&tokyo, utc(2026, 1, 9, 15)), date(2026, 1, 10));
        assert_eq!(start_of_day(&tokyo, date(2026, 1, 10)), utc(2026, 1, 9, 15));
        assert_eq!(local_date(&FixedOffset::UTC, utc(2026, 1, 10, 0) - 1), date(2026, 1, 9));
    }

    #[test]
    fn the_spring_forward_day_lasts_23_hours() {
        let z = berlin_2026();
        assert_eq!(start_of_day(&z, date(2026, 3, 29)), utc(2026, 3, 28, 23));
        assert_eq!(start_of_day(&z, date(2026, 3, 30)), utc(2026, 3, 29, 22));
        assert_eq!(day_length_ms(&z, date(2026, 3, 29)), 23 * HOUR_MS);
        assert_eq!(day_length_ms(&z, date(2026, 3, 28)), 24 * HOUR_MS);
        assert_eq!(day_length_ms(&z, date(2026, 3, 30)), 24 * HOUR_MS);
    }

    #[test]
    fn the_fall_back_day_lasts_25_hours() {
        let z = berlin_2026();
        assert_eq!(start_of_day(&z, date(2026, 10, 25)), utc(2026, 10, 24, 22));
        assert_eq!(start_of_day(&z, date(2026, 10, 26)), utc(2026, 10, 25, 23));
        assert_eq!(day_length_ms(&z, date(2026, 10, 25)), 25 * HOUR_MS);
        // 23:30 UTC on the 25th is 00:30 on the 26th in Berlin (CET).
        assert_eq!(local_date(&z, utc(2026, 10, 25, 23) + HOUR_MS / 2), date(2026, 10, 26));
        assert_eq!(local_date(&z, utc(2026, 10, 25, 22) + HOUR_MS / 2), date(2026, 10, 25));
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_jump() {
        let z = santiago_2026();
        assert_eq!(start_of_day(&z, date(2026, 9, 6)), utc(2026, 9, 6, 4));
        assert_eq!(local_date(&z, utc(2026, 9, 6, 4) - 1), date(2026, 9, 5));
        assert_eq!(local_date(&z, utc(2026, 9, 6, 4)), date(2026, 9, 6));
        assert_eq!(day_length_ms(&z, date(2026, 9, 6)), 23 * HOUR_MS);
    }

    #[test]
    fn a_repeated_hour_before_midnight_lengthens_the_day_before() {
        let z = sao_paulo_2018();
        assert_eq!(start_of_day(&z, date(2018, 2, 17)), utc(2018, 2, 17, 2));
        assert_eq!(start_of_day(&z, date(2018, 2, 18)), utc(2018, 2, 18, 3));
        assert_eq!(day_length_ms(&z, date(2018, 2, 17)), 25 * HOUR_MS);
        assert_eq!(local_date(&z, utc(2018, 2, 18, 2) + HOUR_MS / 2), date(2018, 2, 17));
    }

    #[test]
    fn a_skipped_day_lasts_no_time() {
        // Pacific/Apia: -10 until 30 December 2011 10:00 UTC, then +14.
        let z = TransitionZone::new(-10 * 3600, vec![(utc(2011, 12, 30, 10), 14 * 3600)]).unwrap();
        assert_eq!(local_date(&z, utc(2011, 12, 30, 10) - 1), date(2011, 12, 29));
        assert_eq!(local_date(&z, utc(2011, 12, 30, 10)), date(2011, 12, 31));
        assert_eq!(day_length_ms(&z, date(2011, 12, 30)), 0);
        assert_eq!(day_length_ms(&z, date(2011, 12, 29)), 24 * HOUR_MS);
    }

    #[test]
    fn extreme_instants_do_not_overflow() {
        let z = berlin_2026();
        let _ = local_date(&z, i64::MAX);
        let _ = local_date(&z, i64::MIN);
        let far = Date::new(i32::MAX, 12, 31).unwrap();
        let _ = start_of_day(&z, far);
        assert_eq!(far.next_day(), None);
        assert_eq!(day_length_ms(&z, far), i64::MAX - start_of_day(&z, far));
    }
}
