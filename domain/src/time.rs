//! UTC calendar arithmetic on Unix milliseconds, without a date library. Pure, both targets.

/// A UTC instant broken into calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

/// Splits Unix milliseconds into UTC date and time (proleptic Gregorian calendar).
pub fn civil(epoch_ms: i64) -> Civil {
    let secs = epoch_ms.div_euclid(1000);
    let day_secs = secs.rem_euclid(86_400);
    // Days to civil date: Howard Hinnant's algorithm.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    Civil {
        year: yoe + era * 400 + i64::from(month <= 2),
        month: month as u32,
        day: (doy - (153 * mp + 2) / 5 + 1) as u32,
        hour: (day_secs / 3600) as u32,
        minute: (day_secs % 3600 / 60) as u32,
        second: (day_secs % 60) as u32,
        millis: epoch_ms.rem_euclid(1000) as u32,
    }
}

/// `2026-11-21T06:11:41.123Z`
pub fn rfc3339_millis(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis)
}

/// `2026-11-21 06:11 UTC`, for pages.
pub fn display_utc(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", c.year, c.month, c.day, c.hour, c.minute)
}

/// `1d 02:03:04` / `02:03:04` for a countdown; zero or less reads `00:00:00`.
pub fn countdown(remaining_ms: i64) -> String {
    let secs = remaining_ms.max(0) / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let clock = format!("{:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    if days > 0 {
        format!("{days}d {clock}")
    } else {
        clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_millis(1_795_305_600_000), "2026-11-22T00:00:00.000Z");
        assert_eq!(display_utc(1_798_761_599_000), "2026-12-31 23:59 UTC");
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn countdowns() {
        assert_eq!(countdown(-5), "00:00:00");
        assert_eq!(countdown(61_000), "00:01:01");
        assert_eq!(countdown(90_061_000), "1d 01:01:01");
    }
}
