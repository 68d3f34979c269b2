//! Statements of many rows (bulk imports): how many parameters they bind, and their
//! placeholders written the way each engine binds fastest.

use crate::Backend;

/// Bound parameters per multi-row statement. Both engines accept far more (SQLite 32 766,
/// PostgreSQL 65 535); about a thousand keeps each statement in the milliseconds, and an
/// import's chunk of rows in a handful of statements.
pub(crate) const MAX_PARAMS: usize = 1_000;

/// The placeholders of one statement, in the order their values are bound: `$1, $2, …` on
/// PostgreSQL, `?` on SQLite.
///
/// Why not `$N` on SQLite too: the driver asks SQLite the name of each parameter to find its
/// number, and SQLite finds a name by walking the list of all the statement's names, so
/// binding N numbered parameters costs N² (a thousand-parameter insert spent most of an
/// import there). Anonymous `?` have no name to look up; they are numbered by position, so
/// the values must be bound in the order the placeholders are written, which is what
/// [`Placeholders::next`] and [`Placeholders::rows`] are for.
#[derive(Debug)]
pub(crate) struct Placeholders {
    backend: Backend,
    next: usize,
}

impl Placeholders {
    /// The placeholders of a new statement, from the first.
    pub(crate) fn new(backend: Backend) -> Self {
        Self { backend, next: 1 }
    }

    fn push(&mut self, out: &mut String) {
        match self.backend {
            Backend::Sqlite => out.push('?'),
            Backend::Postgres => {
                out.push('$');
                out.push_str(&self.next.to_string());
            }
        }
        self.next += 1;
    }

    /// The next placeholder.
    pub(crate) fn next(&mut self) -> String {
        let mut out = String::with_capacity(6);
        self.push(&mut out);
        out
    }

    /// `($1, $2, $3), ($4, $5, $6)`: the placeholders of a multi-row `VALUES`, or of an `IN`
    /// list with one column (`$1, $2`), rows after rows.
    pub(crate) fn rows(&mut self, rows: usize, columns: usize) -> String {
        let mut out = String::with_capacity(rows * (columns * 7 + 4));
        for r in 0..rows {
            if r > 0 {
                out.push_str(", ");
            }
            if columns > 1 {
                out.push('(');
            }
            for c in 0..columns {
                if c > 0 {
                    out.push_str(", ");
                }
                self.push(&mut out);
            }
            if columns > 1 {
                out.push(')');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_on_postgres_in_the_order_written() {
        let mut p = Placeholders::new(Backend::Postgres);
        assert_eq!(p.next(), "$1");
        assert_eq!(p.rows(2, 3), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(p.rows(2, 1), "$8, $9");
    }

    #[test]
    fn anonymous_on_sqlite() {
        let mut p = Placeholders::new(Backend::Sqlite);
        assert_eq!(p.next(), "?");
        assert_eq!(p.rows(2, 2), "(?, ?), (?, ?)");
        assert_eq!(p.rows(3, 1), "?, ?, ?");
    }
}
