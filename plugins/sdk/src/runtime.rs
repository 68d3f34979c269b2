//! The generic part of every exported function; `export_plugin!` calls these
//! with the plugin type and its cached manifest.

use crate::check::{check_value, check_values};
use crate::l10n::{quote_en, quote_fr};
use crate::{
    Cell, Diagnostic, FieldOrigin, FieldValue, Formula, ImportedObject, IndicatorValue, Manifest,
    ObjectType, Record, Row, Value,
};

pub(crate) fn unknown_importer(key: &str) -> Diagnostic {
    Diagnostic::error(
        "unknown-importer",
        format!("Aucun import nommé {} pour ce type d'objet.", quote_fr(key)),
        format!("No importer named {} for this object type.", quote_en(key)),
    )
}

/// `normalize-vintage`: the plugin's rule for the manifest's vintage kind.
pub fn normalize_vintage<T: ObjectType>(m: &Manifest, raw: &str) -> Result<String, Diagnostic> {
    T::normalize_vintage(m.vintage.kind, raw)
}

/// `validate-field`: descriptor checks, then the plugin's own.
pub fn validate_field<T: ObjectType>(m: &Manifest, key: &str, value: &Value) -> Vec<Diagnostic> {
    let Some(field) = m.find_field(key) else {
        return vec![
            Diagnostic::error(
                "unknown-field",
                format!("Champ inconnu\u{a0}: {}.", quote_fr(key)),
                format!("Unknown field: {}.", quote_en(key)),
            )
            .on(key),
        ];
    };
    let mut out = check_value(field, value);
    if out.is_empty() {
        out.extend(T::check_field(key, value));
    }
    out
}

/// `validate-record`: the vintage, every value, required fields, then the
/// plugin's rules across fields.
pub fn validate_record<T: ObjectType>(
    m: &Manifest,
    vintage: &str,
    values: &[FieldValue],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Err(mut d) = T::normalize_vintage(m.vintage.kind, vintage) {
        d.field = None;
        out.push(d);
    }
    out.extend(check_values(&m.fields, values));
    for fv in values {
        if let Some(field) = m.find_field(&fv.key)
            && check_value(field, &fv.value).is_empty()
        {
            out.extend(T::check_field(&fv.key, &fv.value));
        }
    }
    out.extend(T::check_record(&Record::new(vintage, values)));
    out
}

/// `compute-indicators`: declared ratios, then the plugin's custom ones;
/// values that are not finite are dropped.
pub fn compute_indicators<T: ObjectType>(
    m: &Manifest,
    vintage: &str,
    values: &[FieldValue],
) -> Vec<IndicatorValue> {
    let record = Record::new(vintage, values);
    let sum = |keys: &[String]| -> Option<f64> {
        keys.iter().map(|k| record.number(k)).sum::<Option<f64>>()
    };
    let mut out = Vec::new();
    for indicator in &m.indicators {
        if let Formula::Ratio(ratio) = &indicator.formula
            && let (Some(num), Some(den)) = (sum(&ratio.numerator), sum(&ratio.denominator))
            && den != 0.0
        {
            out.push(IndicatorValue {
                key: indicator.key.clone(),
                value: ratio.scale * num / den,
            });
        }
    }
    out.extend(T::custom_indicators(&record));
    out.retain(|v| v.value.is_finite());
    out
}

/// `validate-request`: the kind's extra fields, then the plugin's rules.
pub fn validate_request<T: ObjectType>(
    m: &Manifest,
    kind: &str,
    values: &[FieldValue],
) -> Vec<Diagnostic> {
    let Some(request_kind) = m.find_request_kind(kind) else {
        return vec![Diagnostic::error(
            "unknown-request-kind",
            format!("Type de demande inconnu\u{a0}: {}.", quote_fr(kind)),
            format!("Unknown request kind: {}.", quote_en(kind)),
        )];
    };
    let mut out = check_values(&request_kind.fields, values);
    out.extend(T::check_request(kind, &Record::new("", values)));
    out
}

/// `import-row`: the plugin's mapping, then the identifier and vintage
/// normalised and every fact checked against an official field (facts that
/// do not fit are dropped with a warning, a bad position likewise).
pub fn import_row<T: ObjectType>(
    m: &Manifest,
    importer: &str,
    cells: Vec<Cell>,
) -> Result<ImportedObject, Diagnostic> {
    if m.find_importer(importer).is_none() {
        return Err(unknown_importer(importer));
    }
    let row = Row::new(cells);
    let mut object = T::import_row(importer, &row)?;
    object.identifier = T::normalize_identifier(&object.identifier)?;
    if let Some(vintage) = &object.vintage {
        object.vintage = Some(T::normalize_vintage(m.vintage.kind, vintage)?);
    }
    if let Some(point) = object.location {
        let valid = (-90.0..=90.0).contains(&point.lat)
            && (-180.0..=180.0).contains(&point.lon)
            && !(point.lat == 0.0 && point.lon == 0.0);
        if !valid {
            object.location = None;
            object.warnings.push(Diagnostic::warning(
                "invalid-position",
                format!(
                    "Position ignorée, hors des limites\u{a0}: {}, {}.",
                    point.lat, point.lon
                ),
                format!(
                    "Position ignored, out of range: {}, {}.",
                    point.lat, point.lon
                ),
            ));
        }
    }
    if let Some(date) = object.opened_on.take() {
        if crate::check::parse_date(&date).is_some() {
            object.opened_on = Some(date);
        } else {
            object.warnings.push(Diagnostic::warning(
                "invalid-opening-date",
                format!(
                    "Date d'ouverture ignorée (attendu AAAA-MM-JJ)\u{a0}: «\u{a0}{date}\u{a0}»."
                ),
                format!("Opening date ignored (expected YYYY-MM-DD): “{date}”."),
            ));
        }
    }
    let facts = std::mem::take(&mut object.facts);
    let mut seen = std::collections::HashSet::new();
    for fact in facts {
        let problem = match m.find_field(&fact.key) {
            None => Some(Diagnostic::warning(
                "fact-dropped",
                format!(
                    "Donnée ignorée\u{a0}: champ inconnu {}.",
                    quote_fr(&fact.key)
                ),
                format!("Fact dropped: unknown field {}.", quote_en(&fact.key)),
            )),
            Some(field) if field.origin != FieldOrigin::Official => Some(Diagnostic::warning(
                "fact-dropped",
                format!(
                    "Donnée ignorée\u{a0}: {} est un champ citoyen.",
                    quote_fr(&field.label.fr)
                ),
                format!(
                    "Fact dropped: {} is a citizen field.",
                    quote_en(&field.label.en)
                ),
            )),
            Some(_) if !seen.insert(fact.key.clone()) => Some(Diagnostic::warning(
                "fact-dropped",
                format!(
                    "Donnée ignorée\u{a0}: {} est donné deux fois.",
                    quote_fr(&fact.key)
                ),
                format!("Fact dropped: {} is given twice.", quote_en(&fact.key)),
            )),
            Some(field) => check_value(field, &fact.value).into_iter().next().map(|d| {
                Diagnostic::warning(
                    "fact-dropped",
                    format!("Donnée ignorée\u{a0}: {}", d.message.fr),
                    format!("Fact dropped: {}", d.message.en),
                )
            }),
        };
        match problem {
            Some(warning) => object.warnings.push(warning.on(&fact.key)),
            None => object.facts.push(fact),
        }
    }
    Ok(object)
}
