//! Circuit breaker state machine. Pure: the caller passes the time, so tests use a fake clock.
//!
//! Closed: calls pass. It opens after `consecutive_failures` failures in a row, or when the
//! failure rate over the last `window_ms` exceeds `failure_rate` with at least
//! `min_calls` calls in the window. Open: calls are refused until `open_ms` has passed, then
//! one probe is let through (half-open). A successful probe closes it; a failed one reopens it.

use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq)]
pub struct BreakerConfig {
    pub consecutive_failures: u32,
    pub failure_rate: f64,
    pub min_calls: u32,
    pub window_ms: i64,
    pub open_ms: i64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { consecutive_failures: 5, failure_rate: 0.5, min_calls: 20, window_ms: 10_000, open_ms: 5_000 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    /// Gauge value exported as `circuit_breaker_state`.
    pub fn as_gauge(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

/// Permission to call; hand it back with the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permit {
    Normal,
    Probe,
}

/// The call was refused; retry after this instant (Unix ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub retry_at_ms: i64,
}

/// A state change worth logging and counting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transition {
    Opened {
        reason: OpenReason,
    },
    HalfOpened,
    /// Closed after an outage; `outage_ms` runs from opening to the first success (MTTR).
    Closed {
        outage_ms: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OpenReason {
    ConsecutiveFailures(u32),
    FailureRate(f64),
    ProbeFailed,
}

#[derive(Clone, Debug)]
pub struct Breaker {
    config: BreakerConfig,
    state: BreakerState,
    consecutive_failures: u32,
    /// (time, success) of recent calls, oldest first.
    window: VecDeque<(i64, bool)>,
    opened_at_ms: i64,
    /// When the current outage began (first opening); cleared on close.
    outage_started_ms: Option<i64>,
    probe_in_flight: bool,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            state: BreakerState::Closed,
            consecutive_failures: 0,
            window: VecDeque::new(),
            opened_at_ms: 0,
            outage_started_ms: None,
            probe_in_flight: false,
        }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether `try_acquire` at `now_ms` would let a call through (without taking a permit).
    pub fn admits(&self, now_ms: i64) -> bool {
        match self.state {
            BreakerState::Closed => true,
            BreakerState::Open => now_ms >= self.opened_at_ms + self.config.open_ms,
            BreakerState::HalfOpen => !self.probe_in_flight,
        }
    }

    /// When an open breaker will admit its probe; `None` unless open.
    pub fn open_until_ms(&self) -> Option<i64> {
        (self.state == BreakerState::Open).then_some(self.opened_at_ms + self.config.open_ms)
    }

    /// Asks to make a call at `now_ms`.
    pub fn try_acquire(&mut self, now_ms: i64) -> Result<(Permit, Option<Transition>), Refused> {
        match self.state {
            BreakerState::Closed => Ok((Permit::Normal, None)),
            BreakerState::Open => {
                let retry_at_ms = self.opened_at_ms + self.config.open_ms;
                if now_ms < retry_at_ms {
                    return Err(Refused { retry_at_ms });
                }
                self.state = BreakerState::HalfOpen;
                self.probe_in_flight = true;
                Ok((Permit::Probe, Some(Transition::HalfOpened)))
            }
            BreakerState::HalfOpen if !self.probe_in_flight => {
                self.probe_in_flight = true;
                Ok((Permit::Probe, None))
            }
            BreakerState::HalfOpen => Err(Refused { retry_at_ms: now_ms + self.config.open_ms.min(1_000) }),
        }
    }

    pub fn on_success(&mut self, now_ms: i64, permit: Permit) -> Option<Transition> {
        self.record(now_ms, true);
        self.consecutive_failures = 0;
        if permit == Permit::Probe {
            self.probe_in_flight = false;
        }
        if self.state == BreakerState::Closed {
            return None;
        }
        // A success from a call admitted before the breaker opened also proves recovery.
        self.state = BreakerState::Closed;
        self.probe_in_flight = false;
        self.window.clear();
        let started = self.outage_started_ms.take().unwrap_or(self.opened_at_ms);
        Some(Transition::Closed { outage_ms: now_ms - started })
    }

    pub fn on_failure(&mut self, now_ms: i64, permit: Permit) -> Option<Transition> {
        self.record(now_ms, false);
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        match (self.state, permit) {
            (BreakerState::HalfOpen, Permit::Probe) => {
                self.probe_in_flight = false;
                Some(self.open(now_ms, OpenReason::ProbeFailed))
            }
            (BreakerState::Closed, _) => {
                if self.consecutive_failures >= self.config.consecutive_failures {
                    return Some(self.open(now_ms, OpenReason::ConsecutiveFailures(self.consecutive_failures)));
                }
                let calls = self.window.len() as u32;
                let failures = self.window.iter().filter(|(_, ok)| !ok).count() as f64;
                let rate = if calls == 0 { 0.0 } else { failures / f64::from(calls) };
                if calls >= self.config.min_calls && rate > self.config.failure_rate {
                    return Some(self.open(now_ms, OpenReason::FailureRate(rate)));
                }
                None
            }
            _ => None,
        }
    }

    /// The call was given up before it had an outcome (its future was dropped). It proves
    /// nothing either way, but a probe must hand its slot back or half-open lasts for ever.
    pub fn on_abandoned(&mut self, permit: Permit) {
        if permit == Permit::Probe {
            self.probe_in_flight = false;
        }
    }

    fn open(&mut self, now_ms: i64, reason: OpenReason) -> Transition {
        self.state = BreakerState::Open;
        self.opened_at_ms = now_ms;
        self.outage_started_ms.get_or_insert(now_ms);
        Transition::Opened { reason }
    }

    fn record(&mut self, now_ms: i64, ok: bool) {
        self.window.push_back((now_ms, ok));
        while self.window.front().is_some_and(|(t, _)| *t <= now_ms - self.config.window_ms) {
            self.window.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(BreakerConfig {
            consecutive_failures: 3,
            failure_rate: 0.5,
            min_calls: 10,
            window_ms: 10_000,
            open_ms: 5_000,
        })
    }

    fn fail(b: &mut Breaker, now: i64) -> Option<Transition> {
        let (permit, _) = b.try_acquire(now).expect("admitted");
        b.on_failure(now, permit)
    }

    fn succeed(b: &mut Breaker, now: i64) -> Option<Transition> {
        let (permit, _) = b.try_acquire(now).expect("admitted");
        b.on_success(now, permit)
    }

    #[test]
    fn opens_after_consecutive_failures_and_refuses_calls() {
        let mut b = breaker();
        assert_eq!(fail(&mut b, 0), None);
        assert_eq!(fail(&mut b, 1), None);
        assert_eq!(fail(&mut b, 2), Some(Transition::Opened { reason: OpenReason::ConsecutiveFailures(3) }));
        assert_eq!(b.state(), BreakerState::Open);
        assert!(!b.admits(100));
        assert_eq!(b.open_until_ms(), Some(5_002));
        assert_eq!(b.try_acquire(100), Err(Refused { retry_at_ms: 5_002 }));
        assert!(b.admits(5_002));
    }

    #[test]
    fn a_success_resets_the_consecutive_count() {
        let mut b = breaker();
        fail(&mut b, 0);
        fail(&mut b, 1);
        succeed(&mut b, 2);
        assert_eq!(fail(&mut b, 3), None);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn opens_on_failure_rate_over_the_window() {
        let mut b = breaker();
        // Alternate so there are never 3 failures in a row: 6 of 11 calls fail.
        let mut t = 0;
        for _ in 0..5 {
            succeed(&mut b, t);
            fail(&mut b, t + 1);
            t += 2;
        }
        assert_eq!(b.state(), BreakerState::Closed, "10 calls, 50% is not over the threshold");
        let opened = fail(&mut b, t);
        assert!(matches!(opened, Some(Transition::Opened { reason: OpenReason::FailureRate(r) }) if r > 0.5));
    }

    #[test]
    fn old_calls_leave_the_window() {
        let mut b = breaker();
        for t in 0..9 {
            if t % 2 == 0 {
                fail(&mut b, t)
            } else {
                succeed(&mut b, t)
            };
        }
        // Much later: the old failures no longer count.
        for t in 0..5 {
            succeed(&mut b, 20_000 + t);
        }
        fail(&mut b, 20_010);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn half_opens_after_the_timeout_and_closes_on_a_successful_probe() {
        let mut b = breaker();
        for t in 0..3 {
            fail(&mut b, t);
        }
        let (permit, transition) = b.try_acquire(5_002).expect("probe admitted");
        assert_eq!((permit, transition), (Permit::Probe, Some(Transition::HalfOpened)));
        assert!(b.try_acquire(5_003).is_err(), "only one probe at a time");
        assert!(!b.admits(5_003));
        assert_eq!(b.on_success(6_000, permit), Some(Transition::Closed { outage_ms: 6_000 - 2 }));
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.try_acquire(6_001).is_ok());
    }

    #[test]
    fn an_abandoned_probe_frees_the_half_open_slot() {
        let mut b = breaker();
        for t in 0..3 {
            fail(&mut b, t);
        }
        let (probe, _) = b.try_acquire(5_002).expect("probe");
        assert!(b.try_acquire(5_003).is_err(), "the probe holds the only slot");
        b.on_abandoned(probe);
        assert_eq!(b.state(), BreakerState::HalfOpen, "an abandoned call proves nothing");
        let (next, _) = b.try_acquire(5_004).expect("another probe may go");
        assert_eq!(next, Permit::Probe);
    }

    #[test]
    fn a_failed_probe_reopens_and_mttr_spans_the_whole_outage() {
        let mut b = breaker();
        for t in 0..3 {
            fail(&mut b, t);
        }
        let (probe, _) = b.try_acquire(5_002).expect("probe");
        assert_eq!(b.on_failure(5_002, probe), Some(Transition::Opened { reason: OpenReason::ProbeFailed }));
        assert_eq!(b.try_acquire(6_000), Err(Refused { retry_at_ms: 10_002 }));
        let (probe, _) = b.try_acquire(10_002).expect("second probe");
        assert_eq!(b.on_success(10_500, probe), Some(Transition::Closed { outage_ms: 10_500 - 2 }));
    }
}
