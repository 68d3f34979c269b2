//! Anonymous submissions (contributions, life events, requests filed, « me too »,
//! reopenings without an account or a link), limited per client. One limiter serves the API
//! and the pages, so that a client has one allowance whichever door it uses. Clients are
//! counted under [`ClientAddress::limit_key`] (IPv6 per /64). The address is kept in memory
//! only, for the window, and never written anywhere.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::ClientAddress;

/// How many clients the limiter remembers at most. Past that (a flood from very many
/// addresses), new anonymous clients are refused until the window frees room: the memory a
/// flood can take stays bounded, and signed-in users are never limited.
pub const MAX_CLIENTS: usize = 100_000;

/// `max` submissions per `window` per client.
pub struct AnonymousLimiter {
    max: usize,
    window: Duration,
    capacity: usize,
    state: Mutex<State>,
}

struct State {
    seen: HashMap<IpAddr, Vec<Instant>>,
    pruned: Instant,
}

impl AnonymousLimiter {
    /// `max` submissions per `window` per client.
    pub fn new(max: usize, window: Duration) -> Self {
        Self::with_capacity(max, window, MAX_CLIENTS)
    }

    /// Like [`AnonymousLimiter::new`], remembering at most `capacity` clients.
    pub fn with_capacity(max: usize, window: Duration, capacity: usize) -> Self {
        Self {
            max,
            window,
            capacity,
            state: Mutex::new(State {
                seen: HashMap::new(),
                pruned: Instant::now(),
            }),
        }
    }

    /// Counts one submission from `client`; false once the client has used up the window's.
    /// A client whose address is unknown (not a TCP connection) is not limited.
    pub fn allow(&self, client: &ClientAddress) -> bool {
        let Some(key) = client.limit_key() else {
            return true;
        };
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        let now = Instant::now();
        // Forgetting old entries walks every client: at most once a second, or when full.
        let full = state.seen.len() >= self.capacity && !state.seen.contains_key(&key);
        if full || now.duration_since(state.pruned) >= Duration::from_secs(1) {
            let window = self.window;
            state.seen.retain(|_, hits| {
                hits.retain(|t| now.duration_since(*t) < window);
                !hits.is_empty()
            });
            state.pruned = now;
        }
        if state.seen.len() >= self.capacity && !state.seen.contains_key(&key) {
            tracing::warn!(
                clients = state.seen.len(),
                "anonymous limiter full: refusing new anonymous clients until the window passes"
            );
            return false;
        }
        let hits = state.seen.entry(key).or_default();
        hits.retain(|t| now.duration_since(*t) < self.window);
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

    fn client(ip: &str) -> ClientAddress {
        ClientAddress {
            ip: Some(ip.parse().unwrap()),
        }
    }

    #[test]
    fn a_client_gets_max_submissions_per_window() {
        let limiter = AnonymousLimiter::new(2, Duration::from_secs(60));
        let (a, b) = (client("192.0.2.1"), client("192.0.2.2"));
        assert!(limiter.allow(&a) && limiter.allow(&a));
        assert!(!limiter.allow(&a), "third in the window");
        assert!(limiter.allow(&b), "another client");
        assert!(
            limiter.allow(&ClientAddress::default()),
            "no address: not limited"
        );
        let short = AnonymousLimiter::new(1, Duration::ZERO);
        assert!(short.allow(&a) && short.allow(&a), "the window has passed");
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_an_allowance() {
        let limiter = AnonymousLimiter::new(1, Duration::from_secs(60));
        assert!(limiter.allow(&client("2001:db8:0:1::1")));
        assert!(!limiter.allow(&client("2001:db8:0:1:ffff::2")), "same /64");
        assert!(limiter.allow(&client("2001:db8:0:2::1")), "another /64");
    }

    #[test]
    fn a_full_limiter_refuses_new_clients_only() {
        let limiter = AnonymousLimiter::with_capacity(5, Duration::from_secs(60), 2);
        let (a, b, c) = (
            client("192.0.2.1"),
            client("192.0.2.2"),
            client("192.0.2.3"),
        );
        assert!(limiter.allow(&a) && limiter.allow(&b));
        assert!(!limiter.allow(&c), "no room for a third client");
        assert!(limiter.allow(&a), "known clients keep their allowance");
        let freed = AnonymousLimiter::with_capacity(5, Duration::ZERO, 1);
        assert!(
            freed.allow(&a) && freed.allow(&b),
            "expired entries make room"
        );
    }
}
