//! OpenStreetMap both ways: the imported extract of each collective and type, the links
//! between places and OSM elements, and the tag corrections Garants accepted.

use sqlx::Row as _;
use sqlx::any::AnyRow;
use vigie_domain::{TenantId, UserId};

use crate::{Store, StoreError, now};

/// A link between a place and an OSM element.
#[derive(Debug, Clone, PartialEq)]
pub struct OsmLink {
    /// Id.
    pub id: i64,
    /// The place.
    pub object_id: i64,
    /// The place's type.
    pub type_key: String,
    /// `node`, `way` or `relation`.
    pub osm_type: String,
    /// The element's id.
    pub osm_id: i64,
    /// `reference` or `proximity`.
    pub matched_by: String,
    /// `linked`, `proposed` or `rejected`.
    pub state: String,
    /// When it was found.
    pub created_at: String,
    /// When a Garant confirmed or rejected it.
    pub decided_at: Option<String>,
    /// Who.
    pub decided_by: Option<UserId>,
}

/// A tag correction a Garant accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct OsmCorrection {
    /// `node`, `way` or `relation`.
    pub osm_type: String,
    /// The element's id.
    pub osm_id: i64,
    /// The tag.
    pub tag: String,
    /// Its new value.
    pub value: String,
    /// Who accepted it.
    pub decided_by: Option<UserId>,
    /// When.
    pub decided_at: String,
}

const LINK_SELECT: &str = "SELECT l.id, l.object_id, o.type_key, l.osm_type, l.osm_id, \
     l.matched_by, l.state, l.created_at, l.decided_at, l.decided_by \
     FROM osm_links l JOIN objects o ON o.id = l.object_id";

fn link_from_row(r: &AnyRow) -> Result<OsmLink, StoreError> {
    let by: Option<i64> = r.try_get("decided_by")?;
    Ok(OsmLink {
        id: r.try_get("id")?,
        object_id: r.try_get("object_id")?,
        type_key: r.try_get("type_key")?,
        osm_type: r.try_get("osm_type")?,
        osm_id: r.try_get("osm_id")?,
        matched_by: r.try_get("matched_by")?,
        state: r.try_get("state")?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: by.map(UserId),
    })
}

impl Store {
    /// Keeps an imported extract (the newest of a collective and type is the one read).
    pub async fn insert_osm_extract(
        &self,
        tenant: TenantId,
        type_key: &str,
        body: &str,
        by: Option<UserId>,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "INSERT INTO osm_extracts (tenant_id, type_key, body, imported_by, imported_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(tenant.0)
        .bind(type_key)
        .bind(body)
        .bind(by.map(|u| u.0))
        .bind(now())
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }

    /// The newest extract of a collective and type.
    pub async fn latest_osm_extract(
        &self,
        tenant: TenantId,
        type_key: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT body FROM osm_extracts WHERE tenant_id = $1 AND type_key = $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(tenant.0)
        .bind(type_key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Records a link found by an import, unless the same place and element are already
    /// linked, proposed or rejected; a proposal later found by reference becomes a link.
    /// Returns whether anything changed.
    pub async fn record_osm_link(
        &self,
        tenant: TenantId,
        object_id: i64,
        osm_type: &str,
        osm_id: i64,
        matched_by: &str,
        state: &str,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO osm_links (tenant_id, object_id, osm_type, osm_id, matched_by, state, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, object_id, osm_type, osm_id) DO NOTHING RETURNING id",
        )
        .bind(tenant.0)
        .bind(object_id)
        .bind(osm_type)
        .bind(osm_id)
        .bind(matched_by)
        .bind(state)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        if inserted.is_some() {
            return Ok(true);
        }
        if state != "linked" {
            return Ok(false);
        }
        let upgraded = sqlx::query(
            "UPDATE osm_links SET state = 'linked', matched_by = $5 WHERE tenant_id = $1 \
             AND object_id = $2 AND osm_type = $3 AND osm_id = $4 AND state = 'proposed'",
        )
        .bind(tenant.0)
        .bind(object_id)
        .bind(osm_type)
        .bind(osm_id)
        .bind(matched_by)
        .execute(&self.pool)
        .await?;
        Ok(upgraded.rows_affected() > 0)
    }

    /// The links of a collective's places of one type, oldest first.
    pub async fn osm_links(
        &self,
        tenant: TenantId,
        type_key: &str,
    ) -> Result<Vec<OsmLink>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LINK_SELECT} WHERE l.tenant_id = $1 AND o.type_key = $2 ORDER BY l.id"
        )))
        .bind(tenant.0)
        .bind(type_key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(link_from_row).collect()
    }

    /// One link of the collective.
    pub async fn osm_link(&self, tenant: TenantId, id: i64) -> Result<Option<OsmLink>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LINK_SELECT} WHERE l.tenant_id = $1 AND l.id = $2"
        )))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// Confirms (`linked`) or rejects (`rejected`) a proposed link; `false` when it was no
    /// longer a proposal.
    pub async fn decide_osm_link(
        &self,
        tenant: TenantId,
        id: i64,
        state: &str,
        by: Option<UserId>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE osm_links SET state = $3, decided_at = $4, decided_by = $5 \
             WHERE tenant_id = $1 AND id = $2 AND state = 'proposed'",
        )
        .bind(tenant.0)
        .bind(id)
        .bind(state)
        .bind(now())
        .bind(by.map(|u| u.0))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records a tag correction a Garant accepted (the newest value of a tag wins).
    #[allow(clippy::too_many_arguments)]
    pub async fn accept_osm_correction(
        &self,
        tenant: TenantId,
        type_key: &str,
        osm_type: &str,
        osm_id: i64,
        tag: &str,
        value: &str,
        by: Option<UserId>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO osm_corrections (tenant_id, type_key, osm_type, osm_id, tag, value, \
             decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, type_key, osm_type, osm_id, tag) \
             DO UPDATE SET value = excluded.value, decided_by = excluded.decided_by, \
             decided_at = excluded.decided_at",
        )
        .bind(tenant.0)
        .bind(type_key)
        .bind(osm_type)
        .bind(osm_id)
        .bind(tag)
        .bind(value)
        .bind(by.map(|u| u.0))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The accepted corrections of a collective and type.
    pub async fn osm_corrections(
        &self,
        tenant: TenantId,
        type_key: &str,
    ) -> Result<Vec<OsmCorrection>, StoreError> {
        let rows = sqlx::query(
            "SELECT osm_type, osm_id, tag, value, decided_by, decided_at FROM osm_corrections \
             WHERE tenant_id = $1 AND type_key = $2 ORDER BY osm_type, osm_id, tag",
        )
        .bind(tenant.0)
        .bind(type_key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let by: Option<i64> = r.try_get("decided_by")?;
                Ok(OsmCorrection {
                    osm_type: r.try_get("osm_type")?,
                    osm_id: r.try_get("osm_id")?,
                    tag: r.try_get("tag")?,
                    value: r.try_get("value")?,
                    decided_by: by.map(UserId),
                    decided_at: r.try_get("decided_at")?,
                })
            })
            .collect()
    }
}
