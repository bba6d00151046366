//! Service level objectives: the indicator, the error budget, burn rates and the alert state a
//! dashboard card shows. Pure: counts and the time come in, numbers go out.
//!
//! - An event is good or bad; `Counts { good, total }` counts them (bad = total − good).
//! - SLI = good / total. With no events there is **no data** (`None`), never 100 %.
//! - An `Objective` is a target ratio of good events (0 < target < 1, e.g. 0.999) over a rolling
//!   window (e.g. 30 days). The allowed error ratio is 1 − target, rounded to 12 decimals so
//!   that 1 − 0.999 is 0.001 and not 0.0010000000000000009.
//! - Error budget over the window = (1 − target) × total: the bad events the objective allows
//!   for the traffic seen so far (it grows with traffic). Remaining = allowed − bad, in events
//!   and as a fraction of the budget: 1 untouched, 0 spent, below 0 overspent (−0.5 = half a
//!   budget more than allowed). Negative numbers are kept, not clamped, so a card can say
//!   "overspent by 12 events".
//! - Burn rate over a window = (bad / total) / (1 − target): 1 spends the budget exactly over
//!   the objective's window, 14.4 spends a 30-day budget in 50 hours. No events, no burn rate.
//! - Alert state: the multiwindow, multi-burn-rate alerts of [`WORKBOOK_ALERTS`]; a pair fires
//!   when the burn rate over both its long and its short window is at or above its threshold.
//!   Page when a page pair fires, else ticket when the ticket pair fires, else OK; no data
//!   when neither the objective window nor any alert window holds an event.
//! - Time to budget exhaustion: at burn rate b a whole budget lasts window / b, so what is
//!   left (fraction r) lasts r × window / b. The dashboard uses the 1 h burn rate
//!   ([`EXHAUSTION_WINDOW`]): the page pair's long window, recent enough to follow an incident
//!   and long enough not to swing with every five-minute blip. It is a straight-line
//!   projection: it assumes traffic keeps its average rate and ignores old bad events leaving
//!   the rolling window.
//!
//! Threshold comparisons ("at or above 14.4") allow a relative error of 1e-9, so float
//! rounding in bad / total never decides an alert.

pub mod latency;
pub mod window;

use serde::{Deserialize, Serialize};

pub use latency::{Histogram, HistogramError, DEFAULT_LATENCY_BOUNDS_MS};
pub use window::{bucket_start, merge_buckets, sparkline, window_counts, Bucket, SparkPoint, MAX_SPARK_POINTS};

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// Relative tolerance of threshold comparisons (see the module notes).
const TOLERANCE: f64 = 1e-9;

/// `value` is at or above `threshold`, allowing float rounding.
fn at_least(value: f64, threshold: f64) -> bool {
    value >= threshold - threshold.abs() * TOLERANCE
}

/// Good and total events. `good` above `total` is bad data and is read as `total`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Counts {
    pub good: u64,
    pub total: u64,
}

impl Counts {
    pub const ZERO: Counts = Counts { good: 0, total: 0 };

    pub fn new(good: u64, total: u64) -> Self {
        Self { good, total }
    }

    /// Counts one event.
    pub fn record(&mut self, good: bool) {
        self.total = self.total.saturating_add(1);
        if good {
            self.good = self.good.saturating_add(1);
        }
    }

    pub fn good(self) -> u64 {
        self.good.min(self.total)
    }

    pub fn bad(self) -> u64 {
        self.total.saturating_sub(self.good)
    }

    pub fn is_empty(self) -> bool {
        self.total == 0
    }

    /// Both counts added (saturating), e.g. two server instances' rows for one minute.
    pub fn merge(self, other: Counts) -> Counts {
        Counts { good: self.good.saturating_add(other.good), total: self.total.saturating_add(other.total) }
    }

    /// good / total; `None` without events.
    pub fn sli(self) -> Option<f64> {
        (self.total > 0).then(|| self.good() as f64 / self.total as f64)
    }

