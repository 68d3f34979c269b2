//! A consistent copy of a SQLite instance taken while it serves.

use std::path::Path;

use crate::copy::CopyError;
use crate::{Backend, Store, StoreError};

impl Store {
    /// Writes a consistent snapshot of this SQLite database to `path` (a new file) with
    /// `VACUUM INTO`: one read transaction, so writers go on meanwhile and the file holds
    /// every transaction committed before it started, none after. The result is a plain
    /// database file (no WAL beside it), compacted. Refused on PostgreSQL (use `pg_dump`).
    pub async fn snapshot_into(&self, path: &Path) -> Result<(), CopyError> {
        if self.backend() != Backend::Sqlite {
            return Err(CopyError::NotSqlite);
        }
        if path.exists() {
            return Err(CopyError::SnapshotExists(path.to_owned()));
        }
        let target = path
            .to_str()
            .ok_or_else(|| CopyError::SnapshotExists(path.to_owned()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// `PRAGMA integrity_check` on SQLite: `ok`, or what is wrong. PostgreSQL: always `ok`.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        if self.backend() != Backend::Sqlite {
            return Ok("ok".into());
        }
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        let lines: Result<Vec<String>, sqlx::Error> =
            rows.iter().map(|r| sqlx::Row::try_get(r, 0)).collect();
        Ok(lines?.join("; "))
    }
}
