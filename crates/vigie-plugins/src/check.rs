//! What the host checks of a plugin's answers: a manifest that breaks the interface's rules is
//! refused at load time with every problem listed; a call's answer that does is a failed call.

use std::collections::HashSet;

use crate::wit;

fn is_key(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Choice options are stored values and may be numeric codes (e.g. nature `151`).
fn is_option_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn localized(problems: &mut Vec<String>, what: &str, l: &wit::Localized) {
    if l.fr.trim().is_empty() || l.en.trim().is_empty() {
        problems.push(format!(
            "{what}: both the French and the English text are required"
        ));
    }
}

fn unique<'a>(problems: &mut Vec<String>, what: &str, keys: impl Iterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for k in keys {
        if !is_key(k) {
            problems.push(format!(
                "{what} key '{k}' is not of the form [a-z][a-z0-9-]*"
            ));
        }
        if !seen.insert(k) {
            problems.push(format!("{what} key '{k}' is declared twice"));
        }
    }
}

fn fields(
    problems: &mut Vec<String>,
    what: &str,
    list: &[wit::Field],
    groups: Option<&HashSet<&str>>,
) {
    unique(problems, what, list.iter().map(|f| f.key.as_str()));
    for f in list {
        localized(problems, &format!("{what} '{}' label", f.key), &f.label);
        if let wit::FieldKind::Choice(options) = &f.kind {
            if options.is_empty() {
                problems.push(format!("{what} '{}' is a choice without options", f.key));
            }
            let mut seen = HashSet::new();
            for o in options {
                if !is_option_key(&o.key) {
                    problems.push(format!(
                        "option '{}' of '{}' is not of the form [a-z0-9-]+",
                        o.key, f.key
                    ));
                }
                if !seen.insert(o.key.as_str()) {
                    problems.push(format!(
                        "option '{}' of '{}' is declared twice",
                        o.key, f.key
                    ));
                }
                localized(
                    problems,
                    &format!("option '{}' of '{}'", o.key, f.key),
                    &o.label,
                );
            }
        }
        if let (Some(min), Some(max)) = (f.constraints.min, f.constraints.max)
            && min > max
        {
            problems.push(format!("{what} '{}' has min {min} above max {max}", f.key));
        }
        if let (Some(groups), Some(g)) = (groups, &f.group)
            && !groups.contains(g.as_str())
        {
            problems.push(format!(
                "{what} '{}' is in group '{g}', which is not declared",
                f.key
            ));
        }
    }
}

