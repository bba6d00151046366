//! Latency histograms and latency SLIs.
//!
//! - A histogram has fixed upper bounds (ms, finite, above 0, strictly increasing) and one
//!   count per bucket: bucket i holds observations in (bound[i−1], bound[i]] (the first from
//!   0), and a last overflow bucket holds those above the highest bound — Prometheus `le`
//!   buckets. It also keeps the sum, the smallest and the largest observation. Everything
//!   merges: counts and sums add, min and max combine, so two server processes' histograms
//!   with the same bounds add up to the histogram of all their requests.
//! - Observations below 0 count as 0; NaN and infinities are not counted.
//! - Quantile q (0 ≤ q ≤ 1) of n observations: rank r = q × n; the first non-empty bucket
//!   whose cumulative count reaches r holds it, and the estimate interpolates linearly inside
//!   that bucket, lower + (upper − lower) × (r − count below) / count in bucket, as if its
//!   observations were spread evenly. The overflow bucket's upper end is the largest
//!   observation. The result is then kept within [min, max]. Error bound: the true value
//!   (the ⌈r⌉-th smallest observation, or the smallest for q = 0) lies in the same bucket, so
//!   the estimate is off by at most that bucket's width; choose bounds dense around the
//!   objective's threshold (the default ones are 100 ms wide around 500 ms).
//! - Latency SLI: a request is good when it took at most the threshold. "p95 ≤ 500 ms" is the
//!   same statement as "at least 95 % of requests take ≤ 500 ms", so the P.1 objective is an
//!   [`Objective`](super::Objective) with target 0.95 over those counts, and the card shows the
//!   estimated p95 beside it. A histogram answers the good count exactly only when the
//!   threshold is one of its bounds; any other threshold is refused rather than guessed.

use serde::{Deserialize, Serialize};

use super::Counts;

/// Bounds for request latencies, dense around the 500 ms checkout objective.
pub const DEFAULT_LATENCY_BOUNDS_MS: [f64; 20] = [
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 400.0, 500.0, 600.0, 750.0, 1000.0, 2000.0,
    3000.0, 5000.0, 10000.0,
];

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HistogramError {
    #[error("histogram bounds must be finite, above 0 and strictly increasing, and there must be at least one")]
    Bounds,
    #[error("histogram counts must number one per bound plus one for the overflow bucket")]
    Counts,
    #[error("histograms with different bounds cannot be merged")]
    BoundsDiffer,
    #[error("{0} ms is not one of the histogram's bounds, so its count is not known exactly")]
    NotABound(f64),
}

/// A latency histogram (see the module notes). Deserializing checks what [`Histogram::from_parts`]
/// checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "HistogramParts")]
pub struct Histogram {
    bounds: Vec<f64>,
    /// One per bound, then the overflow bucket.
    counts: Vec<u64>,
    sum_ms: f64,
    /// Smallest and largest observation; meaningless while empty.
    min_ms: f64,
    max_ms: f64,
}

#[derive(Deserialize)]
struct HistogramParts {
    bounds: Vec<f64>,
    counts: Vec<u64>,
    sum_ms: f64,
    min_ms: f64,
    max_ms: f64,
}

impl TryFrom<HistogramParts> for Histogram {
    type Error = HistogramError;

    fn try_from(p: HistogramParts) -> Result<Self, HistogramError> {
        Histogram::from_parts(p.bounds, p.counts, p.sum_ms, p.min_ms, p.max_ms)
    }
}

fn valid_bounds(bounds: &[f64]) -> bool {
    !bounds.is_empty()
        && bounds.iter().all(|b| b.is_finite() && *b > 0.0)
        && bounds.windows(2).all(|pair| matches!(pair, [a, b] if a < b))
}

impl Default for Histogram {
    fn default() -> Self {
        Self::empty(DEFAULT_LATENCY_BOUNDS_MS.to_vec())
    }
}

