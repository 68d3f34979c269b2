//! Generic checks: values against their field descriptor, and a manifest
//! against itself.

use std::collections::HashSet;

use crate::l10n::{number_en, number_fr, quote_en, quote_fr};
use crate::{
    Diagnostic, Field, FieldKind, FieldValue, Formula, LayerStyle, Localized, Manifest, Value,
};

/// True for a key made of `a-z`, `0-9` and single inner `-`, starting with a
/// letter (`pupils-per-class`).
pub fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !key.ends_with('-')
        && !key.contains("--")
}

/// True for an option key: like [`is_valid_key`] but may start with a digit
/// (official codes such as `101`).
fn is_valid_option_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !key.starts_with('-')
        && !key.ends_with('-')
}

fn digits(text: &str, count: usize) -> Option<u32> {
    if text.len() == count && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// Days in a month of the proleptic Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

/// Parses a calendar date `YYYY-MM-DD` into (year, month, day).
pub(crate) fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split('-');
    let year = digits(parts.next()?, 4)?;
    let month = digits(parts.next()?, 2)?;
    let day = digits(parts.next()?, 2)?;
    if parts.next().is_some() || !(1..=12).contains(&month) {
        return None;
    }
    (1..=days_in_month(year, month))
        .contains(&day)
        .then_some((year, month, day))
}

/// True for `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`.
pub(crate) fn is_valid_date_time(text: &str) -> bool {
    let Some((date, time)) = text.split_once('T') else {
        return false;
    };
    if parse_date(date).is_none() {
        return false;
    }
    let parts: Vec<&str> = time.split(':').collect();
    let limits = [23, 59, 59];
    (parts.len() == 2 || parts.len() == 3)
        && parts
            .iter()
            .zip(limits)
            .all(|(part, limit)| digits(part, 2).is_some_and(|v| v <= limit))
}

/// True for an absolute `http://` or `https://` address with a host.
pub(crate) fn is_valid_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty()
                && host.contains('.')
                && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

fn expected(kind: &FieldKind) -> (&'static str, &'static str) {
    match kind {
        FieldKind::Integer => ("un nombre entier", "a whole number"),
        FieldKind::Decimal => ("un nombre", "a number"),
        FieldKind::Text | FieldKind::LongText => ("un texte", "a text"),
        FieldKind::Boolean => ("oui ou non", "yes or no"),
        FieldKind::Choice(_) => ("une des options proposées", "one of the offered options"),
        FieldKind::Date => ("une date (AAAA-MM-JJ)", "a date (YYYY-MM-DD)"),
        FieldKind::DateTime => (
            "une date et une heure (AAAA-MM-JJTHH:MM)",
            "a date and time (YYYY-MM-DDTHH:MM)",
        ),
        FieldKind::Url => (
            "une adresse web complète (https://…)",
            "a full web address (https://…)",
        ),
    }
}

fn wrong_kind(field: &Field) -> Diagnostic {
    let (fr, en) = expected(&field.kind);
    Diagnostic::error(
        "wrong-kind",
        format!("{} attend {fr}.", quote_fr(&field.label.fr)),
        format!("{} expects {en}.", quote_en(&field.label.en)),
    )
    .on(&field.key)
}

