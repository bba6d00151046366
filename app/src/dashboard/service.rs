//! The dashboard's operations: the snapshot (cards, system status, HTTP table, events,
//! controls) computed from every instance's rows, the `/admin/metrics` JSON, and the drills.
//! Reading takes `Admin`; `compute` is the same without it, for the live hub's one shared
//! computation per tick.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use domain::slo::{
    self, bucket_start, evaluate, sparkline, window_counts, Bucket, Counts, Histogram, Objective, SloError,
    DEFAULT_LATENCY_BOUNDS_MS, HOUR_MS, MINUTE_MS,
};

use super::model::{
    self, duration_text, percent, Controls, DashboardSnapshot, EventRow, HttpRow, SloCard, SystemStatus,
};
use super::{live, store};
use crate::accounts::guard::Admin;
use crate::platform::sli::{series, BUCKETS};
use crate::platform::{now_ms, AppError, AppState};

/// Minute buckets are read for this long back; older ones by the hour.
const FINE_SPAN_MS: i64 = 6 * HOUR_MS;
/// The sparkline: the last hour, one point a minute.
const SPARK_SPAN_MS: i64 = HOUR_MS;
const RECENT_MS: i64 = 5 * MINUTE_MS;
const EVENTS_SHOWN: i64 = 50;
const OUTAGES_SHOWN: i64 = 5;

/// The objectives (configurable: `SLO_*`) and the dashboard's pace.
#[derive(Clone, Debug)]
pub struct DashboardSettings {
    /// A.1: accepted (paid, cash or queued) / submitted checkouts.
    pub availability: Objective,
    /// P.1: accepted checkouts answered within `latency_threshold_ms`.
    pub latency: Objective,
    /// One of [`DEFAULT_LATENCY_BOUNDS_MS`].
    pub latency_threshold_ms: f64,
    /// Refund A.1: card refunds paid within `refund_target_ms`.
    pub refund: Objective,
    pub refund_target_ms: i64,
    /// How often each instance writes what it counted.
    pub flush_interval: Duration,
    /// How often open dashboards get a new snapshot.
    pub push_interval: Duration,
    /// Instances with a heartbeat this recent are listed as running.
    pub instance_liveness_ms: i64,
    /// The throttle this server started with (the "normal" preset).
    pub normal_throttle: (u32, u32),
}

impl DashboardSettings {
    /// The defaults: 99.9 % availability, 95 % of checkouts within 500 ms, 99 % of refunds
    /// within 5 minutes, each over 30 days.
    pub fn defaults() -> Result<Self, SloError> {
        let month = 30 * slo::DAY_MS;
        Ok(Self {
            availability: Objective::new(0.999, month)?,
            latency: Objective::new(0.95, month)?,
            latency_threshold_ms: 500.0,
            refund: Objective::new(0.99, month)?,
            refund_target_ms: 300_000,
            flush_interval: Duration::from_secs(1),
            push_interval: Duration::from_secs(1),
            instance_liveness_ms: 15_000,
            normal_throttle: (1000, 200),
        })
    }

    /// The longest window a card or burn rate reads (at least the 3-day burn window).
    pub(crate) fn longest_window_ms(&self) -> i64 {
        [self.availability, self.latency, self.refund]
            .iter()
            .map(Objective::window_ms)
            .chain([slo::BurnWindow::ThreeDays.ms()])
            .max()
            .unwrap_or(slo::DAY_MS)
    }

    fn latency_bucket_index(&self) -> Result<usize, AppError> {
        DEFAULT_LATENCY_BOUNDS_MS
            .iter()
            .position(|b| *b == self.latency_threshold_ms)
            .ok_or_else(|| AppError::internal("the latency threshold is not a histogram bound"))
    }
}

/// The dashboard's part of the application state.
pub struct Dashboard {
    pub settings: DashboardSettings,
    pub live: live::Hub,
    closed_rows: std::sync::Mutex<Option<std::sync::Arc<ClosedRows>>>,
}

