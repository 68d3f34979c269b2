//! Collectives.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::notify::Language;
use vigie_domain::{Bilingual, DataLicence};
use vigie_domain::{
    EmailDomain, MapView, NewTenant, ObjectTypeKey, TenantId, TenantSlug, TileSource,
};

use crate::error::conflict_on_unique;
use crate::{Change, Store, StoreError, now, parse_timestamp};

/// A stored collective.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    /// Identity.
    pub id: TenantId,
    /// URL name.
    pub slug: TenantSlug,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Default map view.
    pub map: MapView,
    /// The collective's own map tiles; `None`: the instance's.
    pub tiles: Option<TileSource>,
    /// Enabled object types, sorted.
    pub object_types: Vec<ObjectTypeKey>,
    /// Official e-mail domains, sorted.
    pub official_domains: Vec<EmailDomain>,
    /// The language of its messages to people without an account (contacts, typed addresses).
    pub language: Language,
    /// The licence its open data is published under.
    pub licence: DataLicence,
    /// Whether this is the demo collective created on first start.
    pub is_demo: bool,
    /// Bumped on every change of the collective's Casbin rules, so cached enforcers know to
    /// reload (also across server replicas).
    pub policy_revision: i64,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

const TENANT_COLUMNS: &str = "id, slug, name, description, map_latitude, map_longitude, map_zoom, \
                              map_tile_url, map_tile_attribution, is_demo, policy_revision, \
                              created_at, language, data_licence";

impl Store {
    /// Opens a collective. A slug already taken is a [`StoreError::Conflict`].
    pub async fn create_tenant(
        &self,
        new: &NewTenant,
        is_demo: bool,
    ) -> Result<Tenant, StoreError> {
        let (_turn, mut tx) = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO tenants (slug, name, description, map_latitude, map_longitude, map_zoom, \
             is_demo, policy_revision, created_at, map_tile_url, map_tile_attribution) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10) RETURNING id",
        )
        .bind(new.slug.as_str())
        .bind(&new.name)
        .bind(&new.description)
        .bind(new.map.latitude)
        .bind(new.map.longitude)
        .bind(i64::from(new.map.zoom))
        .bind(i64::from(is_demo))
        .bind(now())
        .bind(new.tiles.as_ref().map(|t| t.url().to_owned()))
        .bind(new.tiles.as_ref().map(|t| t.attribution().to_owned()))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                Bilingual::new(format!(
                    "the slug '{}' is already taken: choose another",
                    new.slug
                ))
                .fr(format!(
                    "L'adresse « {} » est déjà prise : choisissez-en une autre.",
                    new.slug
                ))
            })
        })?
        .try_get(0)?;
        for ty in &new.object_types {
            sqlx::query("INSERT INTO tenant_object_types (tenant_id, type_key) VALUES ($1, $2)")
                .bind(id)
                .bind(ty.as_str())
                .execute(&mut *tx)
                .await?;
        }
        for d in &new.official_domains {
            sqlx::query("INSERT INTO tenant_official_domains (tenant_id, domain) VALUES ($1, $2)")
                .bind(id)
                .bind(d.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.changed(Change::Tenant(TenantId(id))).await;
        self.tenant_by_id(TenantId(id))
            .await?
            .ok_or(StoreError::NotFound("collective"))
    }

    /// Sets a collective's default map view and its own tiles (`None`: the instance's).
    pub async fn set_tenant_map(
        &self,
        id: TenantId,
        map: MapView,
        tiles: Option<&TileSource>,
    ) -> Result<Tenant, StoreError> {
        let (_turn, mut tx) = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE tenants SET map_latitude = $1, map_longitude = $2, map_zoom = $3, \
             map_tile_url = $4, map_tile_attribution = $5 WHERE id = $6",
        )
        .bind(map.latitude)
        .bind(map.longitude)
        .bind(i64::from(map.zoom))
        .bind(tiles.map(|t| t.url().to_owned()))
        .bind(tiles.map(|t| t.attribution().to_owned()))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("collective"));
        }
        tx.commit().await?;
        self.changed(Change::Tenant(id)).await;
        self.tenant_by_id(id)
            .await?
            .ok_or(StoreError::NotFound("collective"))
    }

    /// Sets the language of a collective's messages to people without an account and the
    /// licence of its open data.
    pub async fn set_tenant_publication(
        &self,
        id: TenantId,
        language: Language,
        licence: DataLicence,
    ) -> Result<Tenant, StoreError> {
        let (_turn, mut tx) = self.begin_write().await?;
        let done = sqlx::query("UPDATE tenants SET language = $1, data_licence = $2 WHERE id = $3")
            .bind(language.as_str())
            .bind(licence.id())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("collective"));
        }
        tx.commit().await?;
        self.changed(Change::Tenant(id)).await;
        self.tenant_by_id(id)
            .await?
            .ok_or(StoreError::NotFound("collective"))
    }

    /// A collective by its slug.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1"
        )))
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.complete_tenant(&row).await?)),
            None => Ok(None),
        }
    }

    /// A collective by its id.
    pub async fn tenant_by_id(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.complete_tenant(&row).await?)),
            None => Ok(None),
        }
    }

    /// Every collective, by name.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TENANT_COLUMNS} FROM tenants ORDER BY name, id"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.complete_tenant(row).await?);
        }
        Ok(out)
    }

    /// How many collectives exist.
    pub async fn count_tenants(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM tenants")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    async fn complete_tenant(&self, row: &AnyRow) -> Result<Tenant, StoreError> {
        let id: i64 = row.try_get("id")?;
        let types = sqlx::query(
            "SELECT type_key FROM tenant_object_types WHERE tenant_id = $1 ORDER BY type_key",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let key: String = r.try_get(0)?;
            ObjectTypeKey::parse(&key).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
        let domains = sqlx::query(
            "SELECT domain FROM tenant_official_domains WHERE tenant_id = $1 ORDER BY domain",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let d: String = r.try_get(0)?;
            EmailDomain::parse(&d).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
        let slug: String = row.try_get("slug")?;
        let zoom: i64 = row.try_get("map_zoom")?;
        let created: String = row.try_get("created_at")?;
        let tile_url: Option<String> = row.try_get("map_tile_url")?;
        let tile_attribution: Option<String> = row.try_get("map_tile_attribution")?;
        let tiles = match (tile_url, tile_attribution) {
            (Some(url), Some(attribution)) => Some(
                TileSource::parse(&url, &attribution)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ),
            _ => None,
        };
        Ok(Tenant {
            id: TenantId(id),
            slug: TenantSlug::parse(&slug).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            map: MapView::new(
                row.try_get("map_latitude")?,
                row.try_get("map_longitude")?,
                zoom,
            )
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            tiles,
            object_types: types,
            official_domains: domains,
            language: Language::parse(&row.try_get::<String, _>("language")?),
            licence: DataLicence::parse(&row.try_get::<String, _>("data_licence")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            is_demo: row.try_get::<i64, _>("is_demo")? != 0,
            policy_revision: row.try_get("policy_revision")?,
            created_at: parse_timestamp(&created)?,
        })
    }
}