/// Checks one value against its field descriptor: kind, finite numbers, bounds,
/// length, options, date and url syntax. Does not check `required`.
pub fn check_value(field: &Field, value: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let label = &field.label;
    let number = match (&field.kind, value) {
        (FieldKind::Integer, Value::Integer(i)) => Some(*i as f64),
        (FieldKind::Decimal, Value::Integer(i)) => Some(*i as f64),
        (FieldKind::Decimal, Value::Decimal(d)) => {
            if !d.is_finite() {
                out.push(
                    Diagnostic::error(
                        "not-a-number",
                        format!("{} doit être un nombre fini.", quote_fr(&label.fr)),
                        format!("{} must be a finite number.", quote_en(&label.en)),
                    )
                    .on(&field.key),
                );
                return out;
            }
            Some(*d)
        }
        (FieldKind::Text | FieldKind::LongText, Value::Text(text)) => {
            if matches!(field.kind, FieldKind::Text) && text.contains(['\n', '\r']) {
                out.push(
                    Diagnostic::error(
                        "single-line",
                        format!("{} tient sur une seule ligne.", quote_fr(&label.fr)),
                        format!("{} must fit on one line.", quote_en(&label.en)),
                    )
                    .on(&field.key),
                );
            }
            None
        }
        (FieldKind::Boolean, Value::Boolean(_)) => None,
        (FieldKind::Choice(options), Value::Choice(key)) => {
            if !options.iter().any(|o| &o.key == key) {
                let list_fr: Vec<&str> = options.iter().map(|o| o.label.fr.as_str()).collect();
                let list_en: Vec<&str> = options.iter().map(|o| o.label.en.as_str()).collect();
                out.push(
                    Diagnostic::error(
                        "unknown-option",
                        format!(
                            "{} : choisissez parmi {}.",
                            quote_fr(&label.fr),
                            list_fr.join(", ")
                        ),
                        format!(
                            "{}: choose one of {}.",
                            quote_en(&label.en),
                            list_en.join(", ")
                        ),
                    )
                    .on(&field.key),
                );
            }
            None
        }
        (FieldKind::Date, Value::Date(text)) => {
            if parse_date(text).is_none() {
                out.push(wrong_kind(field));
            }
            None
        }
        (FieldKind::DateTime, Value::DateTime(text)) => {
            if !is_valid_date_time(text) {
                out.push(wrong_kind(field));
            }
            None
        }
        (FieldKind::Url, Value::Url(text)) => {
            if !is_valid_url(text) {
                out.push(wrong_kind(field));
            }
            None
        }
        _ => {
            out.push(wrong_kind(field));
            return out;
        }
    };
    if let Some(n) = number {
        if let Some(min) = field.constraints.min.filter(|min| n < *min) {
            out.push(
                Diagnostic::error(
                    "below-minimum",
                    format!(
                        "{} doit valoir au moins {} (valeur reçue\u{a0}: {}).",
                        quote_fr(&label.fr),
                        number_fr(min),
                        number_fr(n)
                    ),
                    format!(
                        "{} must be at least {} (got {}).",
                        quote_en(&label.en),
                        number_en(min),
                        number_en(n)
                    ),
                )
                .on(&field.key),
            );
        }
        if let Some(max) = field.constraints.max.filter(|max| n > *max) {
            out.push(
                Diagnostic::error(
                    "above-maximum",
                    format!(
                        "{} doit valoir au plus {} (valeur reçue\u{a0}: {}).",
                        quote_fr(&label.fr),
                        number_fr(max),
                        number_fr(n)
                    ),
                    format!(
                        "{} must be at most {} (got {}).",
                        quote_en(&label.en),
                        number_en(max),
                        number_en(n)
                    ),
                )
                .on(&field.key),
            );
        }
    }
    if let (Some(max), Some(text)) = (field.constraints.max_length, value.as_str()) {
        let length = text.chars().count();
        if length > max as usize {
            out.push(
                Diagnostic::error(
                    "too-long",
                    format!(
                        "{} ne doit pas dépasser {max} caractères ({length} reçus).",
                        quote_fr(&label.fr)
                    ),
                    format!(
                        "{} must not exceed {max} characters (got {length}).",
                        quote_en(&label.en)
                    ),
                )
                .on(&field.key),
            );
        }
    }
    out
}

fn is_blank(value: &Value) -> bool {
    matches!(value, Value::Text(t) if t.trim().is_empty())
}

