//! `/admin/dashboard`: rendered on the server with a real snapshot, then kept live in the
//! browser by an EventSource on `/admin/dashboard/stream` (reconnecting by itself; a banner
//! says when no update came for a while). The drill forms post to server functions and work
//! without JavaScript.

use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use domain::slo::{BurnWindow, Exhaustion, SparkPoint, WORKBOOK_ALERTS};

use super::kpis::views::KpiPanel;
use super::model::{duration_text, percent, Controls, DashboardSnapshot, EventRow, HttpRow, SloCard, SystemStatus};
use super::server_fns::{load_dashboard, ApplyThrottlePreset, SetProviderFaults};
use crate::error::FnError;
use crate::ui::components::resource_view;
use crate::ui::errors::ActionError;

/// No update for this long (ms): the page says it is disconnected.
const STALE_MS: f64 = 5_000.0;

/// What the live stream delivered, and the browser's clock (both `None` on the server).
#[derive(Clone, Copy)]
struct Live {
    latest: RwSignal<Option<DashboardSnapshot>>,
    received_at: RwSignal<Option<f64>>,
    now: RwSignal<Option<f64>>,
    started: RwSignal<Option<f64>>,
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let faults = ServerAction::<SetProviderFaults>::new();
    let preset = ServerAction::<ApplyThrottlePreset>::new();
    let first = Resource::new(move || (faults.version().get(), preset.version().get()), |_| load_dashboard());
    let live = Live {
        latest: RwSignal::new(None),
        received_at: RwSignal::new(None),
        now: RwSignal::new(None),
        started: RwSignal::new(None),
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::connect(live));
    view! {
        <Title text="Dashboard · Admin · Retail"/>
        {resource_view(first, "Loading the dashboard…", move |first| view! { <Dashboard first live faults preset/> })}
    }
}

#[component]
fn Dashboard(
    first: DashboardSnapshot,
    live: Live,
    faults: ServerAction<SetProviderFaults>,
    preset: ServerAction<ApplyThrottlePreset>,
) -> impl IntoView {
    let controls = first.controls.clone();
    let first_at = first.generated_at_ms;
    // The newer of the page's own snapshot and the stream's.
    let snapshot = Memo::new(move |_| match live.latest.get() {
        Some(s) if s.generated_at_ms >= first_at => s,
        _ => first.clone(),
    });
    let freshness = move || match (live.now.get(), live.received_at.get().or(live.started.get())) {
        (Some(now), Some(at)) => format!("updated {} s ago", ((now - at) / 1000.0).max(0.0).floor()),
        _ => "updated just now".to_owned(),
    };
    let disconnected = move || match (live.now.get(), live.received_at.get().or(live.started.get())) {
        (Some(now), Some(at)) => now - at > STALE_MS,
        _ => false,
    };
    view! {
        <section class="panel dashboard" data-testid="dashboard">
            <h1>"Quality dashboard"</h1>
            <p class="muted">
                "Figures of the whole shop (every server instance), pushed live. "
                <a href="/admin/metrics" download="retail-metrics.json" data-testid="metrics-json">"Download JSON"</a>
            </p>
            <p class="alert alert-error" role="status" data-testid="disconnected" hidden=move || !disconnected()>
                "Disconnected: no update for a few seconds. Reconnecting…"
            </p>
            <div class="slo-cards" data-testid="slo-cards">
                {move || snapshot.get().cards.into_iter().map(|card| view! { <Card card freshness=Signal::derive(freshness)/> }).collect_view()}
            </div>
        </section>
        <KpiPanel/>
        <section class="panel" data-testid="system-status">
            <h2>"System status"</h2>
            {move || view! { <System status=snapshot.get().system/> }}
        </section>
        <DrillControls controls faults preset/>
        <section class="panel" data-testid="http-table">
            <h2>"HTTP requests (last hour)"</h2>
            {move || view! { <HttpTable rows=snapshot.get().http/> }}
        </section>
        <section class="panel" data-testid="events">
            <h2>"Recent events"</h2>
            {move || view! { <Events events=snapshot.get().events/> }}
        </section>
    }
}

fn rate_text(rate: Option<f64>) -> String {
    rate.map(|r| format!("{r:.2}×")).unwrap_or_else(|| "—".into())
}

