//! Copying a whole instance from one database to another (SQLite ↔ PostgreSQL), ids kept.
//!
//! The tables are found in the schema (both backends have the same ones, from their own
//! migrations) and copied parents first, following the foreign keys. Rows are read as a stream
//! from one snapshot of the source (a read transaction: the copy is consistent even if the
//! source is still written) and written in multi-row inserts of a bounded size, so memory
//! stays bounded whatever the size of the instance. A column that references its own table
//! (a request merged into another) is written once every row of the table is there.
//!
//! Values cross `sqlx::Any` as integers, reals, text or blobs, each converted to the kind the
//! target column declares; NULLs are bound with that kind (see [`crate::nullable`] for why a
//! real NULL needs care on PostgreSQL). On PostgreSQL the identity sequences are moved past
//! the copied ids, so that new rows do not collide with them.
//!
//! Afterwards [`compare`] counts and checksums the rows of every table on both sides and
//! verifies every collective's journal on both sides: the copy is good when the tables match
//! and the journals verify with the same heads.
//!
//! The schema is read by `catalog`, values converted by `values`, journals checked by
//! `journal`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::TryStreamExt as _;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Row, Transaction};

use crate::nullable::Coordinate;
use crate::{Backend, Store, StoreError};

mod catalog;
mod journal;
mod values;

use catalog::{Table, copy_order, load_tables, table_names};
pub use journal::{JournalCheck, check_journals};
use journal::{check_journal, tenant_ids};
use values::{Cell, hash_cell, read_row};

/// Rows per insert by default: large enough to amortise round trips, small enough for memory.
pub const DEFAULT_BATCH_ROWS: usize = 1000;

/// Bound parameters per statement, under both engines' limits (SQLite 32 766, PostgreSQL
/// 65 535).
const MAX_PARAMETERS: usize = 30_000;

/// Rows per insert statement on SQLite, whose cost per row grows with the statement's size
/// (measured: 1 000-row inserts were 7 times slower per row than 100-row ones).
const SQLITE_ROWS_PER_INSERT: usize = 100;

/// What can stop a copy.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source's schema is not the one this binary knows.
    #[error(
        "the source database is at migration {found} but this binary's schema ends at \
         {expected}: run `vigie migrate` against the source with this binary (or use the Vigie \
         version that wrote it) before copying"
    )]
    SourceSchema {
        /// The source's last applied migration (0 if none).
        found: i64,
        /// This binary's last migration.
        expected: i64,
    },
    /// Source and target do not have the same tables.
    #[error(
        "source and target do not have the same tables ({0}): both must be migrated by this binary"
    )]
    TablesDiffer(String),
    /// The target holds rows and replacing them was not asked for.
    #[error(
        "the target database is not empty ({0}): copy into an empty database, or pass --force \
         to delete every row of the target first"
    )]
    TargetNotEmpty(String),
    /// The foreign keys between tables make a cycle this copy cannot order.
    #[error("the foreign keys between {0} form a cycle: the copy cannot order these tables")]
    ForeignKeyCycle(String),
    /// A name in the schema that is not a plain lower-case identifier.
    #[error("unexpected name {0:?} in the schema: only lower-case identifiers are copied")]
    UnexpectedName(String),
    /// A column type the copy does not know how to carry.
    #[error("column {table}.{column} has the type {declared}, which the copy does not carry")]
    UnsupportedType {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// Its declared type.
        declared: String,
    },
    /// A value that cannot be written into its target column's kind.
    #[error("{table}.{column}: cannot copy the value {found} into a column of {expected}")]
    Value {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// What was read.
        found: String,
        /// The target column's kind.
        expected: &'static str,
    },
    /// A self-referencing table needs a one-column primary key.
    #[error("table {0} references itself but has no one-column primary key")]
    SelfReferenceWithoutKey(String),
    /// Source and target are one database (under two names, perhaps).
    #[error("the source and the target are the same database: give another target")]
    SameDatabase,
    /// A snapshot was asked of a database that is not SQLite.
    #[error(
        "only a SQLite database is snapshotted this way: back PostgreSQL up with pg_dump \
         (see docs/operations.md, « Back up and restore »)"
    )]
    NotSqlite,
    /// The snapshot's file already exists (or its path is not UTF-8).
    #[error(
        "cannot write a snapshot to {0}: it already exists (or is not a UTF-8 path); choose a new file"
    )]
    SnapshotExists(std::path::PathBuf),
    /// A storage error.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Store(StoreError::from(e))
    }
}