/// Checks a list of values against a list of field descriptors: no unknown
/// or repeated key, each value valid, every required field present and not
/// blank.
pub fn check_values(fields: &[Field], values: &[FieldValue]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for fv in values {
        if !seen.insert(fv.key.as_str()) {
            out.push(
                Diagnostic::error(
                    "repeated-field",
                    format!("Le champ {} est donné deux fois.", quote_fr(&fv.key)),
                    format!("Field {} is given twice.", quote_en(&fv.key)),
                )
                .on(&fv.key),
            );
            continue;
        }
        match fields.iter().find(|f| f.key == fv.key) {
            Some(field) => out.extend(check_value(field, &fv.value)),
            None => out.push(
                Diagnostic::error(
                    "unknown-field",
                    format!("Champ inconnu\u{a0}: {}.", quote_fr(&fv.key)),
                    format!("Unknown field: {}.", quote_en(&fv.key)),
                )
                .on(&fv.key),
            ),
        }
    }
    for field in fields.iter().filter(|f| f.constraints.required) {
        let present = values
            .iter()
            .any(|fv| fv.key == field.key && !is_blank(&fv.value));
        if !present {
            out.push(
                Diagnostic::error(
                    "required",
                    format!("{} est obligatoire.", quote_fr(&field.label.fr)),
                    format!("{} is required.", quote_en(&field.label.en)),
                )
                .on(&field.key),
            );
        }
    }
    out
}

fn is_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

struct Problems(Vec<String>);

impl Problems {
    fn text(&mut self, what: &str, text: &Localized) {
        if text.fr.trim().is_empty() || text.en.trim().is_empty() {
            self.0.push(format!(
                "{what}: French and English texts are both required"
            ));
        }
    }
    fn key(&mut self, what: &str, key: &str) {
        if !is_valid_key(key) {
            self.0.push(format!(
                "{what}: invalid key {key:?} (expected [a-z][a-z0-9-]*)"
            ));
        }
    }
    fn unique<'a>(&mut self, what: &str, keys: impl IntoIterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for key in keys {
            if !seen.insert(key) {
                self.0.push(format!("{what}: key {key:?} is used twice"));
            }
        }
    }
    fn color(&mut self, what: &str, color: &str) {
        if !is_color(color) {
            self.0
                .push(format!("{what}: colour {color:?} is not #rrggbb"));
        }
    }
    fn fields(&mut self, what: &str, fields: &[Field], groups: Option<&[&str]>) {
        self.unique(what, fields.iter().map(|f| f.key.as_str()));
        for field in fields {
            let here = format!("{what} {:?}", field.key);
            self.key(&here, &field.key);
            self.text(&format!("{here} label"), &field.label);
            if let Some(help) = &field.help {
                self.text(&format!("{here} help"), help);
            }
            if let Some(unit) = &field.unit {
                self.text(&format!("{here} unit"), unit);
            }
            let c = &field.constraints;
            for bound in [c.min, c.max].into_iter().flatten() {
                if !bound.is_finite() {
                    self.0.push(format!("{here}: bounds must be finite"));
                }
            }
            if (c.min.is_some() || c.max.is_some()) && !field.is_numeric() {
                self.0
                    .push(format!("{here}: min and max only apply to numbers"));
            }
            if let (Some(min), Some(max)) = (c.min, c.max)
                && min > max
            {
                self.0.push(format!("{here}: min is above max"));
            }
            if c.max_length.is_some() && !field.is_textual() {
                self.0
                    .push(format!("{here}: max-length only applies to texts"));
            }
            if let FieldKind::Choice(options) = &field.kind {
                if options.is_empty() {
                    self.0.push(format!("{here}: a choice needs options"));
                }
                self.unique(&here, options.iter().map(|o| o.key.as_str()));
                for option in options {
                    if !is_valid_option_key(&option.key) {
                        self.0
                            .push(format!("{here}: invalid option key {:?}", option.key));
                    }
                    self.text(&format!("{here} option {:?}", option.key), &option.label);
                }
            }
            match (groups, &field.group) {
                (Some(groups), Some(group)) if !groups.contains(&group.as_str()) => {
                    self.0.push(format!("{here}: unknown group {group:?}"));
                }
                _ => {}
            }
        }
    }
}