/// The alert thresholds a burn-rate window takes part in, e.g. "page ≥ 14.4× (1h + 5m)".
fn thresholds(window: BurnWindow) -> Vec<(String, f64)> {
    WORKBOOK_ALERTS
        .iter()
        .filter(|rule| rule.long == window || rule.short == window)
        .map(|rule| {
            let severity = match rule.severity {
                domain::slo::Severity::Page => "page",
                domain::slo::Severity::Ticket => "ticket",
            };
            (format!("{severity} ≥ {}× ({} + {})", rule.burn, rule.long.label(), rule.short.label()), rule.burn)
        })
        .collect()
}

#[component]
fn Card(card: SloCard, freshness: Signal<String>) -> impl IntoView {
    let status = card.status.clone();
    let state = status.state;
    let budget = match status.budget {
        Some(b) => format!("{} left ({} bad events left)", percent(b.remaining_fraction, 1), b.remaining_bad_events()),
        None => "no data".into(),
    };
    let exhaustion = match status.exhaustion {
        Exhaustion::NoData => "no data".to_owned(),
        Exhaustion::Exhausted => "exhausted".to_owned(),
        Exhaustion::NotBurning => "not burning".to_owned(),
        Exhaustion::In { in_ms } => format!("in {}", duration_text(in_ms)),
    };
    let value = if card.configured { card.value_text.clone() } else { "not configured".into() };
    let burn = status.burn;
    let rows = BurnWindow::ALL
        .into_iter()
        .map(|w| {
            let rate = burn.get(w);
            let limits = thresholds(w);
            let over = limits.iter().any(|(_, t)| rate.is_some_and(|r| r >= *t));
            let text = limits.into_iter().map(|(t, _)| t).collect::<Vec<_>>().join("; ");
            view! {
                <tr class:over=over>
                    <td>{w.label()}</td><td data-testid=format!("burn-{}", w.label())>{rate_text(rate)}</td><td class="muted">{text}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="card slo-card" data-testid=format!("card-{}", card.id) data-state=state.as_str()>
            <header>
                <h2>{card.title}</h2>
                <span class=format!("badge state-{}", state.as_str()) data-testid="state">{state.label()}</span>
            </header>
            <p class="muted">{card.sli_text}</p>
            <p><strong>"Objective: "</strong>{card.objective_text}</p>
            <p class="slo-value" data-testid="value">{value}</p>
            <p class="muted" data-testid="recent">{card.recent_text}</p>
            <dl class="facts">
                <dt>"Error budget"</dt><dd data-testid="budget">{budget}</dd>
                <dt>"Budget exhausted"</dt><dd data-testid="exhaustion">{exhaustion}</dd>
                {card.facts.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
            </dl>
            <table class="table burn">
                <thead><tr><th>"Window"</th><th>"Burn rate"</th><th>"Alerts at"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <Sparkline points=card.sparkline target=status.objective.target()/>
            <p class="muted">{card.target_text}</p>
            <p class="muted freshness" data-testid="freshness">{move || freshness.get()}</p>
        </article>
    }
}

/// The SLI per minute over the last hour; red dots where it fell below the target, gaps where
/// there was no traffic.
#[component]
fn Sparkline(points: Vec<SparkPoint>, target: f64) -> impl IntoView {
    const W: f64 = 240.0;
    const H: f64 = 40.0;
    let lowest = points.iter().filter_map(|p| p.sli).fold(target, f64::min);
    let low = (lowest - (1.0 - lowest).max(0.001) * 0.2).max(0.0);
    let span = (1.0 - low).max(1e-9);
    let n = points.len().max(2) as f64 - 1.0;
    let xy = |i: usize, sli: f64| (i as f64 * W / n, H - (sli - low) / span * H);
    let line = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.sli.map(|s| xy(i, s)))
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let breaches = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.breach)
        .filter_map(|(i, p)| p.sli.map(|s| xy(i, s)))
        .map(|(x, y)| view! { <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="2.5" class="breach"/> })
        .collect_view();
    let target_y = format!("{:.1}", H - (target - low) / span * H);
    let with_data = points.iter().filter(|p| p.sli.is_some()).count();
    let breached = points.iter().filter(|p| p.breach).count();
    let label = format!("SLI per minute over the last hour: {with_data} minutes with traffic, {breached} below target");
    let aria = label.clone();
    view! {
        <svg class="sparkline" viewBox=format!("0 0 {W} {H}") width=W height=H role="img" aria-label=aria data-testid="sparkline">
            <title>{label}</title>
            <line x1="0" x2=W y1=target_y.clone() y2=target_y class="target"/>
            <polyline points=line class="sli" fill="none"/>
            {breaches}
        </svg>
    }
}

#[component]
fn System(status: SystemStatus) -> impl IntoView {
    let db = match (status.db_reachable, status.db_latency_ms) {
        (true, Some(ms)) => format!("reachable ({}, {ms:.1} ms)", status.db_backend),
        (true, None) => format!("reachable ({})", status.db_backend),
        (false, _) => format!("NOT reachable ({})", status.db_backend),
    };
    let provider =
        format!("{}: failure rate {}, latency {} ms", status.provider, status.failure_rate, status.provider_latency_ms);
    let mttr = status.last_mttr_seconds.map(|s| format!(", last MTTR {s:.1} s")).unwrap_or_default();
    let breaker = format!("{} (opened {} times{mttr})", status.breaker.replace('_', "-"), status.breaker_opened_total);
    let queue = match status.oldest_job_age_ms {
        Some(age) => format!("{} waiting, oldest {}", status.queue_depth, duration_text(age)),
        None => format!("{} waiting", status.queue_depth),
    };
    let throttle = match status.throttle_max_rps {
        0 => "off".to_owned(),
        rps => format!("{rps} checkouts/s, burst {}", status.throttle_burst),
    };
    let instances = status
        .instances
        .iter()
        .map(|i| format!("{}{}", i.id.chars().take(8).collect::<String>(), if i.this_one { " (this one)" } else { "" }))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <dl class="facts">
            <dt>"Database"</dt><dd data-testid="db">{db}</dd>
            <dt>"Payment provider"</dt><dd data-testid="provider">{provider}</dd>
            <dt>"Breaker (this instance)"</dt><dd data-testid="breaker">{breaker}</dd>
            <dt>"Payment queue"</dt><dd data-testid="queue">{queue}</dd>
            <dt>"Checkout throttle"</dt><dd data-testid="throttle">{throttle}</dd>
            <dt>{format!("Instances running ({})", status.instances.len())}</dt><dd data-testid="instances">{instances}</dd>
        </dl>
    }
}

