//! Slows down guessing: after a few failed sign-ins from one address or against one
//! member or machine, each further attempt must wait, twice as long each time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before waits begin.
const FREE_FAILURES: u32 = 5;
/// The longest wait, and how long a quiet key takes to be forgotten.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct Limiter {
    keys: Mutex<HashMap<String, Strikes>>,
}

struct Strikes {
    failures: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

impl Limiter {
    /// How long the caller must still wait before another attempt on any of `keys`.
    pub fn wait(&self, keys: &[String]) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| now.duration_since(s.last) < MAX_WAIT);
        keys.iter()
            .filter_map(|k| map.get(k).and_then(|s| s.blocked_until))
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    pub fn failed(&self, keys: &[String]) {
        let now = Instant::now();
        let mut map = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            let strikes =
                map.entry(key.clone()).or_insert(Strikes { failures: 0, last: now, blocked_until: None });
            strikes.failures += 1;
            strikes.last = now;
            if strikes.failures >= FREE_FAILURES {
                let doublings = (strikes.failures - FREE_FAILURES).min(10);
                strikes.blocked_until = Some(now + Duration::from_secs(1 << doublings).min(MAX_WAIT));
            }
        }
    }

    pub fn succeeded(&self, keys: &[String]) {
        let mut map = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_begin_after_the_free_failures_and_end_on_success() {
        let limiter = Limiter::default();
        let keys = vec!["ip:127.0.0.1".to_string()];
        for _ in 0..FREE_FAILURES - 1 {
            limiter.failed(&keys);
            assert_eq!(limiter.wait(&keys), None);
        }
        limiter.failed(&keys);
        assert!(limiter.wait(&keys).is_some_and(|w| w > Duration::from_millis(500)));
        assert_eq!(limiter.wait(&["ip:other".to_string()]), None);
        limiter.succeeded(&keys);
        assert_eq!(limiter.wait(&keys), None);
    }
}
