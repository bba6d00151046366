//! Driving the load: open loop (fixed schedule) or closed loop (back-to-back workers).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio::time::sleep_until;

use crate::args::{show_duration, Mode, Payment, RunArgs};
use crate::client::Answer;
use crate::pool::UserPool;
use crate::report::{Outcome, Recorder, Sample};
use crate::stop::Stop;

const PROGRESS_EVERY: Duration = Duration::from_secs(5);

pub struct Plan {
    pub mode: Mode,
    pub duration: Option<Duration>,
    pub count: Option<u64>,
    pub warmup: Duration,
    pub product_id: i64,
    pub quantity: u32,
    pub payment: Payment,
    /// How long in-flight iterations may still finish once no new ones start.
    pub drain: Duration,
    /// Prefix of the Idempotency-Keys.
    pub run_id: String,
}

impl Plan {
    pub fn new(args: &RunArgs, run_id: &str) -> Plan {
        Plan {
            mode: args.mode,
            duration: args.duration,
            count: args.count,
            warmup: args.warmup,
            product_id: args.product_id,
            quantity: args.quantity,
            payment: args.payment,
            // An iteration is two requests, each bounded by the timeout.
            drain: args.timeout * 2 + Duration::from_secs(2),
            run_id: run_id.to_owned(),
        }
    }
}

/// When iteration `i` (from 0) is due in an open loop at `rate` per second.
pub fn scheduled_offset(i: u64, rate: f64) -> Duration {
    Duration::from_secs_f64(i as f64 / rate)
}

/// Whether iteration `i`, due at `offset`, is still within the run's bounds.
pub fn within_bounds(i: u64, offset: Duration, duration: Option<Duration>, count: Option<u64>) -> bool {
    duration.is_none_or(|d| offset < d) && count.is_none_or(|c| i < c)
}

/// How many iterations an open loop will offer (if not interrupted).
pub fn planned_iterations(rate: f64, duration: Option<Duration>, count: Option<u64>) -> u64 {
    let by_time = duration.map(|d| {
        // The first i with i / rate >= d, computed like the schedule itself.
        let mut n = (d.as_secs_f64() * rate).ceil() as u64;
        while n > 0 && scheduled_offset(n - 1, rate) >= d {
            n -= 1;
        }
        while scheduled_offset(n, rate) < d {
            n += 1;
        }
        n
    });
    match (by_time, count) {
        (Some(t), Some(c)) => t.min(c),
        (Some(t), None) => t,
        (None, Some(c)) => c,
        (None, None) => 0,
    }
}

struct Shared {
    plan: Plan,
    pool: Arc<UserPool>,
    recorder: Mutex<Recorder>,
    keys: AtomicU64,
}

impl Shared {
    fn idempotency_key(&self) -> String {
        let n = self.keys.fetch_add(1, Ordering::Relaxed);
        format!("loadgen-{}-{n}", self.plan.run_id)
    }

    /// One iteration for one idle user: add to cart (unless the item is still there), then
    /// check out. `began` is the scheduled time (open loop) or the start (closed loop).
    async fn iteration(&self, began: Instant, measured: bool) {
        let asked = Instant::now();
        let mut user = self.pool.acquire().await;
        let user_wait = asked.elapsed();
        let start_delay = began.elapsed();
        let cart = if user.cart_loaded {
            None
        } else {
            let mut result = user.session.add_to_cart(self.plan.product_id, self.plan.quantity).await;
            if let Some(error) = &mut result.error {
                let _ = write!(error, " [user {}]", user.name);
            }
            Some(result)
        };
        let cart_ok = cart.as_ref().is_none_or(|c| c.answer == Answer::Status(200));
        let checkout = if cart_ok {
            let key = self.idempotency_key();
            let mut result = user.session.checkout(self.plan.payment, &key).await;
            if let Some(error) = &mut result.error {
                let _ = write!(error, " [user {}, Idempotency-Key {key}]", user.name);
            }
            // These answers leave the cart as it was; anything else may have emptied it.
            user.cart_loaded = matches!(result.answer, Answer::Status(402 | 409 | 429));
            Some(result)
        } else {
            None
        };
        self.pool.release(user);
        let finished_at = Instant::now();
        let sample = Sample {
            measured,
            cart,
            checkout,
            iteration: finished_at.saturating_duration_since(began),
            user_wait,
            start_delay,
            finished_at,
        };
        self.recorder().record(sample);
    }

