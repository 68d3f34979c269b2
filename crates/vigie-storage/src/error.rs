//! Storage errors.

use vigie_domain::Bilingual;

/// What went wrong in storage. `NotFound` and `Conflict` are expected outcomes the API maps
/// to 404 and 409; the others are faults.
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
            _ => StoreError::Database(e),
        }
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
        StoreError::Database(e)
    }
}
