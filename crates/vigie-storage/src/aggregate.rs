//! Joint analysis reads one row per place: its commune's INSEE code and the accepted values of
//! the fields an aggregate asks for, in one vintage. Each value is the newest accepted fact of
//! its (place, field, vintage), found through the facts' index by object; rows are streamed,
//! so nothing but the row at hand is held here.

use futures::TryStreamExt;
use sqlx::Row;
use vigie_domain::TenantId;

use crate::{Store, StoreError};

/// What one place holds for an aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRow {
    /// The place.
    pub object_id: i64,
    /// Its commune's (or arrondissement's) INSEE code.
    pub insee_code: Option<String>,
    /// The accepted value of the field, stored JSON.
    pub value: Option<String>,
    /// The accepted value of the divisor field, stored JSON.
    pub over: Option<String>,
    /// The accepted value of the grouping field: in the vintage asked, else the newest.
    pub group: Option<String>,
}

/// What an aggregate reads of each place.
#[derive(Debug, Clone, Copy)]
pub struct AggregateAsk<'a> {
    /// The type of place.
    pub object_type: &'a str,
    /// The vintage.
    pub vintage: &'a str,
    /// The number field.
    pub field: &'a str,
    /// The divisor field, for a ratio.
    pub over: Option<&'a str>,
    /// The field grouping the places, if any.
    pub group: Option<&'a str>,
}

/// The newest accepted value of field `$field` of place `o` in vintage `$vintage`.
fn accepted_value(field: &str, vintage: &str) -> String {
    format!(
        "(SELECT f.value FROM facts f LEFT JOIN fact_decisions d ON d.fact_id = f.id \
         WHERE f.object_id = o.id AND f.field_key = {field} AND f.vintage = {vintage} \
         AND COALESCE(d.decision, f.filed_state) = 'accepted' ORDER BY f.id DESC LIMIT 1)"
    )
}

impl Store {
    /// Calls `each` with one row per place of the asked type of the collective, by id: the
    /// accepted values of `field` and `over` (`None`: not asked) in the vintage, and of
    /// `group` (a field grouping the places) in that vintage or else the newest one.
    pub async fn for_each_aggregate_row(
        &self,
        tenant: TenantId,
        ask: AggregateAsk<'_>,
        mut each: impl FnMut(AggregateRow),
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT o.id, o.insee_code, {value} AS v, {over} AS b, \
             (SELECT f.value FROM facts f LEFT JOIN fact_decisions d ON d.fact_id = f.id \
              WHERE f.object_id = o.id AND f.field_key = $6 \
              AND COALESCE(d.decision, f.filed_state) = 'accepted' \
              ORDER BY CASE WHEN f.vintage = $3 THEN 1 ELSE 0 END DESC, f.vintage DESC, \
              f.id DESC LIMIT 1) AS g \
             FROM objects o WHERE o.tenant_id = $1 AND o.type_key = $2 ORDER BY o.id",
            value = accepted_value("$4", "$3"),
            over = accepted_value("$5", "$3"),
        );
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.0)
            .bind(ask.object_type)
            .bind(ask.vintage)
            .bind(ask.field)
            .bind(ask.over.unwrap_or_default())
            .bind(ask.group.unwrap_or_default())
            .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            each(AggregateRow {
                object_id: r.try_get(0)?,
                insee_code: r.try_get(1)?,
                value: r.try_get(2)?,
                over: r.try_get(3)?,
                group: r.try_get(4)?,
            });
        }
        Ok(())
    }

    /// Calls `each` with every accepted value of the places of type `object_type` in
    /// `vintage` — `(place, field, stored value)` — by place, older facts of a field before
    /// newer ones (the last one is the value): what a plugin's own indicators are computed
    /// from, one place at a time.
    pub async fn for_each_accepted_value(
        &self,
        tenant: TenantId,
        object_type: &str,
        vintage: &str,
        mut each: impl FnMut(i64, String, String),
    ) -> Result<(), StoreError> {
        let mut rows = sqlx::query(
            "SELECT f.object_id, f.field_key, f.value FROM facts f \
             JOIN objects o ON o.id = f.object_id \
             LEFT JOIN fact_decisions d ON d.fact_id = f.id \
             WHERE f.tenant_id = $1 AND o.type_key = $2 AND f.vintage = $3 \
             AND COALESCE(d.decision, f.filed_state) = 'accepted' ORDER BY f.object_id, f.id",
        )
        .bind(tenant.0)
        .bind(object_type)
        .bind(vintage)
        .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            each(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        }
        Ok(())
    }

    /// The vintages in which some place of type `object_type` has an accepted value of
    /// `field` (`""`: of any field), oldest first.
    pub async fn aggregate_vintages(
        &self,
        tenant: TenantId,
        object_type: &str,
        field: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT f.vintage FROM facts f JOIN objects o ON o.id = f.object_id \
             LEFT JOIN fact_decisions d ON d.fact_id = f.id \
             WHERE f.tenant_id = $1 AND o.type_key = $2 AND ($3 = '' OR f.field_key = $3) \
             AND COALESCE(d.decision, f.filed_state) = 'accepted' ORDER BY f.vintage",
        )
        .bind(tenant.0)
        .bind(object_type)
        .bind(field)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>(0)?))
            .collect()
    }
}
