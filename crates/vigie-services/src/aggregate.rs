//! Joint analysis: a number field of a type (or the ratio of two) aggregated over the
//! collective's places, per arrondissement, per option of a choice field, or over all places,
//! for one vintage or for each. Only accepted facts count; places without a value are counted
//! as such (see [`vigie_domain::aggregate`] for the statistics and the ratio's definition).

use serde::Serialize;
use vigie_domain::aggregate::{GroupStats, Grouping, Observation, aggregate};
use vigie_domain::{DomainError, ObjectTypeKey};
use vigie_plugins::wit;
use vigie_storage::Tenant;

use crate::objects::decode_value;
use crate::{ServiceError, Services};

/// What an aggregate asks for, as the query string gives it.
#[derive(Debug, Clone, Default)]
pub struct AggregateQuery {
    /// The type of place.
    pub object_type: String,
    /// A number field of the type.
    pub field: String,
    /// A second number field: the aggregate is then of `field ÷ over`.
    pub over: Option<String>,
    /// A vintage, `all` (each vintage with values), or none (the newest vintage with values).
    pub vintage: Option<String>,
    /// `all` (default), `arrondissement`, or a choice (or yes/no) field of the type.
    pub group: Option<String>,
}

/// A field, as the analysis names it.
#[derive(Debug, Clone, Serialize)]
pub struct AggregateField {
    /// Its key.
    pub key: String,
    /// Its name.
    pub label: wit::Localized,
    /// Its unit.
    pub unit: Option<wit::Localized>,
}

/// A group's name.
#[derive(Debug, Clone, Serialize)]
pub struct GroupLabel {
    /// The group's key.
    pub key: String,
    /// Its name.
    pub label: wit::Localized,
}

/// The statistics of one vintage.
#[derive(Debug, Clone, Serialize)]
pub struct VintageStats {
    /// The vintage.
    pub vintage: String,
    /// Per group, in order of their keys; places without a group value last (`group: null`).
    pub groups: Vec<GroupStats>,
    /// Over every place.
    pub total: GroupStats,
}

/// An aggregate's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    /// The type of place.
    pub object_type: String,
    /// What `field` is: `field` (a number field of the type), `ratio-indicator` (a plugin's
    /// indicator declared as a ratio of fields: aggregated as one, sums divided, then
    /// scaled) or `indicator` (computed by the plugin for each place).
    pub measure: &'static str,
    /// The field, or the indicator.
    pub field: AggregateField,
    /// The divisor, for a ratio.
    pub over: Option<AggregateField>,
    /// How places are grouped.
    pub group: String,
    /// The names of the groups met.
    pub group_labels: Vec<GroupLabel>,
    /// Every vintage in which the field has an accepted value, oldest first.
    pub vintages_available: Vec<String>,
    /// The statistics, one vintage (the one asked) or each (`vintage=all`), oldest first.
    pub vintages: Vec<VintageStats>,
}

