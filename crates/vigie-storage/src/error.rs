//! Storage errors.

use vigie_domain::Bilingual;

/// What went wrong in storage. `NotFound` and `Conflict` are expected outcomes the API maps
/// to 404 and 409; `Unavailable` and `Full` say the database cannot serve now (503); the others
/// are faults.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write would break a uniqueness rule or the state it expects; the message says
    /// which (in English, and in French where written).
    #[error("{0}")]
    Conflict(Bilingual),
    /// The database URL names no backend this binary supports.
    #[error(
        "unsupported database URL '{0}': use sqlite://PATH (embedded) or postgres://USER@HOST:PORT/DB"
    )]
    UnsupportedUrl(String),
    /// The database was migrated by a newer Vigie; this binary will not touch it.
    #[error(
        "the database schema is newer than this binary (it has migration {0}, unknown here): \
         upgrade Vigie instead of running an older version against this database"
    )]
    SchemaTooNew(i64),
    /// The database holds a value this code cannot read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database does not answer (server down or unreachable, no connection free in time,
    /// a lost connection): nothing was changed, the same call may succeed in a moment.
    #[error("the database does not answer: {0}")]
    Unavailable(sqlx::Error),
    /// The database has no room left (its disk is full): nothing was changed; reads go on.
    #[error("the database has no room left: {0}")]
    Full(sqlx::Error),
    /// Migration failure.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound("row"),
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            sqlx::Error::Database(d) => match outage(d.as_ref()) {
                Some(Outage::Full) => StoreError::Full(e),
                Some(Outage::Unavailable) => StoreError::Unavailable(e),
                None => StoreError::Database(e),
            },
            _ => StoreError::Database(e),
        }
    }
}

/// What a database error says about the database itself, rather than about the query.
enum Outage {
    /// No room left on its disk.
    Full,
    /// Shutting down, starting up, out of connections or memory, locked for too long.
    Unavailable,
}

fn outage(d: &dyn sqlx::error::DatabaseError) -> Option<Outage> {
    if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // Primary result codes (the low byte of an extended one): SQLITE_BUSY (5),
        // SQLITE_LOCKED (6), SQLITE_NOMEM (7), SQLITE_IOERR (10), SQLITE_FULL (13),
        // SQLITE_CANTOPEN (14).
        let code: i32 = d.code().and_then(|c| c.parse().ok()).unwrap_or_default();
        return match code & 0xff {
            13 => Some(Outage::Full),
            5 | 6 | 7 | 10 | 14 => Some(Outage::Unavailable),
            _ => None,
        };
    }
    let state = d.code()?;
    match state.as_ref() {
        // disk_full
        "53100" => Some(Outage::Full),
        // Connection exceptions (class 08), insufficient resources (class 53), the server
        // shutting down or starting up (57P01-57P03).
        s if s.starts_with("08") || s.starts_with("53") => Some(Outage::Unavailable),
        "57P01" | "57P02" | "57P03" => Some(Outage::Unavailable),
        _ => None,
    }
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`] with `message`.
pub(crate) fn conflict_on_unique(
    e: sqlx::Error,
    message: impl FnOnce() -> Bilingual,
) -> StoreError {
    if e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
    {
        StoreError::Conflict(message())
    } else {
        StoreError::from(e)
    }
}
