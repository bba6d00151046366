//! Login attempt limits, per account and per client address.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimiter {
    limiters: Option<(DefaultKeyedRateLimiter<String>, DefaultKeyedRateLimiter<IpAddr>)>,
    clock: DefaultClock,
}

impl LoginLimiter {
    /// `per_minute == 0` turns the limit off (load tests).
    pub fn new(per_minute: u32) -> Self {
        let limiters = NonZeroU32::new(per_minute).map(|n| {
            let quota = Quota::per_minute(n);
            (RateLimiter::keyed(quota), RateLimiter::keyed(quota))
        });
        Self { limiters, clock: DefaultClock::default() }
    }

    /// Records one attempt; `Err(seconds)` when either key is over its limit.
    pub fn check(&self, account: &str, ip: IpAddr) -> Result<(), u64> {
        let Some((by_account, by_ip)) = &self.limiters else {
            return Ok(());
        };
        let now = self.clock.now();
        let wait = |denied: governor::NotUntil<_>| denied.wait_time_from(now).as_secs().max(1);
        by_ip.check_key(&ip).map_err(wait)?;
        by_account.check_key(&account.to_ascii_lowercase()).map_err(wait)?;
        Ok(())
    }

    /// Drops keys whose limits have fully recovered; called periodically.
    pub fn forget_idle(&self) {
        if let Some((by_account, by_ip)) = &self.limiters {
            by_account.retain_recent();
            by_ip.retain_recent();
        }
    }
}