impl Manifest {
    /// Everything wrong with this manifest, in English, for developers (the
    /// host runs equivalent checks and refuses a plugin that fails them).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Problems(Vec::new());
        if self.plugin_version.trim().is_empty() {
            p.0.push("plugin-version is empty".into());
        }
        let id = &self.identity;
        p.key("identity", &id.key);
        p.text("identity name", &id.name);
        p.text("identity plural name", &id.plural_name);
        p.text("identity description", &id.description);
        p.color("identity", &id.color);
        match &id.icon {
            crate::Icon::Name(name) if name.trim().is_empty() => {
                p.0.push("icon name is empty".into())
            }
            crate::Icon::Svg(svg) if !svg.trim_start().starts_with("<svg") => {
                p.0.push("icon svg must be an <svg> document".into())
            }
            _ => {}
        }
        p.key("identifier scheme", &self.identifier.key);
        p.text("identifier label", &self.identifier.label);
        p.text("identifier description", &self.identifier.description);
        if self.identifier.examples.is_empty() {
            p.0.push("identifier scheme: give at least one example".into());
        }
        p.text("vintage label", &self.vintage.label);
        if self.vintage.examples.is_empty() {
            p.0.push("vintage scheme: give at least one example".into());
        }

        p.unique("groups", self.groups.iter().map(|g| g.key.as_str()));
        for group in &self.groups {
            p.key("group", &group.key);
            p.text(&format!("group {:?}", group.key), &group.label);
        }
        let groups: Vec<&str> = self.groups.iter().map(|g| g.key.as_str()).collect();
        p.fields("field", &self.fields, Some(&groups));

        p.unique(
            "fields and indicators",
            self.fields
                .iter()
                .map(|f| f.key.as_str())
                .chain(self.indicators.iter().map(|i| i.key.as_str())),
        );
        for indicator in &self.indicators {
            let here = format!("indicator {:?}", indicator.key);
            p.key(&here, &indicator.key);
            p.text(&format!("{here} label"), &indicator.label);
            p.text(&format!("{here} description"), &indicator.description);
            if let Formula::Ratio(ratio) = &indicator.formula {
                if ratio.numerator.is_empty() || ratio.denominator.is_empty() {
                    p.0.push(format!(
                        "{here}: numerator and denominator must name fields"
                    ));
                }
                if !ratio.scale.is_finite() || ratio.scale == 0.0 {
                    p.0.push(format!("{here}: scale must be finite and not zero"));
                }
                for key in ratio.numerator.iter().chain(&ratio.denominator) {
                    if !self.find_field(key).is_some_and(Field::is_numeric) {
                        p.0.push(format!("{here}: {key:?} is not a numeric field"));
                    }
                }
            }
        }

        p.unique(
            "category sets",
            self.category_sets.iter().map(|s| s.key.as_str()),
        );
        for set in &self.category_sets {
            let here = format!("category set {:?}", set.key);
            p.key(&here, &set.key);
            p.text(&here, &set.label);
            if set.categories.is_empty() {
                p.0.push(format!("{here}: no category"));
            }
            p.unique(&here, set.categories.iter().map(|c| c.key.as_str()));
            for category in &set.categories {
                p.key(&here, &category.key);
                p.text(
                    &format!("{here} category {:?}", category.key),
                    &category.label,
                );
            }
        }

        p.unique(
            "request kinds",
            self.request_kinds.iter().map(|k| k.key.as_str()),
        );
        for kind in &self.request_kinds {
            let here = format!("request kind {:?}", kind.key);
            p.key(&here, &kind.key);
            p.text(&format!("{here} label"), &kind.label);
            p.text(&format!("{here} description"), &kind.description);
            for set in &kind.category_sets {
                if !self.category_sets.iter().any(|s| &s.key == set) {
                    p.0.push(format!("{here}: unknown category set {set:?}"));
                }
            }
            p.fields(&format!("{here} field"), &kind.fields, None);
        }