fn invalid(field: &'static str, en: impl Into<String>, fr: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

/// A stored value as a number: integers and decimals; anything else is no number.
#[allow(clippy::cast_precision_loss)]
fn number(stored: &str) -> Option<f64> {
    match decode_value(stored)? {
        wit::Value::Integer(n) => Some(n as f64),
        wit::Value::Decimal(d) if d.is_finite() => Some(d),
        _ => None,
    }
}

/// A stored value as a group key: a choice's key, `true` / `false`.
fn group_key(stored: &str) -> Option<String> {
    match decode_value(stored)? {
        wit::Value::Choice(c) => Some(c),
        wit::Value::Boolean(b) => Some(b.to_string()),
        wit::Value::Text(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
        _ => None,
    }
}

fn localized(fr: impl Into<String>, en: impl Into<String>) -> wit::Localized {
    wit::Localized {
        fr: fr.into(),
        en: en.into(),
    }
}

/// The name of a commune's INSEE code: the arrondissements of Marseille, Lyon and Paris by
/// their number, others by their code.
pub fn arrondissement_label(code: &str) -> wit::Localized {
    let n: Option<u32> = code.parse().ok();
    let (city, nth) = match n {
        Some(c @ 13201..=13216) => ("Marseille", c - 13200),
        Some(c @ 69381..=69389) => ("Lyon", c - 69380),
        Some(c @ 75101..=75120) => ("Paris", c - 75100),
        _ => return localized(code, code),
    };
    let (fr, en) = if nth == 1 {
        ("1er".to_owned(), "1st".to_owned())
    } else {
        let en = match nth {
            2 => "2nd".to_owned(),
            3 => "3rd".to_owned(),
            n => format!("{n}th"),
        };
        (format!("{nth}e"), en)
    };
    localized(
        format!("{city} {fr} ({code})"),
        format!("{city} {en} ({code})"),
    )
}

fn number_field(
    fields: &[wit::Field],
    key: &str,
    param: &'static str,
) -> Result<AggregateField, ServiceError> {
    let numbers: Vec<&str> = fields
        .iter()
        .filter(|f| matches!(f.kind, wit::FieldKind::Integer | wit::FieldKind::Decimal))
        .map(|f| f.key.as_str())
        .collect();
    match fields.iter().find(|f| f.key == key) {
        Some(f) if matches!(f.kind, wit::FieldKind::Integer | wit::FieldKind::Decimal) => {
            Ok(AggregateField {
                key: f.key.clone(),
                label: f.label.clone(),
                unit: f.unit.clone(),
            })
        }
        found => {
            let what_en = if found.is_some() {
                "is not a number field"
            } else {
                "is no field of this type"
            };
            let what_fr = if found.is_some() {
                "n'est pas un champ numérique"
            } else {
                "n'est pas un champ de ce type"
            };
            Err(invalid(
                param,
                format!(
                    "'{key}' {what_en}; the number fields are: {}",
                    numbers.join(", ")
                ),
                format!(
                    "« {key} » {what_fr} ; les champs numériques sont : {}",
                    numbers.join(", ")
                ),
            ))
        }
    }
}

impl Services {
    /// The fields of a type in a collective (its plugin's and those its Garants added).
    async fn analysed_fields(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<Vec<wit::Field>, ServiceError> {
        let schema = self.object_schema(tenant, key).await?;
        let mut fields = schema.plugin.manifest().fields.clone();
        fields.extend(schema.added.into_iter().map(|(_, f)| f));
        Ok(fields)
    }

    /// The fields an analysis can be made of (numbers) and grouped by (choices, yes/no), in
    /// the type's order.
    pub async fn aggregate_fields(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<(Vec<AggregateField>, Vec<AggregateField>), ServiceError> {
        let mut numbers = Vec::new();
        let mut groups = Vec::new();
        for f in self.analysed_fields(tenant, key).await? {
            let a = AggregateField {
                key: f.key.clone(),
                label: f.label.clone(),
                unit: f.unit.clone(),
            };
            match f.kind {
                wit::FieldKind::Integer | wit::FieldKind::Decimal => numbers.push(a),
                wit::FieldKind::Choice(_) | wit::FieldKind::Boolean => groups.push(a),
                wit::FieldKind::Text if sector_text(&f) => groups.push(a),
                _ => {}
            }
        }
        Ok((numbers, groups))
    }

    /// The derived indicators of a type an analysis can be made of (the plugin's), in its
    /// order.
    pub fn aggregate_indicators(
        &self,
        key: &ObjectTypeKey,
    ) -> Result<Vec<AggregateField>, ServiceError> {
        Ok(self
            .plugin(key)?
            .manifest()
            .indicators
            .iter()
            .map(indicator_field)
            .collect())
    }

    /// A field (or a ratio of two), or a plugin's derived indicator, aggregated over the
    /// collective's places of a type.
    pub async fn aggregate(
        &self,
        tenant: &Tenant,
        q: &AggregateQuery,
    ) -> Result<Aggregate, ServiceError> {
        let key = ObjectTypeKey::parse(q.object_type.trim()).map_err(|_| {
            invalid(
                "type",
                format!(
                    "give the type of place, type=…: one of {}",
                    type_names(tenant)
                ),
                format!(
                    "Indiquez le type de lieu, type=… : l'un de {}",
                    type_names(tenant)
                ),
            )
        })?;
        let fields = self.analysed_fields(tenant, &key).await?;
        let plugin = self.plugin(&key)?;
        let asked_over = q.over.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let indicator = plugin
            .manifest()
            .indicators
            .iter()
            .find(|i| i.key == q.field.trim())
            .cloned();
        // What is read of each place: a field (÷ another), or an indicator's own fields.
        let (measure, field, over, reads, scale) = match &indicator {
            None => {
                let field = number_field(&fields, q.field.trim(), "field")?;
                let over = match asked_over {
                    Some(o) => Some(number_field(&fields, o, "over")?),
                    None => None,
                };
                let reads = Reads::Fields(field.key.clone(), over.as_ref().map(|o| o.key.clone()));
                ("field", field, over, reads, 1.0)
            }
            Some(i) => {
                if asked_over.is_some() {
                    return Err(invalid(
                        "over",
                        format!(
                            "'{}' is an indicator: it is already a ratio, leave over= out",
                            i.key
                        ),
                        format!(
                            "« {} » est un indicateur : c'est déjà un rapport, retirez over=",
                            i.key
                        ),
                    ));
                }
                match &i.formula {
                    wit::Formula::Ratio(r)
                        if r.numerator.len() == 1 && r.denominator.len() == 1 =>
                    {
                        (
                            "ratio-indicator",
                            indicator_field(i),
                            None,
                            Reads::Fields(r.numerator[0].clone(), Some(r.denominator[0].clone())),
                            r.scale,
                        )
                    }
                    _ => (
                        "indicator",
                        indicator_field(i),
                        None,
                        Reads::Indicator(i.key.clone()),
                        1.0,
                    ),
                }
            }
        };
        let grouping = Grouping::parse(q.group.as_deref());
        let mut group_labels = Vec::new();
        if let Grouping::Field(g) = &grouping {
            let choices: Vec<&str> = fields
                .iter()
                .filter(|f| {
                    matches!(f.kind, wit::FieldKind::Choice(_) | wit::FieldKind::Boolean)
                        || sector_text(f)
                })
                .map(|f| f.key.as_str())
                .collect();
            match fields.iter().find(|f| &f.key == g).map(|f| &f.kind) {
                Some(wit::FieldKind::Choice(options)) => {
                    group_labels.extend(options.iter().map(|o| GroupLabel {
                        key: o.key.clone(),
                        label: o.label.clone(),
                    }));
                }
                // An official text (the education district): its groups are the values met.
                Some(wit::FieldKind::Text)
                    if fields.iter().any(|f| &f.key == g && sector_text(f)) => {}
                Some(wit::FieldKind::Boolean) => {
                    group_labels.push(GroupLabel {
                        key: "true".into(),
                        label: localized("Oui", "Yes"),
                    });
                    group_labels.push(GroupLabel {
                        key: "false".into(),
                        label: localized("Non", "No"),
                    });
                }
                _ => {
                    return Err(invalid(
                        "group",
                        format!(
                            "cannot group by '{g}': use all, arrondissement or a choice field \
                             ({})",
                            choices.join(", ")
                        ),
                        format!(
                            "Impossible de regrouper par « {g} » : utilisez all, arrondissement \
                             ou un champ à choix ({})",
                            choices.join(", ")
                        ),
                    ));
                }
            }
        }
        let available = self
            .store
            .aggregate_vintages(
                tenant.id,
                key.as_str(),
                match &reads {
                    Reads::Fields(f, _) => f,
                    Reads::Indicator(_) => "",
                },
            )
            .await?;
        let asked = q
            .vintage
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let vintages = match asked {
            Some("all") => available.clone(),
            Some(v) => match plugin.normalize_vintage(v)? {
                Ok(n) => vec![n],
                Err(d) => {
                    return Err(invalid(
                        "vintage",
                        format!("{} (or vintage=all)", d.message.en),
                        format!("{} (ou vintage=all)", d.message.fr),
                    ));
                }
            },
            None => match available.last() {
                Some(newest) => vec![newest.clone()],
                None => vec![crate::objects::current_vintage(&plugin)?],
            },
        };
        let ratio = matches!(&reads, Reads::Fields(_, Some(_)));
        let mut out = Vec::with_capacity(vintages.len());
        for vintage in vintages {
            let mut observations = Vec::new();
            let mut places = Vec::new();
            let group_field = match &grouping {
                Grouping::Field(g) => Some(g.as_str()),
                _ => None,
            };
            let (value_field, over_field) = match &reads {
                Reads::Fields(f, o) => (f.as_str(), o.as_deref()),
                // No field has an indicator's key: this pass reads the places' groups only.
                Reads::Indicator(k) => (k.as_str(), None),
            };
            self.store
                .for_each_aggregate_row(
                    tenant.id,
                    vigie_storage::AggregateAsk {
                        object_type: key.as_str(),
                        vintage: &vintage,
                        field: value_field,
                        over: over_field,
                        group: group_field,
                    },
                    |row| {
                        places.push(row.object_id);
                        observations.push(Observation {
                            group: match &grouping {
                                Grouping::All => Some("all".into()),
                                Grouping::Arrondissement => {
                                    row.insee_code.filter(|c| !c.is_empty())
                                }
                                Grouping::Field(_) => row.group.as_deref().and_then(group_key),
                            },
                            value: row.value.as_deref().and_then(number),
                            over: row.over.as_deref().and_then(number),
                        })
                    },
                )
                .await?;
            if let Reads::Indicator(k) = &reads {
                let values = self
                    .indicator_values(tenant, &key, &plugin, &vintage, k)
                    .await?;
                for (o, place) in observations.iter_mut().zip(&places) {
                    o.value = values.get(place).copied();
                }
            }
            let (mut groups, mut total) = aggregate(observations, ratio);
            if scale != 1.0 {
                groups.iter_mut().for_each(|g| scaled(g, scale));
                scaled(&mut total, scale);
            }
            out.push(VintageStats {
                vintage,
                groups,
                total,
            });
        }
        match &grouping {
            Grouping::All => group_labels.push(GroupLabel {
                key: "all".into(),
                label: localized("Tous les lieux", "All places"),
            }),
            Grouping::Arrondissement => {
                let mut codes: Vec<&str> = out
                    .iter()
                    .flat_map(|v| v.groups.iter().filter_map(|g| g.group.as_deref()))
                    .collect();
                codes.sort_unstable();
                codes.dedup();
                group_labels.extend(codes.into_iter().map(|c| GroupLabel {
                    key: c.to_owned(),
                    label: arrondissement_label(c),
                }));
            }
            Grouping::Field(g) => {
                // Text groups are named by their values.
                if fields
                    .iter()
                    .any(|f| &f.key == g && matches!(f.kind, wit::FieldKind::Text))
                {
                    let mut names: Vec<&str> = out
                        .iter()
                        .flat_map(|v| v.groups.iter().filter_map(|x| x.group.as_deref()))
                        .collect();
                    names.sort_unstable();
                    names.dedup();
                    group_labels.extend(names.into_iter().map(|n| GroupLabel {
                        key: n.to_owned(),
                        label: localized(n, n),
                    }));
                }
            }
        }
        Ok(Aggregate {
            object_type: key.as_str().to_owned(),
            measure,
            field,
            over,
            group: grouping.as_str().to_owned(),
            group_labels,
            vintages_available: available,
            vintages: out,
        })
    }
}

/// Whether a text field may group places into sectors: an official one (from a referential,
/// such as the education district), whose values are few and stable — not a citizen's free
/// text.
fn sector_text(f: &wit::Field) -> bool {
    matches!(f.kind, wit::FieldKind::Text) && f.origin == wit::FieldOrigin::Official
}

/// What an aggregate reads of each place.
enum Reads {
    /// A number field, and the divisor field of a ratio.
    Fields(String, Option<String>),
    /// A plugin's indicator, computed for each place from its accepted values.
    Indicator(String),
}

/// An indicator, as the analysis names it.
fn indicator_field(i: &wit::Indicator) -> AggregateField {
    AggregateField {
        key: i.key.clone(),
        label: i.label.clone(),
        unit: i.unit.clone(),
    }
}

/// A ratio indicator's statistics at its scale (`× 100` for « pour 100 élèves »): the
/// ratio and the per-place values; the sums stay the fields' own.
fn scaled(g: &mut GroupStats, scale: f64) {
    for v in [
        &mut g.ratio,
        &mut g.mean,
        &mut g.median,
        &mut g.min,
        &mut g.max,
    ] {
        *v = v.map(|x| x * scale);
    }
}

impl Services {
    /// The value of indicator `key` for each place of a type that has one in `vintage`,
    /// computed by its plugin from the place's accepted values of that vintage.
    async fn indicator_values(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        plugin: &vigie_plugins::LoadedPlugin,
        vintage: &str,
        indicator: &str,
    ) -> Result<std::collections::HashMap<i64, f64>, ServiceError> {
        let own: std::collections::HashSet<&str> = plugin
            .manifest()
            .fields
            .iter()
            .map(|f| f.key.as_str())
            .collect();
        let mut records: std::collections::BTreeMap<
            i64,
            std::collections::BTreeMap<String, String>,
        > = std::collections::BTreeMap::new();
        self.store
            .for_each_accepted_value(tenant.id, key.as_str(), vintage, |object, field, value| {
                if own.contains(field.as_str()) {
                    records.entry(object).or_default().insert(field, value);
                }
            })
            .await?;
        let mut out = std::collections::HashMap::with_capacity(records.len());
        for (object, values) in records {
            let record: Vec<wit::FieldValue> = values
                .into_iter()
                .filter_map(|(key, stored)| {
                    decode_value(&stored).map(|value| wit::FieldValue { key, value })
                })
                .collect();
            match plugin.compute_indicators(vintage, &record) {
                Ok(computed) => {
                    if let Some(v) = computed
                        .into_iter()
                        .find(|c| c.key == indicator && c.value.is_finite())
                    {
                        out.insert(object, v.value);
                    }
                }
                Err(e) => tracing::warn!(error = %e, object, "indicator not computed"),
            }
        }
        Ok(out)
    }
}

fn type_names(tenant: &Tenant) -> String {
    tenant
        .object_types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrondissements_are_named() {
        assert_eq!(arrondissement_label("13201").fr, "Marseille 1er (13201)");
        assert_eq!(arrondissement_label("13216").en, "Marseille 16th (13216)");
        assert_eq!(arrondissement_label("13055").fr, "13055");
    }
}
