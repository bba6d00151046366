//! Collecting iteration results and turning them into the report (text and JSON).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::args::{show_duration, Mode, RunArgs};
use crate::client::{Answer, CallResult, CheckoutResult};

/// Latencies are recorded in microseconds, from 1 µs to 1 hour, 3 significant digits.
const HIGHEST_MICROS: u64 = 3_600_000_000;

/// The statuses every report lists, even at zero.
const CHECKOUT_STATUSES: [u16; 5] = [200, 402, 409, 422, 429];
const CART_STATUSES: [u16; 3] = [200, 409, 422];

/// Slower than this before a user was free counts as client-side queueing.
const QUEUEING_THRESHOLD: Duration = Duration::from_millis(1);

/// One finished iteration.
#[derive(Debug, Clone)]
pub struct Sample {
    /// False during the warm-up.
    pub measured: bool,
    /// `None`: skipped because the item was still in the cart.
    pub cart: Option<CallResult>,
    /// `None`: not attempted because add-to-cart failed.
    pub checkout: Option<CheckoutResult>,
    /// From the scheduled (open loop) or start (closed loop) time to the last answer.
    pub iteration: Duration,
    /// Time spent waiting for an idle user.
    pub user_wait: Duration,
    /// From the scheduled/start time until the iteration had its user (timer and task
    /// start-up lateness plus `user_wait`).
    pub start_delay: Duration,
    pub finished_at: Instant,
}

#[derive(Debug, Clone, Default)]
pub struct StatusCounts {
    pub by_status: BTreeMap<u16, u64>,
    pub timeouts: u64,
    pub transport_errors: u64,
}

impl StatusCounts {
    pub fn add(&mut self, answer: Answer) {
        match answer {
            Answer::Status(s) => *self.by_status.entry(s).or_default() += 1,
            Answer::Timeout => self.timeouts += 1,
            Answer::Transport => self.transport_errors += 1,
        }
    }

    pub fn status(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    pub fn server_errors(&self) -> u64 {
        self.by_status.range(500..600).map(|(_, n)| n).sum()
    }

    pub fn requests(&self) -> u64 {
        self.by_status.values().sum::<u64>() + self.timeouts + self.transport_errors
    }
}

#[derive(Clone)]
pub struct Recorder {
    measure_from: Instant,
    pub completed: u64,
    pub completed_warmup: u64,
    pub cart: StatusCounts,
    pub cart_skipped: u64,
    pub checkout: StatusCounts,
    pub orders: BTreeMap<String, u64>,
    checkout_ok: Histogram<u64>,
    checkout_throttled: Histogram<u64>,
    iteration: Histogram<u64>,
    pub queued: u64,
    pub max_queue_wait: Duration,
    pub max_start_delay: Duration,
    pub last_finish: Option<Instant>,
    /// The first error text seen for each kind of failure ("checkout 422", "cart/add timeout").
    pub example_errors: BTreeMap<String, String>,
}

fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).map_err(|e| format!("latency histogram: {e:?}"))
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

fn answer_kind(answer: Answer) -> String {
    match answer {
        Answer::Status(s) => s.to_string(),
        Answer::Timeout => "timeout".into(),
        Answer::Transport => "transport error".into(),
    }
}

impl Recorder {
    /// Samples finishing before `measure_from` are warm-up only if flagged so by the runner;
    /// `measure_from` is where the measured time (for throughput) starts.
    pub fn new(measure_from: Instant) -> Result<Recorder, String> {
        Ok(Recorder {
            measure_from,
            completed: 0,
            completed_warmup: 0,
            cart: StatusCounts::default(),
            cart_skipped: 0,
            checkout: StatusCounts::default(),
            orders: BTreeMap::new(),
            checkout_ok: histogram()?,
            checkout_throttled: histogram()?,
            iteration: histogram()?,
            queued: 0,
            max_queue_wait: Duration::ZERO,
            max_start_delay: Duration::ZERO,
            last_finish: None,
            example_errors: BTreeMap::new(),
        })
    }