/// How to copy.
#[derive(Debug, Clone, Copy)]
pub struct CopyOptions {
    /// Rows per insert (lowered for wide tables to stay under the parameter limits).
    pub batch_rows: usize,
    /// Delete every row of the target's tables first instead of refusing a non-empty target.
    pub replace_target: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            batch_rows: DEFAULT_BATCH_ROWS,
            replace_target: false,
        }
    }
}

/// One table copied, for progress reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopied {
    /// The table.
    pub table: String,
    /// Rows written.
    pub rows: u64,
    /// How long it took.
    pub elapsed: Duration,
}

/// Rows of one table on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    /// The table.
    pub table: String,
    /// Rows in the source.
    pub source: i64,
    /// Rows in the target.
    pub target: i64,
    /// Checksum of the source's rows (their values, in any order).
    pub source_checksum: u64,
    /// Checksum of the target's rows.
    pub target_checksum: u64,
}

impl TableCount {
    /// Same rows on both sides: same count, same checksum.
    pub fn is_same(&self) -> bool {
        self.source == self.target && self.source_checksum == self.target_checksum
    }
}

/// A collective's journal on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalComparison {
    /// The collective's slug.
    pub tenant: String,
    /// In the source.
    pub source: JournalCheck,
    /// In the target.
    pub target: JournalCheck,
}

impl JournalComparison {
    /// Both verify and end at the same head.
    pub fn is_same(&self) -> bool {
        self.source.broken.is_none() && self.target.broken.is_none() && self.source == self.target
    }
}

/// Row counts and journals of source and target, side by side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Every table, in copy order.
    pub tables: Vec<TableCount>,
    /// Every collective's journal.
    pub journals: Vec<JournalComparison>,
}

impl CopyReport {
    /// What differs between source and target (empty when the copy is faithful).
    pub fn differences(&self) -> Vec<String> {
        let tables = self.tables.iter().filter(|t| !t.is_same()).map(|t| {
            format!(
                "table {}: {} rows in the source, {} in the target, {}",
                t.table,
                t.source,
                t.target,
                if t.source_checksum == t.target_checksum {
                    "same values"
                } else {
                    "different values"
                }
            )
        });
        let journals = self.journals.iter().filter(|j| !j.is_same()).map(|j| {
            format!(
                "journal of {}: source {} at {} ({}), target {} at {} ({})",
                j.tenant,
                j.source.head_seq,
                j.source.head_hash,
                j.source.broken.as_deref().unwrap_or("verifies"),
                j.target.head_seq,
                j.target.head_hash,
                j.target.broken.as_deref().unwrap_or("verifies"),
            )
        });
        tables.chain(journals).collect()
    }
}

