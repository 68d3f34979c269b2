//! Sign-in throttling, kept in the database so that every server process sharing it counts
//! the same attempts: a limit that must be global (failed sign-ins on an account, attempts
//! from one client) cannot be dodged by landing on another replica.
//!
//! Each attempt is a row under its key (a hash made by the caller: neither an e-mail nor an
//! address is stored in clear) with its time. An attempt is counted only while its key has
//! fewer than the limit within the window, so a key holds at most `max` live rows; a
//! successful attempt gives its row back. Counting holds the key: on PostgreSQL a
//! transaction-scoped advisory lock on the key's hash, on SQLite the one writer's turn, so
//! that concurrent attempts on several processes cannot all slip under the limit (every
//! write here takes the SQLite writer's turn, as the store's other writes do). Rows past
//! the longest window are pruned ([`Store::prune_attempts`]), and the table is capped.

use sqlx::Row;
use time::{Duration, OffsetDateTime};

use crate::{Backend, Store, StoreError, parse_timestamp, timestamp};

/// At most `max` attempts per `window` per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Attempts allowed in the window.
    pub max: u32,
    /// The sliding window.
    pub window: Duration,
}

/// An attempt counted, to give back if it succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedAttempt(pub i64);

impl Store {
    /// Counts an attempt under `key`, or says in how many seconds (at least 1) one will be
    /// allowed when `throttle.max` attempts are already counted within its window.
    pub async fn count_attempt(
        &self,
        key: &str,
        throttle: Throttle,
    ) -> Result<Result<CountedAttempt, u64>, StoreError> {
        let now = OffsetDateTime::now_utc();
        let (turn, mut tx) = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // Held until the transaction ends: one count-and-insert per key at a time, across
            // every process. (Wrapped so the row has a type `Any` can read; the lock is void.)
            sqlx::query(
                "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 7131))) l",
            )
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        }
        let rows = sqlx::query(
            "SELECT at FROM sign_in_attempts WHERE limit_key = $1 AND at > $2 ORDER BY at LIMIT $3",
        )
        .bind(key)
        .bind(timestamp(now - throttle.window))
        .bind(i64::from(throttle.max.max(1)))
        .fetch_all(&mut *tx)
        .await?;
        if rows.len() >= throttle.max.max(1) as usize {
            let oldest: String = rows[0].try_get(0)?;
            let wait = parse_timestamp(&oldest)? + throttle.window - now;
            let secs = wait.whole_seconds() + i64::from(wait.subsec_nanoseconds() > 0);
            return Ok(Err(u64::try_from(secs).unwrap_or(0).max(1)));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO sign_in_attempts (limit_key, at) VALUES ($1, $2) RETURNING id",
        )
        .bind(key)
        .bind(timestamp(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        drop(turn);
        Ok(Ok(CountedAttempt(id)))
    }

    /// Gives a counted attempt back (it succeeded, or was never really made).
    pub async fn give_attempt_back(&self, attempt: CountedAttempt) -> Result<(), StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1")
            .bind(attempt.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        drop(turn);
        Ok(())
    }

    /// Forgets every attempt counted under `key`.
    pub async fn forget_attempts(&self, key: &str) -> Result<(), StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE limit_key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        drop(turn);
        Ok(())
    }

    /// Deletes the attempts older than `before` (past every window), then the oldest ones
    /// beyond `keep_at_most` rows (a flood from very many keys: the newest are kept, as the
    /// in-memory limiters did). Returns how many rows went.
    pub async fn prune_attempts(
        &self,
        before: OffsetDateTime,
        keep_at_most: i64,
    ) -> Result<u64, StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        let old = sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
            .bind(timestamp(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let excess = sqlx::query(
            "DELETE FROM sign_in_attempts WHERE id <= \
             (SELECT id FROM sign_in_attempts ORDER BY id DESC LIMIT 1 OFFSET $1)",
        )
        .bind(keep_at_most.max(1))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        drop(turn);
        Ok(old + excess)
    }

    /// How many attempts are stored (for tests and the operator).
    pub async fn attempts_stored(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM sign_in_attempts")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url, 2).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn attempts_are_limited_per_key_and_successes_give_theirs_back() {
        let (_dir, s) = store().await;
        let t = Throttle {
            max: 2,
            window: Duration::seconds(60),
        };
        let a = s.count_attempt("a", t).await.unwrap().unwrap();
        s.count_attempt("a", t).await.unwrap().unwrap();
        let wait = s.count_attempt("a", t).await.unwrap().unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
        assert!(
            s.count_attempt("b", t).await.unwrap().is_ok(),
            "another key"
        );
        s.give_attempt_back(a).await.unwrap();
        assert!(s.count_attempt("a", t).await.unwrap().is_ok(), "given back");
        assert!(s.count_attempt("a", t).await.unwrap().is_err());
        s.forget_attempts("a").await.unwrap();
        assert!(s.count_attempt("a", t).await.unwrap().is_ok(), "forgotten");
        let short = Throttle {
            max: 1,
            window: Duration::milliseconds(1),
        };
        s.count_attempt("c", short).await.unwrap().unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert!(
            s.count_attempt("c", short).await.unwrap().is_ok(),
            "window passed"
        );
    }

    #[tokio::test]
    async fn pruning_keeps_the_table_bounded() {
        let (_dir, s) = store().await;
        let t = Throttle {
            max: 5,
            window: Duration::minutes(15),
        };
        for i in 0..30 {
            s.count_attempt(&format!("key{i}"), t)
                .await
                .unwrap()
                .unwrap();
        }
        let past = OffsetDateTime::now_utc() - Duration::minutes(15);
        assert_eq!(s.prune_attempts(past, 1000).await.unwrap(), 0, "all live");
        assert_eq!(s.prune_attempts(past, 10).await.unwrap(), 20);
        assert_eq!(s.attempts_stored().await.unwrap(), 10);
        // The newest keys are the ones kept.
        for _ in 0..4 {
            s.count_attempt("key29", t).await.unwrap().unwrap();
        }
        assert!(s.count_attempt("key29", t).await.unwrap().is_err());
        let future = OffsetDateTime::now_utc() + Duration::seconds(1);
        s.prune_attempts(future, 1000).await.unwrap();
        assert_eq!(s.attempts_stored().await.unwrap(), 0);
    }
}
