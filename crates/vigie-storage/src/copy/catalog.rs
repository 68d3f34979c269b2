//! What the copy reads of the schema: tables, columns and their kinds, primary keys, foreign
//! keys; and the order to copy the tables in.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{AnyConnection, Row};

use super::CopyError;
use crate::{Backend, Store};

/// The sqlx migrations table: each store fills its own when migrated.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// The kind of value a column holds, as both backends' portable schemas declare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Integer,
    Real,
    Text,
    Blob,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
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
pub(super) struct Column {
    pub(super) name: String,
    pub(super) kind: Kind,
    /// PostgreSQL: an identity or serial column, whose sequence must follow the copied ids.
    pub(super) generated: bool,
}

/// A table and what the copy needs to know of it.
#[derive(Debug, Clone)]
pub(super) struct Table {
    pub(super) name: String,
    pub(super) columns: Vec<Column>,
    pub(super) primary_key: Vec<String>,
    /// Tables it references (itself excluded).
    pub(super) parents: BTreeSet<String>,
    /// Its columns that reference the table itself.
    pub(super) self_references: Vec<String>,
}

/// Orders tables parents first; refuses a cycle between different tables.
pub(super) fn copy_order(tables: Vec<Table>) -> Result<Vec<Table>, CopyError> {
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
pub(super) async fn table_names(
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
pub(super) async fn load_tables(store: &Store) -> Result<Vec<Table>, CopyError> {
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
    fn copy_reads_kinds_and_plain_names_only() {
        assert_eq!(Kind::from_sqlite("INTEGER"), Some(Kind::Integer));
        assert_eq!(Kind::from_sqlite("REAL"), Some(Kind::Real));
        assert_eq!(Kind::from_postgres("double precision"), Some(Kind::Real));
        assert_eq!(Kind::from_postgres("jsonb"), None);
        assert!(checked_name("requests".into()).is_ok());
        assert!(checked_name("x\"; DROP".into()).is_err());
    }
}
