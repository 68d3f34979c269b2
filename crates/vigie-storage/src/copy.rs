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
//! Afterwards [`compare`] counts the rows of every table on both sides and verifies every
//! collective's journal on both sides: the copy is good when the counts match and the journals
//! verify with the same heads.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::TryStreamExt as _;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Row, Transaction, TypeInfo as _, ValueRef as _};
use vigie_domain::requests::{ChainVerifier, GENESIS_HASH, JournalEntry};

use crate::nullable::Coordinate;
use crate::{Backend, Store, StoreError};

/// Rows per insert by default: large enough to amortise round trips, small enough for memory.
pub const DEFAULT_BATCH_ROWS: usize = 1000;

/// Bound parameters per statement, under both engines' limits (SQLite 32 766, PostgreSQL
/// 65 535).
const MAX_PARAMETERS: usize = 30_000;

/// Rows per insert statement on SQLite, whose cost per row grows with the statement's size
/// (measured: 1 000-row inserts were 7 times slower per row than 100-row ones).
const SQLITE_ROWS_PER_INSERT: usize = 100;

/// Journal entries read at a time when verifying.
const JOURNAL_PAGE: i64 = 1000;

/// The sqlx migrations table: each store fills its own when migrated.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

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

/// A collective's journal as verified on one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalCheck {
    /// Entries verified.
    pub entries: i64,
    /// The head's position.
    pub head_seq: i64,
    /// The head's hash (genesis for an empty journal).
    pub head_hash: String,
    /// Why it does not verify, if it does not.
    pub broken: Option<String>,
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

/// The kind of value a column holds, as both backends' portable schemas declare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Real,
    Text,
    Blob,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integers",
            Kind::Real => "reals",
            Kind::Text => "text",
            Kind::Blob => "bytes",
        }
    }

    /// From SQLite's declared type, by its affinity rules.
    fn from_sqlite(declared: &str) -> Option<Self> {
        let d = declared.to_ascii_uppercase();
        if d.contains("INT") {
            Some(Kind::Integer)
        } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
            Some(Kind::Text)
        } else if d.contains("BLOB") || d.is_empty() {
            Some(Kind::Blob)
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            Some(Kind::Real)
        } else {
            None
        }
    }

    /// From PostgreSQL's `information_schema.columns.data_type`.
    fn from_postgres(data_type: &str) -> Option<Self> {
        match data_type {
            "bigint" | "integer" | "smallint" => Some(Kind::Integer),
            "double precision" | "real" => Some(Kind::Real),
            "text" | "character varying" | "character" => Some(Kind::Text),
            "bytea" => Some(Kind::Blob),
            _ => None,
        }
    }
}

/// A column of a table, as the target declares it.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    /// PostgreSQL: an identity or serial column, whose sequence must follow the copied ids.
    generated: bool,
}

/// A table and what the copy needs to know of it.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    primary_key: Vec<String>,
    /// Tables it references (itself excluded).
    parents: BTreeSet<String>,
    /// Its columns that reference the table itself.
    self_references: Vec<String>,
}

/// One value on its way from source to target.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Integer(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
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

fn hash_cell(cell: &Cell, h: &mut std::hash::DefaultHasher) {
    use std::hash::Hash as _;
    match cell {
        Cell::Integer(v) => (0u8, v).hash(h),
        Cell::Real(v) => (1u8, v.map(f64::to_bits)).hash(h),
        Cell::Text(v) => (2u8, v).hash(h),
        Cell::Blob(v) => (3u8, v).hash(h),
    }
}

/// Every collective's journal in `store`, verified: `(slug, check)`, by collective id.
pub async fn check_journals(store: &Store) -> Result<Vec<(String, JournalCheck)>, CopyError> {
    let mut conn = store.pool.acquire().await?;
    let mut checks = Vec::new();
    for (id, slug) in tenant_ids(&mut conn).await? {
        checks.push((slug, check_journal(&mut conn, id).await?));
    }
    Ok(checks)
}

async fn tenant_ids(conn: &mut AnyConnection) -> Result<Vec<(i64, String)>, CopyError> {
    let rows = sqlx::query("SELECT id, slug FROM tenants ORDER BY id")
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, _>>()?)
}