impl Histogram {
    fn empty(bounds: Vec<f64>) -> Self {
        let counts = vec![0; bounds.len().saturating_add(1)];
        Self { bounds, counts, sum_ms: 0.0, min_ms: 0.0, max_ms: 0.0 }
    }

    /// An empty histogram with these bounds.
    pub fn new(bounds: Vec<f64>) -> Result<Self, HistogramError> {
        if !valid_bounds(&bounds) {
            return Err(HistogramError::Bounds);
        }
        Ok(Self::empty(bounds))
    }

    /// A histogram as stored or sent: bounds, counts (one per bound, then overflow), the sum,
    /// the smallest and the largest observation.
    pub fn from_parts(
        bounds: Vec<f64>,
        counts: Vec<u64>,
        sum_ms: f64,
        min_ms: f64,
        max_ms: f64,
    ) -> Result<Self, HistogramError> {
        if !valid_bounds(&bounds) {
            return Err(HistogramError::Bounds);
        }
        if counts.len() != bounds.len().saturating_add(1) {
            return Err(HistogramError::Counts);
        }
        Ok(Self { bounds, counts, sum_ms, min_ms, max_ms })
    }

    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// One count per bound, then the overflow bucket.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().fold(0u64, |sum, c| sum.saturating_add(*c))
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    pub fn sum_ms(&self) -> f64 {
        self.sum_ms
    }

    pub fn min_ms(&self) -> Option<f64> {
        (!self.is_empty()).then_some(self.min_ms)
    }

    pub fn max_ms(&self) -> Option<f64> {
        (!self.is_empty()).then_some(self.max_ms)
    }

    pub fn mean_ms(&self) -> Option<f64> {
        let n = self.count();
        (n > 0).then(|| self.sum_ms / n as f64)
    }

    /// Counts one observation (see the module notes for odd values).
    pub fn observe(&mut self, value_ms: f64) {
        if !value_ms.is_finite() {
            return;
        }
        let v = value_ms.max(0.0);
        let first = self.is_empty();
        let index = self.bounds.partition_point(|bound| *bound < v);
        if let Some(slot) = self.counts.get_mut(index) {
            *slot = slot.saturating_add(1);
        }
        self.sum_ms += v;
        if first {
            (self.min_ms, self.max_ms) = (v, v);
        } else {
            self.min_ms = self.min_ms.min(v);
            self.max_ms = self.max_ms.max(v);
        }
    }

    /// Adds `other`'s observations to this histogram; refused when the bounds differ.
    pub fn merge(&mut self, other: &Histogram) -> Result<(), HistogramError> {
        if self.bounds != other.bounds {
            return Err(HistogramError::BoundsDiffer);
        }
        if other.is_empty() {
            return Ok(());
        }
        if self.is_empty() {
            (self.min_ms, self.max_ms) = (other.min_ms, other.max_ms);
        } else {
            self.min_ms = self.min_ms.min(other.min_ms);
            self.max_ms = self.max_ms.max(other.max_ms);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.sum_ms += other.sum_ms;
        Ok(())
    }

    /// The estimated q-quantile (see the module notes); `None` when empty or q is outside [0, 1].
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = q * n as f64;
        let mut below = 0u64;
        let mut lower = 0.0;
        for (i, count) in self.counts.iter().enumerate() {
            let upper = self.bounds.get(i).copied().unwrap_or(self.max_ms.max(lower));
            let through = below.saturating_add(*count);
            if *count > 0 && through as f64 >= rank {
                let fraction = (rank - below as f64) / *count as f64;
                let estimate = lower + (upper - lower) * fraction.clamp(0.0, 1.0);
                return Some(estimate.clamp(self.min_ms, self.max_ms));
            }
            below = through;
            lower = upper;
        }
        // Unreachable for a consistent histogram (the last non-empty bucket reaches n ≥ rank).
        Some(self.max_ms)
    }