impl Dashboard {
    pub fn new(settings: DashboardSettings) -> Self {
        Self { settings, live: live::Hub::default(), closed_rows: std::sync::Mutex::new(None) }
    }
}

/// Rows of minutes no instance writes to any more (a flush adds to the current minute), kept
/// between ticks: those before the fine span by the hour (read when the hour turns), those
/// of the fine span by the minute up to `closed_to` (extended as minutes close). A tick reads
/// only the last [`CLOSED_AFTER_MS`] itself.
#[derive(Clone, Debug)]
pub struct ClosedRows {
    /// (from, fine span from, latency histogram from), all on the hour.
    key: (i64, i64, i64),
    /// The rows cover [key.0, closed_to).
    closed_to: i64,
    counters: Vec<(String, i64, i64)>,
    latency: Vec<(i64, i64, i64)>,
    latency_histogram: store::HistogramRows,
}

/// A minute is closed this long after it began: it ended and every instance's last flush into
/// it is done, with a minute to spare for clocks that differ.
const CLOSED_AFTER_MS: i64 = 2 * MINUTE_MS;

/// The closed rows for `key` up to `closed_to`, from the cache, extended from the database.
async fn closed_rows(
    state: &AppState,
    key: (i64, i64, i64),
    closed_to: i64,
    good_index: usize,
) -> Result<std::sync::Arc<ClosedRows>, AppError> {
    let cached = state.dashboard.closed_rows.lock().ok().and_then(|c| c.clone()).filter(|c| c.key == key);
    let (from_ms, fine_from, latency_from) = key;
    let mut rows = match cached {
        Some(rows) if rows.closed_to >= closed_to => return Ok(rows),
        Some(rows) => (*rows).clone(),
        None => {
            let span = store::Span { from_ms, to_ms: fine_from, width_ms: HOUR_MS };
            ClosedRows {
                key,
                closed_to: fine_from,
                counters: store::counter_buckets(&state.db, span).await?,
                latency: store::latency_buckets(&state.db, series::LATENCY, good_index, span).await?,
                latency_histogram: store::histograms(&state.db, series::LATENCY, latency_from, fine_from).await?,
            }
        }
    };
    if closed_to > rows.closed_to {
        let span = store::Span { from_ms: rows.closed_to, to_ms: closed_to, width_ms: MINUTE_MS };
        rows.counters.extend(store::counter_buckets(&state.db, span).await?);
        rows.latency.extend(store::latency_buckets(&state.db, series::LATENCY, good_index, span).await?);
        let more = store::histograms(&state.db, series::LATENCY, rows.closed_to, closed_to).await?;
        rows.latency_histogram.totals.extend(more.totals);
        rows.latency_histogram.buckets.extend(more.buckets);
        rows.closed_to = closed_to;
    }
    let rows = std::sync::Arc::new(rows);
    if let Ok(mut cache) = state.dashboard.closed_rows.lock() {
        *cache = Some(rows.clone());
    }
    Ok(rows)
}

/// The snapshot for an admin (the page's first render, the API).
pub async fn snapshot(state: &AppState, _admin: &Admin) -> Result<DashboardSnapshot, AppError> {
    Ok(compute(state).await?.snapshot)
}

/// A snapshot and the figures it was made from (for `/admin/metrics`).
pub struct Computed {
    pub snapshot: DashboardSnapshot,
    pub counters: BTreeMap<String, i64>,
    pub checkout_latency: Histogram,
    pub window_ms: i64,
}

/// Per-series buckets of the counter rows.
struct Series(HashMap<String, BTreeMap<i64, u64>>);

impl Series {
    fn get(&self, name: &str, start: i64) -> u64 {
        self.0.get(name).and_then(|m| m.get(&start)).copied().unwrap_or(0)
    }

