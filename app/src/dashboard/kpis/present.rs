//! The report in words and shapes: every figure the panel shows, formatted here, so the view
//! only places text.

use domain::kpi::{CycleTime, DailySeries, ProductReasons, RevenueRetained};
use domain::money::{format_cents, grouped};

use super::chart::chart;
use super::model::{ChartKind, Figure, KpiPanelData, KpiReport, QuarterOption, ReasonRow, SeriesPanel};
use crate::dashboard::model::percent;

/// What the panel shows for `report`.
pub fn panel(report: &KpiReport) -> KpiPanelData {
    let options = report
        .quarters
        .iter()
        .rev()
        .map(|q| QuarterOption { key: q.key(), label: q.label(), selected: *q == report.quarter })
        .collect();
    KpiPanelData {
        quarter_key: report.quarter.key(),
        label: report.label.clone(),
        timezone: report.timezone.clone(),
        options,
        orders: series_panel("orders", "Orders per day", ("order", "orders"), &report.orders, ChartKind::Bars),
        refunds: series_panel("refunds", "Refunds per day", ("refund", "refunds"), &report.refunds, ChartKind::Line),
        figures: figures(report),
        reasons: report.top_return_reasons.iter().map(reason_row).collect(),
    }
}

fn counted(n: u64, (one, many): (&str, &str)) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

fn series_panel(id: &str, title: &str, noun: (&str, &str), series: &DailySeries, kind: ChartKind) -> SeriesPanel {
    let peak = match series.peak {
        Some(p) => format!("Peak day: {} ({})", p.date, counted(p.count, noun)),
        None => "Peak day: none".to_owned(),
    };
    let mean = match series.mean_per_day {
        Some(mean) => format!("Mean per day: {mean:.2}"),
        None => "Mean per day: no days yet".to_owned(),
    };
    SeriesPanel {
        id: id.to_owned(),
        title: title.to_owned(),
        total: counted(series.total, noun),
        peak,
        mean,
        chart: chart(series, kind, &title.replace(" per day", "")),
        rows: series.points.iter().map(|p| (p.date.to_string(), grouped(p.count))).collect(),
    }
}

/// `45 min`, `5.5 h`, `3.2 days`.
pub fn duration(ms: i64) -> String {
    let minutes = ms as f64 / 60_000.0;
    if minutes < 60.0 {
        format!("{minutes:.0} min")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{:.1} days", minutes / 1440.0)
    }
}

fn figure(id: &str, label: &str, value: String, detail: String) -> Figure {
    Figure { id: id.to_owned(), label: label.to_owned(), value, detail }
}

fn figures(r: &KpiReport) -> Vec<Figure> {
    let orders = r.orders.total;
    let requests = counted(r.return_requests, ("return request", "return requests"));
    let rma = match r.rma_rate {
        Some(rate) => figure(
            "rma-rate",
            "RMA rate",
            percent(rate, 2),
            format!("{requests} for {}", counted(orders, ("order", "orders"))),
        ),
        None => figure("rma-rate", "RMA rate", "no data".to_owned(), format!("{requests}, no orders this quarter")),
    };
    let success = match r.refund_success_rate {
        Some(_) => format!("{} completed, {} failed; pending ones not counted", r.refunds_completed, r.refunds_failed),
        None => "no refund has completed or failed this quarter".to_owned(),
    };
    let success_value = r.refund_success_rate.map_or_else(|| "no data".to_owned(), |rate| percent(rate, 1));
    vec![
        rma,
        cycle_figure(r.cycle_time),
        figure("refund-success", "Refund success rate", success_value, success),
        retained_figure(&r.revenue_retained),
    ]
}

fn cycle_figure(cycle: Option<CycleTime>) -> Figure {
    match cycle {
        Some(c) => figure(
            "rma-cycle",
            "RMA cycle time",
            duration(c.mean_ms),
            format!(
                "mean from request to closing or rejection; median {}, over {}",
                duration(c.median_ms),
                counted(c.closed, ("request", "requests"))
            ),
        ),
        None => figure(
            "rma-cycle",
            "RMA cycle time",
            "no data".to_owned(),
            "no request of this quarter is closed yet".to_owned(),
        ),
    }
}

fn retained_figure(r: &RevenueRetained) -> Figure {
    let value = r.retained_share.map_or_else(|| "no data".to_owned(), |share| percent(share, 1));
    let detail = format!(
        "{} kept as exchanges ({}) and store credit ({}) against {} refunded",
        format_cents(r.retained_cents),
        format_cents(r.exchange_cents),
        format_cents(r.store_credit_cents),
        format_cents(r.refunded_cents)
    );
    figure("revenue-retained", "Revenue retained by returns", value, detail)
}

