//! One row of an open-data file, read by column names that survive the
//! usual variations (API field ids, CSV labels, accents, case).

use crate::{Cell, Diagnostic, l10n::quote_en, l10n::quote_fr};

/// Normalises a column name: lowercase, accents removed, every run of other
/// characters than `a-z0-9` replaced by one `_`, no leading or trailing `_`.
///
/// `« Code établissement »` → `code_etablissement`; `@id` and `::id` → `id`;
/// `addr:postcode` → `addr_postcode`. The host compares headers the same way.
pub fn normalize_column_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_separator = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ç' => "c",
            'ñ' => "n",
            'ÿ' | 'ý' => "y",
            'œ' => "oe",
            'æ' => "ae",
            _ => "",
        };
        if !folded.is_empty() || c.is_ascii_alphanumeric() {
            if pending_separator && !out.is_empty() {
                out.push('_');
            }
            pending_separator = false;
            if folded.is_empty() {
                out.push(c);
            } else {
                out.push_str(folded);
            }
        } else {
            pending_separator = true;
        }
    }
    out
}

/// Parses a whole number written `12`, `12.0`, `1 234` or `+12`.
pub fn parse_integer(text: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    if let Ok(i) = cleaned.parse::<i64>() {
        return Some(i);
    }
    let d = parse_decimal(&cleaned)?;
    (d.fract() == 0.0 && d.abs() < 9.0e15).then_some(d as i64)
}

/// Parses a finite number written with a decimal point or comma.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let looks_numeric = !cleaned.is_empty()
        && cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !looks_numeric {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|d| d.is_finite())
}

/// Parses a yes/no cell: `1`/`0`, `1.0`, `oui`/`non`, `true`/`false`,
/// `yes`/`no`, `o`/`n`, `vrai`/`faux`.
pub fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "1" | "1.0" | "oui" | "o" | "true" | "vrai" | "yes" | "y" => Some(true),
        "0" | "0.0" | "non" | "n" | "false" | "faux" | "no" => Some(false),
        _ => None,
    }
}

/// One row handed to `import-row`.
#[derive(Clone, Debug, Default)]
pub struct Row {
    cells: Vec<(String, String, String)>,
}

impl Row {
    /// Wraps the cells received from the host.
    pub fn new(cells: Vec<Cell>) -> Self {
        Row {
            cells: cells
                .into_iter()
                .map(|c| (normalize_column_name(&c.column), c.column, c.text))
                .collect(),
        }
    }