    /// Recording never leaves the recorder half-updated in a way later samples would mind.
    fn recorder(&self) -> MutexGuard<'_, Recorder> {
        self.recorder.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs the load and returns what was recorded. Stops at the bounds or on Ctrl+C.
pub async fn run(plan: Plan, pool: Arc<UserPool>, stop: &Stop) -> Result<Outcome, String> {
    eprintln!("{}", describe(&plan));
    let start = Instant::now();
    let shared = Arc::new(Shared {
        recorder: Mutex::new(Recorder::new(start + plan.warmup)?),
        keys: AtomicU64::new(0),
        pool,
        plan,
    });
    let progress = tokio::spawn(progress(shared.clone(), start));
    let mut tasks = JoinSet::new();
    let (offered, offered_warmup) = match shared.plan.mode {
        Mode::Open { rate } => open_loop(&shared, rate, start, stop, &mut tasks).await,
        Mode::Closed { concurrency } => closed_loop(&shared, concurrency, start, stop, &mut tasks).await,
    };
    drain(&mut tasks, shared.plan.drain, stop).await;
    progress.abort();
    let _ = progress.await;
    let wall_seconds = start.elapsed().as_secs_f64();
    // Every iteration task has ended and the progress task is gone: this is the last handle.
    let recorder = match Arc::try_unwrap(shared) {
        Ok(shared) => shared.recorder.into_inner().unwrap_or_else(PoisonError::into_inner),
        Err(shared) => shared.recorder().clone(),
    };
    Ok(Outcome { recorder, offered, offered_warmup, interrupted: stop.is_requested(), wall_seconds })
}

fn describe(plan: &Plan) -> String {
    let bound = match (plan.duration, plan.count) {
        (Some(d), Some(c)) => format!("for {} or {c} iterations", show_duration(d)),
        (Some(d), None) => format!("for {}", show_duration(d)),
        (None, Some(c)) => format!("for {c} iterations"),
        (None, None) => String::new(),
    };
    let shape = match plan.mode {
        Mode::Open { rate } => format!(
            "open loop at {rate}/s {bound}: {} iterations planned",
            planned_iterations(rate, plan.duration, plan.count)
        ),
        Mode::Closed { concurrency } => format!("closed loop, {concurrency} workers, {bound}"),
    };
    format!("load: {shape}; first {} is warm-up (Ctrl+C stops early and still reports)", show_duration(plan.warmup))
}

/// Starts iteration i at start + i/rate whether or not earlier ones have finished.
async fn open_loop(
    shared: &Arc<Shared>,
    rate: f64,
    start: Instant,
    stop: &Stop,
    tasks: &mut JoinSet<()>,
) -> (u64, u64) {
    let plan = &shared.plan;
    let (mut offered, mut offered_warmup) = (0u64, 0u64);
    loop {
        let offset = scheduled_offset(offered, rate);
        if !within_bounds(offered, offset, plan.duration, plan.count) {
            break;
        }
        let due = start + offset;
        tokio::select! {
            biased;
            _ = stop.requested() => break,
            _ = sleep_until(due.into()) => {}
        }
        // Reap finished tasks so the set stays small.
        while tasks.try_join_next().is_some() {}
        let measured = offset >= plan.warmup;
        if !measured {
            offered_warmup += 1;
        }
        let shared = shared.clone();
        tasks.spawn(async move { shared.iteration(due, measured).await });
        offered += 1;
    }
    (offered, offered_warmup)
}

/// `concurrency` workers, each running iterations back to back until a bound is reached.
async fn closed_loop(
    shared: &Arc<Shared>,
    concurrency: usize,
    start: Instant,
    stop: &Stop,
    tasks: &mut JoinSet<()>,
) -> (u64, u64) {
    let offered = Arc::new(AtomicU64::new(0));
    let offered_warmup = Arc::new(AtomicU64::new(0));
    let deadline = shared.plan.duration.map(|d| start + d);
    for _ in 0..concurrency {
        let (shared, stop) = (shared.clone(), stop.clone());
        let (offered, offered_warmup) = (offered.clone(), offered_warmup.clone());
        tasks.spawn(async move {
            loop {
                let began = Instant::now();
                if stop.is_requested() || deadline.is_some_and(|d| began >= d) {
                    return;
                }
                let reserved = offered.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    shared.plan.count.is_none_or(|c| n < c).then_some(n + 1)
                });
                if reserved.is_err() {
                    return;
                }
                let measured = began >= start + shared.plan.warmup;
                if !measured {
                    offered_warmup.fetch_add(1, Ordering::Relaxed);
                }
                shared.iteration(began, measured).await;
            }
        });
    }
    // Workers end by themselves at the bounds; wait for that, the deadline or Ctrl+C.
    let ended = async {
        while !tasks.is_empty() {
            let _ = tasks.join_next().await;
        }
    };
    let deadline_passed = async {
        match deadline {
            Some(d) => sleep_until(d.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = ended => {}
        _ = deadline_passed => {}
        _ = stop.requested() => {}
    }
    (offered.load(Ordering::Relaxed), offered_warmup.load(Ordering::Relaxed))
}

/// Lets in-flight iterations finish for up to `grace` (or until a second Ctrl+C), then
/// abandons the rest; they show up as "unfinished".
async fn drain(tasks: &mut JoinSet<()>, grace: Duration, stop: &Stop) {
    if tasks.is_empty() {
        return;
    }
    if stop.is_requested() {
        eprintln!("waiting up to {:.0}s for {} in-flight iterations", grace.as_secs_f64(), tasks.len());
    }
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        tokio::select! {
            next = tasks.join_next() => if next.is_none() { return },
            _ = sleep_until(deadline) => break,
            _ = stop.abandoned() => break,
        }
    }
    eprintln!("abandoning {} unfinished iterations", tasks.len());
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

async fn progress(shared: Arc<Shared>, start: Instant) {
    let mut next = start + PROGRESS_EVERY;
    loop {
        sleep_until(next.into()).await;
        next += PROGRESS_EVERY;
        let r = shared.recorder();
        eprintln!(
            "t={:>4.0}s completed {} (+{} warm-up) | checkout 200: {} 429: {} other: {}",
            start.elapsed().as_secs_f64(),
            r.completed,
            r.completed_warmup,
            r.checkout.status(200),
            r.checkout.status(429),
            r.checkout.requests() - r.checkout.status(200) - r.checkout.status(429),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_evenly_spaced_from_the_start() {
        assert_eq!(scheduled_offset(0, 1000.0), Duration::ZERO);
        assert_eq!(scheduled_offset(1, 1000.0), Duration::from_millis(1));
        assert_eq!(scheduled_offset(1500, 1000.0), Duration::from_millis(1500));
        assert_eq!(scheduled_offset(3, 4.0), Duration::from_millis(750));
        assert_eq!(scheduled_offset(1, 0.5), Duration::from_secs(2));
        // No drift over a long run: iteration 19_999 at 1000/s is due at 19.999 s.
        let late = scheduled_offset(19_999, 1000.0);
        assert!(late.abs_diff(Duration::from_micros(19_999_000)) < Duration::from_micros(1));
    }

    #[test]
    fn bounds_stop_at_duration_or_count() {
        let d = Some(Duration::from_secs(20));
        assert!(within_bounds(0, Duration::ZERO, d, None));
        assert!(within_bounds(19_999, scheduled_offset(19_999, 1000.0), d, None));
        assert!(!within_bounds(20_000, scheduled_offset(20_000, 1000.0), d, None));
        assert!(within_bounds(9, Duration::ZERO, None, Some(10)));
        assert!(!within_bounds(10, Duration::ZERO, None, Some(10)));
        // Whichever comes first.
        assert!(!within_bounds(10, Duration::from_millis(1), d, Some(10)));
    }

    #[test]
    fn planned_iteration_counts() {
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(planned_iterations(1000.0, secs(20), None), 20_000);
        assert_eq!(planned_iterations(1000.0, secs(10), None), 10_000);
        assert_eq!(planned_iterations(1000.0, secs(20), Some(500)), 500);
        assert_eq!(planned_iterations(3.0, secs(1), None), 3);
        assert_eq!(planned_iterations(2.5, secs(1), None), 3); // at 0, 0.4 s and 0.8 s
        assert_eq!(planned_iterations(7.0, None, Some(42)), 42);
        // The helper agrees with the loop's own stopping rule.
        for rate in [1.0, 3.0, 7.5, 333.0, 1000.0] {
            let d = secs(2);
            let n = planned_iterations(rate, d, None);
            assert!(within_bounds(n - 1, scheduled_offset(n - 1, rate), d, None));
            assert!(!within_bounds(n, scheduled_offset(n, rate), d, None));
        }
    }

    #[test]
    fn warmup_split_follows_the_schedule() {
        // 1000/s with a 2 s warm-up in a 20 s run: the first 2000 iterations are warm-up.
        let warmup = Duration::from_secs(2);
        let warm = (0..planned_iterations(1000.0, Some(Duration::from_secs(20)), None))
            .filter(|&i| scheduled_offset(i, 1000.0) < warmup)
            .count();
        assert_eq!(warm, 2000);
    }
}
