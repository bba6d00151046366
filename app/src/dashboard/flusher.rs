//! Writes what this instance counted (`platform::sli::Recorder`) to its per-minute rows every
//! `flush_interval`, with the events of the period; watches this instance's breaker for
//! opened / half-open / closed (with MTTR) events; purges figures older than the longest window.

use domain::slo::{bucket_start, DAY_MS, MINUTE_MS};

use super::store;
use crate::payments::gateway::BreakerStatus;
use crate::platform::sli::{series, PendingEvent, Taken};
use crate::platform::{now_ms, AppError, AppState};

/// Purge once in this many flushes.
const PURGE_EVERY: u64 = 3_600;

/// Starts the flusher task for the process's life.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.dashboard.settings.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut breaker = state.payments.status();
        let mut flushes: u64 = 0;
        loop {
            tick.tick().await;
            if let Err(err) = flush_once(&state, &mut breaker).await {
                tracing::warn!(error = %err, "dashboard figures not written; they are counted again from now");
            }
            flushes = flushes.wrapping_add(1);
            if flushes % PURGE_EVERY == 1 {
                purge(&state).await;
            }
        }
    });
}

async fn purge(state: &AppState) {
    // A day beyond the longest window, and at least 31 days.
    let longest = state.dashboard.settings.longest_window_ms().saturating_add(DAY_MS).max(31 * DAY_MS);
    if let Err(err) = store::purge(&state.db, now_ms().saturating_sub(longest)).await {
        tracing::warn!(error = %err, "old dashboard figures not purged");
    }
}

/// One flush: breaker events, the period's counts, summary events for queued and settled
/// orders, written in one transaction.
pub async fn flush_once(state: &AppState, breaker: &mut BreakerStatus) -> Result<(), AppError> {
    let now = now_ms();
    let current = state.payments.status();
    for event in breaker_events(breaker, &current, now) {
        state.sli.push(event);
    }
    *breaker = current;
    let mut taken = state.sli.take();
    queue_events(&mut taken, now);
    if taken.counters.is_empty() && taken.histograms.is_empty() && taken.events.is_empty() {
        return Ok(());
    }
    if taken.dropped_events > 0 {
        tracing::warn!(dropped = taken.dropped_events, "dashboard events dropped: too many in one flush");
    }
    store::flush(&state.db, &state.instance_id, bucket_start(now, MINUTE_MS), &taken).await
}

fn system_event(at_ms: i64, kind: &'static str, message: String, value_ms: Option<i64>) -> PendingEvent {
    PendingEvent { at_ms, kind, message, actor: String::new(), value_ms }
}

/// The breaker's changes between two looks.
pub fn breaker_events(before: &BreakerStatus, now_status: &BreakerStatus, now: i64) -> Vec<PendingEvent> {
    let mut events = Vec::new();
    if now_status.opened_total > before.opened_total {
        let n = now_status.opened_total - before.opened_total;
        let text = if n == 1 {
            "payment provider breaker opened".to_owned()
        } else {
            format!("payment provider breaker opened {n} times")
        };
        events.push(system_event(now, "breaker_opened", text, None));
    }
    if now_status.state == "half_open" && before.state != "half_open" {
        events.push(system_event(now, "breaker_half_open", "payment provider breaker half-open: probing".into(), None));
    }
    if now_status.last_mttr_seconds != before.last_mttr_seconds {
        if let Some(seconds) = now_status.last_mttr_seconds {
            let ms = (seconds * 1000.0).round() as i64;
            let text =
                format!("payment provider breaker closed: recovered after {} (MTTR)", super::model::duration_text(ms));
            events.push(system_event(now, "breaker_closed", text, Some(ms)));
        }
    }
    events
}

/// One event per flush for orders queued and for queued orders settled (not one per order).
fn queue_events(taken: &mut Taken, now: i64) {
    let get = |name: &str| taken.counters.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).unwrap_or(0);
    let (queued, paid, failed) = (get(series::QUEUED), get(series::SETTLED_PAID), get(series::SETTLED_FAILED));
    if queued > 0 {
        let text = format!("{queued} order(s) accepted as payment pending (queued for the payment worker)");
        taken.events.push(system_event(now, "orders_queued", text, None));
    }
    if paid + failed > 0 {
        let text = format!("{} queued order(s) settled: {paid} paid, {failed} failed", paid + failed);
        taken.events.push(system_event(now, "orders_settled", text, None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: &'static str, opened: u64, mttr: Option<f64>) -> BreakerStatus {
        BreakerStatus { state, opened_total: opened, last_mttr_seconds: mttr }
    }

    #[test]
    fn breaker_changes_become_events() {
        let kinds = |a, b| breaker_events(&a, &b, 0).into_iter().map(|e| e.kind).collect::<Vec<_>>();
        assert!(kinds(status("closed", 0, None), status("closed", 0, None)).is_empty());
        assert_eq!(kinds(status("closed", 0, None), status("open", 1, None)), ["breaker_opened"]);
        assert_eq!(kinds(status("open", 1, None), status("half_open", 1, None)), ["breaker_half_open"]);
        let closed = breaker_events(&status("half_open", 1, None), &status("closed", 1, Some(12.5)), 0);
        assert_eq!(closed.first().map(|e| (e.kind, e.value_ms)), Some(("breaker_closed", Some(12_500))));
    }
}