        p.unique("layers", self.layers.iter().map(|l| l.key.as_str()));
        for layer in &self.layers {
            let here = format!("layer {:?}", layer.key);
            p.key(&here, &layer.key);
            p.text(&format!("{here} label"), &layer.label);
            p.text(&format!("{here} description"), &layer.description);
            match &layer.style {
                LayerStyle::Single(color) => p.color(&here, color),
                LayerStyle::Thresholds(style) => {
                    let numeric = self
                        .find_field(&style.variable)
                        .is_some_and(Field::is_numeric)
                        || self.find_indicator(&style.variable).is_some();
                    if !numeric {
                        p.0.push(format!(
                            "{here}: {:?} is not a numeric field nor an indicator",
                            style.variable
                        ));
                    }
                    p.color(&here, &style.missing_color);
                    if style.steps.is_empty() {
                        p.0.push(format!("{here}: no step"));
                    }
                    let mut previous = f64::NEG_INFINITY;
                    for (i, step) in style.steps.iter().enumerate() {
                        p.color(&here, &step.color);
                        p.text(&format!("{here} step {i}"), &step.label);
                        let last = i + 1 == style.steps.len();
                        match step.upper_bound {
                            Some(bound) if last => p.0.push(format!(
                                "{here}: the last step must have no bound (got {bound})"
                            )),
                            None if !last => {
                                p.0.push(format!("{here}: only the last step may have no bound"))
                            }
                            Some(bound) if !(bound.is_finite() && bound > previous) => {
                                p.0.push(format!("{here}: bounds must be finite and increasing"))
                            }
                            Some(bound) => previous = bound,
                            None => {}
                        }
                    }
                }
                LayerStyle::Categories(style) => {
                    p.color(&here, &style.other_color);
                    match self.find_field(&style.variable) {
                        Some(field)
                            if matches!(field.kind, FieldKind::Boolean | FieldKind::Choice(_)) =>
                        {
                            for case in &style.cases {
                                p.color(&here, &case.color);
                                p.text(&format!("{here} case"), &case.label);
                                if !check_value(field, &case.value).is_empty() {
                                    p.0.push(format!(
                                        "{here}: case {:?} does not fit the field",
                                        case.value
                                    ));
                                }
                            }
                        }
                        _ => p.0.push(format!(
                            "{here}: {:?} is not a choice or boolean field",
                            style.variable
                        )),
                    }
                    if style.cases.is_empty() {
                        p.0.push(format!("{here}: no case"));
                    }
                }
            }
        }

        p.unique("importers", self.importers.iter().map(|i| i.key.as_str()));
        for importer in &self.importers {
            let here = format!("importer {:?}", importer.key);
            p.key(&here, &importer.key);
            p.text(&format!("{here} label"), &importer.label);
            p.text(&format!("{here} description"), &importer.description);
            if importer.attribution.trim().is_empty() {
                p.0.push(format!("{here}: attribution is empty"));
            }
            if !importer.columns.iter().any(|c| c.required) {
                p.0.push(format!("{here}: declare at least one required column"));
            }
            for column in &importer.columns {
                if column.names.is_empty()
                    || column
                        .names
                        .iter()
                        .any(|n| crate::normalize_column_name(n).is_empty())
                {
                    p.0.push(format!("{here}: a column has an empty name"));
                }
                p.text(
                    &format!("{here} column {:?}", column.names),
                    &column.description,
                );
            }
        }
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChoiceOption;

