//! What keeps signing in affordable under attack.
//!
//! - [`HashGate`]: password hashes (Argon2id, about 19 MiB and a few tens of milliseconds each)
//!   are computed a few at a time, on the blocking pool, behind a semaphore sized to the
//!   machine; a short queue waits for a slot, and whoever comes when the queue is full is told
//!   at once to come back later. Each slot reuses one Argon2 working memory instead of
//!   allocating 19 MiB per hash (which the allocator keeps per thread once freed), so memory
//!   stays flat whatever the number of attempts.
//! - [`AttemptLimiter`]: sign-in attempts counted per account and per client address over a
//!   sliding window, in a bounded map held in memory (keys are hashes: neither an address nor
//!   an e-mail is kept in clear). A successful attempt gives its count back, so only failures
//!   (and attempts still running) use the allowance.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::ServiceError;

/// Argon2's working memory, reused from one hash to the next.
pub(crate) type HashMemory = Vec<argon2::Block>;

/// Bounds the password hashes computed at once.
pub(crate) struct HashGate {
    slots: Arc<Semaphore>,
    /// One working memory per slot in use at most (made when first needed).
    memory: Arc<Mutex<Vec<HashMemory>>>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    max_wait: Duration,
}

/// Leaves the queue when dropped, also when the request is abandoned while it waits.
struct InQueue(Arc<AtomicUsize>);

impl Drop for InQueue {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl HashGate {
    /// `slots` hashes at once (0: one per processor), `queue` more waiting at most `max_wait`.
    pub(crate) fn new(slots: usize, queue: usize, max_wait: Duration) -> Self {
        let slots = if slots == 0 {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        } else {
            slots
        };
        Self {
            slots: Arc::new(Semaphore::new(slots)),
            memory: Arc::new(Mutex::new(Vec::new())),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue,
            max_wait,
        }
    }

    /// Runs `work` (a hash, given the slot's working memory) on the blocking pool once a slot
    /// is free; [`ServiceError::Busy`] at once when the queue is full, or when no slot freed up
    /// in time.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let busy = || ServiceError::Busy {
            retry_after_secs: self.max_wait.as_secs().max(1),
        };
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(busy());
                }
                let _queued = InQueue(self.waiting.clone());
                match tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await
                {
                    Ok(Ok(p)) => p,
                    _ => return Err(busy()),
                }
            }
        };
        // The slot and its memory are held by the hash itself: a request abandoned mid-way
        // frees neither before the work is done.
        let memory = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = permit;
            let mut blocks = memory
                .lock()
                .ok()
                .and_then(|mut m| m.pop())
                .unwrap_or_default();
            let out = work(&mut blocks);
            if let Ok(mut m) = memory.lock() {
                m.push(blocks);
            }
            out
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("password hashing: {e}")))
    }
}

/// Counts attempts per key over a sliding window, in a map of bounded size.
pub(crate) struct AttemptLimiter {
    max: usize,
    window: Duration,
    capacity: usize,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// An attempt counted by [`AttemptLimiter::begin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attempt(Instant);

impl AttemptLimiter {
    /// `max` attempts per `window` per key; at most `capacity` keys remembered.
    pub(crate) fn new(max: usize, window: Duration, capacity: usize) -> Self {
        Self {
            max,
            window,
            capacity: capacity.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt under `key`, or says in how many seconds one will be allowed.
    pub(crate) fn begin(&self, key: &str) -> Result<Attempt, u64> {
        let Ok(mut seen) = self.seen.lock() else {
            return Err(1);
        };
        let now = Instant::now();
        let window = self.window;
        let expired = |t: &Instant| now.duration_since(*t) >= window;
        if let Some(hits) = seen.get_mut(key) {
            while hits.front().is_some_and(expired) {
                hits.pop_front();
            }
            if hits.len() >= self.max {
                let oldest = hits.front().copied().unwrap_or(now);
                let wait = window.saturating_sub(now.duration_since(oldest));
                return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
            }
        }
        if !seen.contains_key(key) && seen.len() >= self.capacity {
            // Forget what has expired; if every key is still live, forget those whose last
            // attempt is the oldest, so the map never grows past its capacity.
            seen.retain(|_, hits| hits.back().is_some_and(|t| !expired(t)));
            if seen.len() >= self.capacity {
                let mut by_age: Vec<(Instant, String)> = seen
                    .iter()
                    .map(|(k, hits)| (hits.back().copied().unwrap_or(now), k.clone()))
                    .collect();
                by_age.sort();
                let excess = seen.len() + 1 - self.capacity;
                for (_, k) in by_age.into_iter().take(excess.max(seen.len() / 10)) {
                    seen.remove(&k);
                }
            }
        }
        seen.entry(key.to_owned()).or_default().push_back(now);
        Ok(Attempt(now))
    }

    /// Gives a successful attempt's count back.
    pub(crate) fn succeeded(&self, key: &str, attempt: Attempt) {
        if let Ok(mut seen) = self.seen.lock()
            && let Some(hits) = seen.get_mut(key)
        {
            if let Some(i) = hits.iter().rposition(|t| *t == attempt.0) {
                hits.remove(i);
            }
            if hits.is_empty() {
                seen.remove(key);
            }
        }
    }

    /// Forgets every attempt counted under `key`.
    pub(crate) fn forget(&self, key: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(key);
        }
    }

    /// How many keys are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.lock().map(|s| s.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_limited_per_key_and_successes_give_theirs_back() {
        let l = AttemptLimiter::new(2, Duration::from_secs(60), 100);
        let a = l.begin("a").unwrap();
        l.begin("a").unwrap();
        let wait = l.begin("a").unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
        assert!(l.begin("b").is_ok(), "another key");
        l.succeeded("a", a);
        assert!(l.begin("a").is_ok(), "a success does not count");
        let short = AttemptLimiter::new(1, Duration::ZERO, 100);
        assert!(
            short.begin("a").is_ok() && short.begin("a").is_ok(),
            "window passed"
        );
    }

    #[test]
    fn the_map_never_grows_past_its_capacity() {
        let l = AttemptLimiter::new(5, Duration::from_secs(600), 1000);
        for i in 0..50_000 {
            l.begin(&format!("key{i}")).unwrap();
            assert!(l.len() <= 1000);
        }
        // The newest keys are still counted.
        for _ in 0..4 {
            l.begin("key49999").unwrap();
        }
        assert!(l.begin("key49999").is_err());
    }

    #[tokio::test]
    async fn hashes_wait_in_a_short_queue_then_are_refused_at_once() {
        let gate = Arc::new(HashGate::new(1, 1, Duration::from_secs(5)));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let running = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(move |_| rx.recv().is_ok()).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let queued = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(|_| 7).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        assert!(matches!(
            gate.run(|_| 8).await,
            Err(ServiceError::Busy { .. })
        ));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "refused at once"
        );
        tx.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(queued.await.unwrap().unwrap(), 7);
        assert_eq!(gate.run(|_| 9).await.unwrap(), 9, "the queue emptied");
    }

    #[tokio::test]
    async fn a_waiter_gives_up_after_the_longest_wait() {
        let gate = Arc::new(HashGate::new(1, 4, Duration::from_millis(200)));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let running = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(move |_| rx.recv().is_ok()).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(matches!(
            gate.run(|_| 1).await,
            Err(ServiceError::Busy { .. })
        ));
        assert_eq!(gate.waiting.load(Ordering::SeqCst), 0);
        tx.send(()).unwrap();
        running.await.unwrap().unwrap();
    }
}
