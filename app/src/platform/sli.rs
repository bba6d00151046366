//! The in-process recorder of the dashboard's indicators (SLIs). The request path only adds to
//! atomics here; the dashboard's flusher (`dashboard::flusher`) takes what was counted every
//! second or so and adds it to this instance's per-minute rows in the database, which every
//! instance reads. Cost per request: the HTTP table's series is found under a read lock (a
//! write lock only the first time a route, method and status is seen) and counted with four
//! relaxed atomic adds and one atomic max; a checkout adds two to five more.
//!
//! It lives in `platform`, not in the `dashboard` feature, because the features that feed it
//! (checkout, payments, returns) sit below the dashboard, which reads them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use domain::slo::DEFAULT_LATENCY_BOUNDS_MS;

/// Buckets of a recorded histogram: one per bound of [`DEFAULT_LATENCY_BOUNDS_MS`], then overflow.
pub const BUCKETS: usize = DEFAULT_LATENCY_BOUNDS_MS.len() + 1;

/// Events kept in memory until the next flush; beyond this the oldest are dropped (and counted).
const MAX_PENDING_EVENTS: usize = 500;

/// Counter series names, as stored in `dashboard_series`.
pub mod series {
    pub const SUBMITTED: &str = "checkout.submitted";
    pub const ACCEPTED: &str = "checkout.accepted";
    pub const QUEUED: &str = "checkout.queued";
    pub const REFUSED: &str = "checkout.refused";
    pub const THROTTLED: &str = "checkout.throttled";
    pub const LATENCY: &str = "checkout.latency";
    pub const REFUND_ON_TIME: &str = "refund.on_time";
    pub const REFUND_LATE: &str = "refund.late";
    pub const REFUND_FAILED: &str = "refund.failed";
    pub const SETTLED_PAID: &str = "orders.settled_paid";
    pub const SETTLED_FAILED: &str = "orders.settled_failed";
    /// Prefix of the HTTP histograms: `http|<method>|<status>|<route template>`.
    pub const HTTP_PREFIX: &str = "http|";
}

/// A latency histogram made of atomics, with the bounds of [`DEFAULT_LATENCY_BOUNDS_MS`].
pub struct AtomicHistogram {
    counts: [AtomicU64; BUCKETS],
    sum_us: AtomicU64,
    max_us: AtomicU64,
}

impl Default for AtomicHistogram {
    fn default() -> Self {
        Self {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
        }
    }
}

/// What a histogram counted since the last take.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistogramDelta {
    /// One per bound, then overflow.
    pub counts: Vec<u64>,
    pub sum_us: u64,
    pub max_us: u64,
}

impl HistogramDelta {
    pub fn count(&self) -> u64 {
        self.counts.iter().fold(0u64, |sum, c| sum.saturating_add(*c))
    }
}

impl AtomicHistogram {
    pub fn observe(&self, elapsed: Duration) {
        let ms = elapsed.as_secs_f64() * 1000.0;
        let index = DEFAULT_LATENCY_BOUNDS_MS.partition_point(|bound| *bound < ms);
        if let Some(slot) = self.counts.get(index) {
            slot.fetch_add(1, Relaxed);
        }
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_us.fetch_add(us, Relaxed);
        self.max_us.fetch_max(us, Relaxed);
    }

    /// Takes (and zeroes) what was counted; an observation racing with the take is counted now
    /// or at the next take, never twice or never.
    pub fn take(&self) -> HistogramDelta {
        HistogramDelta {
            counts: self.counts.iter().map(|c| c.swap(0, Relaxed)).collect(),
            sum_us: self.sum_us.swap(0, Relaxed),
            max_us: self.max_us.swap(0, Relaxed),
        }
    }
}

/// How a submitted checkout ended, for the A.1 and P.1 indicators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckoutOutcome {
    /// Paid, cash on delivery or free: accepted.
    Completed,
    /// Accepted as `payment_pending`: the worker charges the card later.
    Queued,
    /// Shed by the throttle (429): the arrival tactic P.1 measures, counted apart and not as a
    /// submitted order (A.1 counts orders that got past the throttle, as the load scripts do:
    /// 200s / answers that were not 429).
    Throttled,
    /// Refused for any other reason the shop gave (busy, payment failed, declined, stock…).
    Refused,
    /// A malformed request (422: bad card fields, an empty cart): not a submitted order, not counted.
    Invalid,
}