/// Verifies a collective's journal on `conn`, a page at a time, up to its head.
async fn check_journal(
    conn: &mut AnyConnection,
    tenant_id: i64,
) -> Result<JournalCheck, CopyError> {
    let head: Option<(i64, String)> =
        sqlx::query("SELECT seq, hash FROM journal_heads WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?;
    let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    let mut verifier = ChainVerifier::default();
    let mut entries = 0;
    let mut broken = None;
    'pages: loop {
        let page = sqlx::query(
            "SELECT seq, request_id, action, details, at, prev_hash, hash FROM request_journal \
             WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
        )
        .bind(tenant_id)
        .bind(verifier.seq())
        .bind(head_seq)
        .bind(JOURNAL_PAGE)
        .fetch_all(&mut *conn)
        .await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            if let Err(b) = verifier.push(&journal_entry(row)?) {
                broken = Some(b.to_string());
                break 'pages;
            }
            entries += 1;
        }
    }
    let broken = broken.or_else(|| {
        verifier
            .finish(head_seq, &head_hash)
            .err()
            .map(|b| b.to_string())
    });
    Ok(JournalCheck {
        entries,
        head_seq,
        head_hash,
        broken,
    })
}

fn journal_entry(r: &AnyRow) -> Result<JournalEntry, sqlx::Error> {
    Ok(JournalEntry {
        seq: r.try_get("seq")?,
        request_id: r.try_get("request_id")?,
        action: r.try_get("action")?,
        details: r.try_get("details")?,
        at: r.try_get("at")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
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

/// Reads a row as the target's columns expect it; with `skip_self_references`, the columns
/// referencing the table itself are read as NULL (written later).
fn read_row(
    table: &Table,
    row: &AnyRow,
    skip_self_references: bool,
) -> Result<Vec<Cell>, CopyError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            if skip_self_references && table.self_references.contains(&column.name) {
                return Ok(null_of(column.kind));
            }
            read_cell(row, i, column.kind).map_err(|found| CopyError::Value {
                table: table.name.clone(),
                column: column.name.clone(),
                found,
                expected: column.kind.name(),
            })
        })
        .collect()
}

fn null_of(kind: Kind) -> Cell {
    match kind {
        Kind::Integer => Cell::Integer(None),
        Kind::Real => Cell::Real(None),
        Kind::Text => Cell::Text(None),
        Kind::Blob => Cell::Blob(None),
    }
}

/// One value, converted to `kind`; on failure, a description of what was found.
fn read_cell(row: &AnyRow, i: usize, kind: Kind) -> Result<Cell, String> {
    let raw = row.try_get_raw(i).map_err(|e| e.to_string())?;
    if raw.is_null() {
        return Ok(null_of(kind));
    }
    let type_name = raw.type_info().name().to_owned();
    let found = read_any(row, i, &type_name).map_err(|e| format!("of type {type_name} ({e})"))?;
    convert(found, kind)
}

/// A non-NULL value as the driver typed it.
fn read_any(row: &AnyRow, i: usize, type_name: &str) -> Result<Cell, sqlx::Error> {
    Ok(match type_name {
        "BOOLEAN" => Cell::Integer(Some(i64::from(row.try_get::<bool, _>(i)?))),
        "SMALLINT" | "INTEGER" | "BIGINT" => Cell::Integer(Some(row.try_get::<i64, _>(i)?)),
        "REAL" => Cell::Real(Some(f64::from(row.try_get::<f32, _>(i)?))),
        "DOUBLE" => Cell::Real(Some(row.try_get::<f64, _>(i)?)),
        "BLOB" => Cell::Blob(Some(row.try_get::<Vec<u8>, _>(i)?)),
        _ => Cell::Text(Some(row.try_get::<String, _>(i)?)),
    })
}

/// Converts a value to the target column's kind where no information is lost.
fn convert(found: Cell, kind: Kind) -> Result<Cell, String> {
    match (found, kind) {
        (c @ Cell::Integer(_), Kind::Integer)
        | (c @ Cell::Real(_), Kind::Real)
        | (c @ Cell::Text(_), Kind::Text)
        | (c @ Cell::Blob(_), Kind::Blob) => Ok(c),
        (Cell::Integer(Some(i)), Kind::Real) => Ok(Cell::Real(Some(i as f64))),
        // Integral and well inside i64: the cast is exact.
        (Cell::Real(Some(r)), Kind::Integer) if r.fract() == 0.0 && r.abs() < 9.0e15 => {
            Ok(Cell::Integer(Some(r as i64)))
        }
        (Cell::Text(Some(t)), Kind::Blob) => Ok(Cell::Blob(Some(t.into_bytes()))),
        (other, _) => Err(format!("{other:?}")),
    }
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

/// Orders tables parents first; refuses a cycle between different tables.
fn copy_order(tables: Vec<Table>) -> Result<Vec<Table>, CopyError> {
    let mut pending: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut ordered: Vec<Table> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready: Vec<String> = pending
            .values()
            .filter(|t| t.parents.iter().all(|p| !pending.contains_key(p)))
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            let names: Vec<&String> = pending.keys().collect();
            return Err(CopyError::ForeignKeyCycle(format!("{names:?}")));
        }
        for name in ready {
            if let Some(table) = pending.remove(&name) {
                ordered.push(table);
            }
        }
    }
    Ok(ordered)
}

