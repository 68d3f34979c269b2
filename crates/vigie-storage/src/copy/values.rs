//! Values on their way from one engine to the other, through `sqlx::Any`: read as the driver
//! typed them, converted to the kind the target column declares, without loss.

use sqlx::any::AnyRow;
use sqlx::{Row, TypeInfo as _, ValueRef as _};

use super::CopyError;
use super::catalog::{Kind, Table};

/// One value on its way from source to target.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Integer(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

pub(super) fn hash_cell(cell: &Cell, h: &mut std::hash::DefaultHasher) {
    use std::hash::Hash as _;
    match cell {
        Cell::Integer(v) => (0u8, v).hash(h),
        Cell::Real(v) => (1u8, v.map(f64::to_bits)).hash(h),
        Cell::Text(v) => (2u8, v).hash(h),
        Cell::Blob(v) => (3u8, v).hash(h),
    }
}

/// Reads a row as the target's columns expect it; with `skip_self_references`, the columns
/// referencing the table itself are read as NULL (written later).
pub(super) fn read_row(
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
