//! Attempt limits for the account endpoints: logins per account and per client address,
//! registrations per client address (each costs a slow hash and a row).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimiter {
    limiters: Option<(DefaultKeyedRateLimiter<String>, DefaultKeyedRateLimiter<IpAddr>)>,
    registrations: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl LoginLimiter {
    /// `per_minute == 0` turns the limit off (load tests). Registrations are not limited
    /// until `with_registrations_per_hour`.
    pub fn new(per_minute: u32) -> Self {
        let limiters = NonZeroU32::new(per_minute).map(|n| {
            let quota = Quota::per_minute(n);
            (RateLimiter::keyed(quota), RateLimiter::keyed(quota))
        });
        Self { limiters, registrations: None, clock: DefaultClock::default() }
    }

    /// At most `per_hour` registrations per client address (a burst of `per_hour`, then one
    /// every `60 / per_hour` minutes); `0` turns the limit off.
    pub fn with_registrations_per_hour(mut self, per_hour: u32) -> Self {
        self.registrations = NonZeroU32::new(per_hour).map(|n| RateLimiter::keyed(Quota::per_hour(n)));
        self
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

    /// Records one registration attempt from `ip`; `Err(seconds)` when it is over its limit.
    pub fn check_registration(&self, ip: IpAddr) -> Result<(), u64> {
        let Some(by_ip) = &self.registrations else {
            return Ok(());
        };
        let now = self.clock.now();
        by_ip.check_key(&ip).map_err(|denied| denied.wait_time_from(now).as_secs().max(1))
    }

    /// Drops keys whose limits have fully recovered; called periodically.
    pub fn forget_idle(&self) {
        if let Some((by_account, by_ip)) = &self.limiters {
            by_account.retain_recent();
            by_ip.retain_recent();
        }
        if let Some(by_ip) = &self.registrations {
            by_ip.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const HERE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const THERE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn registrations_are_limited_per_address_apart_from_logins() {
        let limiter = LoginLimiter::new(0).with_registrations_per_hour(2);
        assert_eq!(limiter.check_registration(HERE), Ok(()));
        assert_eq!(limiter.check_registration(HERE), Ok(()));
        let wait = limiter.check_registration(HERE).expect_err("third in an hour");
        assert!((1790..=1800).contains(&wait), "{wait}");
        assert_eq!(limiter.check_registration(THERE), Ok(()));
        assert_eq!(limiter.check("alice", HERE), Ok(()));
    }

    #[test]
    fn zero_turns_the_registration_limit_off() {
        let limiter = LoginLimiter::new(10).with_registrations_per_hour(0);
        for _ in 0..100 {
            assert_eq!(limiter.check_registration(HERE), Ok(()));
        }
        assert_eq!(LoginLimiter::new(10).check_registration(HERE), Ok(()));
    }
}
