//! Official identifier schemes shared by several object types.

/// UAI (*unité administrative immatriculée*, formerly RNE): the national
/// identifier of French schools and establishments.
pub mod uai {
    use crate::Diagnostic;

    /// Check letters, indexed by `first seven digits mod 23` (A–Z without I, O, Q).
    pub const ALPHABET: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

    /// The check letter of seven digits, or `None` if they are not seven digits.
    ///
    /// ```
    /// assert_eq!(vigie_plugin_sdk::identifiers::uai::check_letter("0131703"), Some('F'));
    /// ```
    pub fn check_letter(first_seven: &str) -> Option<char> {
        if first_seven.len() != 7 || !first_seven.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = first_seven.parse().ok()?;
        Some(ALPHABET[(n % 23) as usize] as char)
    }

    const EXAMPLE: &str = "0131703F";

    /// Checks a UAI and returns it trimmed, without inner spaces, uppercase.
    pub fn normalize(raw: &str) -> Result<String, Diagnostic> {
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        let shown = raw.trim();
        let count = code.chars().count();
        if count != 8 {
            return Err(Diagnostic::error(
                "uai-length",
                format!(
                    "Un code UAI compte 8 caractères, 7 chiffres puis une lettre de contrôle \
                     (par exemple {EXAMPLE})\u{a0}; «\u{a0}{shown}\u{a0}» en compte {count}."
                ),
                format!(
                    "A UAI code has 8 characters, 7 digits then a check letter (e.g. \
                     {EXAMPLE}); “{shown}” has {count}."
                ),
            ));
        }
        let (digits, letter) = code.split_at(7);
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Diagnostic::error(
                "uai-digits",
                format!(
                    "Les 7 premiers caractères d'un code UAI sont des chiffres (par exemple \
                     {EXAMPLE})\u{a0}; «\u{a0}{shown}\u{a0}» n'en a pas que."
                ),
                format!(
                    "The first 7 characters of a UAI code are digits (e.g. {EXAMPLE}); \
                     “{shown}” has others."
                ),
            ));
        }
        let expected = check_letter(digits).unwrap_or('?');
        let letter = letter.chars().next().unwrap_or('?');
        if !letter.is_ascii_uppercase() {
            return Err(Diagnostic::error(
                "uai-check-letter",
                format!(
                    "Un code UAI se termine par une lettre de contrôle\u{a0}: pour {digits}, \
                     c'est {expected} ({digits}{expected})."
                ),
                format!(
                    "A UAI code ends with a check letter: for {digits} it is {expected} \
                     ({digits}{expected})."
                ),
            ));
        }
        if letter != expected {
            let never = if matches!(letter, 'I' | 'O' | 'Q') {
                (
                    " Les lettres I, O et Q ne sont jamais des lettres de contrôle.".to_string(),
                    " I, O and Q are never check letters.".to_string(),
                )
            } else {
                (String::new(), String::new())
            };
            return Err(Diagnostic::error(
                "uai-check-letter",
                format!(
                    "La lettre de contrôle de {digits} est {expected}, pas {letter}\u{a0}: \
                     vérifiez le code ({digits}{expected}?).{}",
                    never.0
                ),
                format!(
                    "The check letter of {digits} is {expected}, not {letter}: please check \
                     the code ({digits}{expected}?).{}",
                    never.1
                ),
            ));
        }
        Ok(code)
    }
}

/// OpenStreetMap element identifiers, written `osm:node/123`, `osm:way/…`,
/// `osm:relation/…`, and the conventions of OSM-based importers.
pub mod osm {
    use crate::{Address, Diagnostic, Row};

    fn error(raw: &str) -> Diagnostic {
        let shown = raw.trim();
        Diagnostic::error(
            "osm-id",
            format!(
                "«\u{a0}{shown}\u{a0}» n'est pas un identifiant OpenStreetMap. Écrivez le type \
                 et le numéro de l'élément, par exemple osm:way/123456 (ou collez l'adresse \
                 https://www.openstreetmap.org/way/123456)."
            ),
            format!(
                "“{shown}” is not an OpenStreetMap identifier. Write the element type and \
                 number, e.g. osm:way/123456 (or paste the address \
                 https://www.openstreetmap.org/way/123456)."
            ),
        )
    }

