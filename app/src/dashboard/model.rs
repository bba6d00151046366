//! What the dashboard shows, as sent to the page (server-rendered, then pushed over SSE) and
//! served by `GET /admin/metrics`. Numbers are computed on the server; the page only formats.

use domain::slo::{SloStatus, SparkPoint};
use serde::{Deserialize, Serialize};

/// One frame of the dashboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardSnapshot {
    pub generated_at_ms: i64,
    pub cards: Vec<SloCard>,
    pub system: SystemStatus,
    /// Per route template, method and status over [`HTTP_WINDOW_MS`].
    pub http: Vec<HttpRow>,
    /// Newest first.
    pub events: Vec<EventRow>,
    pub controls: Controls,
}

/// The HTTP table covers the last hour.
pub const HTTP_WINDOW_MS: i64 = domain::slo::HOUR_MS;

/// A quality scenario card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloCard {
    /// `a1`, `p1` or `refund`.
    pub id: String,
    pub title: String,
    /// The indicator in words.
    pub sli_text: String,
    /// "99.9 % of checkouts accepted over 30 days".
    pub objective_text: String,
    /// The scenario's target in words (the quality scenario's response measure).
    pub target_text: String,
    /// `false`: the card's feature is off; it shows "not configured".
    pub configured: bool,
    /// Objective, SLI, budget, burn rates, state and exhaustion (domain::slo::evaluate).
    pub status: SloStatus,
    /// The headline value ("99.87 %", "p95 312 ms"), or "no data".
    pub value_text: String,
    /// The same over the last 5 minutes.
    pub recent_text: String,
    /// Label and value lines under the numbers (MTTR, breaker, queue, throttle…).
    pub facts: Vec<(String, String)>,
    /// The SLI per step over the last hours, breaches marked.
    pub sparkline: Vec<SparkPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub db_reachable: bool,
    pub db_latency_ms: Option<f64>,
    /// `sqlite` or `postgres`.
    pub db_backend: String,
    /// "simulated" or "external".
    pub provider: String,
    pub failure_rate: f64,
    pub provider_latency_ms: u64,
    /// This instance's breaker: closed, open, half_open.
    pub breaker: String,
    pub breaker_opened_total: u64,
    pub last_mttr_seconds: Option<f64>,
    pub queue_depth: i64,
    pub oldest_job_age_ms: Option<i64>,
    pub throttle_max_rps: u32,
    pub throttle_burst: u32,
    pub instances: Vec<InstanceRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceRow {
    pub id: String,
    pub started_at_ms: i64,
    pub last_seen_at_ms: i64,
    /// The instance that computed this snapshot.
    pub this_one: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpRow {
    pub route: String,
    pub method: String,
    pub status: u16,
    pub count: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub at_ms: i64,
    pub kind: String,
    pub message: String,
    /// Who did it; empty for the system.
    pub actor: String,
    pub instance_id: String,
}

/// The drill controls' current values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Controls {
    pub fault_injection_allowed: bool,
    pub simulated_provider: bool,
    pub failure_rate: f64,
    pub latency_ms: u64,
    pub throttle_max_rps: u32,
    pub throttle_burst: u32,
    pub presets: Vec<ThrottlePreset>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottlePreset {
    /// `a1`, `p1` or `normal`.
    pub name: String,
    pub label: String,
    pub max_rps: u32,
    pub burst: u32,
    pub active: bool,
}

/// The original shop's presets (its `apply_env_preset.py`): the A.1 drill ran the throttle at
/// 200 requests per 1 s window, the P.1 drill at 2; `normal` is what this server started with.
pub fn presets(normal_rps: u32, normal_burst: u32) -> [(&'static str, &'static str, u32, u32); 3] {
    [
        ("a1", "A.1 drill (200/s)", 200, 200),
        ("p1", "P.1 drill (2/s)", 2, 2),
        ("normal", "Normal (as started)", normal_rps, normal_burst),
    ]
}

/// "99.9 %"-style percentage with up to `decimals`, trailing zeros kept.
pub fn percent(ratio: f64, decimals: usize) -> String {
    format!("{:.*} %", decimals, ratio * 100.0)
}

/// A duration in words, zero parts left out: "850 ms", "12.5 s", "4 min 10 s", "5 min",
/// "3 h 20 min", "5 d 2 h", "30 d".
pub fn duration_text(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    let pair = |big: i64, big_unit: &str, small: i64, small_unit: &str| match small {
        0 => format!("{big} {big_unit}"),
        _ => format!("{big} {big_unit} {small} {small_unit}"),
    };
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..=3_599_999 => pair(s / 60, "min", s % 60, "s"),
        3_600_000..=86_399_999 => pair(s / 3600, "h", (s % 3600) / 60, "min"),
        _ => pair(s / 86_400, "d", (s % 86_400) / 3600, "h"),
    }
}

/// An objective's window: "30 days", "36 h".
pub fn window_text(window_ms: i64) -> String {
    match window_ms {
        ms if ms > 0 && ms % 86_400_000 == 0 => match ms / 86_400_000 {
            1 => "1 day".to_owned(),
            days => format!("{days} days"),
        },
        ms => duration_text(ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_text(850), "850 ms");
        assert_eq!(duration_text(12_500), "12.5 s");
        assert_eq!(duration_text(250_000), "4 min 10 s");
        assert_eq!(duration_text(12_000_000), "3 h 20 min");
        assert_eq!(duration_text(439_200_000), "5 d 2 h");
        assert_eq!(duration_text(-5), "0 ms");
        assert_eq!(duration_text(300_000), "5 min");
        assert_eq!(duration_text(30 * 86_400_000), "30 d");
        assert_eq!(window_text(30 * 86_400_000), "30 days");
        assert_eq!(window_text(86_400_000), "1 day");
        assert_eq!(window_text(36 * 3_600_000), "1 d 12 h");
    }

    #[test]
    fn percentages_keep_their_decimals() {
        assert_eq!(percent(0.999, 1), "99.9 %");
        assert_eq!(percent(1.0, 2), "100.00 %");
    }
}
