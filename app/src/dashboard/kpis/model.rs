//! What the KPI panel and `GET /admin/kpis` send: the report as numbers (the JSON endpoint)
//! and the panel's display-ready text and chart geometry (the server function), so the view
//! does no arithmetic.

use domain::kpi::{CycleTime, DailySeries, ProductReasons, Quarter, RevenueRetained};
use serde::{Deserialize, Serialize};

/// One quarter's business figures, days in the shop's zone (see `kpis` module notes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KpiReport {
    pub quarter: Quarter,
    pub label: String,
    /// The IANA zone days are counted in (`DEFAULT_TIMEZONE`).
    pub timezone: String,
    /// [start, end) of the quarter in UTC ms.
    pub start_ms: i64,
    pub end_ms: i64,
    pub generated_at_ms: i64,
    /// Orders the shop accepted (paid, payment pending, cash on delivery), by creation day.
    pub orders: DailySeries,
    /// Refunds completed (paid), by the day they were started.
    pub refunds: DailySeries,
    /// Return requests made in the quarter (any status).
    pub return_requests: u64,
    /// return requests / orders.
    pub rma_rate: Option<f64>,
    /// Requests of the quarter closed or rejected so far: request to resolution.
    pub cycle_time: Option<CycleTime>,
    pub refunds_completed: u64,
    pub refunds_failed: u64,
    /// completed / (completed + failed); pending refunds are not counted.
    pub refund_success_rate: Option<f64>,
    /// Completed refunds of the quarter: exchanges and store credit (bonuses left out) against
    /// money paid back (card and manual payouts).
    pub revenue_retained: RevenueRetained,
    /// Returned lines of the quarter's requests by product, top reasons first.
    pub top_return_reasons: Vec<ProductReasons>,
    /// The quarters worth choosing: from the first order's (at most two years back) to now's.
    pub quarters: Vec<Quarter>,
}

/// The panel, ready to show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KpiPanelData {
    pub quarter_key: String,
    pub label: String,
    pub timezone: String,
    pub options: Vec<QuarterOption>,
    pub orders: SeriesPanel,
    pub refunds: SeriesPanel,
    pub figures: Vec<Figure>,
    pub reasons: Vec<ReasonRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarterOption {
    pub key: String,
    pub label: String,
    pub selected: bool,
}

/// One daily series: its headline figures, its chart and the same data as a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesPanel {
    /// `orders`, `refunds`: the element ids and test ids derive from it.
    pub id: String,
    pub title: String,
    pub total: String,
    pub peak: String,
    pub mean: String,
    pub chart: Chart,
    /// (date, count) for the table alternative.
    pub rows: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChartKind {
    Bars,
    Line,
}

/// An SVG chart in a `0 0 width height` view box; coordinates are ready-formatted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub kind: ChartKind,
    pub view_box: String,
    /// The plot area's left, right, top and bottom edges.
    pub left: String,
    pub right: String,
    pub top: String,
    pub bottom: String,
    pub bars: Vec<Bar>,
    /// `x,y x,y …` for a line chart.
    pub line: String,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    /// What the chart shows, in words (its accessible name).
    pub summary: String,
    /// No day of the quarter has begun: nothing to draw.
    pub empty: bool,
}

/// A day's bar (or a line chart's point, at `x + width / 2`, `y`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub cx: String,
    /// `2026-10-05: 12`, the tooltip.
    pub title: String,
}

/// An axis label at `at` (y for the value axis, x for the day axis).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    pub at: String,
    pub label: String,
}

/// A headline figure: `RMA rate 1.50 %`, with what it is made of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub id: String,
    pub label: String,
    pub value: String,
    pub detail: String,
}

/// A product's returns and its top reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonRow {
    pub product: String,
    pub returns: String,
    pub reasons: String,
}
