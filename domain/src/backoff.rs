//! Exponential backoff with jitter. Pure: the random fraction is passed in.

/// Delay before retry number `attempt` (1-based): `base x 2^(attempt-1)`, capped at `max`,
/// then "equal jitter": half fixed, half scaled by `jitter` in [0, 1).
pub fn backoff_ms(attempt: u32, base_ms: u64, max_ms: u64, jitter: f64) -> u64 {
    let exponent = attempt.saturating_sub(1).min(32);
    let raw = base_ms.saturating_mul(1u64 << exponent).min(max_ms);
    let half = raw / 2;
    half + (half as f64 * jitter.clamp(0.0, 1.0)) as u64
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn grows_exponentially_and_is_capped() {
        assert_eq!(backoff_ms(1, 100, 10_000, 0.0), 50);
        assert_eq!(backoff_ms(2, 100, 10_000, 0.0), 100);
        assert_eq!(backoff_ms(3, 100, 10_000, 0.0), 200);
        assert_eq!(backoff_ms(20, 100, 10_000, 0.0), 5_000);
        assert_eq!(backoff_ms(200, 100, 10_000, 0.0), 5_000, "huge attempts do not overflow");
    }

    #[test]
    fn jitter_spreads_between_half_and_the_full_delay() {
        assert_eq!(backoff_ms(3, 100, 10_000, 0.999_999), 399);
        assert_eq!(backoff_ms(3, 100, 10_000, 0.5), 300);
        assert_eq!(backoff_ms(3, 100, 10_000, 7.0), 400, "out-of-range jitter is clamped");
    }
}
