//! Slows down guessing: an address that fails authentication too often is
//! answered 429 for its failed attempts, while valid credentials from the
//! same address keep working.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failed attempts allowed per address: a burst of this many, refilled over a minute.
pub const FAILURES_PER_MINUTE: u32 = 20;

/// Failed web sign-ins allowed per account (whether or not it exists, so
/// that the answer tells nothing): a burst of this many a minute.
pub const ACCOUNT_FAILURES_PER_MINUTE: u32 = 10;

/// Keyed by address by default; the web sign-in also keeps one keyed by
/// account, so that guesses spread over many addresses still slow down.
pub struct FailedAuthThrottle<K = IpAddr>
where
    K: Hash + Eq + Clone,
{
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
    failures: AtomicU64,
    /// Until when each address over its quota is answered 429 before its
    /// credential is even looked up.
    blocked: Mutex<HashMap<K, Instant>>,
    /// Hashes of credentials that authenticated lately: these still reach
    /// the lookup from a blocked address (a colleague behind the same NAT).
    good: Mutex<HashMap<String, Instant>>,
}

/// How long a credential that worked counts as known.
const KNOWN_GOOD_FOR: Duration = Duration::from_secs(3600);
/// Most addresses or credentials remembered; the table is emptied past it.
const REMEMBERED: usize = 10_000;

impl<K: Hash + Eq + Clone> Default for FailedAuthThrottle<K> {
    fn default() -> Self {
        Self::per_minute(FAILURES_PER_MINUTE)
    }
}

impl<K: Hash + Eq + Clone> FailedAuthThrottle<K> {
    pub fn per_minute(failures: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(failures).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            failures: AtomicU64::new(0),
            blocked: Mutex::default(),
            good: Mutex::default(),
        }
    }

    /// Counts one failure from `addr`; `Some(wait)` once it is over the quota.
    pub fn failed(&self, addr: K) -> Option<Duration> {
        // Now and then, forget addresses that stopped failing, so that the
        // table does not grow without bound.
        if self.failures.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            self.limiter.retain_recent();
        }
        match self.limiter.check_key(&addr) {
            Ok(()) => None,
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let mut blocked = lock(&self.blocked);
                if blocked.len() >= REMEMBERED {
                    blocked.retain(|_, until| *until > Instant::now());
                }
                blocked.insert(addr, Instant::now() + wait);
                Some(wait)
            }
        }
    }

    /// `Some(wait)` while `addr` is over its quota.
    pub fn blocked(&self, addr: K) -> Option<Duration> {
        let blocked = lock(&self.blocked);
        let until = *blocked.get(&addr)?;
        until.checked_duration_since(Instant::now())
    }

    /// Notes that the credential with this hash authenticated.
    pub fn worked(&self, hash: String) {
        let mut good = lock(&self.good);
        if good.len() >= REMEMBERED {
            good.clear();
        }
        good.insert(hash, Instant::now());
    }

    /// Whether the credential with this hash authenticated lately.
    pub fn known_good(&self, hash: &str) -> bool {
        lock(&self.good)
            .get(hash)
            .is_some_and(|at| at.elapsed() < KNOWN_GOOD_FOR)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