/// Copies every row of `source` into `target`, ids kept, after migrating `target`; then
/// compares both ([`compare`]). `progress` hears of each table once copied.
///
/// The source is read in one read transaction (one snapshot) and never written. The target
/// must be empty unless [`CopyOptions::replace_target`], which deletes its rows first.
pub async fn copy_instance(
    source: &Store,
    target: &Store,
    options: CopyOptions,
    progress: &mut dyn FnMut(&TableCopied),
) -> Result<CopyReport, CopyError> {
    if database_identity(source).await? == database_identity(target).await? {
        return Err(CopyError::SameDatabase);
    }
    check_source_schema(source).await?;
    target.migrate().await?;
    let tables = copy_order(load_tables(target).await?)?;
    let source_tables = table_names(&mut *source.pool.acquire().await?, source.backend()).await?;
    check_same_tables(&source_tables, &tables)?;
    prepare_target(target, &tables, options.replace_target).await?;
    let mut snapshot = begin_snapshot(source).await?;
    for table in &tables {
        let started = Instant::now();
        let rows = copy_table(&mut snapshot, target, table, options.batch_rows).await?;
        copy_self_references(&mut snapshot, target, table).await?;
        progress(&TableCopied {
            table: table.name.clone(),
            rows,
            elapsed: started.elapsed(),
        });
    }
    if target.backend() == Backend::Postgres {
        move_sequences(target, &tables).await?;
        sqlx::query("ANALYZE").execute(&target.pool).await?;
    }
    let report = compare_on(&mut snapshot, source.backend(), target).await?;
    snapshot.rollback().await?;
    Ok(report)
}

/// Counts the rows of every table in `source` and `target` and verifies every collective's
/// journal on both sides (the collectives are the source's).
pub async fn compare(source: &Store, target: &Store) -> Result<CopyReport, CopyError> {
    let mut snapshot = begin_snapshot(source).await?;
    let report = compare_on(&mut snapshot, source.backend(), target).await?;
    snapshot.rollback().await?;
    Ok(report)
}

async fn compare_on(
    snapshot: &mut Transaction<'static, Any>,
    source_backend: Backend,
    target: &Store,
) -> Result<CopyReport, CopyError> {
    let names = table_names(snapshot, source_backend).await?;
    let tables = copy_order(load_tables(target).await?)?;
    let mut target_conn = target.pool.acquire().await?;
    let mut counts = Vec::new();
    for table in tables.iter().filter(|t| names.contains(&t.name)) {
        let (source, source_checksum) = summarize(snapshot, table).await?;
        let (target, target_checksum) = summarize(&mut target_conn, table).await?;
        counts.push(TableCount {
            table: table.name.clone(),
            source,
            target,
            source_checksum,
            target_checksum,
        });
    }
    let tenants = tenant_ids(snapshot).await?;
    let mut journals = Vec::new();
    for (id, slug) in tenants {
        journals.push(JournalComparison {
            tenant: slug,
            source: check_journal(snapshot, id).await?,
            target: check_journal(&mut target_conn, id).await?,
        });
    }
    Ok(CopyReport {
        tables: counts,
        journals,
    })
}

/// A table's row count and a checksum of its rows: the sum of each row's hash, so that the
/// order rows come in (which collations make differ between engines) does not matter.
async fn summarize(conn: &mut AnyConnection, table: &Table) -> Result<(i64, u64), CopyError> {
    let columns = quoted_list(table.columns.iter().map(|c| c.name.as_str()));
    let sql = format!("SELECT {columns} FROM \"{}\"", table.name);
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(conn);
    let (mut count, mut checksum) = (0i64, 0u64);
    while let Some(row) = rows.try_next().await? {
        let mut hasher = std::hash::DefaultHasher::new();
        for cell in read_row(table, &row, false)? {
            hash_cell(&cell, &mut hasher);
        }
        count += 1;
        checksum = checksum.wrapping_add(std::hash::Hasher::finish(&hasher));
    }
    Ok((count, checksum))
}

/// What tells one database from another: the file of a SQLite database; on PostgreSQL, the
/// database's name and oid on a server started at a given time. Two URLs may name one
/// database (`./vigie.db` and `/srv/vigie.db`, two host names): copying it onto itself with
/// `--force` would empty it.
async fn database_identity(store: &Store) -> Result<String, CopyError> {
    let sql = match store.backend() {
        Backend::Sqlite => "SELECT file FROM pragma_database_list WHERE name = 'main'",
        Backend::Postgres => {
            "SELECT current_database()::text || ':' || d.oid::text || ':' || \
             pg_postmaster_start_time()::text FROM pg_database d WHERE d.datname = current_database()"
        }
    };
    let found: String = sqlx::query(sql).fetch_one(&store.pool).await?.try_get(0)?;
    Ok(match store.backend() {
        // An in-memory database (no file) is its own.
        Backend::Sqlite if found.is_empty() => format!("memory:{:p}", store),
        Backend::Sqlite => std::fs::canonicalize(&found)
            .map(|p| format!("sqlite:{}", p.display()))
            .unwrap_or(found),
        Backend::Postgres => format!("postgres:{found}"),
    })
}

