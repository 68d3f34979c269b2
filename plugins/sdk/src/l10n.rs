//! French-first, English-second texts.

use crate::Localized;

/// A user-facing text in French and English.
pub fn fr_en(fr: impl Into<String>, en: impl Into<String>) -> Localized {
    Localized {
        fr: fr.into(),
        en: en.into(),
    }
}

/// Quotes a name the French way: `«\u{a0}name\u{a0}»` (non-breaking spaces).
pub fn quote_fr(name: &str) -> String {
    format!("«\u{a0}{name}\u{a0}»")
}

/// Quotes a name the English way: `“name”`.
pub fn quote_en(name: &str) -> String {
    format!("“{name}”")
}

/// Formats a number for French text: decimal comma, no useless `.0`.
pub(crate) fn number_fr(value: f64) -> String {
    number_en(value).replace('.', ",")
}

/// Formats a number for English text, without a useless `.0`.
pub(crate) fn number_en(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally_in_both_languages() {
        assert_eq!(number_fr(2.0), "2");
        assert_eq!(number_fr(5.5), "5,5");
        assert_eq!(number_en(5.5), "5.5");
        assert_eq!(number_en(-3.0), "-3");
        assert_eq!(number_en(0.333333), "0.3333");
    }

    #[test]
    fn quotes_use_each_language_typography() {
        assert_eq!(quote_fr("Élèves"), "«\u{a0}Élèves\u{a0}»");
        assert_eq!(quote_en("Pupils"), "“Pupils”");
    }
}