fn ms_text(ms: Option<f64>) -> String {
    ms.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

#[component]
fn HttpTable(rows: Vec<HttpRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"No requests recorded in the last hour."</p> }.into_any();
    }
    view! {
        <table class="table">
            <thead><tr><th>"Route"</th><th>"Method"</th><th>"Status"</th><th>"Count"</th><th>"p50 ms"</th><th>"p95 ms"</th><th>"Max ms"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td><code>{r.route}</code></td><td>{r.method}</td><td>{r.status}</td><td>{r.count}</td>
                        <td>{ms_text(r.p50_ms)}</td><td>{ms_text(r.p95_ms)}</td><td>{ms_text(r.max_ms)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// UTC time of day of a Unix-ms instant, "14:03:07".
fn clock(at_ms: i64) -> String {
    let s = at_ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02} UTC", s / 3600, (s % 3600) / 60, s % 60)
}

#[component]
fn Events(events: Vec<EventRow>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No events recorded yet."</p> }.into_any();
    }
    view! {
        <ol class="events">
            {events.into_iter().map(|e| {
                let by = (!e.actor.is_empty()).then(|| format!(" — by {}", e.actor));
                let kind = e.kind.clone();
                view! {
                    <li data-kind=kind>
                        <time>{clock(e.at_ms)}</time>" "<span class="badge">{e.kind}</span>" "{e.message}{by}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// The error of a drill form posted without JavaScript, from the URL it was redirected to.
#[component]
fn PostedError() -> impl IntoView {
    let paths = [SetProviderFaults::PATH, ApplyThrottlePreset::PATH];
    let error = use_context::<ServerActionError>()
        .filter(|posted| paths.contains(&posted.path()))
        .map(|posted| ServerFnUrlError::<FnError>::decode_err(posted.err()));
    error.map(|err| view! { <p class="alert alert-error" role="alert" data-testid="drill-error">{err.message}</p> })
}

#[component]
fn DrillControls(
    controls: Controls,
    faults: ServerAction<SetProviderFaults>,
    preset: ServerAction<ApplyThrottlePreset>,
) -> impl IntoView {
    let faults_note = match (controls.simulated_provider, controls.fault_injection_allowed) {
        (false, _) => {
            Some("A real payment provider is configured: faults can only be injected into the simulated one.")
        }
        (true, false) => Some("Fault injection is off (production without ALLOW_FAULT_INJECTION=1)."),
        (true, true) => None,
    };
    let rate = controls.failure_rate.to_string();
    let latency = controls.latency_ms.to_string();
    view! {
        <section class="panel" data-testid="drills">
            <h2>"Drills"</h2>
            <PostedError/>
            <h3>"Payment provider faults"</h3>
            <p data-testid="faults-current">{format!("Now: failure rate {}, latency {} ms", controls.failure_rate, controls.latency_ms)}</p>
            {faults_note.map(|note| view! { <p class="muted">{note}</p> })}
            <ActionForm action=faults>
                <label>"Failure rate (0 to 1) " <input type="text" name="failure_rate" value=rate size="5" data-testid="failure-rate"/></label>
                " "
                <label>"Latency (ms) " <input type="text" name="latency_ms" value=latency size="6" data-testid="latency-ms"/></label>
                " "
                <label><input type="checkbox" name="confirm" value="yes" required=true/>" confirm"</label>
                " "
                <button type="submit" data-testid="set-faults">"Set faults"</button>
            </ActionForm>
            <ActionError value=faults.value()/>
            <h3>"Checkout throttle"</h3>
            <p data-testid="throttle-current">{format!("Now: {} checkouts/s, burst {}", controls.throttle_max_rps, controls.throttle_burst)}</p>
            <div class="presets">
                {controls.presets.into_iter().map(|p| view! {
                    <ActionForm action=preset>
                        <input type="hidden" name="preset" value=p.name.clone()/>
                        <label><input type="checkbox" name="confirm" value="yes" required=true/>" confirm"</label>
                        " "
                        <button type="submit" class:secondary=!p.active data-testid=format!("preset-{}", p.name)>
                            {format!("{} — {}/s, burst {}{}", p.label, p.max_rps, p.burst, if p.active { " (active)" } else { "" })}
                        </button>
                    </ActionForm>
                }).collect_view()}
            </div>
            <ActionError value=preset.value()/>
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    //! The browser side of the live stream.

    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use leptos::prelude::*;

    use super::{DashboardSnapshot, Live};

    const STREAM: &str = "/admin/dashboard/stream";

    pub(super) fn connect(live: Live) {
        live.started.set(Some(js_sys::Date::now()));
        live.now.set(Some(js_sys::Date::now()));
        let ticker =
            set_interval_with_handle(move || live.now.set(Some(js_sys::Date::now())), Duration::from_secs(1)).ok();
        let stop = Arc::new(AtomicBool::new(false));
        leptos::task::spawn_local(follow(live, stop.clone()));
        on_cleanup(move || {
            stop.store(true, Ordering::Relaxed);
            if let Some(ticker) = ticker {
                ticker.clear();
            }
        });
    }

    async fn sleep(duration: Duration) {
        let (done, wait) = futures::channel::oneshot::channel::<()>();
        set_timeout(
            move || {
                let _ = done.send(());
            },
            duration,
        );
        let _ = wait.await;
    }

    /// Reads snapshots until the page goes away. The browser reconnects a dropped stream by
    /// itself; when it gives up (the source is closed), a new one is opened after a pause.
    async fn follow(live: Live, stop: Arc<AtomicBool>) {
        while !stop.load(Ordering::Relaxed) {
            if let Ok(mut source) = EventSource::new(STREAM) {
                if let Ok(mut events) = source.subscribe("snapshot") {
                    while let Some(Ok((_, message))) = events.next().await {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let parsed =
                            message.data().as_string().and_then(|t| serde_json::from_str::<DashboardSnapshot>(&t).ok());
                        if let Some(snapshot) = parsed {
                            live.latest.set(Some(snapshot));
                            live.received_at.set(Some(js_sys::Date::now()));
                        }
                    }
                }
                source.close();
            }
            sleep(Duration::from_secs(2)).await;
        }
    }
}