fn reason_row(p: &ProductReasons) -> ReasonRow {
    let reasons: Vec<String> = p
        .reasons
        .iter()
        .map(|r| {
            let label = domain::returns::Reason::parse(&r.reason).map_or(r.reason.as_str(), |reason| reason.label());
            format!("{label} ({})", r.count)
        })
        .collect();
    ReasonRow { product: p.product_name.clone(), returns: grouped(p.returns), reasons: reasons.join(", ") }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use domain::kpi::{cycle_time, daily_series_counted, revenue_retained, Quarter, ReasonCount};
    use domain::tz::FixedOffset;

    pub(crate) fn report() -> KpiReport {
        let quarter = Quarter::new(2026, 3).unwrap();
        let period = quarter.period(&FixedOffset::UTC);
        let day = 86_400_000;
        let orders = daily_series_counted(
            &FixedOffset::UTC,
            &period,
            period.end_ms,
            [(period.start_ms, 1_200), (period.start_ms + day, 34)],
        );
        let refunds = daily_series_counted(&FixedOffset::UTC, &period, period.end_ms, [(period.start_ms + day, 1)]);
        KpiReport {
            quarter,
            label: quarter.label(),
            timezone: "Europe/Berlin".into(),
            start_ms: period.start_ms,
            end_ms: period.end_ms,
            generated_at_ms: period.end_ms,
            orders,
            refunds,
            return_requests: 3,
            rma_rate: Some(3.0 / 1_234.0),
            cycle_time: cycle_time([(0, 90 * 60_000), (0, 30 * 60_000)]),
            refunds_completed: 9,
            refunds_failed: 1,
            refund_success_rate: Some(0.9),
            revenue_retained: revenue_retained(3_000, 1_000, 12_000),
            top_return_reasons: vec![ProductReasons {
                product_id: 1,
                product_name: "Laptop".into(),
                returns: 3,
                reasons: vec![
                    ReasonCount { reason: "damaged".into(), count: 2 },
                    ReasonCount { reason: "other".into(), count: 1 },
                ],
            }],
            quarters: Quarter::range(Quarter::new(2026, 1).unwrap(), quarter),
        }
    }

    fn value(panel: &KpiPanelData, id: &str) -> (String, String) {
        let f = panel.figures.iter().find(|f| f.id == id).unwrap();
        (f.value.clone(), f.detail.clone())
    }

    #[test]
    fn the_panel_says_every_figure_in_words() {
        let p = panel(&report());
        assert_eq!(p.orders.total, "1,234 orders");
        assert_eq!(p.orders.peak, "Peak day: 2026-07-01 (1,200 orders)");
        assert_eq!(p.orders.mean, "Mean per day: 13.41");
        assert_eq!(p.refunds.total, "1 refund");
        assert_eq!(p.orders.rows.len(), 92);
        assert_eq!(p.orders.rows[0], ("2026-07-01".to_owned(), "1,200".to_owned()));
        assert_eq!(value(&p, "rma-rate"), ("0.24 %".into(), "3 return requests for 1,234 orders".into()));
        assert_eq!(value(&p, "rma-cycle").0, "1.0 h");
        assert_eq!(value(&p, "refund-success").0, "90.0 %");
        let (retained, detail) = value(&p, "revenue-retained");
        assert_eq!(retained, "25.0 %");
        assert_eq!(detail, "$40.00 kept as exchanges ($30.00) and store credit ($10.00) against $120.00 refunded");
        assert_eq!(p.reasons[0].reasons, "Damaged (2), Other (1)");
        assert_eq!(
            p.options.iter().map(|o| (o.key.as_str(), o.selected)).collect::<Vec<_>>(),
            [("2026-Q3", true), ("2026-Q2", false), ("2026-Q1", false)]
        );
    }

    #[test]
    fn missing_figures_say_no_data_never_zero_or_100() {
        let mut r = report();
        r.rma_rate = None;
        r.cycle_time = None;
        r.refund_success_rate = None;
        r.revenue_retained = revenue_retained(0, 0, 0);
        r.orders = DailySeries { points: vec![], total: 0, peak: None, mean_per_day: None };
        let p = panel(&r);
        for id in ["rma-rate", "rma-cycle", "refund-success", "revenue-retained"] {
            assert_eq!(value(&p, id).0, "no data", "{id}");
        }
        assert_eq!((p.orders.peak.as_str(), p.orders.mean.as_str()), ("Peak day: none", "Mean per day: no days yet"));
        assert!(p.orders.chart.empty);
    }

    #[test]
    fn durations_read_in_minutes_hours_or_days() {
        assert_eq!(duration(45 * 60_000), "45 min");
        assert_eq!(duration(5 * 3_600_000 + 30 * 60_000), "5.5 h");
        assert_eq!(duration(3 * 86_400_000), "3.0 days");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
