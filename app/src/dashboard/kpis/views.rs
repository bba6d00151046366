//! `<KpiPanel/>`: the business KPIs of a quarter. The quarter selector is a plain GET form
//! (`?quarter=2026-Q4`), so it works before the WASM loads and a quarter can be bookmarked;
//! the charts are SVG drawn from the server's ready-made geometry, each with its data as a
//! table for screen readers and for reading exact values.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{Chart, ChartKind, Figure, KpiPanelData, ReasonRow, SeriesPanel};
use super::server_fns::dashboard_kpis;
use crate::ui::errors::ForbiddenPage;

/// The panel; `action` is the page the quarter form reloads (the dashboard by default).
#[component]
pub fn KpiPanel(#[prop(optional, into)] action: Option<String>) -> impl IntoView {
    let query = use_query_map();
    let quarter = Memo::new(move |_| query.with(|q| q.get("quarter")));
    let data = Resource::new(move || quarter.get(), dashboard_kpis);
    let action = action.unwrap_or_else(|| "/admin/dashboard".to_owned());
    view! {
        <section class="panel kpi-panel" id="kpis" aria-labelledby="kpi-heading" data-testid="kpi-panel">
            <h2 id="kpi-heading">"Business KPIs"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading the business figures…"</p> }>
                {
                    let action = action.clone();
                    move || data.get().map(|answer| match answer {
                        Ok(d) => view! { <KpiContent d action=action.clone()/> }.into_any(),
                        Err(err) if err.status == 401 || err.status == 403 => view! { <ForbiddenPage message=err.message/> }.into_any(),
                        Err(err) => view! {
                            <p class="alert alert-error" role="alert" data-testid="kpi-error">{err.message}</p>
                            <p><a href=action.clone()>"Show the current quarter"</a></p>
                        }.into_any(),
                    })
                }
            </Transition>
        </section>
    }
}

#[component]
fn KpiContent(d: KpiPanelData, action: String) -> impl IntoView {
    let KpiPanelData { quarter_key, label, timezone, options, orders, refunds, figures, reasons } = d;
    view! {
        <form method="get" action=action class="kpi-quarter" data-testid="kpi-quarter-form">
            <label>"Quarter "
                <select name="quarter" data-testid="kpi-quarter">
                    {options.into_iter().map(|o| view! {
                        <option value=o.key selected=o.selected>{o.label}</option>
                    }).collect_view()}
                </select>
            </label>
            " "<button type="submit">"Show"</button>
            <span class="muted" data-testid="kpi-period" data-quarter=quarter_key>{label}" · days in "{timezone}</span>
        </form>
        <div class="kpi-figures">
            {figures.into_iter().map(|f| view! { <FigureCard f/> }).collect_view()}
        </div>
        <div class="kpi-series-grid">
            <SeriesView s=orders/>
            <SeriesView s=refunds/>
        </div>
        <ReasonsTable reasons/>
    }
}

#[component]
fn FigureCard(f: Figure) -> impl IntoView {
    view! {
        <div class="kpi-figure" data-testid=format!("kpi-{}", f.id)>
            <div class="kpi-figure-label">{f.label}</div>
            <div class="kpi-figure-value" data-testid=format!("kpi-{}-value", f.id)>{f.value}</div>
            <div class="kpi-figure-detail muted">{f.detail}</div>
        </div>
    }
}

#[component]
fn SeriesView(s: SeriesPanel) -> impl IntoView {
    let SeriesPanel { id, title, total, peak, mean, chart, rows } = s;
    let heading = format!("kpi-{id}-heading");
    let labelled_by = heading.clone();
    view! {
        <figure class="kpi-series" data-testid=format!("kpi-{id}") aria-labelledby=labelled_by>
            <figcaption>
                <h3 id=heading>{title.clone()}</h3>
                <p class="kpi-total" data-testid=format!("kpi-{id}-total")>{total}</p>
                <p class="muted">{peak}" · "{mean}</p>
            </figcaption>
            <SeriesChart chart/>
            <details class="kpi-table">
                <summary>{format!("Table: {title}")}</summary>
                <table class="table" data-testid=format!("kpi-{id}-table")>
                    <caption class="visually-hidden">{title}</caption>
                    <thead><tr><th scope="col">"Day"</th><th scope="col">"Count"</th></tr></thead>
                    <tbody>{rows.into_iter().map(|(day, n)| view! { <tr><td>{day}</td><td>{n}</td></tr> }).collect_view()}</tbody>
                </table>
            </details>
        </figure>
    }
}