    /// bad / total; `None` without events.
    pub fn error_ratio(self) -> Option<f64> {
        (self.total > 0).then(|| self.bad() as f64 / self.total as f64)
    }
}

impl std::iter::Sum for Counts {
    fn sum<I: Iterator<Item = Counts>>(iter: I) -> Counts {
        iter.fold(Counts::ZERO, Counts::merge)
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SloError {
    #[error("an objective's target must be above 0 and below 1 (a 100 % objective leaves no error budget); got {0}")]
    Target(f64),
    #[error("an objective's window must be longer than zero; got {0} ms")]
    Window(i64),
}

/// A target ratio of good events over a rolling window. Built only through [`Objective::new`]
/// (deserializing checks the same), so every objective has a non-empty error budget.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ObjectiveSpec")]
pub struct Objective {
    target: f64,
    window_ms: i64,
}

#[derive(Deserialize)]
struct ObjectiveSpec {
    target: f64,
    window_ms: i64,
}

impl TryFrom<ObjectiveSpec> for Objective {
    type Error = SloError;

    fn try_from(spec: ObjectiveSpec) -> Result<Self, SloError> {
        Objective::new(spec.target, spec.window_ms)
    }
}

impl Objective {
    pub fn new(target: f64, window_ms: i64) -> Result<Self, SloError> {
        if !(target > 0.0 && target < 1.0) {
            return Err(SloError::Target(target));
        }
        if window_ms <= 0 {
            return Err(SloError::Window(window_ms));
        }
        Ok(Self { target, window_ms })
    }

    pub fn target(&self) -> f64 {
        self.target
    }

    pub fn window_ms(&self) -> i64 {
        self.window_ms
    }

    /// 1 − target, rounded to 12 decimals; always above 0.
    pub fn allowed_error_ratio(&self) -> f64 {
        let rounded = ((1.0 - self.target) * 1e12).round() / 1e12;
        if rounded > 0.0 {
            rounded
        } else {
            1.0 - self.target
        }
    }
}

/// The error budget over an objective's window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Bad events the objective allows for the traffic seen: (1 − target) × total.
    pub allowed_bad: f64,
    pub bad: u64,
    /// allowed − bad; below zero when overspent.
    pub remaining_bad: f64,
    /// remaining / allowed: 1 untouched, 0 spent, below 0 overspent.
    pub remaining_fraction: f64,
}

impl Budget {
    /// Nothing left: spent exactly or overspent.
    pub fn is_exhausted(&self) -> bool {
        self.remaining_fraction <= TOLERANCE
    }

    /// More bad events than the objective allows.
    pub fn is_overspent(&self) -> bool {
        self.remaining_fraction < -TOLERANCE
    }

    /// Whole bad events that can still happen before the budget is spent at today's traffic
    /// (rounded down; negative when overspent, rounded away from zero).
    pub fn remaining_bad_events(&self) -> i64 {
        // `as` saturates at the i64 range; the budget never comes near it.
        (self.remaining_bad + self.allowed_bad * TOLERANCE).floor() as i64
    }
}

/// The budget for `counts` over the objective's window; `None` without events.
pub fn budget(objective: &Objective, counts: Counts) -> Option<Budget> {
    let burn = burn_rate(objective, counts)?;
    let allowed_bad = objective.allowed_error_ratio() * counts.total as f64;
    let bad = counts.bad();
    Some(Budget { allowed_bad, bad, remaining_bad: allowed_bad - bad as f64, remaining_fraction: 1.0 - burn })
}

/// (bad / total) / (1 − target); `None` without events.
pub fn burn_rate(objective: &Objective, counts: Counts) -> Option<f64> {
    Some(counts.error_ratio()? / objective.allowed_error_ratio())
}

/// The windows burn rates are shown and alerted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BurnWindow {
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "30m")]
    ThirtyMinutes,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "6h")]
    SixHours,
    #[serde(rename = "3d")]
    ThreeDays,
}

