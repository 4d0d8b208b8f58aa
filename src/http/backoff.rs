//! How long to wait before trying a request again: exponential backoff with jitter, the
//! server's own `Retry-After` first, a cap on one wait, a cap on attempts and a cap on the total
//! time one request may spend waiting. Pure arithmetic, so every rule has a unit test.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The retry rules of one transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts of one request, the first included.
    pub max_attempts: u32,
    /// The backoff before the second attempt; each later one doubles, up to `cap`.
    pub first: Duration,
    /// The longest backoff between two attempts when the server names no wait.
    pub cap: Duration,
    /// The most time one request spends waiting in all (backoff, `Retry-After` and pauses).
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            first: Duration::from_millis(500),
            cap: Duration::from_secs(10),
            budget: Duration::from_secs(120),
        }
    }
}

/// The shortest wait taken when a server says `Retry-After: 0`: enough not to hammer it.
const MIN_SERVER_WAIT: Duration = Duration::from_millis(50);

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` without jitter: `first · 2^(attempt-1)`, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        self.first.saturating_mul(1 << doublings).min(self.cap)
    }

    /// How long to wait after attempt number `attempt` (1 for the first) failed, or `None` when
    /// the request should give up: attempts spent, or the wait would overrun the budget given
    /// that `waited` has already been spent.
    ///
    /// `server` is the server's own wait (`Retry-After`), which is taken as given. Otherwise the
    /// backoff is jittered by `unit` (a random number in `[0, 1)`) to between half and all of it
    /// ("equal jitter"), so that clients that failed together do not retry together.
    pub fn wait_before_retry(
        &self,
        attempt: u32,
        server: Option<Duration>,
        waited: Duration,
        unit: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = match server {
            Some(server) => server.max(MIN_SERVER_WAIT),
            None => self
                .backoff(attempt)
                .mul_f64(0.5 + unit.clamp(0.0, 1.0) / 2.0),
        };
        (waited.saturating_add(wait) <= self.budget).then_some(wait)
    }
}

/// A cheap source of jitter: no cryptographic quality needed, only that two runs differ.
#[derive(Debug, Default)]
pub struct Jitter {
    counter: AtomicU64,
}

impl Jitter {
    /// A number in `[0, 1)`.
    pub fn next_unit(&self) -> f64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let random = RandomState::new().hash_one(n);
        (random >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            first: Duration::from_millis(500),
            cap: Duration::from_secs(10),
            budget: Duration::from_secs(120),
        }
    }

    const NOTHING_WAITED: Duration = Duration::ZERO;

    #[test]
    fn the_backoff_doubles_from_the_first_wait() {
        let p = policy();
        let waits: Vec<u64> = (1..=5).map(|a| p.backoff(a).as_millis() as u64).collect();
        assert_eq!(waits, [500, 1_000, 2_000, 4_000, 8_000]);
    }

    #[test]
    fn the_backoff_stops_growing_at_the_cap() {
        let p = policy();
        assert_eq!(p.backoff(6), Duration::from_secs(10));
        assert_eq!(p.backoff(7), Duration::from_secs(10));
        assert_eq!(p.backoff(1_000), Duration::from_secs(10), "no overflow");
    }

    #[test]
    fn jitter_keeps_the_wait_between_half_and_all_of_the_backoff() {
        let p = policy();
        for attempt in 1..=7 {
            let full = p.backoff(attempt);
            let low = p.wait_before_retry(attempt, None, NOTHING_WAITED, 0.0);
            let high = p.wait_before_retry(attempt, None, NOTHING_WAITED, 0.999_999);
            assert_eq!(low, Some(full / 2), "attempt {attempt}");
            let high = high.unwrap();
            assert!(
                high <= full && high > full.mul_f64(0.99),
                "attempt {attempt}"
            );
        }
        // Out-of-range randomness cannot push the wait outside the bounds.
        assert_eq!(
            p.wait_before_retry(1, None, NOTHING_WAITED, 7.0),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            p.wait_before_retry(1, None, NOTHING_WAITED, -1.0),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn the_jitter_source_stays_in_the_unit_interval_and_varies() {
        let jitter = Jitter::default();
        let units: Vec<f64> = (0..200).map(|_| jitter.next_unit()).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        let distinct: std::collections::BTreeSet<u64> =
            units.iter().map(|u| (u * 10.0) as u64).collect();
        assert!(
            distinct.len() >= 5,
            "spread over the interval: {distinct:?}"
        );
    }

    #[test]
    fn the_servers_retry_after_takes_precedence_over_the_backoff() {
        let p = policy();
        // Longer than the cap and than any backoff: still taken as given.
        let server = Duration::from_secs(30);
        assert_eq!(
            p.wait_before_retry(1, Some(server), NOTHING_WAITED, 0.3),
            Some(server)
        );
        // Shorter than the backoff: also taken as given, with a small floor for zero.
        assert_eq!(
            p.wait_before_retry(5, Some(Duration::from_millis(200)), NOTHING_WAITED, 0.3),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            p.wait_before_retry(1, Some(Duration::ZERO), NOTHING_WAITED, 0.3),
            Some(Duration::from_millis(50))
        );
    }

    #[test]
    fn the_total_budget_ends_the_retries() {
        let p = policy();
        let server = Duration::from_secs(30);
        assert_eq!(
            p.wait_before_retry(2, Some(server), Duration::from_secs(90), 0.0),
            Some(server),
            "exactly the budget is allowed"
        );
        assert_eq!(
            p.wait_before_retry(2, Some(server), Duration::from_secs(91), 0.0),
            None
        );
        assert_eq!(
            p.wait_before_retry(1, Some(Duration::from_secs(121)), NOTHING_WAITED, 0.0),
            None,
            "a single wait longer than the budget is not taken"
        );
        assert_eq!(
            p.wait_before_retry(3, None, Duration::from_millis(119_500), 0.0),
            None,
            "the jittered backoff counts too"
        );
        // Waiting one backoff after another stays inside the budget.
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        let tight = RetryPolicy {
            budget: Duration::from_secs(5),
            ..p
        };
        while let Some(wait) = tight.wait_before_retry(attempt, None, waited, 0.999) {
            waited += wait;
            attempt += 1;
        }
        assert!(waited <= Duration::from_secs(5), "{waited:?}");
        assert_eq!(attempt, 4, "0.5 + 1 + 2 s fit, 4 s more does not");
    }

    #[test]
    fn attempts_are_capped() {
        let p = policy();
        assert!(p.wait_before_retry(7, None, NOTHING_WAITED, 0.0).is_some());
        assert_eq!(p.wait_before_retry(8, None, NOTHING_WAITED, 0.0), None);
        assert_eq!(
            p.wait_before_retry(8, Some(Duration::from_millis(1)), NOTHING_WAITED, 0.0),
            None,
            "even when the server names a short wait"
        );
        let once = RetryPolicy {
            max_attempts: 1,
            ..p
        };
        assert_eq!(once.wait_before_retry(1, None, NOTHING_WAITED, 0.0), None);
    }
}
