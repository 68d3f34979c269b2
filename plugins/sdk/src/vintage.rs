//! Vintages (millésimes): school years `2024-2025` and calendar years `2024`.

use crate::{Diagnostic, VintageKind};

const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 2100;

/// Normalises a vintage of the given kind.
pub fn normalize(kind: VintageKind, raw: &str) -> Result<String, Diagnostic> {
    match kind {
        VintageKind::SchoolYear => school_year(raw),
        VintageKind::CalendarYear => calendar_year(raw),
    }
}

fn year(text: &str) -> Option<i32> {
    let text = text.trim();
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse()
            .ok()
            .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
    } else {
        None
    }
}

fn school_year_error(raw: &str) -> Diagnostic {
    Diagnostic::error(
        "invalid-school-year",
        format!(
            "«\u{a0}{}\u{a0}» n'est pas une année scolaire. Écrivez l'année de la rentrée \
             (2024) ou l'année scolaire complète (2024-2025).",
            raw.trim()
        ),
        format!(
            "“{}” is not a school year. Write the year it starts (2024) or the full \
             school year (2024-2025).",
            raw.trim()
        ),
    )
}

/// Normalises a school year to `YYYY-YYYY+1`.
///
/// Accepts `2024-2025`, `2024/2025`, `2024-25`, `2024 – 2025`, the rentrée
/// year alone (`2024`, as in the ministry's `rentree_scolaire` column) and a
/// date: from August on it belongs to the year starting then; `YYYY-01-01`
/// (how year-precision dates are exported) means rentrée `YYYY`; other dates
/// from January to July belong to the year that started the previous autumn.
pub fn school_year(raw: &str) -> Result<String, Diagnostic> {
    let text = raw.trim();
    let start = if let Some((y, m, d)) = crate::check::parse_date(text) {
        let y = y as i32;
        if m >= 8 || (m == 1 && d == 1) {
            Some(y)
        } else {
            Some(y - 1)
        }
    } else if let Some(y) = year(text) {
        Some(y)
    } else {
        let parts: Vec<&str> = text.split(['-', '/', '–', '—']).map(str::trim).collect();
        match parts.as_slice() {
            [first, second] => {
                let first = year(first);
                let second = match second.len() {
                    4 => year(second),
                    2 => first.and_then(|f| {
                        let short: i32 = second.parse().ok()?;
                        Some(f - f % 100 + short + if short < f % 100 { 100 } else { 0 })
                    }),
                    _ => None,
                };
                match (first, second) {
                    (Some(f), Some(s)) if s == f + 1 => Some(f),
                    (Some(f), Some(s)) => {
                        return Err(Diagnostic::error(
                            "invalid-school-year",
                            format!(
                                "Une année scolaire couvre deux années qui se suivent\u{a0}: \
                                 {f}-{} et non {f}-{s}.",
                                f + 1
                            ),
                            format!(
                                "A school year spans two consecutive years: {f}-{} not {f}-{s}.",
                                f + 1
                            ),
                        ));
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    };
    match start {
        Some(y) if (FIRST_YEAR..LAST_YEAR).contains(&y) => Ok(format!("{y}-{}", y + 1)),
        _ => Err(school_year_error(raw)),
    }
}

/// Normalises a calendar year to `YYYY`; a date `YYYY-MM-DD` gives its year.
pub fn calendar_year(raw: &str) -> Result<String, Diagnostic> {
    let text = raw.trim();
    let y = year(text).or_else(|| crate::check::parse_date(text).map(|(y, _, _)| y as i32));
    match y {
        Some(y) if (FIRST_YEAR..=LAST_YEAR).contains(&y) => Ok(y.to_string()),
        _ => Err(Diagnostic::error(
            "invalid-year",
            format!(
                "«\u{a0}{text}\u{a0}» n'est pas une année. Écrivez une année sur quatre chiffres, \
                 par exemple 2024."
            ),
            format!("“{text}” is not a year. Write a four-digit year, e.g. 2024."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_years_accept_the_usual_spellings() {
        for raw in [
            "2024",
            " 2024 ",
            "2024-2025",
            "2024/2025",
            "2024 - 2025",
            "2024–2025",
            "2024-25",
            "2024-09-02",
            "2024-01-01",
            "2025-03-14",
        ] {
            assert_eq!(school_year(raw).as_deref(), Ok("2024-2025"), "{raw}");
        }
        assert_eq!(school_year("1999-00").as_deref(), Ok("1999-2000"));
    }

    #[test]
    fn school_years_refuse_nonsense_with_a_hint() {
        for raw in [
            "",
            "24",
            "2024-2026",
            "deux mille",
            "2024-2025-2026",
            "1800",
            "2024-13-01",
        ] {
            let err = school_year(raw).unwrap_err();
            assert_eq!(err.code, "invalid-school-year", "{raw}");
        }
        let err = school_year("2024-2026").unwrap_err();
        assert!(err.message.fr.contains("2024-2025"));
        assert!(
            school_year("abc")
                .unwrap_err()
                .message
                .en
                .contains("(2024-2025)")
        );
    }

    #[test]
    fn calendar_years_are_four_digits() {
        assert_eq!(calendar_year(" 2024").as_deref(), Ok("2024"));
        assert_eq!(calendar_year("2024-06-30").as_deref(), Ok("2024"));
        assert_eq!(calendar_year("24").unwrap_err().code, "invalid-year");
        assert_eq!(calendar_year("2024-2025").unwrap_err().code, "invalid-year");
    }
}
