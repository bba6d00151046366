//! The shop's time zone (`DEFAULT_TIMEZONE`): an IANA zone from the system's tz database,
//! read with jiff, behind the domain's [`domain::tz::TimeZone`] so the KPI math stays free of it.

use domain::tz::TimeZone;

/// A named IANA zone. `UTC` needs no tz database; any other name is looked up in the system's
/// (`/usr/share/zoneinfo`, Debian's `tzdata`; `TZDIR` names another folder).
#[derive(Clone, Debug)]
pub struct ShopZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl ShopZone {
    pub fn utc() -> Self {
        Self { name: "UTC".to_owned(), zone: jiff::tz::TimeZone::UTC }
    }

    /// The zone called `name` (`Europe/Berlin`), or why not.
    pub fn named(name: &str) -> Result<Self, String> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("utc") {
            return Ok(Self::utc());
        }
        if name.is_empty() || name.starts_with('/') || name.split('/').any(|part| part == "..") {
            return Err(format!("'{name}' is not an IANA time zone name such as Europe/Berlin or UTC"));
        }
        jiff::tz::TimeZone::get(name).map(|zone| Self { name: name.to_owned(), zone }).map_err(|e| {
            format!(
                "'{name}' is not a time zone in the tz database ({e}); use an IANA name such as Europe/Berlin or UTC"
            )
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Default for ShopZone {
    fn default() -> Self {
        Self::utc()
    }
}

impl TimeZone for ShopZone {
    fn offset_seconds_at(&self, utc_ms: i64) -> i32 {
        // jiff's instants span years -9999 to 9999; beyond them the nearest end's offset holds.
        let at = jiff::Timestamp::from_millisecond(utc_ms).unwrap_or(if utc_ms < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        });
        self.zone.to_offset(at).seconds()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::tz::{day_length_ms, local_date, start_of_day, Date};

    const HOUR_MS: i64 = 3_600_000;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn utc_needs_no_database_and_any_case_reads() {
        assert_eq!(ShopZone::named("utc").unwrap().name(), "UTC");
        assert_eq!(ShopZone::default().offset_seconds_at(0), 0);
    }

    #[test]
    fn unknown_and_odd_names_are_refused_with_the_name() {
        for bad in ["Mars/Olympus", "", "/etc/passwd", "../../etc/passwd", "Europe/../../etc"] {
            let err = ShopZone::named(bad).unwrap_err();
            assert!(err.contains("IANA") && err.contains(bad.trim()), "{bad}: {err}");
        }
    }

    #[test]
    fn berlin_days_follow_the_real_tz_database() {
        let berlin = ShopZone::named("Europe/Berlin").unwrap();
        assert_eq!(day_length_ms(&berlin, date(2026, 3, 29)), 23 * HOUR_MS);
        assert_eq!(day_length_ms(&berlin, date(2026, 10, 25)), 25 * HOUR_MS);
        let midnight = start_of_day(&berlin, date(2026, 7, 1));
        assert_eq!(midnight, date(2026, 6, 30).days_since_epoch() * 86_400_000 + 22 * HOUR_MS);
        assert_eq!(local_date(&berlin, midnight - 1), date(2026, 6, 30));
    }

    #[test]
    fn extreme_instants_take_the_nearest_offset() {
        let berlin = ShopZone::named("Europe/Berlin").unwrap();
        let at_end = |t: jiff::Timestamp| berlin.offset_seconds_at(t.as_millisecond());
        assert_eq!(berlin.offset_seconds_at(i64::MAX), at_end(jiff::Timestamp::MAX));
        assert_eq!(berlin.offset_seconds_at(i64::MIN), at_end(jiff::Timestamp::MIN));
    }
}
