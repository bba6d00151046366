//! The spec's scenarios: P.1 (performance under a checkout throttle), A.1 load and A.1 failure
//! (payment provider down, then healed). Each changes server settings through the admin
//! API, restores them whatever happens to the run, and ends with a verdict line.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::args::{ScenarioArgs, ScenarioKind};
use crate::client::{ProviderStatus, Session, ThrottleSettings};
use crate::pool::prepare;
use crate::report::Report;
use crate::runner::{self, Plan};
use crate::stop::Stop;

pub const P95_TARGET_MS: f64 = 50.0;
pub const ACCEPTANCE_TARGET: f64 = 0.999;
pub const MTTR_TARGET_SECONDS: f64 = 30.0;
const POLL_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub what: String,
    pub measured: String,
    pub target: String,
    pub pass: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub label: &'static str,
    pub pass: bool,
    pub interrupted: bool,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
}

impl Verdict {
    fn new(label: &'static str, interrupted: bool, checks: Vec<Check>, notes: Vec<String>) -> Verdict {
        let pass = !interrupted && checks.iter().all(|c| c.pass);
        Verdict { label, pass, interrupted, checks, notes }
    }

    pub fn render(&self) -> String {
        let mut out = format!("\n== verdict {}\n", self.label);
        for c in &self.checks {
            let mark = if c.pass { "PASS" } else { "FAIL" };
            let _ = writeln!(out, "  [{mark}] {}: {} (target {})", c.what, c.measured, c.target);
        }
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        let result = match (self.pass, self.interrupted) {
            (true, _) => "PASS",
            (false, true) => "FAIL (interrupted: partial run)",
            (false, false) => "FAIL",
        };
        let _ = writeln!(out, "VERDICT {}: {result}", self.label);
        out
    }
}

fn check(what: &str, measured: String, target: &str, pass: bool) -> Check {
    Check { what: what.to_owned(), measured, target: target.to_owned(), pass }
}

fn no_server_errors(report: &Report) -> Check {
    let n = report.server_errors();
    check("5xx answers (cart + checkout)", n.to_string(), "0", n == 0)
}

fn acceptance(report: &Report) -> Check {
    let target = format!(">= {:.1} %", ACCEPTANCE_TARGET * 100.0);
    match report.acceptance_rate {
        Some(rate) => check(
            "acceptance (200 / non-429 checkouts)",
            format!(
                "{:.3} % ({} of {})",
                rate * 100.0,
                report.checkout.status(200),
                report.checkout.requests - report.checkout.status(429)
            ),
            &target,
            rate >= ACCEPTANCE_TARGET,
        ),
        None => check("acceptance (200 / non-429 checkouts)", "no non-429 checkouts".into(), &target, false),
    }
}

fn cart_note(report: &Report) -> Option<String> {
    let c = &report.add_to_cart;
    let failed = c.requests - c.status(200);
    (failed > 0).then(|| format!("{failed} add-to-cart requests failed, so those iterations never reached checkout"))
}

pub fn performance_verdict(report: &Report) -> Verdict {
    let target = format!("<= {P95_TARGET_MS} ms");
    let p95 = match &report.latency_ms.checkout_200 {
        Some(s) => check("accepted checkout p95", format!("{:.2} ms", s.p95), &target, s.p95 <= P95_TARGET_MS),
        None => check("accepted checkout p95", "no accepted checkouts".into(), &target, false),
    };
    let mut notes = vec![format!(
        "{} of {} checkouts were throttled (429); accepted {:.1}/s",
        report.checkout.status(429),
        report.checkout.requests,
        report.accepted_per_second
    )];
    if let Some(it) = &report.latency_ms.iteration {
        notes.push(format!("whole iteration from its scheduled time: p95 {:.2} ms, p99 {:.2} ms", it.p95, it.p99));
    }
    notes.extend(cart_note(report));
    Verdict::new("P.1 performance", report.interrupted, vec![p95, no_server_errors(report)], notes)
}

pub fn availability_verdict(report: &Report) -> Verdict {
    let mut notes = Vec::new();
    notes.extend(cart_note(report));
    Verdict::new(
        "A.1 availability (load)",
        report.interrupted,
        vec![acceptance(report), no_server_errors(report)],
        notes,
    )
}