/// Refuses a source whose applied migrations are not exactly this binary's.
async fn check_source_schema(source: &Store) -> Result<(), CopyError> {
    let applied = source.applied_versions().await?;
    let known = source.known_versions();
    if applied != known {
        return Err(CopyError::SourceSchema {
            found: applied.last().copied().unwrap_or(0),
            expected: known.last().copied().unwrap_or(0),
        });
    }
    Ok(())
}

fn check_same_tables(source: &BTreeSet<String>, tables: &[Table]) -> Result<(), CopyError> {
    let target: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    if *source == target {
        return Ok(());
    }
    let only_source: Vec<&String> = source.difference(&target).collect();
    let only_target: Vec<&String> = target.difference(source).collect();
    Err(CopyError::TablesDiffer(format!(
        "only in the source: {only_source:?}; only in the target: {only_target:?}"
    )))
}

/// Opens the read transaction the source is copied from: one snapshot of the whole instance.
async fn begin_snapshot(source: &Store) -> Result<Transaction<'static, Any>, CopyError> {
    let mut tx = source.pool.begin().await?;
    if source.backend() == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// Refuses a non-empty target, or empties it (children first) when asked to.
async fn prepare_target(target: &Store, tables: &[Table], replace: bool) -> Result<(), CopyError> {
    let mut conn = target.pool.acquire().await?;
    let mut filled = Vec::new();
    for table in tables {
        let rows = count_rows(&mut conn, &table.name).await?;
        if rows > 0 {
            filled.push(format!("{} rows in {}", rows, table.name));
        }
    }
    if filled.is_empty() {
        return Ok(());
    }
    if !replace {
        return Err(CopyError::TargetNotEmpty(filled.join(", ")));
    }
    drop(conn);
    let mut tx = target.pool.begin().await?;
    for table in tables.iter().rev() {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM \"{}\"", table.name)))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn count_rows(conn: &mut AnyConnection, table: &str) -> Result<i64, CopyError> {
    Ok(
        sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{table}\"")))
            .fetch_one(conn)
            .await?
            .try_get(0)?,
    )
}