impl BurnWindow {
    pub const ALL: [BurnWindow; 5] = [
        BurnWindow::FiveMinutes,
        BurnWindow::ThirtyMinutes,
        BurnWindow::OneHour,
        BurnWindow::SixHours,
        BurnWindow::ThreeDays,
    ];

    pub fn ms(self) -> i64 {
        match self {
            BurnWindow::FiveMinutes => 5 * MINUTE_MS,
            BurnWindow::ThirtyMinutes => 30 * MINUTE_MS,
            BurnWindow::OneHour => HOUR_MS,
            BurnWindow::SixHours => 6 * HOUR_MS,
            BurnWindow::ThreeDays => 3 * DAY_MS,
        }
    }

    /// `5m`, `30m`, `1h`, `6h`, `3d`.
    pub fn label(self) -> &'static str {
        match self {
            BurnWindow::FiveMinutes => "5m",
            BurnWindow::ThirtyMinutes => "30m",
            BurnWindow::OneHour => "1h",
            BurnWindow::SixHours => "6h",
            BurnWindow::ThreeDays => "3d",
        }
    }
}

/// Burn rate over each [`BurnWindow`]; `None` where the window holds no event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BurnRates {
    pub five_minutes: Option<f64>,
    pub thirty_minutes: Option<f64>,
    pub one_hour: Option<f64>,
    pub six_hours: Option<f64>,
    pub three_days: Option<f64>,
}

impl BurnRates {
    pub fn get(&self, window: BurnWindow) -> Option<f64> {
        match window {
            BurnWindow::FiveMinutes => self.five_minutes,
            BurnWindow::ThirtyMinutes => self.thirty_minutes,
            BurnWindow::OneHour => self.one_hour,
            BurnWindow::SixHours => self.six_hours,
            BurnWindow::ThreeDays => self.three_days,
        }
    }

    pub fn set(&mut self, window: BurnWindow, rate: Option<f64>) {
        let slot = match window {
            BurnWindow::FiveMinutes => &mut self.five_minutes,
            BurnWindow::ThirtyMinutes => &mut self.thirty_minutes,
            BurnWindow::OneHour => &mut self.one_hour,
            BurnWindow::SixHours => &mut self.six_hours,
            BurnWindow::ThreeDays => &mut self.three_days,
        };
        *slot = rate;
    }

    /// Some window holds an event.
    pub fn has_data(&self) -> bool {
        BurnWindow::ALL.iter().any(|w| self.get(*w).is_some())
    }
}

/// Burn rates over every [`BurnWindow`] ending at `now_ms`, from per-bucket counts (see
/// [`window_counts`] for how buckets fall into a window).
pub fn burn_rates(objective: &Objective, buckets: &[Bucket], now_ms: i64) -> BurnRates {
    let mut rates = BurnRates::default();
    for w in BurnWindow::ALL {
        rates.set(w, burn_rate(objective, window_counts(buckets, now_ms, w.ms())));
    }
    rates
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ticket,
    Page,
}

/// One multiwindow alert: fires when the burn rate over both windows is at least `burn`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub severity: Severity,
    pub long: BurnWindow,
    pub short: BurnWindow,
    pub burn: f64,
    /// Share of a 30-day budget spent when the long window burns at `burn`.
    pub budget_consumed: f64,
}

