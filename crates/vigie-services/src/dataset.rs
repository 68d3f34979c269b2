//! Reading an open-data file (CSV with `;` or `,`, JSON array of records, GeoJSON) into a
//! header and rows of text, whatever its format.

use crate::ServiceError;

/// A file as a table, read row by row: the rows are produced as they are iterated, never
/// all held at once (the file's bytes are the caller's).
pub struct Table<'a> {
    /// Column names.
    pub header: Vec<String>,
    /// The rows still to read.
    rows: Rows<'a>,
}

impl std::fmt::Debug for Table<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

enum Rows<'a> {
    Csv(Box<csv::Reader<&'a [u8]>>, usize),
    Json(
        std::vec::IntoIter<serde_json::Map<String, serde_json::Value>>,
        usize,
    ),
}

impl Iterator for Table<'_> {
    /// A row, with the line (CSV) or record number (JSON) it came from.
    type Item = (usize, Vec<String>);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.rows {
            Rows::Csv(reader, i) => {
                // The whole file was checked when it was opened: a record here is readable.
                let record = reader.records().next()?.ok()?;
                *i += 1;
                let line = record.position().map_or(*i + 1, |p| p.line() as usize);
                Some((line, record.iter().map(str::to_owned).collect()))
            }
            Rows::Json(records, i) => {
                let rec = records.next()?;
                *i += 1;
                let row = self
                    .header
                    .iter()
                    .map(|h| rec.get(h).map(scalar).unwrap_or_default())
                    .collect();
                Some((*i, row))
            }
        }
    }
}

/// An unreadable file, said in English and in French.
fn invalid(en: String, fr: String) -> ServiceError {
    ServiceError::Invalid(vigie_domain::DomainError::invalid("file", en).fr(fr))
}

/// Opens a table on bytes, guessing the format from the content. A CSV file is checked
/// whole first (without keeping its rows), so that an unreadable line refuses the file before
/// any row is used.
pub fn read_table(bytes: &[u8]) -> Result<Table<'_>, ServiceError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(
        |_| {
            invalid(
                "the file is not UTF-8 text: export it as UTF-8 CSV, JSON or GeoJSON".into(),
                "Le fichier n'est pas du texte UTF-8 : exportez-le en CSV, JSON ou GeoJSON UTF-8."
                    .into(),
            )
        },
    )?;
    match text.trim_start().chars().next() {
        Some('{') | Some('[') => read_json(text),
        Some(_) => read_csv(text),
        None => Err(invalid(
            "the file is empty".into(),
            "Le fichier est vide.".into(),
        )),
    }
}

fn read_csv(text: &str) -> Result<Table<'_>, ServiceError> {
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() >= first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            invalid(
                format!("cannot read the CSV header: {e}"),
                format!("Impossible de lire l'en-tête du CSV : {e}"),
            )
        })?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut i = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => i += 1,
            Ok(false) => break,
            Err(e) => {
                return Err(invalid(
                    format!("CSV line {}: {e}", i + 2),
                    format!("CSV, ligne {} : {e}", i + 2),
                ));
            }
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    // Past the header, already read.
    reader.byte_headers().map_err(|e| {
        invalid(
            format!("cannot read the CSV header: {e}"),
            format!("Impossible de lire l'en-tête du CSV : {e}"),
        )
    })?;
    Ok(Table {
        header,
        rows: Rows::Csv(Box::new(reader), 0),
    })
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn read_json(text: &str) -> Result<Table<'static>, ServiceError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        invalid(
            format!("the JSON is not valid: {e}"),
            format!("Le JSON n'est pas valide : {e}"),
        )
    })?;
    // GeoJSON: properties plus the point's coordinates; else an array of records (or
    // an Opendatasoft `results` wrapper).
    let records: Vec<serde_json::Map<String, serde_json::Value>> = match &value {
        serde_json::Value::Object(o)
            if o.get("type").and_then(|t| t.as_str()) == Some("FeatureCollection") =>
        {
            o.get("features")
                .and_then(|f| f.as_array())
                .map(|features| {
                    features
                        .iter()
                        .map(|f| {
                            let mut rec = f
                                .get("properties")
                                .and_then(|p| p.as_object())
                                .cloned()
                                .unwrap_or_default();
                            if let Some(c) = f
                                .pointer("/geometry/coordinates")
                                .and_then(|c| c.as_array())
                                && f.pointer("/geometry/type").and_then(|t| t.as_str())
                                    == Some("Point")
                                && c.len() >= 2
                            {
                                rec.entry("longitude").or_insert_with(|| c[0].clone());
                                rec.entry("latitude").or_insert_with(|| c[1].clone());
                            }
                            rec
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
        serde_json::Value::Object(o) if o.get("results").is_some_and(|r| r.is_array()) => {
            o["results"]
                .as_array()
                .map(|a| a.iter().filter_map(|r| r.as_object().cloned()).collect())
                .unwrap_or_default()
        }
        serde_json::Value::Array(a) => a.iter().filter_map(|r| r.as_object().cloned()).collect(),
        _ => {
            return Err(invalid(
                "expected a GeoJSON FeatureCollection or a JSON array of records".into(),
                "Attendu : une FeatureCollection GeoJSON ou un tableau JSON d'enregistrements."
                    .into(),
            ));
        }
    };
    let mut header: Vec<String> = Vec::new();
    for rec in &records {
        for k in rec.keys() {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }
    Ok(Table {
        header,
        rows: Rows::Json(records.into_iter(), 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_either_delimiter_and_quotes() {
        let t = read_table("a;b\n1;\"x;y\"\n".as_bytes()).unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(
            t.collect::<Vec<_>>(),
            [(2, vec!["1".to_owned(), "x;y".to_owned()])]
        );
        let t = read_table("\u{feff}a,b\n1,2\n".as_bytes()).unwrap();
        assert_eq!(t.header, ["a", "b"]);
    }

    #[test]
    fn geojson_points_become_columns() {
        let t = read_table(
            br#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[5.4,43.3]},"properties":{"uai":"0131703F","n":3}}]}"#,
        )
        .unwrap();
        assert_eq!(t.header, ["latitude", "longitude", "n", "uai"]);
        assert_eq!(
            t.collect::<Vec<_>>(),
            [(
                1,
                vec!["43.3".into(), "5.4".into(), "3".into(), "0131703F".into()]
            )]
        );
    }

    #[test]
    fn nonsense_is_explained() {
        assert!(read_table(b"").is_err());
        assert!(
            read_table(b"{not json")
                .unwrap_err()
                .to_string()
                .contains("JSON")
        );
        assert!(
            read_table(&[0xff, 0xfe, 0x00])
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
    }
}
