//! The collective page's map, filters and list: one form (GET, so that the URL is the view
//! and can be shared) whose parameters the server reads for the list and the script for the
//! map's tiles (`/api/v1/tenants/{slug}/map`). Without the script, the form, the legend and
//! the list work alone: the list is the map's accessible twin.

use minijinja::{Value, context};
use vigie_services::{MapFilter, MapIndex, VariableKind};

use crate::i18n::Lang;
use crate::objects::label;

/// The query parameters of a page, as pairs (a malformed query reads as none).
pub(crate) fn params(req: &poem::Request) -> Vec<(String, String)> {
    req.params::<Vec<(String, String)>>().unwrap_or_default()
}

/// The value of the parameter `name`, if given and not empty.
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.as_str())
}

/// The filter of a page's parameters.
pub(crate) fn filter(
    index: &MapIndex,
    pairs: &[(String, String)],
) -> Result<MapFilter, vigie_services::ServiceError> {
    index.filter(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// The page's query without `page` (and `lang`), to build the pager's links.
pub(crate) fn query_without_page(pairs: &[(String, String)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if k != "page" && k != "lang" && !v.trim().is_empty() {
            q.append_pair(k, v);
        }
    }
    q.finish()
}

/// The layer shown: the one asked for if the collective has it, else the default.
pub(crate) fn layer_key(index: &MapIndex, pairs: &[(String, String)]) -> Option<String> {
    param(pairs, "layer")
        .and_then(|k| index.layer(k))
        .or_else(|| index.default_layer())
        .map(|l| l.key.clone())
}

/// The form's controls (with the values of the page's parameters selected), the layers and
/// the chosen layer's legend.
pub(crate) fn context(lang: Lang, index: &MapIndex, pairs: &[(String, String)]) -> Value {
    let chosen = |name: &str, value: &str| pairs.iter().any(|(k, v)| k == name && v == value);
    let layer = layer_key(index, pairs);
    let layers: Vec<Value> = index
        .types
        .iter()
        .flat_map(|t| t.layers.iter())
        .map(|l| {
            context! {
                key => &l.key, label => label(lang, &l.label),
                selected => layer.as_deref() == Some(l.key.as_str()),
            }
        })
        .collect();
    let legend: Vec<Value> = layer
        .as_deref()
        .and_then(|k| index.layer(k))
        .map(|l| {
            // The last class (« other kinds of places ») only matters with several types.
            let shown = if index.types.len() > 1 {
                l.legend.len()
            } else {
                l.legend.len() - 1
            };
            l.legend[..shown]
                .iter()
                .map(|c| context! { color => &c.color, label => label(lang, &c.label) })
                .collect()
        })
        .unwrap_or_default();
    let mut choices = Vec::new();
    let mut numbers = Vec::new();
    for t in &index.types {
        let prefix = if index.types.len() > 1 {
            format!("{} — ", label(lang, &t.name))
        } else {
            String::new()
        };
        for v in &t.variables {
            let name = format!("{}.{}", t.key, v.key);
            let options: Vec<Value> = match &v.kind {
                VariableKind::Number => {
                    numbers.push(context! {
                        key => &name,
                        label => format!("{prefix}{}", label(lang, &v.label)),
                        selected => chosen("num", &name),
                    });
                    continue;
                }
                VariableKind::Boolean => [("true", "yes"), ("false", "no")]
                    .iter()
                    .map(|(value, word)| {
                        context! { key => value, label => lang.t(word), selected => chosen(&name, value) }
                    })
                    .collect(),
                VariableKind::Choice(options) => options
                    .iter()
                    .map(|o| {
                        context! {
                            key => &o.key, label => label(lang, &o.label),
                            selected => chosen(&name, &o.key),
                        }
                    })
                    .collect(),
            };
            choices.push(context! {
                name => &name, label => format!("{prefix}{}", label(lang, &v.label)),
                options => options,
            });
        }
    }
    let types: Vec<Value> = index
        .types
        .iter()
        .map(|t| context! { key => &t.key, label => label(lang, &t.plural), selected => chosen("type", &t.key) })
        .collect();
    let statuses: Vec<Value> = vigie_domain::requests::RequestStatus::ALL
        .iter()
        .map(|s| {
            context! {
                key => s.as_str(),
                label => match lang { Lang::Fr => s.label_fr(), Lang::En => s.as_str() },
                selected => chosen("status", s.as_str()),
            }
        })
        .collect();
    let given = |name: &str| param(pairs, name).unwrap_or_default().to_owned();
    // Open the filters when any is set (the layer and the search box are outside them).
    let active = pairs.iter().any(|(k, v)| {
        !v.trim().is_empty() && !matches!(k.as_str(), "layer" | "q" | "page" | "lang")
    });
    context! {
        layers => layers, layer => layer, legend => legend, choices => choices,
        numbers => numbers, types => types, statuses => statuses,
        several_types => index.types.len() > 1,
        q => given("q"), min => given("min"), max => given("max"), open => given("open"),
        active => active,
    }
}