    /// Good (at or under `threshold_ms`) and total observations; `threshold_ms` must be a bound.
    pub fn counts_at_or_under(&self, threshold_ms: f64) -> Result<Counts, HistogramError> {
        let index = self
            .bounds
            .iter()
            .position(|bound| *bound == threshold_ms)
            .ok_or(HistogramError::NotABound(threshold_ms))?;
        let good = self.counts.iter().take(index.saturating_add(1)).fold(0u64, |sum, c| sum.saturating_add(*c));
        Ok(Counts::new(good, self.count()))
    }
}

/// A request that took `latency_ms` is good for a latency SLI with `threshold_ms`.
pub fn within(latency_ms: f64, threshold_ms: f64) -> bool {
    latency_ms <= threshold_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hundreds() -> Histogram {
        Histogram::new((1..=10).map(|i| f64::from(i) * 100.0).collect()).unwrap()
    }

    #[test]
    fn the_default_bounds_are_valid_and_hold_the_checkout_threshold() {
        assert!(Histogram::new(DEFAULT_LATENCY_BOUNDS_MS.to_vec()).is_ok());
        assert!(DEFAULT_LATENCY_BOUNDS_MS.contains(&500.0));
        assert_eq!(Histogram::default().counts().len(), DEFAULT_LATENCY_BOUNDS_MS.len() + 1);
    }

    #[test]
    fn bounds_must_be_positive_finite_and_increasing() {
        assert_eq!(Histogram::new(vec![]), Err(HistogramError::Bounds));
        assert_eq!(Histogram::new(vec![10.0, 10.0]), Err(HistogramError::Bounds));
        assert_eq!(Histogram::new(vec![20.0, 10.0]), Err(HistogramError::Bounds));
        assert_eq!(Histogram::new(vec![0.0, 10.0]), Err(HistogramError::Bounds));
        assert_eq!(Histogram::new(vec![10.0, f64::INFINITY]), Err(HistogramError::Bounds));
        assert_eq!(Histogram::new(vec![10.0, f64::NAN]), Err(HistogramError::Bounds));
        assert_eq!(Histogram::from_parts(vec![1.0], vec![0], 0.0, 0.0, 0.0), Err(HistogramError::Counts));
        assert!(Histogram::from_parts(vec![1.0], vec![0, 3], 6.0, 2.0, 2.0).is_ok());
    }

    #[test]
    fn a_bound_is_an_inclusive_upper_edge() {
        let mut h = Histogram::new(vec![100.0, 200.0]).unwrap();
        for v in [0.0, 100.0, 100.5, 200.0, 200.1, -3.0] {
            h.observe(v);
        }
        assert_eq!(h.counts(), [3, 2, 1]);
        assert_eq!((h.min_ms(), h.max_ms()), (Some(0.0), Some(200.1)));
    }

    #[test]
    fn non_finite_observations_are_not_counted() {
        let mut h = hundreds();
        h.observe(f64::NAN);
        h.observe(f64::INFINITY);
        assert!(h.is_empty());
        assert_eq!((h.quantile(0.5), h.mean_ms(), h.min_ms()), (None, None, None));
    }

    #[test]
    fn quantiles_of_a_uniform_distribution_are_exact() {
        let mut h = hundreds();
        for v in 1..=1000 {
            h.observe(f64::from(v));
        }
        assert_eq!(h.quantile(0.95), Some(950.0));
        assert_eq!(h.quantile(0.5), Some(500.0));
        assert_eq!(h.quantile(0.99), Some(990.0));
        assert_eq!(h.quantile(1.0), Some(1000.0));
        assert_eq!(h.quantile(0.0), Some(1.0), "kept at the smallest observation");
        assert_eq!(h.mean_ms(), Some(500.5));
    }

    #[test]
    fn a_skewed_distribution_stays_within_the_bucket_width() {
        // 90 fast requests, 10 slow ones: the true p95 is 900 ms, and the bucket (100, 1000]
        // holding it is 900 ms wide.
        let mut h = Histogram::new(vec![100.0, 1000.0]).unwrap();
        (0..90).for_each(|_| h.observe(10.0));
        (0..10).for_each(|_| h.observe(900.0));
        let p95 = h.quantile(0.95).unwrap();
        assert_eq!(p95, 550.0);
        assert!((p95 - 900.0).abs() <= 900.0);
        // Denser bounds around the value shrink the error.
        let mut fine = Histogram::new(vec![100.0, 800.0, 900.0, 1000.0]).unwrap();
        (0..90).for_each(|_| fine.observe(10.0));
        (0..10).for_each(|_| fine.observe(900.0));
        let p95 = fine.quantile(0.95).unwrap();
        assert!((p95 - 900.0).abs() <= 100.0, "{p95}");
    }

    #[test]
    fn the_overflow_bucket_reaches_up_to_the_largest_observation() {
        let mut h = Histogram::new(vec![100.0]).unwrap();
        h.observe(50.0);
        h.observe(300.0);
        h.observe(500.0);
        assert_eq!(h.quantile(1.0), Some(500.0));
        // Rank 1.5 is a quarter into (100, 500]: 200 ms against a true median of 300 ms, within
        // the bucket's 400 ms width.
        assert_eq!(h.quantile(0.5), Some(200.0));
    }

    #[test]
    fn a_single_observation_is_every_quantile() {
        let mut h = hundreds();
        h.observe(432.0);
        assert_eq!(h.quantile(0.0), Some(432.0));
        assert_eq!(h.quantile(0.95), Some(432.0));
    }

    #[test]
    fn quantiles_outside_zero_to_one_are_refused() {
        let mut h = hundreds();
        h.observe(1.0);
        assert_eq!(h.quantile(-0.1), None);
        assert_eq!(h.quantile(1.1), None);
        assert_eq!(h.quantile(f64::NAN), None);
    }

    #[test]
    fn two_processes_histograms_add_up() {
        let (mut a, mut b, mut all) = (hundreds(), hundreds(), hundreds());
        for v in 1..=500 {
            a.observe(f64::from(v));
            all.observe(f64::from(v));
        }
        for v in 501..=1000 {
            b.observe(f64::from(v));
            all.observe(f64::from(v));
        }
        a.merge(&b).unwrap();
        assert_eq!(a, all);
        assert_eq!(a.quantile(0.95), Some(950.0));
        let other = Histogram::new(vec![1.0]).unwrap();
        assert_eq!(a.merge(&other), Err(HistogramError::BoundsDiffer));
    }

    #[test]
    fn merging_into_an_empty_histogram_takes_the_other_min_and_max() {
        let mut empty = hundreds();
        let mut b = hundreds();
        b.observe(250.0);
        empty.merge(&b).unwrap();
        assert_eq!((empty.min_ms(), empty.max_ms()), (Some(250.0), Some(250.0)));
        b.merge(&hundreds()).unwrap();
        assert_eq!(b.count(), 1);
    }

    #[test]
    fn good_events_are_those_at_or_under_the_threshold() {
        let mut h = Histogram::default();
        for v in [120.0, 480.0, 500.0, 500.1, 2_000.0] {
            h.observe(v);
        }
        assert_eq!(h.counts_at_or_under(500.0), Ok(Counts::new(3, 5)));
        assert_eq!(h.counts_at_or_under(499.0), Err(HistogramError::NotABound(499.0)));
        assert!(within(500.0, 500.0) && !within(500.1, 500.0));
    }

    #[test]
    fn p95_under_the_threshold_means_at_least_95_percent_good() {
        let mut h = Histogram::default();
        (0..95).for_each(|_| h.observe(200.0));
        (0..5).for_each(|_| h.observe(900.0));
        assert!(h.quantile(0.95).unwrap() <= 500.0);
        let good = h.counts_at_or_under(500.0).unwrap();
        assert!(good.sli().unwrap() >= 0.95);
        h.observe(900.0);
        assert!(h.quantile(0.95).unwrap() > 500.0);
        assert!(h.counts_at_or_under(500.0).unwrap().sli().unwrap() < 0.95);
    }
}
