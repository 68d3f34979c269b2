//! The plugin interface's records as API JSON, spelled like the WIT: `kebab-case` enum cases
//! (`citizen`, `school-year`, `long-text`) instead of the Rust names the bindings serialise
//! (`Citizen`, `SchoolYear`, `LongText`). Record fields keep their snake_case names, like the
//! rest of the API.

use serde::Serialize;
use serde_json::Value;

/// Every unit case of the interface's enums and variants, as Rust names them.
const CASES: [&str; 21] = [
    "Official",
    "Citizen",
    "Error",
    "Warning",
    "SchoolYear",
    "CalendarYear",
    "Low",
    "Normal",
    "High",
    "Maximal",
    "Open",
    "Closed",
    "Integer",
    "Decimal",
    "Text",
    "LongText",
    "Boolean",
    "Date",
    "DateTime",
    "Url",
    "Custom",
];

fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn rename(v: Value) -> Value {
    match v {
        Value::String(s) if CASES.contains(&s.as_str()) => Value::String(kebab(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(rename).collect()),
        // A localised text is data, never a case name.
        Value::Object(map)
            if map.len() == 2 && map.contains_key("fr") && map.contains_key("en") =>
        {
            Value::Object(map)
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let k = if k.starts_with(|c: char| c.is_ascii_uppercase()) {
                        kebab(&k)
                    } else {
                        k
                    };
                    (k, rename(v))
                })
                .collect(),
        ),
        other => other,
    }
}

/// Serialises an interface record for the API.
pub fn to_api_json<T: Serialize>(value: &T) -> Value {
    rename(serde_json::to_value(value).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit;

    #[test]
    fn cases_are_spelled_like_the_wit() {
        let f = wit::Field {
            key: "k".into(),
            label: wit::Localized {
                fr: "Text".into(),
                en: "Citizen".into(),
            },
            help: None,
            kind: wit::FieldKind::Choice(vec![]),
            unit: None,
            constraints: wit::Constraints {
                required: false,
                min: None,
                max: None,
                max_length: None,
            },
            origin: wit::FieldOrigin::Citizen,
            group: None,
        };
        let v = to_api_json(&f);
        assert_eq!(v["origin"], "citizen");
        assert!(v["kind"]["choice"].is_array(), "{v}");
        assert_eq!(v["label"]["fr"], "Text", "labels are data");
        assert_eq!(to_api_json(&wit::FieldKind::LongText), "long-text");
        assert_eq!(to_api_json(&wit::VintageKind::SchoolYear), "school-year");
    }
}
