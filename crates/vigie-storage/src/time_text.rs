//! Timestamps as portable text: RFC 3339, UTC, always six fractional digits, so that text order
//! is time order on both backends.

use time::{OffsetDateTime, UtcOffset, format_description::FormatItem, macros::format_description};

use crate::StoreError;

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Formats a timestamp for storage.
pub fn timestamp(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000000Z"))
}

/// The current time, formatted for storage.
pub fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

/// Reads a stored timestamp back.
pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime, StoreError> {
    time::PrimitiveDateTime::parse(s, FORMAT)
        .map(|p| p.assume_utc())
        .map_err(|e| StoreError::Corrupt(format!("timestamp '{s}': {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order() {
        let a = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let b = a + time::Duration::microseconds(5);
        assert!(timestamp(a) < timestamp(b));
        assert_eq!(parse_timestamp(&timestamp(b)).unwrap(), b);
    }
}