/// What the recovery polling saw after the provider was healed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recovery {
    pub polls: u32,
    pub poll_errors: u32,
    pub last_poll_error: Option<String>,
    /// Seconds from the heal to the first poll that saw the breaker closed.
    pub breaker_closed_after_s: Option<f64>,
    /// Seconds from the heal to the first poll that saw no pending payment jobs.
    pub queue_drained_after_s: Option<f64>,
    /// Seconds from the heal to the first poll that saw both at once.
    pub recovered_after_s: Option<f64>,
    pub breaker_opened_before: Option<u64>,
    pub last: Option<ProviderStatus>,
}

impl Recovery {
    /// Records one poll; true once the breaker is closed and no jobs are pending.
    pub fn observe(&mut self, since_heal: Duration, status: ProviderStatus) -> bool {
        self.polls += 1;
        let at = since_heal.as_secs_f64();
        let closed = status.breaker.state == "closed";
        let drained = status.jobs_pending == 0;
        if closed {
            self.breaker_closed_after_s.get_or_insert(at);
        }
        if drained {
            self.queue_drained_after_s.get_or_insert(at);
        }
        if closed && drained {
            self.recovered_after_s.get_or_insert(at);
        }
        self.last = Some(status);
        closed && drained
    }

    pub fn observe_error(&mut self, error: String) {
        self.polls += 1;
        self.poll_errors += 1;
        self.last_poll_error = Some(error);
    }

    /// How often the breaker opened between the first reading and the last poll, if known.
    pub fn breaker_openings(&self) -> Option<u64> {
        let before = self.breaker_opened_before?;
        let after = self.last.as_ref()?.breaker.opened_total;
        Some(after.saturating_sub(before))
    }
}

pub fn failure_verdict(report: &Report, recovery: &Recovery, timeout: Duration) -> Verdict {
    let mut checks = vec![acceptance(report), no_server_errors(report)];
    let mut notes = Vec::new();
    checks.push(match recovery.recovered_after_s {
        Some(s) => check(
            "recovery (breaker closed, no jobs pending)",
            format!("{s:.1} s after the heal"),
            &format!("within {}s", timeout.as_secs()),
            true,
        ),
        None => check(
            "recovery (breaker closed, no jobs pending)",
            "not seen".into(),
            &format!("within {}s", timeout.as_secs()),
            false,
        ),
    });
    let mttr_target = format!("<= {MTTR_TARGET_SECONDS} s");
    let mttr = recovery.last.as_ref().and_then(|s| s.breaker.last_mttr_seconds);
    checks.push(match (recovery.breaker_openings(), mttr) {
        (Some(0), _) => {
            notes.push("the breaker did not open during the test, so the MTTR target was not exercised".into());
            check("server last_mttr_seconds", "n/a (breaker never opened)".into(), &mttr_target, true)
        }
        (_, Some(s)) => check("server last_mttr_seconds", format!("{s:.1} s"), &mttr_target, s <= MTTR_TARGET_SECONDS),
        (_, None) => check("server last_mttr_seconds", "not reported".into(), &mttr_target, false),
    });
    notes.push(format!(
        "{} accepted orders were payment_pending, {} paid",
        report.orders.get("payment_pending").copied().unwrap_or(0),
        report.orders.get("paid").copied().unwrap_or(0)
    ));
    if let Some(n) = recovery.breaker_openings() {
        notes.push(format!("the breaker opened {n} time(s) during the test"));
    }
    let seen = |t: Option<f64>| t.map(|s| format!("{s:.1} s")).unwrap_or_else(|| "not seen".into());
    notes.push(format!(
        "after the heal: breaker closed at {}, queue drained at {}",
        seen(recovery.breaker_closed_after_s),
        seen(recovery.queue_drained_after_s)
    ));
    if recovery.poll_errors > 0 {
        notes.push(format!(
            "{} of {} provider polls failed; last: {}",
            recovery.poll_errors,
            recovery.polls,
            recovery.last_poll_error.as_deref().unwrap_or("?")
        ));
    }
    if report.payment == "cash" {
        notes.push("cash checkouts do not use the payment provider; use --payment card to exercise it".into());
    }
    notes.extend(cart_note(report));
    Verdict::new("A.1 availability (failure)", report.interrupted, checks, notes)
}

/// The result of a scenario: the run's report, the verdict, scenario details for the JSON,
/// and any settings that could not be restored.
pub struct ScenarioOutcome {
    pub report: Report,
    pub verdict: Verdict,
    pub details: Value,
    pub cleanup_errors: Vec<String>,
}

impl ScenarioOutcome {
    pub fn to_json(&self, kind: ScenarioKind) -> Value {
        json!({
            "scenario": kind.name(),
            "verdict": self.verdict,
            "details": self.details,
            "cleanup_errors": self.cleanup_errors,
            "report": self.report,
        })
    }
}

