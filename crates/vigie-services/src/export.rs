//! Open data: a collective's datasets, page by page, as the public sees them (see
//! [`vigie_domain::export`] for the columns). The HTTP edge streams the pages as CSV, JSON or
//! GeoJSON; nothing here knows a format, and no row is built from anything but public data.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use vigie_domain::ObjectTypeKey;
use vigie_domain::export::Dataset;
use vigie_domain::requests::RequestStatus;
use vigie_plugins::to_api_json;
use vigie_storage::{ReadScope, Tenant};

use crate::objects::decode_value;
use crate::tenants::require_type;
use crate::{ServiceError, Services};

/// Rows per page: one short query each, whatever the size of the collective.
pub const EXPORT_PAGE: i64 = 1_000;

/// One page of a dataset.
#[derive(Debug, Default)]
pub struct ExportPage {
    /// The rows, each the values of the dataset's columns in order (`Null`: no value).
    pub rows: Vec<Vec<Value>>,
    /// The position of each row, for the located datasets (`(latitude, longitude)`).
    pub positions: Vec<Option<(f64, f64)>>,
    /// The id to ask the next page after; `None` when this was the last.
    pub next: Option<i64>,
}

fn text(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

fn opt(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::String)
}

fn when(t: time::OffsetDateTime) -> Value {
    t.format(&Rfc3339).map_or(Value::Null, Value::String)
}