    fn starts(&self, names: &[&str]) -> Vec<i64> {
        let mut starts: Vec<i64> =
            names.iter().filter_map(|n| self.0.get(*n)).flat_map(|m| m.keys().copied()).collect();
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    /// Buckets of `good` over `total` (totals as the sum of `total_of`).
    fn buckets(&self, good: &[&str], total_of: &[&str]) -> Vec<Bucket> {
        self.starts(total_of)
            .into_iter()
            .map(|start| {
                let sum = |names: &[&str]| names.iter().map(|n| self.get(n, start)).sum::<u64>();
                (start, Counts::new(sum(good), sum(total_of)))
            })
            .collect()
    }

    fn total(&self, name: &str, since: i64) -> u64 {
        self.0.get(name).map(|m| m.range(since..).map(|(_, v)| *v).sum()).unwrap_or(0)
    }
}

/// The snapshot, without an admin check: callers are `snapshot`, `metrics` and the live hub.
pub async fn compute(state: &AppState) -> Result<Computed, AppError> {
    let now = now_ms();
    let settings = &state.dashboard.settings;
    let since = now.saturating_sub(settings.longest_window_ms());
    let fine_from = bucket_start(now.saturating_sub(FINE_SPAN_MS), HOUR_MS);
    let good_index = settings.latency_bucket_index()?;
    let latency_from = bucket_start(now.saturating_sub(settings.latency.window_ms()), HOUR_MS);
    let key = (bucket_start(since, HOUR_MS), fine_from, latency_from);
    let closed_to = bucket_start(now.saturating_sub(CLOSED_AFTER_MS), MINUTE_MS).max(fine_from);
    let closed = closed_rows(state, key, closed_to, good_index).await?;
    // From where the closed rows end (never earlier: a clock stepping back must not count twice).
    let open = store::Span { from_ms: closed.closed_to, to_ms: i64::MAX, width_ms: MINUTE_MS };
    let mut map: HashMap<String, BTreeMap<i64, u64>> = HashMap::new();
    let open_counters = store::counter_buckets(&state.db, open).await?;
    for (name, start, n) in closed.counters.iter().chain(open_counters.iter()) {
        let slots = match map.get_mut(name) {
            Some(slots) => slots,
            None => map.entry(name.clone()).or_default(),
        };
        *slots.entry(*start).or_default() += u64::try_from(*n).unwrap_or(0);
    }
    let counters = Series(map);
    let open_latency = store::latency_buckets(&state.db, series::LATENCY, good_index, open).await?;
    let latency_buckets: Vec<Bucket> = closed
        .latency
        .iter()
        .chain(open_latency.iter())
        .map(|(start, good, total)| {
            (*start, Counts::new(u64::try_from(*good).unwrap_or(0), u64::try_from(*total).unwrap_or(0)))
        })
        .collect();
    let mut window_rows = store::histograms(&state.db, series::LATENCY, open.from_ms, i64::MAX).await?;
    window_rows.totals.extend(closed.latency_histogram.totals.iter().cloned());
    window_rows.buckets.extend(closed.latency_histogram.buckets.iter().cloned());
    let checkout_latency = into_histograms(window_rows).remove(series::LATENCY).unwrap_or_default();
    let recent_latency = histogram_since(state, series::LATENCY, now.saturating_sub(RECENT_MS)).await?;
    let system = system_status(state, now).await?;
    let outages = store::last_outages(&state.db, OUTAGES_SHOWN).await?;
    let cards = vec![
        a1_card(settings, &counters, &system, &outages, now),
        p1_card(settings, &counters, &latency_buckets, (&checkout_latency, &recent_latency), &system, now),
        refund_card(settings, &counters, now),
    ];
    let snapshot = DashboardSnapshot {
        generated_at_ms: now,
        cards,
        http: http_rows(state, now).await?,
        events: recent_events(state).await?,
        controls: controls(state),
        system,
    };
    let totals = counters.0.keys().map(|k| (k.clone(), signed(counters.total(k, since)))).collect();
    Ok(Computed { snapshot, counters: totals, checkout_latency, window_ms: settings.longest_window_ms() })
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The numbers every card shares: status, headline, recent value, sparkline.
fn card_core(objective: &Objective, buckets: &[Bucket], now: i64) -> (slo::SloStatus, String, Vec<slo::SparkPoint>) {
    let status = evaluate(objective, buckets, now);
    let recent =
        window_counts(buckets, now, RECENT_MS).sli().map(|s| percent(s, 2)).unwrap_or_else(|| "no data".into());
    let from = bucket_start(now.saturating_sub(SPARK_SPAN_MS), MINUTE_MS).saturating_add(MINUTE_MS);
    let spark = sparkline(objective, buckets, from, now.saturating_add(1), MINUTE_MS);
    (status, format!("last 5 min: {recent}"), spark)
}

fn window_text(objective: &Objective) -> String {
    model::window_text(objective.window_ms())
}

fn sli_value(status: &slo::SloStatus) -> String {
    status.sli.map(|s| percent(s, 2)).unwrap_or_else(|| "no data".into())
}

fn a1_card(s: &DashboardSettings, c: &Series, system: &SystemStatus, outages: &[i64], now: i64) -> SloCard {
    let buckets = c.buckets(&[series::ACCEPTED], &[series::SUBMITTED]);
    let (status, recent_text, sparkline) = card_core(&s.availability, &buckets, now);
    let since = now.saturating_sub(s.availability.window_ms());
    let (submitted, accepted, queued) =
        (c.total(series::SUBMITTED, since), c.total(series::ACCEPTED, since), c.total(series::QUEUED, since));
    let mttr = match outages {
        [] => "no outages recorded".to_owned(),
        [last, ..] => {
            let mean = outages.iter().sum::<i64>() / outages.len() as i64;
            format!("last {}, mean {} over {}", duration_text(*last), duration_text(mean), outages.len())
        }
    };
    let queue_age = system.oldest_job_age_ms.map(|a| format!(", oldest {}", duration_text(a))).unwrap_or_default();
    SloCard {
        id: "a1".into(),
        title: "A.1 Availability: checkout keeps accepting orders".into(),
        sli_text: "Share of submitted checkouts accepted: paid, cash on delivery, or queued as payment pending while \
                   the payment provider is down (checkouts the throttle shed count under P.1)"
            .into(),
        objective_text: format!("{} over {}", percent(s.availability.target(), 1), window_text(&s.availability)),
        target_text: format!(
            "Target ≥ {} of submitted orders accepted (queued or completed), MTTR of payment outages < 5 min",
            percent(s.availability.target(), 1)
        ),
        configured: true,
        value_text: sli_value(&status),
        recent_text,
        facts: vec![
            ("Accepted / submitted".into(), format!("{accepted} / {submitted} ({queued} queued)")),
            ("MTTR of payment outages".into(), mttr),
            ("Breaker (this instance)".into(), system.breaker.replace('_', "-")),
            ("Payment queue".into(), format!("{} waiting{queue_age}", system.queue_depth)),
        ],
        status,
        sparkline,
    }
}

fn quantile_text(h: &Histogram, q: f64) -> String {
    h.quantile(q).map(|v| format!("{v:.0} ms")).unwrap_or_else(|| "no data".into())
}

fn p1_card(
    s: &DashboardSettings,
    c: &Series,
    buckets: &[Bucket],
    (window, recent): (&Histogram, &Histogram),
    system: &SystemStatus,
    now: i64,
) -> SloCard {
    let (status, _, sparkline) = card_core(&s.latency, buckets, now);
    let since = now.saturating_sub(s.latency.window_ms());
    // Of every checkout that arrived: the ones the throttle shed plus the ones it let through.
    let share = |since: i64| {
        let throttled = c.total(series::THROTTLED, since);
        match throttled + c.total(series::SUBMITTED, since) {
            0 => "no data".to_owned(),
            n => format!("{} ({throttled} of {n})", percent(throttled as f64 / n as f64, 1)),
        }
    };
    let recent_since = now.saturating_sub(RECENT_MS);
    let threshold = s.latency_threshold_ms;
    SloCard {
        id: "p1".into(),
        title: "P.1 Performance: accepted checkouts stay fast".into(),
        sli_text: format!("Share of accepted checkouts answered within {threshold:.0} ms (p95 ≤ {threshold:.0} ms)"),
        objective_text: format!(
            "{} within {threshold:.0} ms over {}",
            percent(s.latency.target(), 1),
            window_text(&s.latency)
        ),
        target_text: format!("Target: p95 latency of accepted orders ≤ {threshold:.0} ms"),
        configured: true,
        value_text: match window.quantile(0.95) {
            Some(p95) => format!("p95 {p95:.0} ms ({} within)", sli_value(&status)),
            None => "no data".into(),
        },
        recent_text: format!("last 5 min: p95 {}", quantile_text(recent, 0.95)),
        facts: vec![
            ("p50 / p99".into(), format!("{} / {}", quantile_text(window, 0.5), quantile_text(window, 0.99))),
            ("Throttled share".into(), share(since)),
            ("Throttled, last 5 min".into(), share(recent_since)),
            (
                "Throttle".into(),
                match system.throttle_max_rps {
                    0 => "off".to_owned(),
                    rps => format!("{rps} checkouts/s, burst {}", system.throttle_burst),
                },
            ),
        ],
        status,
        sparkline,
    }
}

fn refund_card(s: &DashboardSettings, c: &Series, now: i64) -> SloCard {
    let all = [series::REFUND_ON_TIME, series::REFUND_LATE, series::REFUND_FAILED];
    let buckets = c.buckets(&[series::REFUND_ON_TIME], &all);
    let (status, recent_text, sparkline) = card_core(&s.refund, &buckets, now);
    let since = now.saturating_sub(s.refund.window_ms());
    let target = duration_text(s.refund_target_ms);
    SloCard {
        id: "refund".into(),
        title: "Refund A.1: refunds reach the customer in time".into(),
        sli_text: format!("Share of card refunds paid within {target} of being started (failed ones count as bad)"),
        objective_text: format!("{} within {target} over {}", percent(s.refund.target(), 1), window_text(&s.refund)),
        target_text: format!("Target: ≥ {} of refunds completed within {target}", percent(s.refund.target(), 1)),
        configured: true,
        value_text: sli_value(&status),
        recent_text,
        facts: vec![(
            "On time / late / failed".into(),
            format!(
                "{} / {} / {}",
                c.total(series::REFUND_ON_TIME, since),
                c.total(series::REFUND_LATE, since),
                c.total(series::REFUND_FAILED, since)
            ),
        )],
        status,
        sparkline,
    }
}

/// Histograms from their rows (a series may have several total rows: they add up).
fn into_histograms(rows: store::HistogramRows) -> BTreeMap<String, Histogram> {
    let mut counts: HashMap<String, Vec<u64>> = HashMap::new();
    for (name, bucket, n) in rows.buckets {
        let slots = counts.entry(name).or_insert_with(|| vec![0; BUCKETS]);
        if let Some(slot) = usize::try_from(bucket).ok().and_then(|b| slots.get_mut(b)) {
            *slot = slot.saturating_add(u64::try_from(n).unwrap_or(0));
        }
    }
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (name, _, sum_us, max_us) in rows.totals {
        let entry = totals.entry(name).or_insert((0, 0));
        *entry = (entry.0.saturating_add(sum_us), entry.1.max(max_us));
    }
    let mut out = BTreeMap::new();
    for (name, (sum_us, max_us)) in totals {
        let c = counts.remove(&name).unwrap_or_else(|| vec![0; BUCKETS]);
        let (sum_ms, max_ms) = (sum_us as f64 / 1000.0, max_us as f64 / 1000.0);
        if let Ok(h) = Histogram::from_parts(DEFAULT_LATENCY_BOUNDS_MS.to_vec(), c, sum_ms, 0.0, max_ms) {
            out.insert(name, h);
        }
    }
    out
}

/// Histograms of series matching `pattern` since `since`, summed over instances.
async fn histograms(state: &AppState, pattern: &str, since: i64) -> Result<BTreeMap<String, Histogram>, AppError> {
    Ok(into_histograms(store::histograms(&state.db, pattern, since, i64::MAX).await?))
}

async fn histogram_since(state: &AppState, name: &str, since: i64) -> Result<Histogram, AppError> {
    Ok(histograms(state, name, since).await?.remove(name).unwrap_or_default())
}

async fn http_rows(state: &AppState, now: i64) -> Result<Vec<HttpRow>, AppError> {
    let pattern = format!("{}%", series::HTTP_PREFIX);
    let mut rows: Vec<HttpRow> = histograms(state, &pattern, now.saturating_sub(model::HTTP_WINDOW_MS))
        .await?
        .into_iter()
        .filter_map(|(name, h)| {
            let mut parts = name.strip_prefix(series::HTTP_PREFIX)?.splitn(3, '|');
            let (method, status, route) = (parts.next()?, parts.next()?.parse().ok()?, parts.next()?);
            Some(HttpRow {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
                count: h.count(),
                p50_ms: h.quantile(0.5),
                p95_ms: h.quantile(0.95),
                p99_ms: h.quantile(0.99),
                max_ms: h.max_ms(),
            })
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.route.cmp(&b.route)));
    rows.truncate(100);
    Ok(rows)
}

async fn recent_events(state: &AppState) -> Result<Vec<EventRow>, AppError> {
    Ok(store::recent_events(&state.db, EVENTS_SHOWN)
        .await?
        .into_iter()
        .map(|(at_ms, kind, message, actor, instance_id)| EventRow { at_ms, kind, message, actor, instance_id })
        .collect())
}

/// Database, provider, breaker, queue, throttle and instances. A database that cannot be
/// reached is reported, not an error.
async fn system_status(state: &AppState, now: i64) -> Result<SystemStatus, AppError> {
    let ping = store::ping(&state.db).await;
    let faults = state.provider.as_ref().map(|p| p.faults()).unwrap_or_default();
    let breaker = state.payments.status();
    let throttle = state.checkout_gate.throttle();
    let mut status = SystemStatus {
        db_reachable: ping.is_ok(),
        db_latency_ms: ping.as_ref().ok().map(|d| d.as_secs_f64() * 1000.0),
        db_backend: state.db.backend.name().to_owned(),
        provider: if state.provider.is_some() { "simulated" } else { "external" }.to_owned(),
        failure_rate: faults.failure_rate,
        provider_latency_ms: faults.latency_ms,
        breaker: breaker.state.to_owned(),
        breaker_opened_total: breaker.opened_total,
        last_mttr_seconds: breaker.last_mttr_seconds,
        queue_depth: 0,
        oldest_job_age_ms: None,
        throttle_max_rps: throttle.max_rps,
        throttle_burst: throttle.burst,
        instances: Vec::new(),
    };
    if ping.is_err() {
        return Ok(status);
    }
    status.queue_depth = crate::payments::store::pending_jobs(&state.db).await?;
    status.oldest_job_age_ms =
        crate::payments::store::oldest_job_created_at(&state.db).await?.map(|at| now.saturating_sub(at).max(0));
    let alive_since = now.saturating_sub(state.dashboard.settings.instance_liveness_ms);
    status.instances = crate::payments::store::live_instances(&state.db, alive_since)
        .await?
        .into_iter()
        .map(|(id, started_at_ms, last_seen_at_ms)| model::InstanceRow {
            this_one: id == state.instance_id,
            id,
            started_at_ms,
            last_seen_at_ms,
        })
        .collect();
    Ok(status)
}

fn controls(state: &AppState) -> Controls {
    let faults = state.provider.as_ref().map(|p| p.faults()).unwrap_or_default();
    let throttle = state.checkout_gate.throttle();
    let (normal_rps, normal_burst) = state.dashboard.settings.normal_throttle;
    Controls {
        fault_injection_allowed: state.fault_injection_allowed,
        simulated_provider: state.provider.is_some(),
        failure_rate: faults.failure_rate,
        latency_ms: faults.latency_ms,
        throttle_max_rps: throttle.max_rps,
        throttle_burst: throttle.burst,
        presets: model::presets(normal_rps, normal_burst)
            .into_iter()
            .map(|(name, label, max_rps, burst)| model::ThrottlePreset {
                name: name.into(),
                label: label.into(),
                max_rps,
                burst,
                active: throttle.max_rps == max_rps && throttle.burst == burst,
            })
            .collect(),
    }
}

/// `GET /admin/metrics`: counters over the longest objective window, gauges, histograms with
/// p50/p95/p99 and the recent events, summed over every instance.
pub async fn metrics(state: &AppState, _admin: &Admin) -> Result<serde_json::Value, AppError> {
    let computed = compute(state).await?;
    let snap = &computed.snapshot;
    let summary = |h: &Histogram| {
        serde_json::json!({
            "count": h.count(), "mean_ms": h.mean_ms(), "p50_ms": h.quantile(0.5),
            "p95_ms": h.quantile(0.95), "p99_ms": h.quantile(0.99), "max_ms": h.max_ms(),
        })
    };
    let mut histograms = serde_json::Map::new();
    histograms.insert(series::LATENCY.into(), summary(&computed.checkout_latency));
    for row in &snap.http {
        let name = format!("http {} {} {}", row.method, row.route, row.status);
        histograms.insert(
            name,
            serde_json::json!({"count": row.count, "p50_ms": row.p50_ms, "p95_ms": row.p95_ms,
                               "p99_ms": row.p99_ms, "max_ms": row.max_ms, "window_ms": model::HTTP_WINDOW_MS}),
        );
    }
    let sys = &snap.system;
    Ok(serde_json::json!({
        "generated_at_ms": snap.generated_at_ms,
        "window_ms": computed.window_ms,
        "counters": computed.counters,
        "gauges": {
            "payment_queue_depth": sys.queue_depth, "payment_queue_oldest_age_ms": sys.oldest_job_age_ms,
            "breaker_open": i32::from(sys.breaker != "closed"), "breaker_opened_total": sys.breaker_opened_total,
            "throttle_max_rps": sys.throttle_max_rps, "throttle_burst": sys.throttle_burst,
            "provider_failure_rate": sys.failure_rate, "provider_latency_ms": sys.provider_latency_ms,
            "instances_running": sys.instances.len(), "database_latency_ms": sys.db_latency_ms,
        },
        "histograms": histograms,
        "slo": snap.cards.iter().map(|c| serde_json::json!({
            "id": c.id, "sli": c.status.sli, "state": c.status.state, "objective": c.status.objective,
            "budget": c.status.budget, "burn": c.status.burn, "exhaustion": c.status.exhaustion,
        })).collect::<Vec<_>>(),
        "events": snap.events,
    }))
}

/// The drill form's throttle preset (`a1`, `p1`, `normal`), applied through the checkout
/// service (which records the change with the admin's name).
pub fn apply_throttle_preset(state: &AppState, admin: &Admin, preset: &str) -> Result<(), AppError> {
    let (normal_rps, normal_burst) = state.dashboard.settings.normal_throttle;
    let (_, label, rps, burst) = model::presets(normal_rps, normal_burst)
        .into_iter()
        .find(|(name, ..)| *name == preset)
        .ok_or_else(|| AppError::Invalid(format!("unknown throttle preset '{preset}'; use a1, p1 or normal")))?;
    crate::checkout::service::set_throttle(state, admin, rps, burst, None)?;
    state.sli.event("admin_action", format!("throttle preset '{label}' applied"), &admin.user().username);
    Ok(())
}

/// The drill form's provider faults, through the payments service (which records the change).
pub async fn set_faults(state: &AppState, admin: &Admin, failure_rate: f64, latency_ms: u64) -> Result<(), AppError> {
    let faults = crate::payments::faults::FaultSettings { failure_rate, latency_ms };
    crate::payments::service::set_faults(state, admin, faults).await?;
    Ok(())
}
