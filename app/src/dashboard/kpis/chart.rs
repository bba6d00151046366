//! The geometry of the KPI charts: a daily series in an SVG view box, with value ticks at
//! round numbers and a day tick at the first of each month. Pure, so the view only draws.

use domain::kpi::DailySeries;

use super::model::{Bar, Chart, ChartKind, Tick};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 632.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 190.0;
/// Value ticks at most (plus zero).
const MAX_TICKS: u64 = 4;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn coord(value: f64) -> String {
    format!("{value:.1}")
}

/// The smallest of 1, 2, 5, 10, 20, 50, … with which `MAX_TICKS` steps reach `max`.
pub fn tick_step(max: u64) -> u64 {
    let mut magnitude: u64 = 1;
    loop {
        for factor in [1u64, 2, 5] {
            let step = magnitude.saturating_mul(factor);
            if step.saturating_mul(MAX_TICKS) >= max || step == u64::MAX {
                return step;
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// The value axis: its top (a multiple of the step, at least one step) and its ticks.
fn value_axis(max: u64) -> (u64, Vec<Tick>) {
    let step = tick_step(max);
    let steps = max.div_ceil(step).max(1);
    let top = step.saturating_mul(steps);
    let ticks = (0..=steps)
        .map(|i| {
            let value = step.saturating_mul(i);
            Tick { at: coord(y_of(value, top)), label: value.to_string() }
        })
        .collect();
    (top, ticks)
}

fn y_of(value: u64, top: u64) -> f64 {
    let share = if top == 0 { 0.0 } else { value as f64 / top as f64 };
    BOTTOM - share * (BOTTOM - TOP)
}

/// `series` as bars or a line; `noun` names what is counted ("orders").
pub fn chart(series: &DailySeries, kind: ChartKind, noun: &str) -> Chart {
    let max = series.points.iter().map(|p| p.count).max().unwrap_or(0);
    let (top, y_ticks) = value_axis(max);
    let slot = (RIGHT - LEFT) / series.points.len().max(1) as f64;
    let bars: Vec<Bar> = series
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = LEFT + slot * i as f64;
            let y = y_of(p.count, top);
            Bar {
                x: coord(x + slot * 0.15),
                y: coord(y),
                width: coord(slot * 0.7),
                height: coord(BOTTOM - y),
                cx: coord(x + slot / 2.0),
                title: format!("{}: {}", p.date, p.count),
            }
        })
        .collect();
    let x_ticks = series
        .points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.date.day() == 1)
        .map(|(i, p)| Tick {
            at: coord(LEFT + slot * (i as f64 + 0.5)),
            label: format!(
                "{} {}",
                p.date.day(),
                usize::from(p.date.month()).checked_sub(1).and_then(|m| MONTHS.get(m)).unwrap_or(&"")
            ),
        })
        .collect();
    let line = match kind {
        ChartKind::Line => bars.iter().map(|b| format!("{},{}", b.cx, b.y)).collect::<Vec<_>>().join(" "),
        ChartKind::Bars => String::new(),
    };
    Chart {
        kind,
        view_box: format!("0 0 {WIDTH} {HEIGHT}"),
        left: coord(LEFT),
        right: coord(RIGHT),
        top: coord(TOP),
        bottom: coord(BOTTOM),
        summary: summary(series, noun),
        empty: series.points.is_empty(),
        bars,
        line,
        y_ticks,
        x_ticks,
    }
}

fn summary(series: &DailySeries, noun: &str) -> String {
    match (series.points.first(), series.points.last()) {
        (Some(first), Some(last)) => format!(
            "{noun} per day from {} to {}: {} in all, at most {} on one day",
            first.date,
            last.date,
            series.total,
            series.peak.map_or(0, |p| p.count)
        ),
        _ => format!("{noun} per day: no day of this quarter has begun"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::kpi::{daily_series_counted, Period};
    use domain::tz::{Date, FixedOffset};

    fn series(counts: &[u64]) -> DailySeries {
        let first = Date::new(2026, 9, 29).unwrap();
        let last = first.add_days(counts.len() as i64 - 1).unwrap();
        let period = Period::days(&FixedOffset::UTC, first, last).unwrap();
        let day = 86_400_000;
        let events = counts.iter().enumerate().map(|(i, c)| (period.start_ms + i as i64 * day, *c));
        daily_series_counted(&FixedOffset::UTC, &period, period.end_ms, events)
    }

    #[test]
    fn ticks_are_round_numbers_reaching_the_maximum() {
        assert_eq!([0, 1, 4, 5, 8, 9, 20, 21, 170, 1_000].map(tick_step), [1, 1, 1, 2, 2, 5, 5, 10, 50, 500]);
        let (top, ticks) = value_axis(9);
        assert_eq!(top, 10);
        assert_eq!(ticks.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["0", "5", "10"]);
        assert_eq!(value_axis(0).0, 1, "an empty chart still has an axis");
        assert_eq!(value_axis(u64::MAX).0, u64::MAX, "saturates, no overflow");
    }

    #[test]
    fn bars_scale_to_the_axis_and_fill_the_plot() {
        let c = chart(&series(&[0, 5, 10, 2]), ChartKind::Bars, "Orders");
        assert_eq!(c.bars.len(), 4);
        assert_eq!(c.bars[0].height, "0.0");
        assert_eq!(c.bars[2].y, coord(TOP), "the tallest bar reaches the top of a 10 axis");
        assert_eq!(c.bars[1].title, "2026-09-30: 5");
        assert_eq!(c.bars[0].x, coord(LEFT + 147.0 * 0.15));
        assert!(c.line.is_empty());
        assert_eq!(c.x_ticks.len(), 1);
        assert_eq!(c.x_ticks[0].label, "1 Oct");
        assert_eq!(c.summary, "Orders per day from 2026-09-29 to 2026-10-02: 17 in all, at most 10 on one day");
    }

    #[test]
    fn a_line_joins_the_middles_of_the_days() {
        let c = chart(&series(&[1, 2]), ChartKind::Line, "Refunds");
        assert_eq!(c.line, format!("{},{} {},{}", c.bars[0].cx, c.bars[0].y, c.bars[1].cx, c.bars[1].y));
        assert_eq!(c.bars[0].cx, coord(LEFT + (RIGHT - LEFT) / 4.0));
    }

    #[test]
    fn a_quarter_not_begun_is_empty() {
        let none = DailySeries { points: vec![], total: 0, peak: None, mean_per_day: None };
        let c = chart(&none, ChartKind::Bars, "Orders");
        assert!(c.empty && c.bars.is_empty());
        assert_eq!(c.summary, "Orders per day: no day of this quarter has begun");
    }
}