    #[test]
    fn keys_are_lowercase_kebab_case() {
        for good in ["schools", "pupils-per-class", "rep-plus", "a1"] {
            assert!(is_valid_key(good), "{good}");
        }
        for bad in ["", "Schools", "1abc", "pupils_per_class", "a-", "a--b", "é"] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn dates_follow_the_calendar() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("1900-02-29"), None);
        assert_eq!(parse_date("2000-02-29"), Some((2000, 2, 29)));
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("2024-1-01"), None);
        assert!(is_valid_date_time("2025-03-14T08:30"));
        assert!(is_valid_date_time("2025-03-14T23:59:59"));
        assert!(!is_valid_date_time("2025-03-14T24:00"));
        assert!(!is_valid_date_time("2025-03-14 08:30"));
    }

    #[test]
    fn urls_must_be_absolute_web_addresses() {
        assert!(is_valid_url("https://www.marseille.fr/ecoles"));
        assert!(is_valid_url("http://example.org"));
        assert!(!is_valid_url("www.marseille.fr"));
        assert!(!is_valid_url("https://"));
        assert!(!is_valid_url("https://exa mple.org"));
        assert!(!is_valid_url("javascript:alert(1)"));
    }

    fn pupils() -> Field {
        Field::integer("pupils", "Élèves", "Pupils").range(0.0, 5000.0)
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_refused_with_the_field_label() {
        let d = check_value(&pupils(), &Value::text("beaucoup"));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "wrong-kind");
        assert_eq!(d[0].field.as_deref(), Some("pupils"));
        assert_eq!(
            d[0].message.fr,
            "«\u{a0}Élèves\u{a0}» attend un nombre entier."
        );
        assert_eq!(d[0].message.en, "“Pupils” expects a whole number.");
    }

    #[test]
    fn bounds_are_inclusive_and_explained() {
        assert!(check_value(&pupils(), &Value::Integer(0)).is_empty());
        assert!(check_value(&pupils(), &Value::Integer(5000)).is_empty());
        let d = check_value(&pupils(), &Value::Integer(-3));
        assert_eq!(d[0].code, "below-minimum");
        assert!(
            d[0].message.fr.contains("au moins 0"),
            "{}",
            d[0].message.fr
        );
        assert!(d[0].message.en.contains("(got -3)"), "{}", d[0].message.en);
    }

    #[test]
    fn decimals_accept_integers_but_not_nan() {
        let f = Field::decimal("area", "Surface", "Area").min(0.0);
        assert!(check_value(&f, &Value::Integer(3)).is_empty());
        assert!(check_value(&f, &Value::Decimal(2.5)).is_empty());
        assert_eq!(
            check_value(&f, &Value::Decimal(f64::NAN))[0].code,
            "not-a-number"
        );
    }

    #[test]
    fn choices_list_the_options_on_error() {
        let f = Field::choice(
            "sector",
            "Secteur",
            "Sector",
            [
                ChoiceOption::new("public", "Public", "Public"),
                ChoiceOption::new("private", "Privé", "Private"),
            ],
        );
        assert!(check_value(&f, &Value::choice("public")).is_empty());
        let d = check_value(&f, &Value::choice("mixed"));
        assert_eq!(d[0].code, "unknown-option");
        assert!(d[0].message.fr.contains("Public, Privé"));
    }

    #[test]
    fn texts_respect_length_and_lines() {
        let f = Field::text("name", "Nom", "Name").max_length(5);
        assert!(check_value(&f, &Value::text("École")).is_empty());
        assert_eq!(check_value(&f, &Value::text("Écoles"))[0].code, "too-long");
        assert_eq!(check_value(&f, &Value::text("a\nb"))[0].code, "single-line");
        let long = Field::long_text("notes", "Notes", "Notes");
        assert!(check_value(&long, &Value::text("a\nb")).is_empty());
    }

    #[test]
    fn records_refuse_unknown_repeated_and_missing_required_fields() {
        let fields = [pupils(), Field::text("title", "Titre", "Title").required()];
        let values = [
            FieldValue::new("pupils", Value::Integer(3)),
            FieldValue::new("pupils", Value::Integer(4)),
            FieldValue::new("teachers", Value::Integer(1)),
            FieldValue::new("title", Value::text("  ")),
        ];
        let codes: Vec<String> = check_values(&fields, &values)
            .into_iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, ["repeated-field", "unknown-field", "required"]);
    }
}