/// Streams a table's rows from the snapshot into the target, `batch_rows` rows per insert;
/// the self-referencing columns are left NULL (see [`copy_self_references`]).
async fn copy_table(
    snapshot: &mut Transaction<'static, Any>,
    target: &Store,
    table: &Table,
    batch_rows: usize,
) -> Result<u64, CopyError> {
    let per_batch = batch_rows
        .min(MAX_PARAMETERS / table.columns.len().max(1))
        .max(1);
    let select = select_sql(table);
    let mut rows = sqlx::query(AssertSqlSafe(select)).fetch(&mut **snapshot);
    let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(per_batch);
    let mut written = 0u64;
    while let Some(row) = rows.try_next().await? {
        batch.push(read_row(table, &row, true)?);
        if batch.len() == per_batch {
            written += insert_batch(target, table, std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        written += insert_batch(target, table, batch).await?;
    }
    Ok(written)
}

fn select_sql(table: &Table) -> String {
    let columns = quoted_list(table.columns.iter().map(|c| c.name.as_str()));
    let order = if table.primary_key.is_empty() {
        String::new()
    } else {
        format!(
            " ORDER BY {}",
            quoted_list(table.primary_key.iter().map(String::as_str))
        )
    };
    format!("SELECT {columns} FROM \"{}\"{order}", table.name)
}

fn quoted_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes one batch of rows in one transaction, in multi-row inserts.
async fn insert_batch(
    target: &Store,
    table: &Table,
    rows: Vec<Vec<Cell>>,
) -> Result<u64, CopyError> {
    let per_statement = match target.backend() {
        Backend::Sqlite => SQLITE_ROWS_PER_INSERT,
        Backend::Postgres => rows.len(),
    }
    .max(1);
    let mut tx = target.pool.begin().await?;
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Cell>> = rows.by_ref().take(per_statement).collect();
        let sql = insert_sql(table, chunk.len(), target.backend());
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for cell in chunk.into_iter().flatten() {
            query = match cell {
                Cell::Integer(v) => query.bind(v),
                Cell::Real(v) => query.bind(Coordinate(v)),
                Cell::Text(v) => query.bind(v),
                Cell::Blob(v) => query.bind(v),
            };
        }
        written += query.execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    Ok(written)
}

fn insert_sql(table: &Table, rows: usize, backend: Backend) -> String {
    let width = table.columns.len();
    let columns = quoted_list(table.columns.iter().map(|c| c.name.as_str()));
    let overriding = if backend == Backend::Postgres && table.columns.iter().any(|c| c.generated) {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let values = (0..rows)
        .map(|r| {
            let params = (1..=width)
                .map(|c| format!("${}", r * width + c))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({params})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO \"{}\" ({columns}){overriding} VALUES {values}",
        table.name
    )
}

/// Writes the columns that reference their own table, now that every row is there.
async fn copy_self_references(
    snapshot: &mut Transaction<'static, Any>,
    target: &Store,
    table: &Table,
) -> Result<(), CopyError> {
    if table.self_references.is_empty() {
        return Ok(());
    }
    let [key] = table.primary_key.as_slice() else {
        return Err(CopyError::SelfReferenceWithoutKey(table.name.clone()));
    };
    for column in &table.self_references {
        let select = format!(
            "SELECT \"{key}\", \"{column}\" FROM \"{}\" WHERE \"{column}\" IS NOT NULL",
            table.name
        );
        let update = format!(
            "UPDATE \"{}\" SET \"{column}\" = $1 WHERE \"{key}\" = $2",
            table.name
        );
        let mut rows = sqlx::query(AssertSqlSafe(select)).fetch(&mut **snapshot);
        while let Some(row) = rows.try_next().await? {
            let id: i64 = row.try_get(0)?;
            let reference: i64 = row.try_get(1)?;
            sqlx::query(AssertSqlSafe(update.clone()))
                .bind(reference)
                .bind(id)
                .execute(&target.pool)
                .await?;
        }
    }
    Ok(())
}

/// PostgreSQL: moves every identity (or serial) sequence past the largest copied id.
async fn move_sequences(target: &Store, tables: &[Table]) -> Result<(), CopyError> {
    for table in tables {
        for column in table.columns.iter().filter(|c| c.generated) {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(\"{}\"), 0) + 1, false) \
                 FROM \"{}\"",
                column.name, table.name
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(&table.name)
                .bind(&column.name)
                .execute(&target.pool)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::catalog::{Column, Kind};
    use super::*;

    #[test]
    fn copy_inserts_number_every_parameter() {
        let t = Table {
            name: "t".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    kind: Kind::Integer,
                    generated: true,
                },
                Column {
                    name: "v".into(),
                    kind: Kind::Text,
                    generated: false,
                },
            ],
            primary_key: vec!["id".into()],
            parents: BTreeSet::new(),
            self_references: Vec::new(),
        };
        assert_eq!(
            insert_sql(&t, 2, Backend::Postgres),
            "INSERT INTO \"t\" (\"id\", \"v\") OVERRIDING SYSTEM VALUE VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql(&t, 1, Backend::Sqlite),
            "INSERT INTO \"t\" (\"id\", \"v\") VALUES ($1, $2)"
        );
        assert_eq!(
            select_sql(&t),
            "SELECT \"id\", \"v\" FROM \"t\" ORDER BY \"id\""
        );
    }
}