pub async fn execute(s: &ScenarioArgs, stop: &Stop) -> Result<ScenarioOutcome, String> {
    let admin = Session::new(&s.run.target, s.run.timeout)?;
    admin
        .login(&s.admin_username, &s.admin_password)
        .await
        .map_err(|e| format!("admin login as '{}': {e}", s.admin_username))?;
    eprintln!("logged in as admin '{}'", s.admin_username);
    let prepared = prepare(&s.run, stop).await?;
    let load = Load { plan: Plan::new(&s.run, &prepared.run_id), pool: prepared.pool, stop };
    match s.kind {
        ScenarioKind::Performance => performance(&admin, s, load).await,
        ScenarioKind::Availability => availability(&admin, s, load).await,
        ScenarioKind::AvailabilityFailure => availability_failure(&admin, s, load).await,
    }
}

/// The prepared run: its plan, its logged-in users and the Ctrl+C flag.
struct Load<'a> {
    plan: Plan,
    pool: std::sync::Arc<crate::pool::UserPool>,
    stop: &'a Stop,
}

impl Load<'_> {
    async fn run(self) -> Result<crate::report::Outcome, String> {
        runner::run(self.plan, self.pool, self.stop).await
    }
}

async fn performance(admin: &Session, s: &ScenarioArgs, load: Load<'_>) -> Result<ScenarioOutcome, String> {
    let before = admin.throttle().await.map_err(|e| e.to_string())?;
    let during = ThrottleSettings {
        max_rps: u64::from(s.throttle_rps),
        burst: u64::from(s.throttle_burst),
        other: Default::default(),
    };
    admin.set_throttle(&during).await.map_err(|e| e.to_string())?;
    eprintln!(
        "checkout throttle set to max_rps {} burst {} (was {} / {})",
        during.max_rps, during.burst, before.max_rps, before.burst
    );
    // From here on the throttle is restored whatever happens.
    let ran = match restock(admin, s).await {
        Ok(()) => load.run().await,
        Err(e) => Err(e),
    };
    let mut cleanup_errors = Vec::new();
    match admin.set_throttle(&before).await {
        Ok(()) => eprintln!("checkout throttle restored to max_rps {} burst {}", before.max_rps, before.burst),
        Err(e) => cleanup_errors.push(format!("could not restore the checkout throttle to {}: {e}", json!(before))),
    }
    let report = Report::build(&s.run, &ran.map_err(|e| with_cleanup(e, &cleanup_errors))?);
    Ok(ScenarioOutcome {
        verdict: performance_verdict(&report),
        details: json!({ "throttle_before": before, "throttle_during": during, "restock": s.restock }),
        report,
        cleanup_errors,
    })
}

async fn availability(admin: &Session, s: &ScenarioArgs, load: Load<'_>) -> Result<ScenarioOutcome, String> {
    restock(admin, s).await?;
    let outcome = load.run().await?;
    let report = Report::build(&s.run, &outcome);
    Ok(ScenarioOutcome {
        verdict: availability_verdict(&report),
        details: json!({ "restock": s.restock }),
        report,
        cleanup_errors: Vec::new(),
    })
}

async fn availability_failure(admin: &Session, s: &ScenarioArgs, load: Load<'_>) -> Result<ScenarioOutcome, String> {
    let stop = load.stop;
    let before = admin.provider().await.map_err(|e| e.to_string())?;
    admin.set_provider(s.failure_rate, before.latency_ms).await.map_err(|e| e.to_string())?;
    eprintln!(
        "payment provider failure_rate set to {} (was {}), latency_ms {}",
        s.failure_rate, before.failure_rate, before.latency_ms
    );
    // From here on the provider is healed whatever happens.
    let ran = match restock(admin, s).await {
        Ok(()) => load.run().await,
        Err(e) => Err(e),
    };
    let mut recovery = Recovery { breaker_opened_before: Some(before.breaker.opened_total), ..Recovery::default() };
    let cleanup_errors = heal_provider(admin, s, &before, ran.is_ok(), &mut recovery, stop).await;
    let report = Report::build(&s.run, &ran.map_err(|e| with_cleanup(e, &cleanup_errors))?);
    Ok(ScenarioOutcome {
        verdict: failure_verdict(&report, &recovery, s.recovery_timeout),
        details: json!({
            "provider_before": before,
            "failure_rate_during": s.failure_rate,
            "restock": s.restock,
            "recovery": recovery,
        }),
        report,
        cleanup_errors,
    })
}

