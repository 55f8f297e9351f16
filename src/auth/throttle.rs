//! Slows down guessing: an address that fails authentication too often is
//! answered 429 for its failed attempts, while valid credentials from the
//! same address keep working.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failed attempts allowed per address: a burst of this many, refilled over a minute.
pub const FAILURES_PER_MINUTE: u32 = 20;

pub struct FailedAuthThrottle {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    failures: AtomicU64,
}

impl Default for FailedAuthThrottle {
    fn default() -> Self {
        Self::per_minute(FAILURES_PER_MINUTE)
    }
}

impl FailedAuthThrottle {
    pub fn per_minute(failures: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(failures).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            failures: AtomicU64::new(0),
        }
    }

    /// Counts one failure from `addr`; `Some(wait)` once it is over the quota.
    pub fn failed(&self, addr: IpAddr) -> Option<Duration> {
        // Now and then, forget addresses that stopped failing, so that the
        // table does not grow without bound.
        if self.failures.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            self.limiter.retain_recent();
        }
        match self.limiter.check_key(&addr) {
            Ok(()) => None,
            Err(not_until) => Some(not_until.wait_time_from(self.clock.now())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_applies_per_address() {
        let throttle = FailedAuthThrottle::per_minute(3);
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        for _ in 0..3 {
            assert_eq!(throttle.failed(a), None);
        }
        let wait = throttle.failed(a).expect("over the quota");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(throttle.failed(b), None, "another address is not affected");
    }
}