#[component]
fn SeriesChart(chart: Chart) -> impl IntoView {
    if chart.empty {
        return view! { <p class="muted kpi-empty">{chart.summary}</p> }.into_any();
    }
    let Chart { kind, view_box, left, right, top, bottom, bars, line, y_ticks, x_ticks, summary, .. } = chart;
    let marks = match kind {
        ChartKind::Bars => bars
            .into_iter()
            .map(|b| {
                view! {
                    <rect class="kpi-bar" x=b.x y=b.y width=b.width height=b.height><title>{b.title}</title></rect>
                }
                .into_any()
            })
            .collect_view()
            .into_any(),
        ChartKind::Line => view! {
            <polyline class="kpi-line" points=line fill="none"/>
            {bars.into_iter().map(|b| view! {
                <circle class="kpi-dot" cx=b.cx cy=b.y r="2.5"><title>{b.title}</title></circle>
            }).collect_view()}
        }
        .into_any(),
    };
    view! {
        <svg class="kpi-chart" viewBox=view_box role="img" aria-label=summary>
            <g class="kpi-axis" aria-hidden="true">
                {y_ticks.into_iter().map(|t| view! {
                    <line x1=left.clone() x2=right.clone() y1=t.at.clone() y2=t.at.clone() class="kpi-grid"/>
                    <text x="38" y=t.at text-anchor="end" dominant-baseline="middle">{t.label}</text>
                }).collect_view()}
                {x_ticks.into_iter().map(|t| view! {
                    <text x=t.at y="206" text-anchor="middle">{t.label}</text>
                }).collect_view()}
                <line x1=left.clone() x2=left y1=top y2=bottom.clone() class="kpi-axis-line"/>
            </g>
            <g class="kpi-marks">{marks}</g>
        </svg>
    }
    .into_any()
}

#[component]
fn ReasonsTable(reasons: Vec<ReasonRow>) -> impl IntoView {
    view! {
        <h3>"Top return reasons per product"</h3>
        {if reasons.is_empty() {
            view! { <p class="muted" data-testid="kpi-reasons-empty">"No returns this quarter."</p> }.into_any()
        } else {
            view! {
                <table class="table" data-testid="kpi-reasons">
                    <thead><tr><th scope="col">"Product"</th><th scope="col">"Returned lines"</th><th scope="col">"Top reasons"</th></tr></thead>
                    <tbody>{reasons.into_iter().map(|r| view! {
                        <tr><td>{r.product}</td><td>{r.returns}</td><td>{r.reasons}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_panel_renders_charts_tables_and_the_quarter_form_as_html() {
        let d = super::super::present::panel(&super::super::present::tests::report());
        let html = Owner::new().with(|| view! { <KpiContent d action="/admin/dashboard".to_owned()/> }.to_html());
        // Without the hydration markers (`<!>`) the renderer places between dynamic parts.
        let html = html.replace("<!>", "");
        for part in [
            r#"<form method="get" action="/admin/dashboard""#,
            r#"<option value="2026-Q3" selected"#,
            r#"<svg viewBox="0 0 640 220" role="img" aria-label="Orders per day from 2026-07-01 to 2026-09-30"#,
            r#"class="kpi-bar"><title>2026-07-01: 1200</title></rect>"#,
            r#"<polyline points="47.2,190.0 53.6,10.0 60.0,190.0 "#,
            "<summary>Table: Orders per day</summary>",
            "<td>2026-07-01</td><td>1,200</td>",
            "1,234 orders",
            "Damaged (2), Other (1)",
        ] {
            assert!(html.contains(part), "{part} missing in {html}");
        }
    }
}