/// Sets the failure rate to 0, waits for recovery (when the run happened), then puts back an
/// earlier non-zero failure rate; returns what could not be restored.
async fn heal_provider(
    admin: &Session,
    s: &ScenarioArgs,
    before: &ProviderStatus,
    ran: bool,
    recovery: &mut Recovery,
    stop: &Stop,
) -> Vec<String> {
    let mut cleanup_errors = Vec::new();
    match admin.set_provider(0.0, before.latency_ms).await {
        Ok(()) if !ran => eprintln!("provider healed (failure_rate 0)"),
        Ok(()) => {
            eprintln!(
                "provider healed (failure_rate 0); polling every {} ms for up to {}s",
                POLL_EVERY.as_millis(),
                s.recovery_timeout.as_secs()
            );
            poll_recovery(admin, recovery, s.recovery_timeout, stop).await;
        }
        Err(e) => cleanup_errors.push(format!(
            "could not heal the payment provider (failure_rate 0, latency_ms {}): {e}",
            before.latency_ms
        )),
    }
    if before.failure_rate != 0.0 && cleanup_errors.is_empty() {
        match admin.set_provider(before.failure_rate, before.latency_ms).await {
            Ok(()) => eprintln!("provider failure_rate restored to its earlier {}", before.failure_rate),
            Err(e) => cleanup_errors
                .push(format!("could not restore the provider's failure_rate {}: {e}", before.failure_rate)),
        }
    }
    cleanup_errors
}

async fn restock(admin: &Session, s: &ScenarioArgs) -> Result<(), String> {
    admin.set_stock(s.run.product_id, s.restock).await.map_err(|e| e.to_string())?;
    eprintln!("product {} restocked to {}", s.run.product_id, s.restock);
    Ok(())
}

fn with_cleanup(error: String, cleanup: &[String]) -> String {
    std::iter::once(error).chain(cleanup.iter().cloned()).collect::<Vec<_>>().join("\n")
}

