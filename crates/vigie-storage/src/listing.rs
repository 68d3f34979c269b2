//! Lists of a collective's objects that scale: pages in a stable order, a bounding box, and
//! the compact layer of every place for maps and « near me ».

use sqlx::Row;
use vigie_domain::{ObjectTypeKey, TenantId};

use crate::bulk::{MAX_PARAMS, Placeholders};
use crate::objects::{OBJECT_COLUMNS, object_from_row};
use crate::{ObservedObject, Store, StoreError};

/// A rectangle of longitudes and latitudes (WGS 84), west/south/east/north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// Westmost longitude.
    pub west: f64,
    /// Southmost latitude.
    pub south: f64,
    /// Eastmost longitude.
    pub east: f64,
    /// Northmost latitude.
    pub north: f64,
}

/// One place of the compact layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The object.
    pub id: i64,
    /// Its type.
    pub object_type: String,
    /// Official identifier.
    pub identifier: String,
    /// Official name.
    pub name: String,
    /// Street line, when known.
    pub street: Option<String>,
    /// Postcode, when known.
    pub postcode: Option<String>,
    /// City, when known.
    pub city: Option<String>,
    /// Latitude, when known.
    pub latitude: Option<f64>,
    /// Longitude, when known.
    pub longitude: Option<f64>,
    /// Whether the last referential no longer listed it.
    pub possibly_closed: bool,
}

const PLACE_COLUMNS: &str = "id, type_key, identifier, official_name, city, latitude, longitude, possibly_closed_since, \
     street, postcode";

fn place_from_row(r: &sqlx::any::AnyRow) -> Result<Place, StoreError> {
    Ok(Place {
        id: r.try_get(0)?,
        object_type: r.try_get(1)?,
        identifier: r.try_get(2)?,
        name: r.try_get(3)?,
        city: r.try_get(4)?,
        latitude: r.try_get(5)?,
        longitude: r.try_get(6)?,
        possibly_closed: r.try_get::<Option<String>, _>(7)?.is_some(),
        street: r.try_get(8)?,
        postcode: r.try_get(9)?,
    })
}

impl Store {
    /// Up to `limit` objects of a collective after the object `after`, in the order of their
    /// ids (stable: an object added meanwhile comes at the end, none is seen twice), of one
    /// type or all, inside `bbox` when given.
    pub async fn objects_after(
        &self,
        tenant: TenantId,
        object_type: Option<&ObjectTypeKey>,
        bbox: Option<BoundingBox>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ObservedObject>, StoreError> {
        let b = bbox.unwrap_or(BoundingBox {
            west: -180.0,
            south: -90.0,
            east: 180.0,
            north: 90.0,
        });
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE tenant_id = $1 AND ($2 = '' OR type_key = $2) \
             AND id > $3 AND ($4 = 0 OR (latitude BETWEEN $5 AND $6 AND longitude BETWEEN $7 AND $8)) \
             ORDER BY id LIMIT $9"
        )))
        .bind(tenant.0)
        .bind(object_type.map(|t| t.as_str().to_owned()).unwrap_or_default())
        .bind(after)
        .bind(i64::from(bbox.is_some()))
        .bind(b.south)
        .bind(b.north)
        .bind(b.west)
        .bind(b.east)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(object_from_row).collect()
    }

    /// Every place of a collective, in the order of their ids: the few columns a map or a
    /// « near me » list needs.
    pub async fn places(&self, tenant: TenantId) -> Result<Vec<Place>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PLACE_COLUMNS} FROM objects WHERE tenant_id = $1 ORDER BY id"
        )))
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(place_from_row).collect()
    }

    /// The places of these objects of the collective (those that exist), by id.
    pub async fn places_among(
        &self,
        tenant: TenantId,
        ids: &[i64],
    ) -> Result<Vec<Place>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for batch in ids.chunks(MAX_PARAMS - 1) {
            let mut p = Placeholders::new(self.backend());
            let sql = format!(
                "SELECT {PLACE_COLUMNS} FROM objects WHERE tenant_id = {} AND id IN ({}) ORDER BY id",
                p.next(),
                p.rows(batch.len(), 1)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0);
            for id in batch {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(place_from_row(&r)?);
            }
        }
        Ok(out)
    }
}