    pub fn record(&mut self, sample: Sample) {
        if !sample.measured {
            self.completed_warmup += 1;
            return;
        }
        self.completed += 1;
        self.last_finish = Some(match self.last_finish {
            Some(t) => t.max(sample.finished_at),
            None => sample.finished_at,
        });
        self.iteration.saturating_record(micros(sample.iteration));
        if sample.user_wait > QUEUEING_THRESHOLD {
            self.queued += 1;
        }
        self.max_queue_wait = self.max_queue_wait.max(sample.user_wait);
        self.max_start_delay = self.max_start_delay.max(sample.start_delay);

        match sample.cart {
            None => self.cart_skipped += 1,
            Some(cart) => {
                self.cart.add(cart.answer);
                if let Some(error) = cart.error {
                    self.example(format!("cart/add {}", answer_kind(cart.answer)), error);
                }
            }
        }
        if let Some(checkout) = sample.checkout {
            self.checkout.add(checkout.answer);
            match checkout.answer {
                Answer::Status(200) => {
                    self.checkout_ok.saturating_record(micros(checkout.elapsed));
                    let status = checkout.order_status.unwrap_or_else(|| "(missing)".into());
                    *self.orders.entry(status).or_default() += 1;
                }
                Answer::Status(429) => {
                    self.checkout_throttled.saturating_record(micros(checkout.elapsed));
                }
                _ => {}
            }
            if let Some(error) = checkout.error {
                self.example(format!("checkout {}", answer_kind(checkout.answer)), error);
            }
        }
    }

    fn example(&mut self, kind: String, error: String) {
        if self.example_errors.len() < 12 {
            self.example_errors.entry(kind).or_insert(error);
        }
    }

