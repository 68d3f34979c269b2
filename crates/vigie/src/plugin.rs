//! `vigie plugin list|inspect|verify`.

use std::fmt::Write as _;

use anyhow::bail;
use vigie_config::Settings;
use vigie_plugins::{LoadedPlugin, PluginHost, PluginSource, wit};

use crate::PluginCommand;

pub fn run(settings: &Settings, cmd: PluginCommand) -> anyhow::Result<()> {
    match cmd {
        PluginCommand::List => {
            let host = vigie::load_plugins(settings)?;
            println!("TYPE\tVERSION\tINTERFACE\tSOURCE\tSHA-256\tNAME");
            for p in host.plugins() {
                let m = p.manifest();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{} / {}",
                    p.key(),
                    m.plugin_version,
                    p.interface_version(),
                    p.source(),
                    p.sha256(),
                    m.identity.plural_name.fr,
                    m.identity.plural_name.en
                );
            }
            Ok(())
        }
        PluginCommand::Inspect { key, json } => {
            let host = vigie::load_plugins(settings)?;
            let Some(p) = host.get(&key) else {
                bail!(
                    "no plugin for object type '{key}': loaded types are {}",
                    host.keys().join(", ")
                );
            };
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&vigie_plugins::to_api_json(p.manifest()))?
                );
            } else {
                print!("{}", describe(p));
            }
            Ok(())
        }
        PluginCommand::Verify => verify(settings),
    }
}

fn verify(settings: &Settings) -> anyhow::Result<()> {
    let mut host = PluginHost::new(vigie::plugin_limits(settings), None)?;
    println!("instance memory: {}", host.allocation());
    let mut problems = 0;
    let mut report =
        |name: &str, result: Result<std::sync::Arc<LoadedPlugin>, vigie_plugins::PluginError>| {
            match result
                .map_err(anyhow::Error::from)
                .and_then(|p| try_examples(&p).map(|()| p))
            {
                Ok(p) => println!(
                    "ok    {:<14} {} interface {} sha256 {}",
                    p.key(),
                    p.source(),
                    p.interface_version(),
                    p.sha256()
                ),
                Err(e) => {
                    problems += 1;
                    println!("FAIL  {name}: {e:#}");
                }
            }
        };
    for (name, bytes) in vigie_plugins::BUNDLED {
        let result = host.load(name, bytes, PluginSource::Bundled);
        report(name, result);
    }
    if !settings.plugins.dir.is_empty() {
        let dir = std::path::Path::new(&settings.plugins.dir);
        for result in host.load_dir(dir, &settings.plugins.pinned) {
            report(&settings.plugins.dir, result);
        }
    }
    if problems > 0 {
        bail!("{problems} plugin problem(s)");
    }
    println!("all plugins verified");
    Ok(())
}

/// A plugin's own examples must pass its own checks.
fn try_examples(p: &LoadedPlugin) -> anyhow::Result<()> {
    let m = p.manifest();
    for ex in &m.identifier.examples {
        if let Err(d) = p.normalize_identifier(ex)? {
            bail!("its identifier example '{ex}' is refused: {}", d.message.en);
        }
    }
    for ex in &m.vintage.examples {
        if let Err(d) = p.normalize_vintage(ex)? {
            bail!("its vintage example '{ex}' is refused: {}", d.message.en);
        }
    }
    Ok(())
}

fn kind(k: &wit::FieldKind) -> String {
    match k {
        wit::FieldKind::Integer => "integer".into(),
        wit::FieldKind::Decimal => "decimal".into(),
        wit::FieldKind::Text => "text".into(),
        wit::FieldKind::LongText => "long text".into(),
        wit::FieldKind::Boolean => "boolean".into(),
        wit::FieldKind::Choice(options) => format!(
            "choice of {}",
            options
                .iter()
                .map(|o| o.key.as_str())
                .collect::<Vec<_>>()
                .join("|")
        ),
        wit::FieldKind::Date => "date".into(),
        wit::FieldKind::DateTime => "date-time".into(),
        wit::FieldKind::Url => "url".into(),
    }
}

