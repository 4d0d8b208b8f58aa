//! Pauses that every request to a host obeys.
//!
//! Azure DevOps throttles an identity, not a request: every build of an organisation posts as
//! the same CodeRabbit user, so when the service answers 429 or asks to slow down
//! (`X-RateLimit-Delay`), carrying on with the other requests of the run only digs deeper. A
//! pause set by one request holds back every request of the run to that host, those in flight
//! (before their next attempt) and those not started yet.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use url::Url;

/// Until when each host is paused.
#[derive(Debug, Default)]
pub struct HostPauses {
    until: Mutex<HashMap<String, Instant>>,
}

/// The pauses of this run: shared by every transport in the process.
static RUN: LazyLock<Arc<HostPauses>> = LazyLock::new(Arc::default);

/// A pause longer than the time a request may still wait: it gives up instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauseTooLong {
    pub remaining: Duration,
}

impl HostPauses {
    /// The registry every transport of this run shares.
    pub fn run_wide() -> Arc<HostPauses> {
        Arc::clone(&RUN)
    }

    /// Holds back requests to `host` for `pause` from now. A pause never shortens another one.
    pub fn pause(&self, host: &str, pause: Duration) {
        let until = Instant::now() + pause;
        let mut map = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = map.entry(host.to_owned()).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }

    /// How long requests to `host` must still wait.
    pub fn remaining(&self, host: &str) -> Duration {
        let map = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(host).map_or(Duration::ZERO, |until| {
            until.saturating_duration_since(Instant::now())
        })
    }

    /// Waits until `host` is no longer paused (a pause set while waiting is waited out too),
    /// and returns the time spent. Gives up at once, without waiting, when the pause is longer
    /// than `budget`.
    pub async fn wait(&self, host: &str, budget: Duration) -> Result<Duration, PauseTooLong> {
        let mut waited = Duration::ZERO;
        loop {
            let remaining = self.remaining(host);
            if remaining.is_zero() {
                return Ok(waited);
            }
            if waited + remaining > budget {
                return Err(PauseTooLong { remaining });
            }
            tokio::time::sleep(remaining).await;
            waited += remaining;
        }
    }
}

/// The key of a host for pauses: scheme, host and port, e.g. `https://dev.azure.com:443`.
pub fn host_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_told_apart_by_scheme_name_and_port() {
        let key = |u: &str| host_key(&Url::parse(u).unwrap());
        assert_eq!(
            key("https://dev.azure.com/org/_apis/x"),
            key("https://dev.azure.com:443/other")
        );
        assert_ne!(
            key("https://dev.azure.com/"),
            key("https://vssps.dev.azure.com/")
        );
        assert_ne!(key("http://127.0.0.1:1/"), key("http://127.0.0.1:2/"));
    }

    #[test]
    fn a_pause_is_only_ever_lengthened() {
        let pauses = HostPauses::default();
        pauses.pause("h", Duration::from_secs(30));
        pauses.pause("h", Duration::from_secs(1));
        assert!(pauses.remaining("h") > Duration::from_secs(29));
        assert_eq!(pauses.remaining("other"), Duration::ZERO);
    }

    #[tokio::test]
    async fn waiting_holds_until_the_pause_ends_including_extensions() {
        let pauses = Arc::new(HostPauses::default());
        pauses.pause("h", Duration::from_millis(100));
        let extender = {
            let pauses = Arc::clone(&pauses);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                pauses.pause("h", Duration::from_millis(200));
            })
        };
        let start = Instant::now();
        let waited = pauses.wait("h", Duration::from_secs(5)).await.unwrap();
        extender.await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(250),
            "{:?}",
            start.elapsed()
        );
        assert!(waited >= Duration::from_millis(200), "{waited:?}");
        assert_eq!(pauses.remaining("h"), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_pause_longer_than_the_budget_is_not_waited() {
        let pauses = HostPauses::default();
        pauses.pause("h", Duration::from_secs(60));
        let start = Instant::now();
        let err = pauses.wait("h", Duration::from_secs(10)).await.unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(err.remaining > Duration::from_secs(59));
        assert_eq!(
            pauses.wait("free", Duration::ZERO).await,
            Ok(Duration::ZERO)
        );
    }
}
