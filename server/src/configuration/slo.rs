//! The dashboard's objectives (`SLO_*`) and pace (`DASHBOARD_*`).

use app::dashboard::slo::{Objective, DAY_MS, DEFAULT_LATENCY_BOUNDS_MS};
use app::dashboard::DashboardSettings;

use super::{err, parse, positive, ConfigError};

/// A target ratio strictly between 0 and 1.
fn target(
    var: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<f64, ConfigError> {
    let value: f64 = parse(var, name, default, "a number above 0 and below 1, such as 0.999")?;
    if !(value > 0.0 && value < 1.0) {
        return Err(err(name, "must be above 0 and below 1 (a 100 % objective leaves no error budget)".to_owned()));
    }
    Ok(value)
}

/// `normal_throttle` is the throttle the server starts with (`THROTTLING_*`);
/// `instance_liveness_ms` is `INSTANCE_LIVENESS_MS`.
pub(super) fn from_lookup(
    var: &impl Fn(&'static str) -> Option<String>,
    normal_throttle: (u32, u32),
    instance_liveness_ms: i64,
) -> Result<DashboardSettings, ConfigError> {
    let days: i64 = positive(var, "SLO_WINDOW_DAYS", "30")?;
    if days > 365 {
        return Err(err("SLO_WINDOW_DAYS", "must be at most 365".to_owned()));
    }
    let window = days.saturating_mul(DAY_MS);
    let objective = |name: &'static str, default: &str| -> Result<Objective, ConfigError> {
        Objective::new(target(var, name, default)?, window).map_err(|e| err(name, e.to_string()))
    };
    let latency_threshold_ms: f64 = parse(var, "SLO_LATENCY_MS", "500", "a number of milliseconds")?;
    if !DEFAULT_LATENCY_BOUNDS_MS.contains(&latency_threshold_ms) {
        let bounds: Vec<String> = DEFAULT_LATENCY_BOUNDS_MS.iter().map(|b| b.to_string()).collect();
        return Err(err("SLO_LATENCY_MS", format!("must be one of the histogram bounds: {}", bounds.join(", "))));
    }
    let refund_seconds: i64 = positive(var, "SLO_REFUND_SECONDS", "300")?;
    let flush_ms: u64 = positive(var, "DASHBOARD_FLUSH_MS", "1000")?;
    let push_ms: u64 = positive(var, "DASHBOARD_PUSH_MS", "1000")?;
    if push_ms > 2000 {
        return Err(err("DASHBOARD_PUSH_MS", "must be at most 2000 (dashboards update at least every 2 s)".to_owned()));
    }
    Ok(DashboardSettings {
        availability: objective("SLO_AVAILABILITY_TARGET", "0.999")?,
        latency: objective("SLO_LATENCY_TARGET", "0.95")?,
        latency_threshold_ms,
        refund: objective("SLO_REFUND_TARGET", "0.99")?,
        refund_target_ms: refund_seconds.saturating_mul(1000),
        flush_interval: std::time::Duration::from_millis(flush_ms),
        push_interval: std::time::Duration::from_millis(push_ms),
        instance_liveness_ms,
        normal_throttle,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&'static str, &str)]) -> Result<DashboardSettings, ConfigError> {
        let map: HashMap<&str, String> = pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        from_lookup(&|name| map.get(name).cloned(), (1000, 200), 15_000)
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let s = read(&[]).unwrap();
        assert_eq!((s.availability.target(), s.latency.target(), s.refund.target()), (0.999, 0.95, 0.99));
        assert_eq!(s.availability.window_ms(), 30 * DAY_MS);
        assert_eq!((s.latency_threshold_ms, s.refund_target_ms, s.normal_throttle), (500.0, 300_000, (1000, 200)));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let variable = |pairs: &[(&'static str, &str)]| read(pairs).unwrap_err().variable;
        assert_eq!(variable(&[("SLO_AVAILABILITY_TARGET", "1")]), "SLO_AVAILABILITY_TARGET");
        assert_eq!(variable(&[("SLO_LATENCY_TARGET", "abc")]), "SLO_LATENCY_TARGET");
        assert_eq!(variable(&[("SLO_LATENCY_MS", "450")]), "SLO_LATENCY_MS");
        assert_eq!(variable(&[("SLO_WINDOW_DAYS", "0")]), "SLO_WINDOW_DAYS");
        assert_eq!(variable(&[("SLO_WINDOW_DAYS", "400")]), "SLO_WINDOW_DAYS");
        assert_eq!(variable(&[("DASHBOARD_PUSH_MS", "5000")]), "DASHBOARD_PUSH_MS");
        let windowed = read(&[("SLO_WINDOW_DAYS", "7"), ("SLO_LATENCY_MS", "250")]).unwrap();
        assert_eq!((windowed.latency.window_ms(), windowed.latency_threshold_ms), (7 * DAY_MS, 250.0));
    }
}