/// Only plain lower-case identifiers go into the SQL this module writes.
fn checked_name(name: String) -> Result<String, CopyError> {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_');
    if plain {
        Ok(name)
    } else {
        Err(CopyError::UnexpectedName(name))
    }
}

/// The names of the instance's tables (not the migrations' nor the engine's own).
async fn table_names(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<BTreeSet<String>, CopyError> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let mut names = BTreeSet::new();
    for row in sqlx::query(sql).fetch_all(conn).await? {
        let name: String = row.try_get(0)?;
        if name != MIGRATIONS_TABLE {
            names.insert(checked_name(name)?);
        }
    }
    Ok(names)
}

/// Every table of `store` with its columns, primary key and foreign keys.
async fn load_tables(store: &Store) -> Result<Vec<Table>, CopyError> {
    let mut conn = store.pool.acquire().await?;
    let backend = store.backend();
    let mut tables = Vec::new();
    for name in table_names(&mut conn, backend).await? {
        let columns = load_columns(&mut conn, backend, &name).await?;
        let primary_key = load_primary_key(&mut conn, backend, &name).await?;
        let references = load_references(&mut conn, backend, &name).await?;
        let self_references = references
            .iter()
            .filter(|(_, parent)| *parent == name)
            .map(|(column, _)| column.clone())
            .collect();
        let parents = references
            .into_iter()
            .map(|(_, parent)| parent)
            .filter(|parent| *parent != name)
            .collect();
        tables.push(Table {
            name,
            columns,
            primary_key,
            parents,
            self_references,
        });
    }
    Ok(tables)
}

async fn load_columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<Column>, CopyError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name, type, 0 FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text, \
             CASE WHEN is_identity = 'YES' OR column_default LIKE 'nextval(%' THEN 1 ELSE 0 END \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            let name = checked_name(r.try_get(0)?)?;
            let declared: String = r.try_get(1)?;
            let generated: i64 = r.try_get(2)?;
            let kind = match backend {
                Backend::Sqlite => Kind::from_sqlite(&declared),
                Backend::Postgres => Kind::from_postgres(&declared),
            }
            .ok_or_else(|| CopyError::UnsupportedType {
                table: table.to_owned(),
                column: name.clone(),
                declared,
            })?;
            Ok(Column {
                name,
                kind,
                generated: generated != 0,
            })
        })
        .collect()
}

async fn load_primary_key(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<String>, CopyError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
        Backend::Postgres => {
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey) \
             WHERE i.indisprimary AND n.nspname = current_schema() AND t.relname = $1 \
             ORDER BY array_position(i.indkey::int2[], a.attnum)"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(conn).await?;
    rows.iter().map(|r| checked_name(r.try_get(0)?)).collect()
}

/// `(column, referenced table)` for every foreign key of `table`.
async fn load_references(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<(String, String)>, CopyError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT \"from\", \"table\" FROM pragma_foreign_key_list($1)",
        Backend::Postgres => {
            "SELECT a.attname::text, p.relname::text FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             JOIN pg_class p ON p.oid = c.confrelid \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
             WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = $1"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((checked_name(r.try_get(0)?)?, checked_name(r.try_get(1)?)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            self_references: Vec::new(),
        }
    }

    #[test]
    fn copy_order_puts_parents_first_and_refuses_cycles() {
        let ordered = copy_order(vec![
            table("requests", &["objects", "tenants"]),
            table("objects", &["tenants"]),
            table("tenants", &[]),
        ])
        .unwrap();
        let names: Vec<&str> = ordered.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["tenants", "objects", "requests"]);
        let cycle = copy_order(vec![table("a", &["b"]), table("b", &["a"])]);
        assert!(matches!(cycle, Err(CopyError::ForeignKeyCycle(_))));
    }

    #[test]
    fn copy_values_convert_only_without_loss() {
        assert_eq!(
            convert(Cell::Integer(Some(3)), Kind::Real),
            Ok(Cell::Real(Some(3.0)))
        );
        assert_eq!(
            convert(Cell::Real(Some(4.0)), Kind::Integer),
            Ok(Cell::Integer(Some(4)))
        );
        assert!(convert(Cell::Real(Some(4.5)), Kind::Integer).is_err());
        assert!(convert(Cell::Text(Some("x".into())), Kind::Integer).is_err());
        assert_eq!(Kind::from_sqlite("INTEGER"), Some(Kind::Integer));
        assert_eq!(Kind::from_sqlite("REAL"), Some(Kind::Real));
        assert_eq!(Kind::from_postgres("double precision"), Some(Kind::Real));
        assert_eq!(Kind::from_postgres("jsonb"), None);
        assert!(checked_name("requests".into()).is_ok());
        assert!(checked_name("x\"; DROP".into()).is_err());
    }

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