/// The Google SRE Workbook's recommended starting point, chapter 5 "Alerting on SLOs",
/// section 6 "Multiwindow, Multi-Burn-Rate Alerts", Table 5-8 ("Recommended parameters for a
/// 99.9% SLO alerting configuration"), <https://sre.google/workbook/alerting-on-slos/>:
///
/// | severity | long window | short window | burn rate | budget consumed |
/// |----------|-------------|--------------|-----------|-----------------|
/// | page     | 1 hour      | 5 minutes    | 14.4      | 2 %             |
/// | page     | 6 hours     | 30 minutes   | 6         | 5 %             |
/// | ticket   | 3 days      | 6 hours      | 1         | 10 %            |
///
/// The short window is 1/12 of the long one (the workbook's guideline): it makes the alert
/// stop soon after the burning stops. The burn rates are derived for a 30-day objective
/// window (burn = consumed × 720 h / long window); the workbook keeps them as they are for
/// other targets, and so do we. The workbook's rules compare with `>`; we use "at or above",
/// which differs only at exact equality.
pub const WORKBOOK_ALERTS: [AlertRule; 3] = [
    AlertRule {
        severity: Severity::Page,
        long: BurnWindow::OneHour,
        short: BurnWindow::FiveMinutes,
        burn: 14.4,
        budget_consumed: 0.02,
    },
    AlertRule {
        severity: Severity::Page,
        long: BurnWindow::SixHours,
        short: BurnWindow::ThirtyMinutes,
        burn: 6.0,
        budget_consumed: 0.05,
    },
    AlertRule {
        severity: Severity::Ticket,
        long: BurnWindow::ThreeDays,
        short: BurnWindow::SixHours,
        burn: 1.0,
        budget_consumed: 0.10,
    },
];

impl AlertRule {
    /// Both windows burn at or above the threshold; a window without events never fires.
    pub fn fires(&self, rates: &BurnRates) -> bool {
        let over = |w: BurnWindow| rates.get(w).is_some_and(|rate| at_least(rate, self.burn));
        over(self.long) && over(self.short)
    }
}

/// The rules of [`WORKBOOK_ALERTS`] that fire.
pub fn firing(rates: &BurnRates) -> Vec<AlertRule> {
    WORKBOOK_ALERTS.iter().filter(|rule| rule.fires(rates)).copied().collect()
}

/// The state chip on a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    NoData,
    Ok,
    Ticket,
    Page,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::NoData => "no_data",
            State::Ok => "ok",
            State::Ticket => "ticket",
            State::Page => "page",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::NoData => "No data",
            State::Ok => "OK",
            State::Ticket => "Ticket",
            State::Page => "Page",
        }
    }
}

/// Page when a page rule fires, else ticket when a ticket rule fires, else OK; no data when
/// neither `objective_window` nor any burn window holds an event.
pub fn alert_state(rates: &BurnRates, objective_window: Counts) -> State {
    if objective_window.is_empty() && !rates.has_data() {
        return State::NoData;
    }
    let fired = firing(rates);
    if fired.iter().any(|rule| rule.severity == Severity::Page) {
        State::Page
    } else if fired.iter().any(|rule| rule.severity == Severity::Ticket) {
        State::Ticket
    } else {
        State::Ok
    }
}

/// The burn window the exhaustion estimate uses (see the module notes).
pub const EXHAUSTION_WINDOW: BurnWindow = BurnWindow::OneHour;

/// When the error budget runs out at the current burn rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exhaustion {
    /// No events in the objective window.
    NoData,
    /// Already spent (or overspent).
    Exhausted,
    /// Nothing bad in the burn window (or no events there): not running out at this rate.
    NotBurning,
    /// Runs out `in_ms` from now.
    In { in_ms: i64 },
}

/// remaining fraction × objective window / burn rate (see the module notes).
pub fn time_to_exhaustion(objective: &Objective, budget: Option<&Budget>, burn: Option<f64>) -> Exhaustion {
    let Some(budget) = budget else {
        return Exhaustion::NoData;
    };
    if budget.is_exhausted() {
        return Exhaustion::Exhausted;
    }
    match burn {
        Some(rate) if rate > 0.0 => {
            // `as` saturates: a tiny burn rate reads as "in a very long time", never wraps.
            let in_ms = (budget.remaining_fraction * objective.window_ms() as f64 / rate).round() as i64;
            Exhaustion::In { in_ms: in_ms.max(0) }
        }
        _ => Exhaustion::NotBurning,
    }
}

/// Everything a card shows about one objective at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloStatus {
    pub objective: Objective,
    pub now_ms: i64,
    /// Events in the objective's window.
    pub counts: Counts,
    pub sli: Option<f64>,
    pub budget: Option<Budget>,
    pub burn: BurnRates,
    pub state: State,
    pub firing: Vec<AlertRule>,
    pub exhaustion: Exhaustion,
}