/// Polls the provider status until recovered, `timeout`, or a further Ctrl+C.
async fn poll_recovery(admin: &Session, recovery: &mut Recovery, timeout: Duration, stop: &Stop) {
    let healed = Instant::now();
    let deadline = healed + timeout;
    let presses = stop.presses();
    // Print on every breaker state change, on recovery, and otherwise every 5 s.
    let mut reported: Option<(String, Instant)> = None;
    loop {
        let polled_at = Instant::now();
        match admin.provider().await {
            Ok(status) => {
                let line = format!(
                    "t+{:>5.1}s breaker {} | jobs_pending {}",
                    healed.elapsed().as_secs_f64(),
                    status.breaker.state,
                    status.jobs_pending
                );
                let changed = reported
                    .as_ref()
                    .is_none_or(|(state, at)| *state != status.breaker.state || at.elapsed() >= Duration::from_secs(5));
                let state = status.breaker.state.clone();
                let done = recovery.observe(polled_at.duration_since(healed), status);
                if changed || done {
                    eprintln!("{line}");
                    reported = Some((state, Instant::now()));
                }
                if done {
                    return;
                }
            }
            Err(e) => {
                eprintln!("t+{:>5.1}s poll failed: {e}", healed.elapsed().as_secs_f64());
                recovery.observe_error(e.to_string());
            }
        }
        let next = polled_at + POLL_EVERY;
        if next >= deadline {
            eprintln!("recovery not seen within {}s", timeout.as_secs());
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next.into()) => {}
            _ = stop.at_least(presses + 1) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Answer, Breaker, CheckoutResult};
    use crate::report::{Outcome, Recorder, Sample};

    fn report_of(statuses: &[(u16, u64, u64)], interrupted: bool) -> Report {
        let args = match crate::args::parse(&["scenario", "availability"].map(String::from), &|_| None) {
            Ok(crate::args::Command::Scenario(s)) => s.run,
            other => panic!("{other:?}"),
        };
        let start = Instant::now();
        let mut rec = Recorder::new(start).unwrap();
        let mut offered = 0;
        for &(status, ms, times) in statuses {
            for _ in 0..times {
                offered += 1;
                rec.record(Sample {
                    measured: true,
                    cart: None,
                    checkout: Some(CheckoutResult {
                        answer: Answer::Status(status),
                        order_status: (status == 200).then(|| "paid".to_owned()),
                        elapsed: Duration::from_millis(ms),
                        error: None,
                    }),
                    iteration: Duration::from_millis(ms),
                    user_wait: Duration::ZERO,
                    start_delay: Duration::ZERO,
                    finished_at: start + Duration::from_secs(1),
                });
            }
        }
        Report::build(&args, &Outcome { recorder: rec, offered, offered_warmup: 0, interrupted, wall_seconds: 1.0 })
    }

    fn provider(state: &str, pending: u64, opened: u64, mttr: Option<f64>) -> ProviderStatus {
        ProviderStatus {
            failure_rate: 0.0,
            latency_ms: 0,
            breaker: Breaker { state: state.to_owned(), opened_total: opened, last_mttr_seconds: mttr },
            jobs_pending: pending,
        }
    }

    #[test]
    fn acceptance_threshold_is_inclusive_and_ignores_429() {
        // 999 of 1000 non-429 checkouts accepted: exactly 99.9 %.
        let r = report_of(&[(200, 5, 999), (402, 5, 1), (429, 1, 5000)], false);
        let v = availability_verdict(&r);
        assert!(v.pass, "{}", v.render());
        // 998 of 1000: below target.
        let r = report_of(&[(200, 5, 998), (402, 5, 2)], false);
        assert!(!availability_verdict(&r).pass);
        // A single 5xx fails even at high acceptance.
        let r = report_of(&[(200, 5, 10_000), (503, 5, 1)], false);
        let v = availability_verdict(&r);
        assert!(!v.pass);
        assert!(v.render().contains("[FAIL] 5xx answers (cart + checkout): 1"));
        // Nothing but 429s cannot pass.
        assert!(!availability_verdict(&report_of(&[(429, 1, 10)], false)).pass);
    }

    #[test]
    fn performance_uses_the_accepted_p95() {
        // 100 accepted: 95 at 10 ms, 5 at 200 ms -> p95 10 ms.
        let r = report_of(&[(200, 10, 95), (200, 200, 5), (429, 1, 300)], false);
        let v = performance_verdict(&r);
        assert!(v.pass, "{}", v.render());
        // 90 at 10 ms, 10 at 200 ms -> p95 200 ms.
        let r = report_of(&[(200, 10, 90), (200, 200, 10)], false);
        assert!(!performance_verdict(&r).pass);
        assert!(!performance_verdict(&report_of(&[(429, 1, 10)], false)).pass);
    }

    #[test]
    fn interrupted_runs_never_pass() {
        let r = report_of(&[(200, 5, 100)], true);
        let v = availability_verdict(&r);
        assert!(!v.pass);
        assert!(v.render().contains("FAIL (interrupted"));
    }

    #[test]
    fn recovery_tracks_first_closed_and_drained_times() {
        let mut rec = Recovery { breaker_opened_before: Some(2), ..Recovery::default() };
        let s = Duration::from_secs_f64;
        assert!(!rec.observe(s(0.0), provider("open", 40, 3, Some(4.0))));
        assert!(!rec.observe(s(0.5), provider("half_open", 40, 3, Some(4.0))));
        assert!(!rec.observe(s(1.0), provider("closed", 12, 3, Some(4.0))));
        assert!(rec.observe(s(1.5), provider("closed", 0, 3, Some(1.2))));
        assert_eq!(rec.breaker_closed_after_s, Some(1.0));
        assert_eq!(rec.queue_drained_after_s, Some(1.5));
        assert_eq!(rec.recovered_after_s, Some(1.5));
        assert_eq!(rec.breaker_openings(), Some(1));

        let ok = report_of(&[(200, 5, 1000)], false);
        let v = failure_verdict(&ok, &rec, Duration::from_secs(120));
        assert!(v.pass, "{}", v.render());

        // MTTR over the target fails.
        let mut slow = rec.clone();
        slow.last = Some(provider("closed", 0, 3, Some(45.0)));
        assert!(!failure_verdict(&ok, &slow, Duration::from_secs(120)).pass);

        // Never recovered fails.
        let mut stuck = Recovery { breaker_opened_before: Some(0), ..Recovery::default() };
        stuck.observe(s(0.0), provider("open", 5, 1, None));
        assert!(!failure_verdict(&ok, &stuck, Duration::from_secs(120)).pass);

        // A breaker that never opened: MTTR not exercised, not a failure in itself.
        let mut calm = Recovery { breaker_opened_before: Some(0), ..Recovery::default() };
        calm.observe(s(0.0), provider("closed", 0, 0, None));
        let v = failure_verdict(&ok, &calm, Duration::from_secs(120));
        assert!(v.pass, "{}", v.render());
        assert!(v.render().contains("not exercised"));
    }
}
