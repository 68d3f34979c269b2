//! Typed read access to one vintage of one object (or to a request's fields).

use crate::{FieldValue, Value};

/// The values of one vintage of one object, as handed to the plugin's rules.
///
/// Getters return `None` when the field is absent *or* holds a value of
/// another kind: the generic checks already reported the latter, so rules
/// across fields simply skip it.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The vintage (`2024-2025`, `2024`), or empty for a request.
    pub vintage: &'a str,
    values: &'a [FieldValue],
}

impl<'a> Record<'a> {
    /// Wraps values of one vintage.
    pub fn new(vintage: &'a str, values: &'a [FieldValue]) -> Self {
        Record { vintage, values }
    }
    /// All values, in the order received.
    pub fn values(&self) -> &'a [FieldValue] {
        self.values
    }
    /// The raw value of a field.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.values.iter().find(|v| v.key == key).map(|v| &v.value)
    }
    /// True when the field has a value.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// An integer field.
    pub fn integer(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_integer)
    }
    /// An integer or decimal field, as `f64`.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_number)
    }
    /// A boolean field.
    pub fn boolean(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }
    /// A text or long-text field.
    pub fn text(&self, key: &str) -> Option<&'a str> {
        match self.get(key) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }
    /// The option key of a choice field.
    pub fn choice(&self, key: &str) -> Option<&'a str> {
        match self.get(key) {
            Some(Value::Choice(c)) => Some(c),
            _ => None,
        }
    }
    /// A date field `YYYY-MM-DD`.
    pub fn date(&self, key: &str) -> Option<&'a str> {
        match self.get(key) {
            Some(Value::Date(d)) => Some(d),
            _ => None,
        }
    }
    /// The first year of the vintage (`2024` for `2024-2025` or `2024`).
    pub fn vintage_start_year(&self) -> Option<i32> {
        self.vintage.get(..4).and_then(|y| y.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_read_only_values_of_their_kind() {
        let values = vec![
            FieldValue::new("pupils", Value::Integer(213)),
            FieldValue::new("area", Value::Decimal(1.5)),
            FieldValue::new("rep", Value::Boolean(true)),
            FieldValue::new("sector", Value::choice("public")),
            FieldValue::new("classes", Value::text("douze")),
        ];
        let r = Record::new("2024-2025", &values);
        assert_eq!(r.integer("pupils"), Some(213));
        assert_eq!(r.number("pupils"), Some(213.0));
        assert_eq!(r.number("area"), Some(1.5));
        assert_eq!(r.integer("area"), None);
        assert_eq!(r.boolean("rep"), Some(true));
        assert_eq!(r.choice("sector"), Some("public"));
        assert_eq!(r.integer("classes"), None);
        assert_eq!(r.integer("missing"), None);
        assert_eq!(r.vintage_start_year(), Some(2024));
    }
}
