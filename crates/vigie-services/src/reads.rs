//! The public reads at scale: the revision a cached read is valid for, collectives found by
//! slug without the database once known, and lists in pages.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use vigie_domain::{DomainError, ObjectTypeKey, TenantId};
use vigie_storage::{BoundingBox, ObservedObject, Place, ReadScope, Tenant};

use crate::{ServiceError, Services};

/// The most objects one page of a list holds.
pub const MAX_PAGE: i64 = 5_000;

/// Collective ids by slug. A collective's slug never changes and collectives are never
/// deleted, so a slug once found keeps its id.
#[derive(Clone, Default)]
pub(crate) struct TenantIds(Arc<RwLock<HashMap<String, TenantId>>>);

impl Services {
    /// The revision a cached public read of `scope` is valid for; it moves with every write
    /// that changes what the read shows (see `vigie_storage::Changes`).
    pub fn read_revision(&self, scope: ReadScope) -> u64 {
        self.store.changes().revision(scope)
    }

    /// A collective's id by its slug: from memory once known, so that a cached read needs no
    /// database at all. 404 (`NotFound`) for an unknown slug.
    pub async fn tenant_id(&self, slug: &str) -> Result<TenantId, ServiceError> {
        if let Some(id) = self
            .tenant_ids
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(slug)
        {
            return Ok(*id);
        }
        let tenant = self.tenant(slug).await?;
        let mut ids = self.tenant_ids.0.write().unwrap_or_else(|e| e.into_inner());
        // Bounded: only slugs of existing collectives are ever kept.
        ids.insert(tenant.slug.as_str().to_owned(), tenant.id);
        Ok(tenant.id)
    }

    /// Up to `limit` objects after the object `after`, by id (a cursor that never shows an
    /// object twice, even while objects are added), of one type or all, in `bbox` if given;
    /// and whether more follow.
    pub async fn objects_after(
        &self,
        tenant: &Tenant,
        key: Option<&ObjectTypeKey>,
        bbox: Option<BoundingBox>,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<ObservedObject>, bool), ServiceError> {
        check_limit(limit)?;
        // One more than asked tells whether there is a next page.
        let mut objects = self
            .store
            .objects_after(tenant.id, key, bbox, after, limit + 1)
            .await?;
        let more = objects.len() as i64 > limit;
        objects.truncate(limit as usize);
        Ok((objects, more))
    }

    /// Every place of a collective, compactly (for maps and « near me »).
    pub async fn places(&self, tenant: &Tenant) -> Result<Vec<Place>, ServiceError> {
        Ok(self.store.places(tenant.id).await?)
    }
}

fn check_limit(limit: i64) -> Result<(), ServiceError> {
    if (1..=MAX_PAGE).contains(&limit) {
        return Ok(());
    }
    Err(ServiceError::Invalid(
        DomainError::invalid(
            "limit",
            format!("give a page size between 1 and {MAX_PAGE}"),
        )
        .fr(format!("Donnez une taille de page entre 1 et {MAX_PAGE}.")),
    ))
}

/// Reads `west,south,east,north` (degrees, WGS 84), the order GeoJSON and most map libraries
/// use.
pub fn parse_bbox(text: &str) -> Result<BoundingBox, ServiceError> {
    let bad = |why: &str| {
        ServiceError::Invalid(
            DomainError::invalid(
                "bbox",
                format!("{why}: write west,south,east,north in degrees, e.g. 5.3,43.2,5.5,43.4"),
            )
            .fr(format!(
                "{why} : écrivez ouest,sud,est,nord en degrés, par exemple 5.3,43.2,5.5,43.4"
            )),
        )
    };
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("not four numbers"))?;
    let [west, south, east, north] = parts[..] else {
        return Err(bad("not four numbers"));
    };
    if !(-180.0..=180.0).contains(&west) || !(-180.0..=180.0).contains(&east) {
        return Err(bad("a longitude is outside -180..180"));
    }
    if !(-90.0..=90.0).contains(&south) || !(-90.0..=90.0).contains(&north) {
        return Err(bad("a latitude is outside -90..90"));
    }
    if west > east || south > north {
        return Err(bad("west is after east or south after north"));
    }
    Ok(BoundingBox {
        west,
        south,
        east,
        north,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounding_boxes() {
        let b = parse_bbox("5.3, 43.2,5.5,43.4").unwrap();
        assert_eq!((b.west, b.north), (5.3, 43.4));
        for bad in [
            "",
            "1,2,3",
            "a,b,c,d",
            "5,43,4,44",
            "0,95,1,96",
            "200,0,201,1",
        ] {
            assert!(parse_bbox(bad).is_err(), "{bad}");
        }
    }
}
