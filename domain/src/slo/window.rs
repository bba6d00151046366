//! Windows over time buckets: the database returns counts per bucket (e.g. per minute, one row
//! per instance or already summed); these functions add them up over a window and draw them
//! as a sparkline.
//!
//! - A bucket is `(start_ms, counts)`: the events whose time falls in
//!   [start, start + width). Rows may come in any order, and several rows may share a start
//!   (two server instances); they simply add.
//! - The window "last N ms at now" is [now − N, now]. A bucket belongs to it when its
//!   **start** lies in the window. Partial buckets: the oldest bucket, which started before
//!   now − N, is left out whole, and the current bucket, still filling, is counted whole. So
//!   a window never counts an event older than N, never counts a bucket that starts after now
//!   (another instance's clock running ahead), and covers between N − width and N of time.
//!   Buckets should be much narrower than the shortest window: per-minute buckets for the 5 m
//!   window. No pro-rating: counts stay whole events.
//! - Sparkline: one point per step from `from_ms` up to `to_ms` (exclusive); a point adds up the
//!   buckets starting in [point, point + step). SLI per point, `None` for a point without
//!   events (a gap, not 100 %); a point breaches when its SLI is below the objective's
//!   target. At most [`MAX_SPARK_POINTS`]: beyond that the oldest points are left out.

use serde::{Deserialize, Serialize};

use super::{Counts, Objective};

/// `(bucket start in Unix ms, counts)`.
pub type Bucket = (i64, Counts);

/// The most points [`sparkline`] returns.
pub const MAX_SPARK_POINTS: usize = 2_000;

/// The start of the `width_ms` bucket holding `ts_ms` (buckets aligned on the Unix epoch);
/// `ts_ms` itself for a width of zero or less.
pub fn bucket_start(ts_ms: i64, width_ms: i64) -> i64 {
    if width_ms <= 0 {
        return ts_ms;
    }
    ts_ms.div_euclid(width_ms).saturating_mul(width_ms)
}

/// The counts of the buckets starting in [now − span, now]; nothing for a span of zero or less.
pub fn window_counts(buckets: &[Bucket], now_ms: i64, span_ms: i64) -> Counts {
    if span_ms <= 0 {
        return Counts::ZERO;
    }
    let from = now_ms.saturating_sub(span_ms);
    buckets.iter().filter(|(start, _)| (from..=now_ms).contains(start)).map(|(_, c)| *c).sum()
}