    /// Builds a row from (column, text) pairs, e.g. a CSV header zipped with a
    /// line.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self::new(
            pairs
                .into_iter()
                .map(|(column, text)| Cell {
                    column: column.to_string(),
                    text: text.to_string(),
                })
                .collect(),
        )
    }

    /// True when the row has one of these columns (even empty).
    pub fn has_column(&self, names: &[&str]) -> bool {
        names.iter().any(|name| {
            let wanted = normalize_column_name(name);
            self.cells.iter().any(|(n, _, _)| *n == wanted)
        })
    }

    /// The trimmed text of the first of these columns that is present and
    /// not blank.
    pub fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| {
            let wanted = normalize_column_name(name);
            self.cells
                .iter()
                .filter(|(n, _, _)| *n == wanted)
                .map(|(_, _, text)| text.trim())
                .find(|text| !text.is_empty())
        })
    }

    /// The trimmed, non-blank text of a column whose name as written in the
    /// file (trimmed, ignoring case) is one of `names`. For the rare headers
    /// that normalisation merges, e.g. « REP » and « REP + ».
    pub fn get_verbatim(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| {
            self.cells
                .iter()
                .filter(|(_, original, _)| original.trim().eq_ignore_ascii_case(name.trim()))
                .map(|(_, _, text)| text.trim())
                .find(|text| !text.is_empty())
        })
    }

    /// Like [`Row::get`], but a missing or blank cell is an error naming the
    /// column.
    pub fn require(&self, names: &[&str]) -> Result<&str, Diagnostic> {
        self.get(names).ok_or_else(|| {
            let column = names.first().copied().unwrap_or("?");
            Diagnostic::error(
                "missing-value",
                format!("La colonne {} est absente ou vide.", quote_fr(column)),
                format!("Column {} is missing or empty.", quote_en(column)),
            )
            .on(column)
        })
    }

    fn parse<T>(
        &self,
        names: &[&str],
        parse: fn(&str) -> Option<T>,
        fr: &str,
        en: &str,
    ) -> Result<Option<T>, Diagnostic> {
        match self.get(names) {
            None => Ok(None),
            Some(text) => parse(text).map(Some).ok_or_else(|| {
                let column = names.first().copied().unwrap_or("?");
                Diagnostic::error(
                    "unreadable-value",
                    format!(
                        "Colonne {}\u{a0}: {} attendu, «\u{a0}{text}\u{a0}» reçu.",
                        quote_fr(column),
                        fr
                    ),
                    format!("Column {}: expected {en}, got “{text}”.", quote_en(column)),
                )
                .on(column)
            }),
        }
    }

    /// A whole number, if the cell is not blank; an error if unreadable.
    pub fn integer(&self, names: &[&str]) -> Result<Option<i64>, Diagnostic> {
        self.parse(names, parse_integer, "un nombre entier", "a whole number")
    }

    /// A number, if the cell is not blank; an error if unreadable.
    pub fn decimal(&self, names: &[&str]) -> Result<Option<f64>, Diagnostic> {
        self.parse(names, parse_decimal, "un nombre", "a number")
    }

    /// A yes/no flag, if the cell is not blank; an error if unreadable.
    pub fn flag(&self, names: &[&str]) -> Result<Option<bool>, Diagnostic> {
        self.parse(names, parse_flag, "oui/non ou 1/0", "yes/no or 1/0")
    }

    /// Original column names, in order.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.cells.iter().map(|(_, original, _)| original.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_normalised_like_the_host_does() {
        assert_eq!(
            normalize_column_name("Code établissement"),
            "code_etablissement"
        );
        assert_eq!(normalize_column_name("numero_uai"), "numero_uai");
        assert_eq!(
            normalize_column_name("Nombre d'élèves en ULIS"),
            "nombre_d_eleves_en_ulis"
        );
        assert_eq!(normalize_column_name("REP +"), "rep");
        assert_eq!(normalize_column_name("@id"), "id");
        assert_eq!(normalize_column_name("::lat"), "lat");
        assert_eq!(normalize_column_name("addr:postcode"), "addr_postcode");
        assert_eq!(normalize_column_name("\u{feff}Code_bib"), "code_bib");
        assert_eq!(
            normalize_column_name("Secteur Public/Privé"),
            "secteur_public_prive"
        );
    }

    #[test]
    fn numbers_are_read_as_open_data_writes_them() {
        assert_eq!(parse_integer("12"), Some(12));
        assert_eq!(parse_integer("326.0"), Some(326));
        assert_eq!(parse_integer("1 234"), Some(1234));
        assert_eq!(parse_integer("12.5"), None);
        assert_eq!(parse_integer("douze"), None);
        assert_eq!(parse_decimal("13,2"), Some(13.2));
        assert_eq!(parse_decimal("43.29650515548216"), Some(43.29650515548216));
        assert_eq!(parse_decimal("NaN"), None);
        assert_eq!(parse_decimal("inf"), None);
        assert_eq!(parse_flag("1.0"), Some(true));
        assert_eq!(parse_flag("Non"), Some(false));
        assert_eq!(parse_flag("peut-être"), None);
    }

    #[test]
    fn cells_are_found_by_any_alias_and_blank_means_absent() {
        let row = Row::from_pairs([("Code établissement", " 0131703F "), ("Lieu dit", "  ")]);
        assert_eq!(
            row.get(&["numero_uai", "code_etablissement"]),
            Some("0131703F")
        );
        assert_eq!(row.get(&["lieu_dit_uai", "lieu_dit"]), None);
        assert!(row.has_column(&["lieu_dit"]));
        let labels = Row::from_pairs([("REP", "0"), ("REP +", "1")]);
        assert_eq!(labels.get_verbatim(&["rep +", "REP+"]), Some("1"));
        assert_eq!(labels.get_verbatim(&["rep"]), Some("0"));
        let err = row.require(&["appellation_officielle"]).unwrap_err();
        assert_eq!(err.code, "missing-value");
        assert_eq!(err.field.as_deref(), Some("appellation_officielle"));
    }

    #[test]
    fn unreadable_numbers_are_errors_naming_the_column() {
        let row = Row::from_pairs([("nombre_total_eleves", "beaucoup")]);
        let err = row.integer(&["nombre_total_eleves"]).unwrap_err();
        assert_eq!(err.code, "unreadable-value");
        assert!(err.message.en.contains("“beaucoup”"));
        assert_eq!(row.integer(&["absent"]), Ok(None));
    }
}