fn number(v: Option<f64>) -> Value {
    v.and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A stored value as one plain cell: `4`, `Oui`… (the API's `{"integer": 4}` without its case).
fn plain(stored: &str) -> Value {
    match decode_value(stored).map(|v| to_api_json(&v)) {
        Some(Value::Object(m)) if m.len() == 1 => match m.into_iter().next() {
            Some((_, Value::String(s))) => Value::String(s),
            Some((_, Value::Number(n))) => Value::String(n.to_string()),
            Some((_, Value::Bool(b))) => Value::String(b.to_string()),
            Some((_, other)) => Value::String(other.to_string()),
            None => Value::Null,
        },
        Some(other) => Value::String(other.to_string()),
        None => Value::String(stored.to_owned()),
    }
}

impl Services {
    /// The revision of what a collective's exports show: an export is the same while it is.
    pub fn export_revision(&self, tenant: &Tenant) -> u64 {
        self.read_revision(ReadScope::AnyOf(tenant.id))
    }

    /// When anything in the collective last changed (RFC 3339), for the catalogue.
    pub async fn last_change(&self, tenant: &Tenant) -> Result<Option<String>, ServiceError> {
        Ok(self.store.last_change(tenant.id).await?)
    }

    /// Checks, before a download starts, that the collective hosts this type of place.
    pub fn check_export_type(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<(), ServiceError> {
        require_type(tenant, key)
    }

    /// The page of `dataset` after id `after` (0: the first), of one type of place or all.
    pub async fn export_page(
        &self,
        tenant: &Tenant,
        dataset: Dataset,
        object_type: Option<&ObjectTypeKey>,
        after: i64,
    ) -> Result<ExportPage, ServiceError> {
        if let Some(key) = object_type {
            require_type(tenant, key)?;
        }
        let ty = object_type.map(ObjectTypeKey::as_str);
        let mut page = ExportPage::default();
        let mut last = None;
        match dataset {
            Dataset::Objects => {
                for o in self
                    .store
                    .objects_page(tenant.id, ty, after, EXPORT_PAGE)
                    .await?
                {
                    last = Some(o.id);
                    let i = o.identity;
                    page.positions.push(i.latitude.zip(i.longitude));
                    page.rows.push(vec![
                        Value::from(o.id),
                        text(o.object_type),
                        text(i.identifier),
                        text(i.official_name),
                        opt(i.street),
                        opt(i.postcode),
                        opt(i.city),
                        opt(i.insee_code),
                        number(i.latitude),
                        number(i.longitude),
                        text(i.status.as_str()),
                        opt(i.opened_on),
                        opt(i.closed_on),
                        opt(o.possibly_closed_since),
                    ]);
                }
            }
            Dataset::Facts => {
                for (f, identifier) in self
                    .store
                    .facts_page(tenant.id, ty, after, EXPORT_PAGE)
                    .await?
                {
                    last = Some(f.id);
                    let d = f.decision.as_ref();
                    page.rows.push(vec![
                        Value::from(f.id),
                        Value::from(f.object_id),
                        text(identifier),
                        text(f.object_type),
                        text(f.field_key),
                        text(f.vintage),
                        plain(&f.value),
                        text(f.state.as_str()),
                        text(f.provenance.as_str()),
                        opt(f.source),
                        opt(f.author_name),
                        opt(d.and_then(|d| d.reason.clone())),
                        opt(d.and_then(|d| d.decided_by.clone())),
                        d.map_or(Value::Null, |d| when(d.at)),
                        when(f.at),
                    ]);
                }
            }
            Dataset::Requests => {
                for r in self
                    .store
                    .requests_page(tenant.id, ty, after, EXPORT_PAGE)
                    .await?
                {
                    last = Some(r.id);
                    // As the pages show them to everyone: awaiting moderation or set apart,
                    // a request keeps its identity and status, not its words.
                    let hidden = matches!(r.status, RequestStatus::New | RequestStatus::SetApart);
                    let words = |s: &str| if hidden { Value::Null } else { text(s) };
                    page.rows.push(vec![
                        Value::from(r.id),
                        Value::from(r.object_id),
                        text(r.object_type.clone()),
                        text(r.object_name.clone()),
                        text(r.kind.clone()),
                        if hidden || r.categories.is_empty() {
                            Value::Null
                        } else {
                            text(r.categories.join("|"))
                        },
                        words(r.shown_title()),
                        words(r.shown_description()),
                        Value::Bool(hidden),
                        text(r.status.as_str()),
                        text(r.urgency.as_str()),
                        opt(r.moderation_reason.clone()),
                        r.merged_into.map_or(Value::Null, Value::from),
                        Value::from(r.supporters),
                        when(r.filed_at),
                        when(r.updated_at),
                    ]);
                }
            }
            Dataset::Journal => {
                let (entries, withheld) = self.public_journal(tenant, after, EXPORT_PAGE).await?;
                for e in entries {
                    last = Some(e.seq);
                    let hide = withheld.contains(&e.request_id);
                    page.rows.push(vec![
                        Value::from(e.seq),
                        Value::from(e.request_id),
                        text(e.action),
                        if hide { Value::Null } else { text(e.details) },
                        Value::Bool(hide),
                        text(e.at),
                        text(e.prev_hash),
                        text(e.hash),
                    ]);
                }
            }
            Dataset::Badges => {
                // Awards are the collective's, whatever the type of place.
                for a in self
                    .store
                    .awards_page(tenant.id, after, EXPORT_PAGE)
                    .await?
                {
                    last = Some(a.id);
                    page.rows.push(vec![
                        Value::from(a.id),
                        text(a.badge_key),
                        text(a.badge_name_fr),
                        Value::from(a.level),
                        text(format!("account:{}", a.pseudonym)),
                        a.score.map_or(Value::Null, Value::from),
                        a.rule_version.map_or(Value::Null, Value::from),
                        opt(a.granted_by_name),
                        opt(a.reason),
                        when(a.at),
                    ]);
                }
            }
        }
        page.next = last.filter(|_| page.rows.len() as i64 == EXPORT_PAGE);
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_one_plain_cell() {
        use crate::objects::encode_value;
        use vigie_plugins::wit;
        assert_eq!(plain(&encode_value(&wit::Value::Integer(4))), text("4"));
        assert_eq!(
            plain(&encode_value(&wit::Value::Text("Préau".into()))),
            text("Préau")
        );
        assert_eq!(plain("not json"), text("not json"));
    }
}
