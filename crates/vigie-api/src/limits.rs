//! Anonymous submissions (contributions, requests filed, « me too », reopenings without an
//! account or a link), limited per client address. One limiter serves the API and the pages,
//! so that a client has one allowance whichever door it uses. The address is kept in memory
//! only, for the window, and never written anywhere.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `max` submissions per `window` per client address.
pub struct AnonymousLimiter {
    max: usize,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

impl AnonymousLimiter {
    /// `max` submissions per `window` per client address.
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one submission from `ip`; false once the client has used up the window's.
    pub fn allow(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else { return true };
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        let now = Instant::now();
        seen.retain(|_, hits| {
            hits.retain(|t| now.duration_since(*t) < self.window);
            !hits.is_empty()
        });
        let hits = seen.entry(ip).or_default();
        if hits.len() >= self.max {
            return false;
        }
        hits.push(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_max_submissions_per_window() {
        let limiter = AnonymousLimiter::new(2, Duration::from_secs(60));
        let (a, b) = (
            Some(IpAddr::from([192, 0, 2, 1])),
            Some(IpAddr::from([192, 0, 2, 2])),
        );
        assert!(limiter.allow(a) && limiter.allow(a));
        assert!(!limiter.allow(a), "third in the window");
        assert!(limiter.allow(b), "another client");
        assert!(limiter.allow(None), "no address: not limited");
        let short = AnonymousLimiter::new(1, Duration::ZERO);
        assert!(short.allow(a) && short.allow(a), "the window has passed");
    }
}
