use serde::{Deserialize, Serialize};

/// Faults injected into the simulated payment provider.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultSettings {
    /// Share of charge requests answered with 503, from 0.0 to 1.0.
    pub failure_rate: f64,
    /// Delay added before every charge answer.
    pub latency_ms: u64,
}

impl FaultSettings {
    pub fn validated(self) -> Result<Self, String> {
        if !(0.0..=1.0).contains(&self.failure_rate) || self.failure_rate.is_nan() {
            return Err("failure_rate must be between 0.0 and 1.0".into());
        }
        if self.latency_ms > 60_000 {
            return Err("latency_ms must be at most 60000".into());
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::FaultSettings;

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        assert!(FaultSettings { failure_rate: 1.0, latency_ms: 0 }.validated().is_ok());
        assert!(FaultSettings { failure_rate: 1.5, latency_ms: 0 }.validated().is_err());
        assert!(FaultSettings { failure_rate: -0.1, latency_ms: 0 }.validated().is_err());
        assert!(FaultSettings { failure_rate: f64::NAN, latency_ms: 0 }.validated().is_err());
        assert!(FaultSettings { failure_rate: 0.0, latency_ms: 60_001 }.validated().is_err());
    }
}
