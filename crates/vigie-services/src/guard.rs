//! What keeps signing in affordable under attack.
//!
//! - [`HashGate`]: password hashes (Argon2id, about 19 MiB and a few tens of milliseconds each)
//!   are computed a few at a time, on the blocking pool, behind a semaphore sized to the
//!   machine; a short queue waits for a slot, and whoever comes when the queue is full is told
//!   at once to come back later. Each slot reuses one Argon2 working memory instead of
//!   allocating 19 MiB per hash (which the allocator keeps per thread once freed), so memory
//!   stays flat whatever the number of attempts.
//!
//! Sign-in attempts are counted per account and per client address in the database (see
//! `vigie_storage::Throttle`), so that every server process shares one count.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

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