/// Evaluates an objective over per-bucket counts (any order, duplicates allowed) at `now_ms`.
pub fn evaluate(objective: &Objective, buckets: &[Bucket], now_ms: i64) -> SloStatus {
    let counts = window_counts(buckets, now_ms, objective.window_ms());
    let left = budget(objective, counts);
    let burn = burn_rates(objective, buckets, now_ms);
    SloStatus {
        objective: *objective,
        now_ms,
        counts,
        sli: counts.sli(),
        budget: left,
        burn,
        state: alert_state(&burn, counts),
        firing: firing(&burn),
        exhaustion: time_to_exhaustion(objective, left.as_ref(), burn.get(EXHAUSTION_WINDOW)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_305_600_000;

    fn three_nines() -> Objective {
        Objective::new(0.999, 30 * DAY_MS).unwrap()
    }

    fn rates(pairs: &[(BurnWindow, f64)]) -> BurnRates {
        let mut rates = BurnRates::default();
        for (w, r) in pairs {
            rates.set(*w, Some(*r));
        }
        rates
    }

    #[test]
    fn no_events_is_no_data_never_one_hundred_percent() {
        assert_eq!(Counts::ZERO.sli(), None);
        assert_eq!(Counts::ZERO.error_ratio(), None);
        assert_eq!(budget(&three_nines(), Counts::ZERO), None);
        assert_eq!(burn_rate(&three_nines(), Counts::ZERO), None);
        let status = evaluate(&three_nines(), &[], NOW);
        assert_eq!((status.sli, status.budget, status.state), (None, None, State::NoData));
        assert_eq!(status.exhaustion, Exhaustion::NoData);
        assert!(status.firing.is_empty());
    }

    #[test]
    fn sli_is_good_over_total() {
        assert_eq!(Counts::new(999, 1000).sli(), Some(0.999));
        assert_eq!(Counts::new(0, 4).sli(), Some(0.0));
        assert_eq!(Counts::new(7, 5).sli(), Some(1.0), "more good than total is read as all good");
        assert_eq!(Counts::new(7, 5).bad(), 0);
    }

    #[test]
    fn counting_and_merging_add_up() {
        let mut a = Counts::ZERO;
        a.record(true);
        a.record(false);
        a.record(true);
        assert_eq!(a, Counts::new(2, 3));
        assert_eq!(a.merge(Counts::new(1, 1)), Counts::new(3, 4));
        assert_eq!([a, a].into_iter().sum::<Counts>(), Counts::new(4, 6));
        assert_eq!(Counts::new(u64::MAX, u64::MAX).merge(a), Counts::new(u64::MAX, u64::MAX), "saturates");
    }

    #[test]
    fn objectives_need_a_budget_and_a_window() {
        assert_eq!(Objective::new(1.0, DAY_MS), Err(SloError::Target(1.0)), "100 % leaves a zero budget");
        assert!(Objective::new(0.0, DAY_MS).is_err());
        assert!(Objective::new(f64::NAN, DAY_MS).is_err());
        assert!(Objective::new(1.5, DAY_MS).is_err());
        assert_eq!(Objective::new(0.99, 0), Err(SloError::Window(0)));
        assert!(Objective::new(0.99, 1).is_ok());
    }

    #[test]
    fn deserializing_an_objective_applies_the_same_checks() {
        assert_eq!(Objective::try_from(ObjectiveSpec { target: 0.99, window_ms: 1000 }), Objective::new(0.99, 1000));
        assert_eq!(Objective::try_from(ObjectiveSpec { target: 1.0, window_ms: 1000 }), Err(SloError::Target(1.0)));
    }

    #[test]
    fn the_allowed_error_ratio_is_rounded_to_decimals() {
        assert_eq!(three_nines().allowed_error_ratio(), 0.001);
        assert_eq!(Objective::new(0.99, 1).unwrap().allowed_error_ratio(), 0.01);
        assert_eq!(Objective::new(0.95, 1).unwrap().allowed_error_ratio(), 0.05);
    }

    #[test]
    fn budget_is_the_bad_events_the_target_allows() {
        let b = budget(&three_nines(), Counts::new(99_990, 100_000)).unwrap();
        assert!((b.allowed_bad - 100.0).abs() < 1e-9);
        assert_eq!(b.bad, 10);
        assert!((b.remaining_bad - 90.0).abs() < 1e-9);
        assert!((b.remaining_fraction - 0.9).abs() < 1e-9);
        assert_eq!(b.remaining_bad_events(), 90);
        assert!(!b.is_exhausted() && !b.is_overspent());
    }

    #[test]
    fn untouched_budget_is_whole() {
        let b = budget(&three_nines(), Counts::new(5, 5)).unwrap();
        assert_eq!(b.remaining_fraction, 1.0);
        assert_eq!(b.remaining_bad_events(), 0, "0.005 allowed bad events: not one whole event to spare");
    }

    #[test]
    fn exactly_spent_budget_is_zero_not_overspent() {
        let b = budget(&three_nines(), Counts::new(999, 1000)).unwrap();
        assert_eq!(b.remaining_fraction, 0.0);
        assert!(b.is_exhausted() && !b.is_overspent());
        assert_eq!(b.remaining_bad_events(), 0);
    }

    #[test]
    fn overspent_budget_goes_negative() {
        let b = budget(&three_nines(), Counts::new(997, 1000)).unwrap();
        assert!((b.remaining_fraction + 2.0).abs() < 1e-9, "three times the budget: two budgets overspent");
        assert!((b.remaining_bad + 2.0).abs() < 1e-9);
        assert_eq!(b.remaining_bad_events(), -2);
        assert!(b.is_overspent());
        let all_bad = budget(&three_nines(), Counts::new(0, 10)).unwrap();
        assert!((all_bad.remaining_fraction + 999.0).abs() < 1e-6);
    }

    #[test]
    fn burn_rate_is_error_ratio_over_allowed_ratio() {
        assert_eq!(burn_rate(&three_nines(), Counts::new(999, 1000)), Some(1.0));
        assert_eq!(burn_rate(&three_nines(), Counts::new(1000, 1000)), Some(0.0));
        let r = burn_rate(&three_nines(), Counts::new(9_856, 10_000)).unwrap();
        assert!((r - 14.4).abs() < 1e-9);
        assert_eq!(burn_rate(&Objective::new(0.99, 1).unwrap(), Counts::new(0, 3)), Some(100.0));
    }

    #[test]
    fn the_workbook_pairs_are_the_documented_ones() {
        let rows: Vec<_> = WORKBOOK_ALERTS.iter().map(|r| (r.severity, r.long, r.short, r.burn)).collect();
        assert_eq!(
            rows,
            [
                (Severity::Page, BurnWindow::OneHour, BurnWindow::FiveMinutes, 14.4),
                (Severity::Page, BurnWindow::SixHours, BurnWindow::ThirtyMinutes, 6.0),
                (Severity::Ticket, BurnWindow::ThreeDays, BurnWindow::SixHours, 1.0),
            ]
        );
        for rule in WORKBOOK_ALERTS {
            assert_eq!(rule.short.ms() * 12, rule.long.ms(), "short window is 1/12 of the long one");
            let consumed = rule.burn * rule.long.ms() as f64 / (30 * DAY_MS) as f64;
            assert!((consumed - rule.budget_consumed).abs() < 1e-9, "{rule:?}");
        }
    }

    #[test]
    fn fast_burn_pages_only_when_both_windows_burn() {
        use BurnWindow::*;
        assert_eq!(alert_state(&rates(&[(OneHour, 20.0)]), Counts::new(1, 1)), State::Ok, "1 h alone");
        assert_eq!(alert_state(&rates(&[(FiveMinutes, 20.0)]), Counts::new(1, 1)), State::Ok, "5 m alone");
        assert_eq!(
            alert_state(&rates(&[(OneHour, 20.0), (FiveMinutes, 14.0)]), Counts::new(1, 1)),
            State::Ok,
            "5 m just under"
        );
        let both = rates(&[(OneHour, 14.4), (FiveMinutes, 14.4)]);
        assert_eq!(alert_state(&both, Counts::new(1, 1)), State::Page, "exactly at the threshold pages");
        assert_eq!(firing(&both), vec![WORKBOOK_ALERTS[0]]);
    }

    #[test]
    fn slow_burn_pages_only_when_both_windows_burn() {
        use BurnWindow::*;
        assert_eq!(alert_state(&rates(&[(SixHours, 7.0)]), Counts::new(1, 1)), State::Ok, "6 h alone");
        assert_eq!(alert_state(&rates(&[(ThirtyMinutes, 7.0)]), Counts::new(1, 1)), State::Ok, "30 m alone");
        let both = rates(&[(SixHours, 6.0), (ThirtyMinutes, 6.5)]);
        assert_eq!(alert_state(&both, Counts::new(1, 1)), State::Page);
        assert_eq!(firing(&both), vec![WORKBOOK_ALERTS[1]]);
    }

    #[test]
    fn steady_burn_tickets_only_when_both_windows_burn() {
        use BurnWindow::*;
        assert_eq!(alert_state(&rates(&[(ThreeDays, 2.0)]), Counts::new(1, 1)), State::Ok, "3 d alone");
        assert_eq!(alert_state(&rates(&[(SixHours, 2.0)]), Counts::new(1, 1)), State::Ok, "6 h alone");
        let both = rates(&[(ThreeDays, 1.0), (SixHours, 2.0)]);
        assert_eq!(alert_state(&both, Counts::new(1, 1)), State::Ticket);
        assert_eq!(alert_state(&rates(&[(ThreeDays, 0.99), (SixHours, 2.0)]), Counts::new(1, 1)), State::Ok);
    }

    #[test]
    fn the_long_window_of_one_pair_and_the_short_of_another_do_not_page() {
        use BurnWindow::*;
        let crossed = rates(&[(OneHour, 20.0), (ThirtyMinutes, 20.0), (SixHours, 0.5), (FiveMinutes, 0.5)]);
        assert_eq!(alert_state(&crossed, Counts::new(1, 1)), State::Ok);
    }

    #[test]
    fn page_outranks_ticket() {
        use BurnWindow::*;
        let all = rates(&[(FiveMinutes, 20.0), (OneHour, 20.0), (SixHours, 2.0), (ThreeDays, 2.0)]);
        assert_eq!(alert_state(&all, Counts::new(1, 1)), State::Page);
        assert_eq!(firing(&all).len(), 2);
    }

    #[test]
    fn a_quiet_burn_window_is_ok_not_no_data_when_the_objective_window_has_events() {
        assert_eq!(alert_state(&BurnRates::default(), Counts::new(10, 10)), State::Ok);
        assert_eq!(alert_state(&BurnRates::default(), Counts::ZERO), State::NoData);
    }

    #[test]
    fn exhaustion_is_the_remaining_share_of_the_window_at_the_burn_rate() {
        let o = three_nines();
        let half_left = budget(&o, Counts::new(19_990, 20_000)).unwrap();
        assert!((half_left.remaining_fraction - 0.5).abs() < 1e-9);
        // Half of a 30-day budget at 10x lasts 1.5 days.
        assert_eq!(time_to_exhaustion(&o, Some(&half_left), Some(10.0)), Exhaustion::In { in_ms: 36 * HOUR_MS });
        assert_eq!(time_to_exhaustion(&o, Some(&half_left), Some(0.0)), Exhaustion::NotBurning);
        assert_eq!(time_to_exhaustion(&o, Some(&half_left), None), Exhaustion::NotBurning);
        assert_eq!(time_to_exhaustion(&o, None, Some(10.0)), Exhaustion::NoData);
        let spent = budget(&o, Counts::new(990, 1000)).unwrap();
        assert_eq!(time_to_exhaustion(&o, Some(&spent), Some(10.0)), Exhaustion::Exhausted);
        let exactly = budget(&o, Counts::new(999, 1000)).unwrap();
        assert_eq!(time_to_exhaustion(&o, Some(&exactly), Some(1.0)), Exhaustion::Exhausted);
    }

    #[test]
    fn a_tiny_burn_rate_saturates_instead_of_wrapping() {
        let o = three_nines();
        let b = budget(&o, Counts::new(10, 10)).unwrap();
        assert_eq!(time_to_exhaustion(&o, Some(&b), Some(1e-300)), Exhaustion::In { in_ms: i64::MAX });
    }

    #[test]
    fn an_outage_in_the_last_hour_pages_and_counts_down() {
        let o = three_nines();
        // Per-minute buckets: a quiet month of 1000 good events a minute, then the last
        // 60 minutes at 2 % errors (20x burn).
        let start = bucket_start(NOW, MINUTE_MS);
        let mut buckets: Vec<Bucket> =
            (1..=3 * 24 * 60).map(|m| (start - m * MINUTE_MS, Counts::new(1000, 1000))).collect();
        for m in 0..60 {
            if let Some(b) = buckets.get_mut(m) {
                b.1 = Counts::new(980, 1000);
            }
        }
        let status = evaluate(&o, &buckets, start + MINUTE_MS - 1);
        assert_eq!(status.state, State::Page);
        assert!((status.burn.one_hour.unwrap() - 20.0).abs() < 1e-6);
        assert!((status.burn.five_minutes.unwrap() - 20.0).abs() < 1e-6);
        assert!(status.burn.three_days.unwrap() < 1.0);
        let b = status.budget.unwrap();
        assert_eq!(b.bad, 1200);
        assert!(matches!(status.exhaustion, Exhaustion::In { in_ms } if in_ms > 0 && in_ms < 30 * DAY_MS));
    }

    #[test]
    fn after_the_outage_the_short_windows_clear_the_pages_and_the_ticket_stays() {
        let o = three_nines();
        let start = bucket_start(NOW, MINUTE_MS);
        // Three good days, except 20 minutes at 50 % errors that ended 40 minutes ago.
        let buckets: Vec<Bucket> = (0..3 * 24 * 60)
            .map(|m| {
                (
                    start - m * MINUTE_MS,
                    if (40..60).contains(&m) { Counts::new(500, 1000) } else { Counts::new(1000, 1000) },
                )
            })
            .collect();
        let status = evaluate(&o, &buckets, start);
        assert!(status.burn.one_hour.unwrap() >= 14.4, "the long windows still remember");
        assert!(status.burn.six_hours.unwrap() >= 6.0);
        assert_eq!((status.burn.five_minutes, status.burn.thirty_minutes), (Some(0.0), Some(0.0)));
        assert!(status.burn.three_days.unwrap() >= 1.0);
        assert_eq!(status.firing, vec![WORKBOOK_ALERTS[2]]);
        assert_eq!(status.state, State::Ticket);
        // Ten minutes after it ended the 5 m window is clean, but the 30 m one still burns.
        let sooner = evaluate(&o, &buckets, start - 30 * MINUTE_MS);
        assert_eq!(sooner.burn.five_minutes, Some(0.0));
        assert_eq!(sooner.firing, vec![WORKBOOK_ALERTS[1], WORKBOOK_ALERTS[2]]);
        assert_eq!(sooner.state, State::Page);
    }

    #[test]
    fn states_and_windows_have_stable_names() {
        assert_eq!(State::NoData.as_str(), "no_data");
        assert_eq!(State::Page.label(), "Page");
        assert_eq!(BurnWindow::ALL.map(BurnWindow::label), ["5m", "30m", "1h", "6h", "3d"]);
    }
}
