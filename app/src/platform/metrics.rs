//! Metric series that several places set the same way.

use crate::payments::breaker::BreakerState;

const BREAKER_STATES: [BreakerState; 3] = [BreakerState::Closed, BreakerState::Open, BreakerState::HalfOpen];

/// `circuit_breaker_state{state="…"}`: 1 for the current state, 0 for the others, so a
/// dashboard can graph or alert on each state without decoding a number.
pub fn export_breaker_state(current: BreakerState) {
    for state in BREAKER_STATES {
        metrics::gauge!("circuit_breaker_state", "state" => state.as_str()).set(if state == current {
            1.0
        } else {
            0.0
        });
    }
}
