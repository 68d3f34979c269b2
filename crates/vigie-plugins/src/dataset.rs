//! Recognising an open-data file from its header, as the WIT interface specifies: column
//! names are compared lowercase, without accents, with every run of other characters than
//! `a-z0-9` replaced by one `_` and no `_` at either end.

use crate::wit;

/// Normalises a column name (`« Code établissement »` → `code_etablissement`).
pub fn normalize_column_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = fold_accent(c);
        if folded.is_empty() && !c.is_ascii_alphanumeric() {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('_');
        }
        separator = false;
        if folded.is_empty() {
            out.push(c);
        } else {
            out.push_str(folded);
        }
    }
    out
}

fn fold_accent(c: char) -> &'static str {
    match c {
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
    }
}

/// The importer whose required columns are all in `header`; among several, the one that
/// recognises the most columns.
pub fn detect_importer<'m>(
    manifest: &'m wit::PluginManifest,
    header: &[String],
) -> Option<&'m wit::Importer> {
    let columns: Vec<String> = header.iter().map(|h| normalize_column_name(h)).collect();
    let matches = |names: &[String]| {
        names
            .iter()
            .any(|n| columns.contains(&normalize_column_name(n)))
    };
    manifest
        .importers
        .iter()
        .filter(|i| {
            i.columns
                .iter()
                .filter(|c| c.required)
                .all(|c| matches(&c.names))
        })
        .max_by_key(|i| i.columns.iter().filter(|c| matches(&c.names)).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_the_interface_says() {
        assert_eq!(
            normalize_column_name("« Code établissement »"),
            "code_etablissement"
        );
        assert_eq!(
            normalize_column_name("Nom de l'établissment"),
            "nom_de_l_etablissment"
        );
        assert_eq!(normalize_column_name("addr:postcode"), "addr_postcode");
        assert_eq!(normalize_column_name("@id"), "id");
        assert_eq!(normalize_column_name("numero_uai"), "numero_uai");
        assert_eq!(
            normalize_column_name("Code INSEE de la commune"),
            "code_insee_de_la_commune"
        );
    }
}
