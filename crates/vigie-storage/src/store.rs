//! Opening the store: backend choice, pool, migrations.

use std::sync::Arc;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::StoreError;
use crate::changes::{CHANGES_CHANNEL, Change, Changes};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// How long a call waits for a database connection (a free one, or a new one while the
/// server does not answer) before it fails with [`StoreError::Unavailable`]: the HTTP edge
/// then answers 503 instead of keeping the client waiting.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The database engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Chooses the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.chars().take(40).collect()))
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// The backend's name, for logs and the readiness probe.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The one storage handle. Cheap to clone (a pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// Revisions of the public data, moved by every write (see [`crate::changes`]).
    pub(crate) changes: Arc<Changes>,
    /// On SQLite, the turn of this process's write transactions ([`Store::begin_write`]).
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
    /// SQLite on a file: its URL, for the read-only connections badge rules run on.
    pub(crate) sqlite_file_url: Option<String>,
}

/// How a store's pool of connections is used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open (idle or in use).
    pub size: u32,
    /// Connections open and idle.
    pub idle: u32,
    /// The most the pool opens (`database.max_connections`).
    pub max: u32,
}

/// A write transaction's turn to write (SQLite only): held from before `BEGIN` until the
/// transaction ended.
pub(crate) type WriteTurn = Option<tokio::sync::OwnedMutexGuard<()>>;