    /// Seconds from the end of the warm-up to the last measured answer.
    pub fn measured_seconds(&self) -> f64 {
        self.last_finish.map(|t| t.saturating_duration_since(self.measure_from).as_secs_f64()).unwrap_or(0.0)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// Percentiles in milliseconds from a histogram of microseconds; `None` when empty.
pub fn summarize(h: &Histogram<u64>) -> Option<LatencySummary> {
    if h.is_empty() {
        return None;
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    let mean_micros = h.mean().round() as u64;
    Some(LatencySummary {
        count: h.len(),
        p50: ms(h.value_at_quantile(0.50)),
        p95: ms(h.value_at_quantile(0.95)),
        p99: ms(h.value_at_quantile(0.99)),
        max: ms(h.max()),
        mean: ms(mean_micros),
    })
}

/// 200s over every checkout request that was not throttled (429); `None` if there were none.
pub fn acceptance_rate(accepted: u64, requests: u64, throttled: u64) -> Option<f64> {
    let eligible = requests.saturating_sub(throttled);
    (eligible > 0).then(|| accepted as f64 / eligible as f64)
}

pub fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// What the runner hands back.
pub struct Outcome {
    pub recorder: Recorder,
    pub offered: u64,
    pub offered_warmup: u64,
    pub interrupted: bool,
    pub wall_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Iterations {
    pub offered: u64,
    pub offered_warmup: u64,
    pub completed: u64,
    pub completed_warmup: u64,
    /// Offered but without a result when the run ended (still queued or in flight).
    pub unfinished: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub requests: u64,
    pub by_status: BTreeMap<String, u64>,
    #[serde(rename = "5xx")]
    pub server_errors: u64,
    pub timeouts: u64,
    pub transport_errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<u64>,
}

impl Counts {
    fn from(counts: &StatusCounts, listed: &[u16], skipped: Option<u64>) -> Counts {
        let mut by_status: BTreeMap<String, u64> = listed.iter().map(|s| (s.to_string(), counts.status(*s))).collect();
        by_status.extend(counts.by_status.iter().map(|(s, n)| (s.to_string(), *n)));
        Counts {
            requests: counts.requests(),
            by_status,
            server_errors: counts.server_errors(),
            timeouts: counts.timeouts,
            transport_errors: counts.transport_errors,
            skipped,
        }
    }

    pub fn status(&self, status: u16) -> u64 {
        self.by_status.get(&status.to_string()).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Latencies {
    pub checkout_200: Option<LatencySummary>,
    pub checkout_429: Option<LatencySummary>,
    pub iteration: Option<LatencySummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub mode: &'static str,
    pub rate: Option<f64>,
    pub concurrency: Option<usize>,
    pub duration_seconds: Option<f64>,
    pub count: Option<u64>,
    pub warmup_seconds: f64,
    pub users: usize,
    pub product_id: i64,
    pub quantity: u32,
    pub payment: &'static str,
    pub interrupted: bool,
    pub wall_seconds: f64,
    pub iterations: Iterations,
    pub measured_seconds: f64,
    pub accepted_per_second: f64,
    pub checkout: Counts,
    pub orders: BTreeMap<String, u64>,
    pub add_to_cart: Counts,
    pub acceptance_rate: Option<f64>,
    /// Checkout lines: the checkout request's own round trip. Iteration: from the scheduled
    /// time (open loop) or start (closed loop) to the checkout answer, client queueing included.
    pub latency_ms: Latencies,
    pub iterations_queued_for_a_user: u64,
    pub max_queue_wait_ms: f64,
    /// Largest delay from an iteration's scheduled/start time to having its user.
    pub max_start_delay_ms: f64,
    pub example_errors: BTreeMap<String, String>,
}

impl Report {
    pub fn build(args: &RunArgs, outcome: &Outcome) -> Report {
        let r = &outcome.recorder;
        let (mode, rate, concurrency) = match args.mode {
            Mode::Open { rate } => ("open", Some(rate), None),
            Mode::Closed { concurrency } => ("closed", None, Some(concurrency)),
        };
        let measured_seconds = r.measured_seconds();
        let accepted = r.checkout.status(200);
        let mut orders: BTreeMap<String, u64> =
            ["paid", "payment_pending"].iter().map(|s| (s.to_string(), 0)).collect();
        orders.extend(r.orders.clone());
        Report {
            mode,
            rate,
            concurrency,
            duration_seconds: args.duration.map(|d| d.as_secs_f64()),
            count: args.count,
            warmup_seconds: args.warmup.as_secs_f64(),
            users: args.users,
            product_id: args.product_id,
            quantity: args.quantity,
            payment: args.payment.as_str(),
            interrupted: outcome.interrupted,
            wall_seconds: outcome.wall_seconds,
            iterations: Iterations {
                offered: outcome.offered,
                offered_warmup: outcome.offered_warmup,
                completed: r.completed,
                completed_warmup: r.completed_warmup,
                unfinished: outcome.offered.saturating_sub(r.completed + r.completed_warmup),
            },
            measured_seconds,
            accepted_per_second: per_second(accepted, measured_seconds),
            checkout: Counts::from(&r.checkout, &CHECKOUT_STATUSES, None),
            orders,
            add_to_cart: Counts::from(&r.cart, &CART_STATUSES, Some(r.cart_skipped)),
            acceptance_rate: acceptance_rate(accepted, r.checkout.requests(), r.checkout.status(429)),
            latency_ms: Latencies {
                checkout_200: summarize(&r.checkout_ok),
                checkout_429: summarize(&r.checkout_throttled),
                iteration: summarize(&r.iteration),
            },
            iterations_queued_for_a_user: r.queued,
            max_queue_wait_ms: r.max_queue_wait.as_micros() as f64 / 1000.0,
            max_start_delay_ms: r.max_start_delay.as_micros() as f64 / 1000.0,
            example_errors: r.example_errors.clone(),
        }
    }

    /// 5xx answers to either request of an iteration.
    pub fn server_errors(&self) -> u64 {
        self.checkout.server_errors + self.add_to_cart.server_errors
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_run(&mut out);
        self.render_counts(&mut out);
        self.render_latency(&mut out);
        if !self.example_errors.is_empty() {
            let _ = writeln!(out, "first error of each kind:");
            for (kind, text) in &self.example_errors {
                let _ = writeln!(out, "  {kind}: {text}");
            }
        }
        out
    }

    /// What ran: shape, bounds, users, product, iterations and the measured time.
    fn render_run(&self, out: &mut String) {
        let shape = match (self.rate, self.concurrency) {
            (Some(rate), _) => format!("open loop {rate}/s"),
            (_, Some(c)) => format!("closed loop, {c} workers"),
            _ => String::new(),
        };
        let mut bounds = Vec::new();
        if let Some(d) = self.duration_seconds {
            bounds.push(show_duration(Duration::from_secs_f64(d)));
        }
        if let Some(n) = self.count {
            bounds.push(format!("{n} iterations"));
        }
        let _ = writeln!(
            out,
            "\n== loadgen report: {shape}, {} (warm-up {}), {} users, product {} x {}, {}{}",
            bounds.join(" or "),
            show_duration(Duration::from_secs_f64(self.warmup_seconds)),
            self.users,
            self.product_id,
            self.quantity,
            self.payment,
            if self.interrupted { ", INTERRUPTED" } else { "" },
        );
        let it = &self.iterations;
        let _ = writeln!(
            out,
            "iterations    offered {} ({} warm-up) | completed {} measured + {} warm-up | unfinished {}",
            it.offered, it.offered_warmup, it.completed, it.completed_warmup, it.unfinished
        );
        let _ = writeln!(
            out,
            "measured      {:.2} s | accepted throughput {:.1} checkouts/s",
            self.measured_seconds, self.accepted_per_second
        );
    }

    /// Statuses of both requests, order statuses and the acceptance rate.
    fn render_counts(&self, out: &mut String) {
        let _ = writeln!(out, "checkout      {}", counts_line(&self.checkout, &CHECKOUT_STATUSES));
        let orders: Vec<String> = self.orders.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(out, "orders (200)  {}", orders.join(" | "));
        let _ = writeln!(
            out,
            "add-to-cart   {} | skipped {} (item still in cart after 402/409/429)",
            counts_line(&self.add_to_cart, &CART_STATUSES),
            self.add_to_cart.skipped.unwrap_or(0)
        );
        let _ = writeln!(
            out,
            "acceptance    {} (200s / checkouts that were not 429)",
            self.acceptance_rate
                .map(|r| format!("{:.3} %", r * 100.0))
                .unwrap_or_else(|| "n/a (no non-429 checkouts)".into())
        );
    }

    /// Latency percentiles and client-side queueing.
    fn render_latency(&self, out: &mut String) {
        let _ = writeln!(out, "latency ms    {:>8} {:>9} {:>9} {:>9} {:>9}", "count", "p50", "p95", "p99", "max");
        let rows = [
            ("checkout 200", &self.latency_ms.checkout_200),
            ("checkout 429", &self.latency_ms.checkout_429),
            ("iteration", &self.latency_ms.iteration),
        ];
        for (name, summary) in rows {
            match summary {
                Some(s) => {
                    let _ = writeln!(
                        out,
                        "  {name:<12}{:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                        s.count, s.p50, s.p95, s.p99, s.max
                    );
                }
                None => {
                    let _ = writeln!(out, "  {name:<12}{:>8}", 0);
                }
            }
        }
        let _ =
            writeln!(out, "  (checkout rows: the request's own round trip; iteration: from the scheduled (open loop)");
        let _ = writeln!(out, "   or start (closed loop) time to the checkout answer, client-side waiting included)");
        let _ = writeln!(
            out,
            "client queue  {} iterations waited > 1 ms for a free user (max {:.1} ms); max start delay {:.1} ms",
            self.iterations_queued_for_a_user, self.max_queue_wait_ms, self.max_start_delay_ms
        );
    }
}

fn counts_line(c: &Counts, listed: &[u16]) -> String {
    let mut parts = vec![format!("requests {}", c.requests)];
    parts.extend(listed.iter().map(|s| format!("{s}: {}", c.status(*s))));
    parts.push(format!("5xx: {}", c.server_errors));
    let others: Vec<String> = c
        .by_status
        .iter()
        .filter(|(s, _)| {
            let code: u16 = s.parse().unwrap_or(0);
            !listed.contains(&code) && !(500..600).contains(&code)
        })
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    if !others.is_empty() {
        parts.push(format!("other [{}]", others.join(", ")));
    }
    parts.push(format!("timeouts: {}", c.timeouts));
    parts.push(format!("transport errors: {}", c.transport_errors));
    parts.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout(status: u16, ms: u64, order: Option<&str>) -> CheckoutResult {
        CheckoutResult {
            answer: Answer::Status(status),
            order_status: order.map(str::to_owned),
            elapsed: Duration::from_millis(ms),
            error: (status != 200).then(|| format!("status {status}")),
        }
    }

    fn sample(now: Instant, cart: Option<u16>, result: Option<CheckoutResult>, ms: u64) -> Sample {
        Sample {
            measured: true,
            cart: cart
                .map(|s| CallResult { answer: Answer::Status(s), error: (s != 200).then(|| format!("status {s}")) }),
            checkout: result,
            iteration: Duration::from_millis(ms),
            user_wait: Duration::ZERO,
            start_delay: Duration::ZERO,
            finished_at: now,
        }
    }

    #[test]
    fn percentiles_of_a_known_set() {
        let mut h = histogram().unwrap();
        for ms in 1..=100u64 {
            h.record(ms * 1000).unwrap();
        }
        let s = summarize(&h).unwrap();
        assert_eq!(s.count, 100);
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.001 + 0.001;
        assert!(close(s.p50, 50.0), "p50 {}", s.p50);
        assert!(close(s.p95, 95.0), "p95 {}", s.p95);
        assert!(close(s.p99, 99.0), "p99 {}", s.p99);
        assert!(close(s.max, 100.0), "max {}", s.max);
        assert!(close(s.mean, 50.5), "mean {}", s.mean);
        assert_eq!(summarize(&histogram().unwrap()), None);
    }

    #[test]
    fn percentiles_keep_microsecond_precision_and_see_the_tail() {
        let mut h = histogram().unwrap();
        for _ in 0..990 {
            h.record(1_234).unwrap(); // 1.234 ms
        }
        for _ in 0..10 {
            h.record(2_000_000).unwrap(); // 2 s
        }
        let s = summarize(&h).unwrap();
        assert!((s.p50 - 1.234).abs() < 0.002, "p50 {}", s.p50);
        assert!((s.p99 - 1.234).abs() < 0.002, "p99 {}", s.p99);
        assert!((s.max - 2000.0).abs() < 2.0, "max {}", s.max);
    }

    #[test]
    fn acceptance_rate_ignores_throttled_answers() {
        assert_eq!(acceptance_rate(999, 1000, 0), Some(0.999));
        assert_eq!(acceptance_rate(400, 1000, 600), Some(1.0));
        assert_eq!(acceptance_rate(399, 1000, 600), Some(399.0 / 400.0));
        assert_eq!(acceptance_rate(0, 500, 500), None);
        assert_eq!(acceptance_rate(0, 0, 0), None);
        assert_eq!(per_second(100, 2.0), 50.0);
        assert_eq!(per_second(100, 0.0), 0.0);
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one recorded run, then every figure of its report checked
    fn report_counts_from_samples() {
        let start = Instant::now();
        let args = match crate::args::parse(
            &["run", "--rate", "100", "--duration", "10s", "--warmup", "1s"].map(String::from),
            &|_| None,
        ) {
            Ok(crate::args::Command::Run(r)) => r,
            other => panic!("{other:?}"),
        };
        let mut rec = Recorder::new(start).unwrap();
        rec.record(Sample { measured: false, ..sample(start, Some(200), Some(checkout(200, 5, Some("paid"))), 6) });
        rec.record(sample(start + Duration::from_secs(1), Some(200), Some(checkout(200, 10, Some("paid"))), 12));
        rec.record(sample(
            start + Duration::from_secs(2),
            Some(200),
            Some(checkout(200, 20, Some("payment_pending"))),
            22,
        ));
        rec.record(sample(start + Duration::from_secs(3), Some(200), Some(checkout(429, 1, None)), 3));
        rec.record(sample(start + Duration::from_secs(3), None, Some(checkout(402, 4, None)), 4));
        rec.record(sample(start + Duration::from_secs(4), Some(503), None, 2));
        rec.record(sample(
            start + Duration::from_secs(4),
            Some(200),
            Some(CheckoutResult {
                answer: Answer::Timeout,
                order_status: None,
                elapsed: Duration::from_secs(10),
                error: Some("checkout: timed out".into()),
            }),
            10_001,
        ));
        let outcome = Outcome { recorder: rec, offered: 8, offered_warmup: 1, interrupted: false, wall_seconds: 10.0 };
        let report = Report::build(&args, &outcome);
        assert_eq!(report.iterations.completed, 6);
        assert_eq!(report.iterations.completed_warmup, 1);
        assert_eq!(report.iterations.unfinished, 1);
        assert_eq!(report.checkout.requests, 5);
        assert_eq!(report.checkout.status(200), 2);
        assert_eq!(report.checkout.status(429), 1);
        assert_eq!(report.checkout.status(402), 1);
        assert_eq!(report.checkout.timeouts, 1);
        assert_eq!(report.orders["paid"], 1);
        assert_eq!(report.orders["payment_pending"], 1);
        assert_eq!(report.add_to_cart.requests, 5);
        assert_eq!(report.add_to_cart.server_errors, 1);
        assert_eq!(report.add_to_cart.skipped, Some(1));
        assert_eq!(report.server_errors(), 1);
        // 2 accepted of 4 non-429 checkouts (200, 200, 402, timeout).
        assert_eq!(report.acceptance_rate, Some(0.5));
        // 2 accepted over the 4 s from the end of the warm-up to the last answer.
        assert_eq!(report.measured_seconds, 4.0);
        assert_eq!(report.accepted_per_second, 0.5);
        let ok = report.latency_ms.checkout_200.as_ref().unwrap();
        assert_eq!(ok.count, 2);
        assert!((ok.max - 20.0).abs() < 0.05);
        assert_eq!(report.latency_ms.checkout_429.as_ref().unwrap().count, 1);
        assert_eq!(report.latency_ms.iteration.as_ref().unwrap().count, 6);
        assert!(report.example_errors.contains_key("checkout timeout"));
        assert!(report.example_errors.contains_key("cart/add 503"));

        let text = report.render();
        assert!(text.contains("429: 1"), "{text}");
        assert!(text.contains("acceptance    50.000 %"), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["checkout"]["by_status"]["422"], 0);
        assert_eq!(json["checkout"]["5xx"], 0);
        assert_eq!(json["add_to_cart"]["5xx"], 1);
    }
}