/// Every problem of a manifest (empty: it is sound).
pub fn manifest(m: &wit::PluginManifest) -> Vec<String> {
    let mut p = Vec::new();
    let id = &m.identity;
    if !is_key(&id.key) {
        p.push(format!(
            "type key '{}' is not of the form [a-z][a-z0-9-]*",
            id.key
        ));
    }
    if vigie_domain::ObjectTypeKey::parse(&id.key).is_err() {
        p.push(format!(
            "type key '{}' is not a valid object type key",
            id.key
        ));
    }
    localized(&mut p, "name", &id.name);
    localized(&mut p, "plural name", &id.plural_name);
    localized(&mut p, "description", &id.description);
    if !is_color(&id.color) {
        p.push(format!("colour '{}' is not #rrggbb", id.color));
    }
    if m.plugin_version.split('.').count() != 3
        || m.plugin_version
            .split('.')
            .any(|n| n.parse::<u64>().is_err())
    {
        p.push(format!(
            "plugin version '{}' is not MAJOR.MINOR.PATCH",
            m.plugin_version
        ));
    }
    localized(&mut p, "identifier label", &m.identifier.label);
    localized(&mut p, "vintage label", &m.vintage.label);

    unique(&mut p, "group", m.groups.iter().map(|g| g.key.as_str()));
    let groups: HashSet<&str> = m.groups.iter().map(|g| g.key.as_str()).collect();
    fields(&mut p, "field", &m.fields, Some(&groups));
    let field_keys: HashSet<&str> = m.fields.iter().map(|f| f.key.as_str()).collect();

    unique(
        &mut p,
        "indicator",
        m.indicators.iter().map(|i| i.key.as_str()),
    );
    for i in &m.indicators {
        localized(&mut p, &format!("indicator '{}' label", i.key), &i.label);
        if let wit::Formula::Ratio(r) = &i.formula {
            if r.numerator.is_empty() || r.denominator.is_empty() {
                p.push(format!(
                    "indicator '{}' needs a numerator and a denominator",
                    i.key
                ));
            }
            for k in r.numerator.iter().chain(&r.denominator) {
                if !field_keys.contains(k.as_str()) {
                    p.push(format!("indicator '{}' uses unknown field '{k}'", i.key));
                }
            }
        }
    }
    let variables: HashSet<&str> = field_keys
        .iter()
        .copied()
        .chain(m.indicators.iter().map(|i| i.key.as_str()))
        .collect();

    unique(
        &mut p,
        "category set",
        m.category_sets.iter().map(|c| c.key.as_str()),
    );
    for set in &m.category_sets {
        unique(
            &mut p,
            &format!("category of '{}'", set.key),
            set.categories.iter().map(|c| c.key.as_str()),
        );
    }
    let sets: HashSet<&str> = m.category_sets.iter().map(|c| c.key.as_str()).collect();
    unique(
        &mut p,
        "request kind",
        m.request_kinds.iter().map(|k| k.key.as_str()),
    );
    for k in &m.request_kinds {
        localized(&mut p, &format!("request kind '{}' label", k.key), &k.label);
        for s in &k.category_sets {
            if !sets.contains(s.as_str()) {
                p.push(format!(
                    "request kind '{}' uses unknown category set '{s}'",
                    k.key
                ));
            }
        }
        fields(
            &mut p,
            &format!("field of request kind '{}'", k.key),
            &k.fields,
            None,
        );
    }

    unique(&mut p, "layer", m.layers.iter().map(|l| l.key.as_str()));
    for l in &m.layers {
        localized(&mut p, &format!("layer '{}' label", l.key), &l.label);
        match &l.style {
            wit::LayerStyle::Single(c) if !is_color(c) => {
                p.push(format!("layer '{}' colour '{c}' is not #rrggbb", l.key));
            }
            wit::LayerStyle::Thresholds(t) => {
                if !variables.contains(t.variable.as_str()) {
                    p.push(format!(
                        "layer '{}' colours by unknown variable '{}'",
                        l.key, t.variable
                    ));
                }
                if t.steps.is_empty() {
                    p.push(format!("layer '{}' has no threshold steps", l.key));
                }
                let colors = t
                    .steps
                    .iter()
                    .map(|s| s.color.as_str())
                    .chain([t.missing_color.as_str()]);
                for c in colors.filter(|c| !is_color(c)) {
                    p.push(format!("layer '{}' colour '{c}' is not #rrggbb", l.key));
                }
            }
            wit::LayerStyle::Categories(c) => {
                if !field_keys.contains(c.variable.as_str()) {
                    p.push(format!(
                        "layer '{}' colours by unknown field '{}'",
                        l.key, c.variable
                    ));
                }
                let colors = c
                    .cases
                    .iter()
                    .map(|s| s.color.as_str())
                    .chain([c.other_color.as_str()]);
                for col in colors.filter(|c| !is_color(c)) {
                    p.push(format!("layer '{}' colour '{col}' is not #rrggbb", l.key));
                }
            }
            wit::LayerStyle::Single(_) => {}
        }
    }

    unique(
        &mut p,
        "importer",
        m.importers.iter().map(|i| i.key.as_str()),
    );
    for i in &m.importers {
        if !i.columns.iter().any(|c| c.required) {
            p.push(format!(
                "importer '{}' has no required column to recognise its dataset",
                i.key
            ));
        }
        if i.columns.iter().any(|c| c.names.is_empty()) {
            p.push(format!("importer '{}' has a column without a name", i.key));
        }
    }
    p
}

/// A diagnostic must say something in both languages.
pub fn diagnostic(d: &wit::Diagnostic) -> Result<(), String> {
    if d.code.trim().is_empty() {
        return Err("a diagnostic has no code".into());
    }
    if d.message.fr.trim().is_empty() || d.message.en.trim().is_empty() {
        return Err(format!("diagnostic '{}' has an empty message", d.code));
    }
    Ok(())
}

/// An imported object must name itself, sit on Earth and use declared fields.
pub fn imported(m: &wit::PluginManifest, o: &wit::ImportedObject) -> Result<(), String> {
    if o.identifier.trim().is_empty() {
        return Err("an imported object has no identifier".into());
    }
    if let Some(g) = &o.location
        && !((-90.0..=90.0).contains(&g.lat) && (-180.0..=180.0).contains(&g.lon))
    {
        return Err(format!("location {}, {} is not WGS84", g.lat, g.lon));
    }
    for f in &o.facts {
        if !m.fields.iter().any(|d| d.key == f.key) {
            return Err(format!("fact for unknown field '{}'", f.key));
        }
    }
    for w in &o.warnings {
        diagnostic(w)?;
    }
    Ok(())
}