fn field_line(out: &mut String, f: &wit::Field) {
    let c = &f.constraints;
    let mut bounds = Vec::new();
    if c.required {
        bounds.push("required".to_owned());
    }
    if let Some(min) = c.min {
        bounds.push(format!("min {min}"));
    }
    if let Some(max) = c.max {
        bounds.push(format!("max {max}"));
    }
    if let Some(n) = c.max_length {
        bounds.push(format!("max {n} chars"));
    }
    let origin = match f.origin {
        wit::FieldOrigin::Official => "official",
        wit::FieldOrigin::Citizen => "citizen",
    };
    let unit = f
        .unit
        .as_ref()
        .map(|u| format!(" [{}]", u.fr))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "    {:<28} {:<9} {}{unit} — {} / {}{}",
        f.key,
        origin,
        kind(&f.kind),
        f.label.fr,
        f.label.en,
        if bounds.is_empty() {
            String::new()
        } else {
            format!(" ({})", bounds.join(", "))
        }
    );
}

fn describe(p: &LoadedPlugin) -> String {
    let m = p.manifest();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} / {} (plugin {}, interface vigie:object-type@{}, {})",
        m.identity.key,
        m.identity.plural_name.fr,
        m.identity.plural_name.en,
        m.plugin_version,
        p.interface_version(),
        p.source()
    );
    let _ = writeln!(out, "  {}", m.identity.description.fr);
    let _ = writeln!(out, "  {}", m.identity.description.en);
    let _ = writeln!(
        out,
        "identifier: {} ({} / {}), e.g. {}",
        m.identifier.key,
        m.identifier.label.fr,
        m.identifier.label.en,
        m.identifier.examples.join(", ")
    );
    let _ = writeln!(
        out,
        "vintage: {} / {}, e.g. {}",
        m.vintage.label.fr,
        m.vintage.label.en,
        m.vintage.examples.join(", ")
    );
    let _ = writeln!(out, "fields:");
    for g in &m.groups {
        let _ = writeln!(out, "  [{}] {} / {}", g.key, g.label.fr, g.label.en);
        for f in m
            .fields
            .iter()
            .filter(|f| f.group.as_deref() == Some(g.key.as_str()))
        {
            field_line(&mut out, f);
        }
    }
    for f in m.fields.iter().filter(|f| f.group.is_none()) {
        field_line(&mut out, f);
    }
    let _ = writeln!(out, "indicators:");
    for i in &m.indicators {
        let formula = match &i.formula {
            wit::Formula::Ratio(r) => format!(
                "{} × ({}) / ({})",
                r.scale,
                r.numerator.join(" + "),
                r.denominator.join(" + ")
            ),
            wit::Formula::Custom => "computed by the plugin".into(),
        };
        let _ = writeln!(
            out,
            "    {:<28} {} / {} = {formula}",
            i.key, i.label.fr, i.label.en
        );
    }
    let _ = writeln!(out, "request kinds:");
    for k in &m.request_kinds {
        let _ = writeln!(
            out,
            "  {} — {} / {} (urgency {}{}{}; categories: {})",
            k.key,
            k.label.fr,
            k.label.en,
            vigie_plugins::to_api_json(&k.default_urgency)
                .as_str()
                .unwrap_or_default(),
            if k.urgency_locked { ", locked" } else { "" },
            k.response_delay_months
                .map(|m| format!(", answer within {m} months"))
                .unwrap_or_default(),
            k.category_sets.join(", ")
        );
        for f in &k.fields {
            field_line(&mut out, f);
        }
    }
    let _ = writeln!(out, "category sets:");
    for s in &m.category_sets {
        let _ = writeln!(
            out,
            "  {} — {}: {}",
            s.key,
            s.label.fr,
            s.categories
                .iter()
                .map(|c| c.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(out, "map layers:");
    for l in &m.layers {
        let style = match &l.style {
            wit::LayerStyle::Single(c) => format!("single colour {c}"),
            wit::LayerStyle::Thresholds(t) => {
                format!("{} thresholds on {}", t.steps.len(), t.variable)
            }
            wit::LayerStyle::Categories(c) => {
                format!("{} categories of {}", c.cases.len(), c.variable)
            }
        };
        let _ = writeln!(
            out,
            "  {} — {} / {}: {style}",
            l.key, l.label.fr, l.label.en
        );
    }
    let _ = writeln!(out, "importers:");
    for i in &m.importers {
        let required: Vec<&str> = i
            .columns
            .iter()
            .filter(|c| c.required)
            .filter_map(|c| c.names.first().map(String::as_str))
            .collect();
        let _ = writeln!(
            out,
            "  {} — {} / {} (recognised by: {}); {}",
            i.key,
            i.label.fr,
            i.label.en,
            required.join(", "),
            i.attribution
        );
    }
    out
}