/// Rows from several sources as one series: sorted by start, rows with the same start added.
pub fn merge_buckets(rows: impl IntoIterator<Item = Bucket>) -> Vec<Bucket> {
    let mut merged = std::collections::BTreeMap::<i64, Counts>::new();
    for (start, counts) in rows {
        let slot = merged.entry(start).or_default();
        *slot = slot.merge(counts);
    }
    merged.into_iter().collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SparkPoint {
    pub start_ms: i64,
    pub counts: Counts,
    /// `None` when the point holds no event.
    pub sli: Option<f64>,
    /// The SLI is below the target.
    pub breach: bool,
}

/// SLI per step over [from, to) (see the module notes); empty for an empty range or a step of
/// zero or less.
pub fn sparkline(objective: &Objective, buckets: &[Bucket], from_ms: i64, to_ms: i64, step_ms: i64) -> Vec<SparkPoint> {
    if step_ms <= 0 || to_ms <= from_ms {
        return Vec::new();
    }
    let span = to_ms.saturating_sub(from_ms);
    // Points needed: ceil(span / step), computed without overflow.
    let whole = span.checked_div(step_ms).unwrap_or(0);
    let needed = whole.saturating_add(i64::from(span.checked_rem(step_ms).unwrap_or(0) != 0));
    let kept = needed.min(MAX_SPARK_POINTS as i64);
    let skipped = needed.saturating_sub(kept);
    let first = from_ms.saturating_add(skipped.saturating_mul(step_ms));
    let mut counts = vec![Counts::ZERO; usize::try_from(kept).unwrap_or(0)];
    for (start, c) in buckets {
        if *start < first || *start >= to_ms {
            continue;
        }
        let offset = start.saturating_sub(first).checked_div(step_ms).unwrap_or(-1);
        let index = usize::try_from(offset).unwrap_or(usize::MAX);
        if let Some(slot) = counts.get_mut(index) {
            *slot = slot.merge(*c);
        }
    }
    let target = objective.target();
    let mut start_ms = first;
    let mut points = Vec::with_capacity(counts.len());
    for c in counts {
        let sli = c.sli();
        points.push(SparkPoint { start_ms, counts: c, sli, breach: sli.is_some_and(|s| s < target) });
        start_ms = start_ms.saturating_add(step_ms);
    }
    points
}

#[cfg(test)]
mod tests {
    use super::super::MINUTE_MS;
    use super::*;

    const T0: i64 = 1_795_305_600_000; // a whole minute

    fn c(good: u64, total: u64) -> Counts {
        Counts::new(good, total)
    }

    #[test]
    fn buckets_align_on_the_epoch() {
        assert_eq!(bucket_start(T0 + 59_999, MINUTE_MS), T0);
        assert_eq!(bucket_start(T0 + 60_000, MINUTE_MS), T0 + MINUTE_MS);
        assert_eq!(bucket_start(-1, MINUTE_MS), -MINUTE_MS, "before 1970 rounds down, not toward zero");
        assert_eq!(bucket_start(123, 0), 123);
    }

    #[test]
    fn a_window_counts_buckets_starting_inside_it() {
        let buckets = [(T0 - 6 * MINUTE_MS, c(1, 1)), (T0 - 5 * MINUTE_MS, c(2, 2)), (T0, c(4, 4))];
        // At T0 the 5 m window is [T0 − 5 m, T0]: the bucket starting exactly 5 m ago is in.
        assert_eq!(window_counts(&buckets, T0, 5 * MINUTE_MS), c(6, 6));
        // One ms later it has left; the current bucket stays in.
        assert_eq!(window_counts(&buckets, T0 + 1, 5 * MINUTE_MS), c(4, 4));
    }

    #[test]
    fn the_partly_covered_oldest_bucket_is_left_out_and_the_current_one_counted() {
        let buckets = [(T0 - 5 * MINUTE_MS, c(1, 1)), (T0, c(1, 2))];
        // 30 s into the current minute: the bucket from 5 m ago started 5 m 30 s ago.
        assert_eq!(window_counts(&buckets, T0 + 30_000, 5 * MINUTE_MS), c(1, 2));
    }

    #[test]
    fn buckets_from_the_future_are_not_counted() {
        let buckets = [(T0, c(1, 1)), (T0 + MINUTE_MS, c(5, 5))];
        assert_eq!(window_counts(&buckets, T0 + 59_999, 5 * MINUTE_MS), c(1, 1));
    }

    #[test]
    fn an_empty_or_negative_span_counts_nothing() {
        let buckets = [(T0, c(1, 1))];
        assert_eq!(window_counts(&buckets, T0, 0), Counts::ZERO);
        assert_eq!(window_counts(&buckets, T0, -5), Counts::ZERO);
        assert_eq!(window_counts(&[], T0, MINUTE_MS), Counts::ZERO);
        assert_eq!(window_counts(&buckets, i64::MIN, i64::MAX), Counts::ZERO, "no overflow");
    }

    #[test]
    fn two_instances_rows_add_up() {
        let a = [(T0, c(10, 10)), (T0 + MINUTE_MS, c(5, 6))];
        let b = [(T0 + MINUTE_MS, c(3, 4)), (T0 - MINUTE_MS, c(1, 1))];
        let merged = merge_buckets(a.into_iter().chain(b));
        assert_eq!(merged, vec![(T0 - MINUTE_MS, c(1, 1)), (T0, c(10, 10)), (T0 + MINUTE_MS, c(8, 10))]);
        let unmerged: Vec<Bucket> = a.into_iter().chain(b).collect();
        assert_eq!(
            window_counts(&unmerged, T0 + MINUTE_MS, 10 * MINUTE_MS),
            window_counts(&merged, T0 + MINUTE_MS, 10 * MINUTE_MS),
            "windows need no merge first"
        );
    }

    #[test]
    fn sparkline_marks_breaches_and_leaves_gaps() {
        let o = Objective::new(0.99, 30 * MINUTE_MS).unwrap();
        let buckets = [
            (T0, c(100, 100)),
            (T0 + MINUTE_MS, c(49, 50)),
            (T0 + MINUTE_MS + 1, c(49, 50)), // same point, another instance
            (T0 + 3 * MINUTE_MS, c(97, 100)),
        ];
        let points = sparkline(&o, &buckets, T0, T0 + 4 * MINUTE_MS, MINUTE_MS);
        let shape: Vec<_> = points.iter().map(|p| (p.start_ms, p.sli, p.breach)).collect();
        assert_eq!(
            shape,
            vec![
                (T0, Some(1.0), false),
                (T0 + MINUTE_MS, Some(0.98), true),
                (T0 + 2 * MINUTE_MS, None, false),
                (T0 + 3 * MINUTE_MS, Some(0.97), true),
            ]
        );
        assert_eq!(points.get(1).map(|p| p.counts), Some(c(98, 100)));
    }

    #[test]
    fn sparkline_at_exactly_the_target_is_no_breach() {
        let o = Objective::new(0.99, MINUTE_MS).unwrap();
        let points = sparkline(&o, &[(T0, c(99, 100))], T0, T0 + MINUTE_MS, MINUTE_MS);
        assert_eq!(points.first().map(|p| p.breach), Some(false));
    }

    #[test]
    fn sparkline_steps_can_span_several_buckets() {
        let o = Objective::new(0.9, MINUTE_MS).unwrap();
        let buckets: Vec<Bucket> = (0..10).map(|m| (T0 + m * MINUTE_MS, c(1, 1))).collect();
        let points = sparkline(&o, &buckets, T0, T0 + 10 * MINUTE_MS, 4 * MINUTE_MS);
        let totals: Vec<u64> = points.iter().map(|p| p.counts.total).collect();
        assert_eq!(totals, vec![4, 4, 2], "the last point is partial");
    }

    #[test]
    fn sparkline_keeps_the_newest_points_when_too_many() {
        let o = Objective::new(0.9, MINUTE_MS).unwrap();
        let to = T0 + 5_000 * MINUTE_MS;
        let points = sparkline(&o, &[(to - MINUTE_MS, c(1, 1))], T0, to, MINUTE_MS);
        assert_eq!(points.len(), MAX_SPARK_POINTS);
        assert_eq!(points.first().map(|p| p.start_ms), Some(to - MAX_SPARK_POINTS as i64 * MINUTE_MS));
        assert_eq!(points.last().map(|p| (p.start_ms, p.sli)), Some((to - MINUTE_MS, Some(1.0))));
    }

    #[test]
    fn sparkline_of_nothing_is_empty() {
        let o = Objective::new(0.9, MINUTE_MS).unwrap();
        assert!(sparkline(&o, &[], T0, T0, MINUTE_MS).is_empty());
        assert!(sparkline(&o, &[], T0, T0 + 1, 0).is_empty());
        assert!(sparkline(&o, &[], i64::MIN, i64::MAX, 1).len() <= MAX_SPARK_POINTS);
    }
}