/// Every problem of a citizen field a Garant adds to a plugin's schema: the same rules as the
/// plugin's own fields, citizen origin only, and a key no other field of the type uses.
pub fn extension(m: &wit::PluginManifest, existing: &[wit::Field], f: &wit::Field) -> Vec<String> {
    let mut p = Vec::new();
    let groups: HashSet<&str> = m.groups.iter().map(|g| g.key.as_str()).collect();
    fields(&mut p, "field", std::slice::from_ref(f), Some(&groups));
    if f.origin != wit::FieldOrigin::Citizen {
        p.push("only citizen fields can be added; official fields are the plugin's".into());
    }
    if m.fields.iter().any(|o| o.key == f.key) {
        p.push(format!(
            "'{}' is already a field of the {} plugin",
            f.key, m.identity.key
        ));
    }
    if existing.iter().any(|o| o.key == f.key) {
        p.push(format!("'{}' was already added to this type here", f.key));
    }
    p
}

/// Checks one value against a field descriptor the host holds itself (the citizen fields
/// Garants add, which the plugin does not know): kind, bounds, options, length. `None`: fine.
pub fn value(f: &wit::Field, v: &wit::Value) -> Option<wit::Diagnostic> {
    let problem = |code: &str, fr: String, en: String| {
        Some(wit::Diagnostic {
            field: Some(f.key.clone()),
            severity: wit::Severity::Error,
            code: code.to_owned(),
            message: wit::Localized { fr, en },
        })
    };
    let number = match (&f.kind, v) {
        (wit::FieldKind::Integer, wit::Value::Integer(i)) => Some(*i as f64),
        (wit::FieldKind::Decimal, wit::Value::Integer(i)) => Some(*i as f64),
        (wit::FieldKind::Decimal, wit::Value::Decimal(d)) if d.is_finite() => Some(*d),
        (wit::FieldKind::Text | wit::FieldKind::LongText, wit::Value::Text(t)) => {
            let n = t.chars().count() as u32;
            if let Some(max) = f.constraints.max_length
                && n > max
            {
                return problem(
                    "too-long",
                    format!("« {} » : {n} caractères, au plus {max}", f.label.fr),
                    format!("\"{}\": {n} characters, at most {max}", f.label.en),
                );
            }
            return None;
        }
        (wit::FieldKind::Boolean, wit::Value::Boolean(_)) => return None,
        (wit::FieldKind::Choice(options), wit::Value::Choice(c)) => {
            if options.iter().any(|o| &o.key == c) {
                return None;
            }
            let keys: Vec<&str> = options.iter().map(|o| o.key.as_str()).collect();
            return problem(
                "unknown-option",
                format!(
                    "« {c} » n'est pas une option de « {} » ({})",
                    f.label.fr,
                    keys.join(", ")
                ),
                format!(
                    "'{c}' is not an option of \"{}\" ({})",
                    f.label.en,
                    keys.join(", ")
                ),
            );
        }
        (wit::FieldKind::Date, wit::Value::Date(d)) => {
            let ok = d.len() == 10
                && d.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            return if ok {
                None
            } else {
                problem(
                    "bad-date",
                    format!("date « {d} » : écrire AAAA-MM-JJ"),
                    format!("date '{d}': write YYYY-MM-DD"),
                )
            };
        }
        (wit::FieldKind::DateTime, wit::Value::DateTime(_)) => return None,
        (wit::FieldKind::Url, wit::Value::Url(u)) => {
            return if u.starts_with("https://") || u.starts_with("http://") {
                None
            } else {
                problem(
                    "bad-url",
                    format!("adresse « {u} » : commencer par https://"),
                    format!("address '{u}': start with https://"),
                )
            };
        }
        _ => {
            return problem(
                "wrong-kind",
                format!("« {} » n'attend pas ce type de valeur", f.label.fr),
                format!("\"{}\" does not take this kind of value", f.label.en),
            );
        }
    };
    let n = number?;
    if f.constraints.min.is_some_and(|min| n < min) || f.constraints.max.is_some_and(|max| n > max)
    {
        let range = format!(
            "{} – {}",
            f.constraints.min.map_or("…".into(), |m| m.to_string()),
            f.constraints.max.map_or("…".into(), |m| m.to_string())
        );
        return problem(
            "out-of-range",
            format!("« {} » : {n} hors de l'intervalle {range}", f.label.fr),
            format!("\"{}\": {n} is outside {range}", f.label.en),
        );
    }
    None
}