/// An event waiting for the next flush.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEvent {
    pub at_ms: i64,
    pub kind: &'static str,
    pub message: String,
    pub actor: String,
    /// A number that goes with it (a breaker_closed event's MTTR, ms).
    pub value_ms: Option<i64>,
}

/// Everything counted since the last [`Recorder::take`].
#[derive(Debug, Default)]
pub struct Taken {
    pub counters: Vec<(&'static str, u64)>,
    /// Series name and histogram (the checkout latency and every HTTP series that saw traffic).
    pub histograms: Vec<(String, HistogramDelta)>,
    pub events: Vec<PendingEvent>,
    /// Events dropped because too many waited.
    pub dropped_events: u64,
}

#[derive(Default)]
struct Counters {
    submitted: AtomicU64,
    accepted: AtomicU64,
    queued: AtomicU64,
    refused: AtomicU64,
    throttled: AtomicU64,
    refund_on_time: AtomicU64,
    refund_late: AtomicU64,
    refund_failed: AtomicU64,
    settled_paid: AtomicU64,
    settled_failed: AtomicU64,
}

/// One HTTP route's series, by method and status.
type RouteSeries = Vec<(&'static str, u16, std::sync::Arc<AtomicHistogram>)>;

/// The recorder one server process shares between all its requests.
pub struct Recorder {
    /// A refund paid within this long is on time.
    refund_target_ms: i64,
    counters: Counters,
    checkout_latency: AtomicHistogram,
    http: RwLock<HashMap<String, RouteSeries>>,
    events: Mutex<VecDeque<PendingEvent>>,
    dropped_events: AtomicU64,
}

impl Recorder {
    pub fn new(refund_target: Duration) -> Self {
        Self {
            refund_target_ms: i64::try_from(refund_target.as_millis()).unwrap_or(i64::MAX),
            counters: Counters::default(),
            checkout_latency: AtomicHistogram::default(),
            http: RwLock::new(HashMap::new()),
            events: Mutex::new(VecDeque::new()),
            dropped_events: AtomicU64::new(0),
        }
    }

    /// A checkout answered after `elapsed`.
    pub fn checkout(&self, outcome: CheckoutOutcome, elapsed: Duration) {
        let c = &self.counters;
        match outcome {
            CheckoutOutcome::Invalid => {}
            CheckoutOutcome::Throttled => {
                c.throttled.fetch_add(1, Relaxed);
            }
            CheckoutOutcome::Refused => {
                c.submitted.fetch_add(1, Relaxed);
                c.refused.fetch_add(1, Relaxed);
            }
            CheckoutOutcome::Completed | CheckoutOutcome::Queued => {
                c.submitted.fetch_add(1, Relaxed);
                c.accepted.fetch_add(1, Relaxed);
                if outcome == CheckoutOutcome::Queued {
                    c.queued.fetch_add(1, Relaxed);
                }
                self.checkout_latency.observe(elapsed);
            }
        }
    }

    /// A queued order settled by the background worker: paid or failed.
    pub fn order_settled(&self, paid: bool) {
        let slot = if paid { &self.counters.settled_paid } else { &self.counters.settled_failed };
        slot.fetch_add(1, Relaxed);
    }

    /// A card refund was paid `took_ms` after it was started; also an event.
    pub fn refund_paid(&self, refund_id: i64, took_ms: i64) {
        let on_time = took_ms <= self.refund_target_ms;
        let slot = if on_time { &self.counters.refund_on_time } else { &self.counters.refund_late };
        slot.fetch_add(1, Relaxed);
        let seconds = took_ms as f64 / 1000.0;
        self.event("refund_completed", format!("refund #{refund_id} paid after {seconds:.1} s"), "");
    }

    /// A card refund failed for good; also an event.
    pub fn refund_failed(&self, refund_id: i64, reason: &str) {
        self.counters.refund_failed.fetch_add(1, Relaxed);
        self.event("refund_failed", format!("refund #{refund_id} failed: {reason}"), "");
    }

    /// An HTTP answer: `route` is the matched route template ("fallback" when none matched).
    pub fn http(&self, route: &str, method: &http::Method, status: u16, elapsed: Duration) {
        let method = method_name(method);
        if let Ok(map) = self.http.read() {
            let found = map.get(route).and_then(|s| s.iter().find(|(m, st, _)| *m == method && *st == status));
            if let Some((_, _, histogram)) = found {
                histogram.observe(elapsed);
                return;
            }
        }
        let Ok(mut map) = self.http.write() else {
            return;
        };
        let entries = map.entry(route.to_owned()).or_default();
        let position = entries.iter().position(|(m, st, _)| *m == method && *st == status);
        let histogram = match position.and_then(|i| entries.get(i)) {
            Some((_, _, h)) => h.clone(),
            None => {
                let h = std::sync::Arc::new(AtomicHistogram::default());
                entries.push((method, status, h.clone()));
                h
            }
        };
        histogram.observe(elapsed);
    }

    /// Something for the dashboard's event list (breaker, queue, refunds, settings, admins);
    /// `actor` is who did it, empty for the system.
    pub fn event(&self, kind: &'static str, message: String, actor: &str) {
        let at_ms = crate::platform::now_ms();
        self.push(PendingEvent { at_ms, kind, message, actor: actor.to_owned(), value_ms: None });
    }

    /// Queues a ready-made event.
    pub fn push(&self, event: PendingEvent) {
        if let Ok(mut events) = self.events.lock() {
            if events.len() >= MAX_PENDING_EVENTS {
                events.pop_front();
                self.dropped_events.fetch_add(1, Relaxed);
            }
            events.push_back(event);
        }
    }

    /// Takes (and zeroes) everything counted since the last take.
    pub fn take(&self) -> Taken {
        let c = &self.counters;
        let counters = [
            (series::SUBMITTED, &c.submitted),
            (series::ACCEPTED, &c.accepted),
            (series::QUEUED, &c.queued),
            (series::REFUSED, &c.refused),
            (series::THROTTLED, &c.throttled),
            (series::REFUND_ON_TIME, &c.refund_on_time),
            (series::REFUND_LATE, &c.refund_late),
            (series::REFUND_FAILED, &c.refund_failed),
            (series::SETTLED_PAID, &c.settled_paid),
            (series::SETTLED_FAILED, &c.settled_failed),
        ]
        .into_iter()
        .map(|(name, value)| (name, value.swap(0, Relaxed)))
        .filter(|(_, value)| *value > 0)
        .collect();
        let mut histograms = Vec::new();
        let latency = self.checkout_latency.take();
        if latency.count() > 0 {
            histograms.push((series::LATENCY.to_owned(), latency));
        }
        if let Ok(map) = self.http.read() {
            for (route, entries) in map.iter() {
                for (method, status, histogram) in entries {
                    let delta = histogram.take();
                    if delta.count() > 0 {
                        histograms.push((format!("{}{method}|{status}|{route}", series::HTTP_PREFIX), delta));
                    }
                }
            }
        }
        let events = self.events.lock().map(|mut e| e.drain(..).collect()).unwrap_or_default();
        Taken { counters, histograms, events, dropped_events: self.dropped_events.swap(0, Relaxed) }
    }
}

/// Standard methods by name; anything else as `OTHER`, so the table stays small.
fn method_name(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn checkouts_are_counted_by_outcome_and_taken_once() {
        let r = Recorder::new(Duration::from_secs(60));
        r.checkout(CheckoutOutcome::Completed, ms(10));
        r.checkout(CheckoutOutcome::Queued, ms(700));
        r.checkout(CheckoutOutcome::Throttled, ms(1));
        r.checkout(CheckoutOutcome::Refused, ms(1));
        r.checkout(CheckoutOutcome::Invalid, ms(1));
        let taken = r.take();
        let get = |name: &str| taken.counters.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).unwrap_or(0);
        assert_eq!(
            (get(series::SUBMITTED), get(series::ACCEPTED), get(series::QUEUED), get(series::REFUSED)),
            (3, 2, 1, 1)
        );
        assert_eq!(get(series::THROTTLED), 1);
        let latency = &taken.histograms.iter().find(|(n, _)| n == series::LATENCY).unwrap().1;
        assert_eq!(latency.count(), 2);
        assert_eq!(latency.max_us, 700_000);
        let again = r.take();
        assert!(again.counters.is_empty() && again.histograms.is_empty(), "taken once");
    }

    #[test]
    fn http_series_are_keyed_by_route_method_and_status() {
        let r = Recorder::new(Duration::from_secs(60));
        r.http("/api/cart", &http::Method::GET, 200, ms(3));
        r.http("/api/cart", &http::Method::GET, 200, ms(4));
        r.http("/api/cart", &http::Method::POST, 200, ms(4));
        r.http("/api/cart", &http::Method::GET, 404, ms(4));
        let mut names: Vec<_> = r.take().histograms.into_iter().map(|(n, h)| (n, h.count())).collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                ("http|GET|200|/api/cart".to_owned(), 2),
                ("http|GET|404|/api/cart".to_owned(), 1),
                ("http|POST|200|/api/cart".to_owned(), 1)
            ]
        );
    }

    #[test]
    fn refunds_on_time_late_and_failed() {
        let r = Recorder::new(Duration::from_secs(60));
        r.refund_paid(1, 60_000);
        r.refund_paid(2, 60_001);
        r.refund_failed(3, "card closed");
        let taken = r.take();
        let mut counters = taken.counters.clone();
        counters.sort();
        assert_eq!(counters, vec![(series::REFUND_FAILED, 1), (series::REFUND_LATE, 1), (series::REFUND_ON_TIME, 1)]);
        assert_eq!(taken.events.len(), 3);
    }

    /// What recording costs per call, one thread and two at once (run it in release).
    #[test]
    #[ignore = "a measurement: cargo test -p app --features ssr --release --lib sli::tests::cost -- --ignored --nocapture"]
    fn cost() {
        let r = std::sync::Arc::new(Recorder::new(Duration::from_secs(60)));
        const ROUTES: [&str; 4] = ["/api/checkout", "/api/cart", "/", "/api/products"];
        const N: usize = 2_000_000;
        let (routes, n) = (ROUTES, N);
        let run = move |r: &Recorder| {
            let started = std::time::Instant::now();
            for i in 0..n {
                r.http(routes[i % 4], &http::Method::GET, 200, Duration::from_micros((i % 5000) as u64));
            }
            let http_ns = started.elapsed().as_nanos() as f64 / n as f64;
            let started = std::time::Instant::now();
            for i in 0..n {
                r.checkout(CheckoutOutcome::Completed, Duration::from_micros((i % 5000) as u64));
            }
            (http_ns, started.elapsed().as_nanos() as f64 / n as f64)
        };
        let (http_ns, checkout_ns) = run(&r);
        println!("one thread: http {http_ns:.1} ns, checkout {checkout_ns:.1} ns per call");
        let other = r.clone();
        let handle = std::thread::spawn(move || run(&other));
        let (a, b) = run(&r);
        let (c, d) = handle.join().unwrap();
        println!("two threads: http {:.1} ns, checkout {:.1} ns per call", (a + c) / 2.0, (b + d) / 2.0);
        assert_eq!(r.take().histograms.iter().map(|(_, h)| h.count()).sum::<u64>(), 6 * n as u64);
    }

    #[test]
    fn pending_events_are_bounded() {
        let r = Recorder::new(Duration::from_secs(60));
        for i in 0..(MAX_PENDING_EVENTS + 3) {
            r.event("test", format!("{i}"), "");
        }
        let taken = r.take();
        assert_eq!(taken.events.len(), MAX_PENDING_EVENTS);
        assert_eq!(taken.dropped_events, 3);
        assert_eq!(taken.events.first().map(|e| e.message.as_str()), Some("3"));
    }
}