    fn element_type(text: &str) -> Option<&'static str> {
        match text.to_ascii_lowercase().as_str() {
            "node" | "n" => Some("node"),
            "way" | "w" => Some("way"),
            "relation" | "r" | "rel" => Some("relation"),
            _ => None,
        }
    }

    fn number(text: &str) -> Option<u64> {
        if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok().filter(|n| *n <= i64::MAX as u64)
    }

    /// Normalises `osm:node/123`, `node/123`, `node 123`, `n123`, `W123` or
    /// an openstreetmap.org address to `osm:<type>/<number>`.
    pub fn normalize(raw: &str) -> Result<String, Diagnostic> {
        let text = raw.trim();
        let lower = text.to_ascii_lowercase();
        let rest = if let Some(pos) = lower.find("openstreetmap.org/") {
            let path = &text[pos + "openstreetmap.org/".len()..];
            path.split(['?', '#']).next().unwrap_or("")
        } else if lower.starts_with("osm:") {
            &text[4..]
        } else {
            text
        };
        let rest = rest.trim_end_matches('/');
        let (kind, id) = match rest.split_once(['/', ' ', ':']) {
            Some((kind, id)) => (element_type(kind.trim()), id.trim()),
            None => {
                let split = rest
                    .find(|c: char| c.is_ascii_digit())
                    .unwrap_or(rest.len());
                (element_type(&rest[..split]), &rest[split..])
            }
        };
        match (kind, number(id)) {
            (Some(kind), Some(n)) => Ok(format!("osm:{kind}/{n}")),
            _ => Err(error(raw)),
        }
    }

    /// Columns holding the element id: `@id` of an overpass-turbo GeoJSON
    /// export (`node/123`), `::id` of an Overpass CSV, or `osm_id`.
    pub const ID_COLUMNS: &[&str] = &["@id", "::id", "osm_id", "id"];
    /// Columns holding the element type when the id is a bare number.
    pub const TYPE_COLUMNS: &[&str] = &["@type", "::type", "osm_type", "type"];
    /// Latitude columns (the centre, for ways and relations).
    pub const LAT_COLUMNS: &[&str] = &["@lat", "::lat", "lat", "latitude"];
    /// Longitude columns.
    pub const LON_COLUMNS: &[&str] = &["@lon", "::lon", "lon", "lng", "longitude"];

    /// The normalised element id of an OSM row: `@id` may be `node/123`, or
    /// a bare number with the type in `@type`.
    pub fn id_from_row(row: &Row) -> Result<String, Diagnostic> {
        let id = row.require(ID_COLUMNS)?;
        if id.bytes().all(|b| b.is_ascii_digit()) {
            let kind = row.require(TYPE_COLUMNS)?;
            normalize(&format!("{kind}/{id}"))
        } else {
            normalize(id).map_err(|e| e.on(ID_COLUMNS[0]))
        }
    }

    /// The WGS 84 position of an OSM row, if both coordinates are readable.
    pub fn location_from_row(row: &Row) -> Result<Option<(f64, f64)>, Diagnostic> {
        let lat = row.decimal(LAT_COLUMNS)?;
        let lon = row.decimal(LON_COLUMNS)?;
        Ok(lat.zip(lon))
    }

    /// The postal address from `addr:*` tags, when street and city are known.
    pub fn address_from_row(row: &Row) -> Option<Address> {
        let street = row.get(&["addr:street"])?;
        let street = match row.get(&["addr:housenumber"]) {
            Some(number) => format!("{number} {street}"),
            None => street.to_string(),
        };
        let city = row.get(&["addr:city"])?;
        let postcode = row.get(&["addr:postcode"]).unwrap_or("");
        Some(Address::new(&street, postcode, city))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Row;

    #[test]
    fn uai_check_letters_follow_the_mod_23_rule() {
        assert_eq!(uai::check_letter("0130566"), Some('V'));
        assert_eq!(uai::check_letter("0010093"), Some('W'));
        assert_eq!(uai::check_letter("6200096"), Some('K'));
        assert_eq!(uai::check_letter("013056"), None);
        assert_eq!(uai::check_letter("013A566"), None);
        for n in 0..23u32 {
            let digits = format!("{n:07}");
            assert_eq!(
                uai::check_letter(&digits),
                Some(uai::ALPHABET[n as usize] as char)
            );
        }
    }

    #[test]
    fn uai_are_trimmed_and_uppercased() {
        assert_eq!(uai::normalize(" 0131703f ").as_deref(), Ok("0131703F"));
        assert_eq!(uai::normalize("0131 703F").as_deref(), Ok("0131703F"));
    }

    #[test]
    fn uai_errors_say_what_to_fix() {
        let e = uai::normalize("0130566A").unwrap_err();
        assert_eq!(e.code, "uai-check-letter");
        assert!(e.message.fr.contains("est V, pas A"), "{}", e.message.fr);
        assert!(e.message.en.contains("is V, not A"), "{}", e.message.en);
        let e = uai::normalize("0130566I").unwrap_err();
        assert!(
            e.message.en.contains("I, O and Q are never"),
            "{}",
            e.message.en
        );
        let e = uai::normalize("013056V").unwrap_err();
        assert_eq!(e.code, "uai-length");
        assert!(e.message.fr.contains("en compte 7"), "{}", e.message.fr);
        assert_eq!(uai::normalize("013A566V").unwrap_err().code, "uai-digits");
        assert_eq!(
            uai::normalize("01305669").unwrap_err().code,
            "uai-check-letter"
        );
        assert_eq!(uai::normalize("").unwrap_err().code, "uai-length");
    }

    #[test]
    fn osm_ids_accept_common_spellings() {
        for (raw, expected) in [
            ("osm:node/123", "osm:node/123"),
            ("OSM:Way/42", "osm:way/42"),
            ("node/123", "osm:node/123"),
            ("way 77", "osm:way/77"),
            ("n123", "osm:node/123"),
            ("W5", "osm:way/5"),
            ("r9", "osm:relation/9"),
            (
                "https://www.openstreetmap.org/way/1234#map=18/43.3/5.4",
                "osm:way/1234",
            ),
            ("https://openstreetmap.org/relation/88/", "osm:relation/88"),
        ] {
            assert_eq!(osm::normalize(raw).as_deref(), Ok(expected), "{raw}");
        }
        for raw in [
            "",
            "123",
            "osm:street/1",
            "node/",
            "node/012",
            "node/-1",
            "node/1.5",
            "way/abc",
        ] {
            assert_eq!(osm::normalize(raw).unwrap_err().code, "osm-id", "{raw}");
        }
    }

    #[test]
    fn osm_rows_give_id_position_and_address() {
        let row = Row::from_pairs([
            ("@id", "way/4242"),
            ("@lat", "43.2965"),
            ("@lon", "5.3698"),
            ("addr:housenumber", "58"),
            ("addr:street", "Cours Belsunce"),
            ("addr:postcode", "13001"),
            ("addr:city", "Marseille"),
        ]);
        assert_eq!(osm::id_from_row(&row).as_deref(), Ok("osm:way/4242"));
        assert_eq!(osm::location_from_row(&row), Ok(Some((43.2965, 5.3698))));
        let a = osm::address_from_row(&row).unwrap();
        assert_eq!(
            (a.street.as_str(), a.postcode.as_str()),
            ("58 Cours Belsunce", "13001")
        );
        let csv = Row::from_pairs([("::type", "node"), ("::id", "99")]);
        assert_eq!(osm::id_from_row(&csv).as_deref(), Ok("osm:node/99"));
        assert_eq!(osm::location_from_row(&csv), Ok(None));
    }
}