impl Store {
    /// Opens a pool on `url` without touching the schema. For SQLite, the file is created if
    /// missing (its folder must exist).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let backend = Backend::from_url(url)?;
        install_default_drivers();
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let max = match (backend, url.contains(":memory:")) {
            // Each in-memory SQLite connection is its own database.
            (Backend::Sqlite, true) => 1,
            _ => max_connections.max(1),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        // In WAL mode a commit is durable once the WAL is synced at a
                        // checkpoint: a power cut may lose the last commits, never corrupt.
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .after_release(move |conn, _| {
                Box::pin(async move {
                    if backend != Backend::Sqlite || !sqlx::Connection::is_in_transaction(conn) {
                        return Ok(true);
                    }
                    // A write that fails for want of room (SQLITE_FULL, SQLITE_IOERR) may make
                    // SQLite roll the whole transaction back by itself; sqlx's own ROLLBACK then
                    // fails and sqlx still counts a transaction open (its next `BEGIN` would be
                    // a savepoint). Reused, such a connection lost a later filing (the
                    // outages test). So, for a connection given back with a transaction
                    // dropped unfinished: run the pending rollback, then close the connection
                    // if sqlx still counts one.
                    sqlx::query("SELECT 1").execute(&mut *conn).await?;
                    Ok(!sqlx::Connection::is_in_transaction(conn))
                })
            })
            .connect(&url)
            .await?;
        // A read-only connection (`mode=ro`, e.g. to check a backup) cannot change the mode.
        if backend == Backend::Sqlite && !url.contains(":memory:") && !url.contains("mode=ro") {
            // Readers do not block the writer; safe for the embedded default.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        Ok(Self {
            pool,
            backend,
            changes: Arc::default(),
            write_gate: (backend == Backend::Sqlite).then(Arc::default),
            sqlite_file_url: (backend == Backend::Sqlite && !url.contains(":memory:"))
                .then(|| url.clone()),
        })
    }

    /// Opens the store and brings its schema up to date (the stems of requests included,
    /// which are computed in Rust: [`Store::index_request_stems`]).
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let store = Self::connect(url, max_connections).await?;
        store.migrate().await?;
        store.index_request_stems(500).await?;
        Ok(store)
    }

    /// Applies pending migrations; refuses a schema newer than this binary.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let migrator = self.backend.migrator();
        let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        let before = self.applied_versions().await?;
        if let Some(unknown) = before.iter().find(|v| !known.contains(v)) {
            return Err(StoreError::SchemaTooNew(*unknown));
        }
        migrator.run(&self.pool).await?;
        let after = self.applied_versions().await?;
        Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
    }

    /// Versions of the migrations this binary knows for the store's backend, in order.
    pub fn known_versions(&self) -> Vec<i64> {
        self.backend.migrator().iter().map(|m| m.version).collect()
    }

    /// Versions of the migrations already applied (empty on a new database).
    pub async fn applied_versions(&self) -> Result<Vec<i64>, StoreError> {
        let exists: i64 = match self.backend {
            Backend::Sqlite => sqlx::query(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            ),
            Backend::Postgres => sqlx::query(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
            ),
        }
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        if exists == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
            .collect()
    }

    /// Opens a transaction that will write. SQLite has one writer at a time, and a writer
    /// kept waiting by another sleeps and retries in its busy handler (a few milliseconds at
    /// first, then more): under load the waits grow long and unfair. So this process's writers
    /// queue, first come first served, for their turn before `BEGIN`; the turn returned must be
    /// kept until the transaction is committed or dropped. On PostgreSQL, no turn: row locks.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<(WriteTurn, Transaction<'static, Any>), StoreError> {
        let turn = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let tx = self.pool.begin().await?;
        Ok((turn, tx))
    }

    /// Which engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `work` while holding the database-wide lock `name`: of several server processes
    /// sharing a PostgreSQL database, one at a time runs it, the others wait their turn (a
    /// session advisory lock, on a connection taken out of the pool so that `work` keeps all
    /// of the pool; released when `work` ends, or by the server if the process dies). On
    /// SQLite, which has one server process, `work` just runs.
    pub async fn exclusively<T>(
        &self,
        name: &str,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(work.await);
        }
        use sqlx::Connection as _;
        let mut conn = self.pool.acquire().await?.detach();
        // Wrapped so the row has a type `Any` can read; the lock itself is void.
        sqlx::query("SELECT COUNT(*) FROM (SELECT pg_advisory_lock(hashtextextended($1, 7132))) l")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
        let out = work.await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 7132))")
            .bind(name)
            .fetch_one(&mut conn)
            .await;
        // Closing the session releases the lock in any case.
        let _ = conn.close().await;
        unlocked?;
        Ok(out)
    }

    /// How this process's pool is used (for the metrics).
    pub fn pool_use(&self) -> PoolUse {
        PoolUse {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// On PostgreSQL, follows the changes the other server processes publish (see
    /// [`crate::changes`]) until the store is closed. After a lost connection every cached
    /// read is treated as changed, since notifications may have been missed meanwhile.
    pub fn listen_for_changes(&self, url: &str) -> Option<tokio::task::JoinHandle<()>> {
        if self.backend != Backend::Postgres {
            return None;
        }
        let url = url.to_owned();
        let changes = self.changes.clone();
        let pool = self.pool.clone();
        Some(tokio::spawn(async move {
            let mut listener = loop {
                if pool.is_closed() {
                    return;
                }
                match sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut l) => match l.listen(CHANGES_CHANNEL).await {
                        Ok(()) => break l,
                        Err(e) => tracing::warn!(error = %e, "cannot listen for changes"),
                    },
                    Err(e) => tracing::warn!(error = %e, "cannot listen for changes"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            };
            // Whatever happened before the listener was up counts as changed.
            changes.bump(Change::Everything);
            while !pool.is_closed() {
                match listener.try_recv().await {
                    Ok(Some(n)) => match Change::from_wire(n.payload()) {
                        Some(c) => changes.bump(c),
                        None => changes.bump(Change::Everything),
                    },
                    // The connection was lost (and is reopened on the next call).
                    Ok(None) => changes.bump(Change::Everything),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the change notifications");
                        changes.bump(Change::Everything);
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        }))
    }

    /// The raw pool, for tests that must reach past the store (e.g. tampering with a row).
    #[doc(hidden)]
    pub fn raw_pool(&self) -> &AnyPool {
        &self.pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On SQLite a writer waits, in line, for the turn of the one before it, which it keeps
    /// until its transaction ended; readers do not wait.
    #[tokio::test]
    async fn sqlite_writers_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("turns.db").display());
        let store = Store::connect(&url, 4).await.unwrap();
        let (turn, tx) = store.begin_write().await.unwrap();
        assert!(turn.is_some(), "SQLite writers take a turn");
        let other = store.clone();
        let mut second = tokio::spawn(async move {
            let (_turn, tx) = other.begin_write().await.unwrap();
            tx.commit().await.unwrap();
        });
        let waited = tokio::time::timeout(std::time::Duration::from_millis(200), &mut second).await;
        assert!(waited.is_err(), "the second writer waits for the first");
        store.ping().await.unwrap();
        tx.commit().await.unwrap();
        drop(turn);
        tokio::time::timeout(std::time::Duration::from_secs(5), second)
            .await
            .expect("the second writer goes once the first is done")
            .unwrap();
    }
}
