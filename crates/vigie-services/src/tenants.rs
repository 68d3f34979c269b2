//! Collectives.

use vigie_authz::Permit;
use vigie_domain::{NewTenant, ObjectTypeKey, Operation, TenantSlug};
use vigie_storage::Tenant;

use crate::{ServiceError, Services};

impl Services {
    /// Opens a collective (Guru only).
    pub async fn create_tenant(
        &self,
        permit: &Permit,
        new: &NewTenant,
    ) -> Result<Tenant, ServiceError> {
        permit.require(Operation::CreateTenant)?;
        let tenant = self.store.create_tenant(new, false).await?;
        tracing::info!(slug = %tenant.slug, actor = ?permit.actor(), "collective created");
        Ok(tenant)
    }

    /// A collective by slug; a malformed or unknown slug is "not found".
    pub async fn tenant(&self, slug: &str) -> Result<Tenant, ServiceError> {
        let Ok(slug) = TenantSlug::parse(slug) else {
            return Err(ServiceError::NotFound("collective"));
        };
        self.store
            .tenant_by_slug(slug.as_str())
            .await?
            .ok_or(ServiceError::NotFound("collective"))
    }

    /// Every collective.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, ServiceError> {
        Ok(self.store.list_tenants().await?)
    }

    /// Creates the demo collective if there is no collective at all. Returns it if created.
    pub async fn ensure_demo_tenant(&self) -> Result<Option<Tenant>, ServiceError> {
        if self.store.count_tenants().await? > 0 {
            return Ok(None);
        }
        let new = demo_tenant()?;
        let tenant = self.store.create_tenant(&new, true).await?;
        tracing::info!(slug = %tenant.slug, "demo collective created");
        Ok(Some(tenant))
    }
}

/// Object-type keys as a list for a message: `schools, libraries`.
pub(crate) fn type_list<'a>(keys: impl IntoIterator<Item = &'a ObjectTypeKey>) -> String {
    keys.into_iter()
        .map(ObjectTypeKey::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that a collective enables an object type.
pub(crate) fn require_type(tenant: &Tenant, ty: &ObjectTypeKey) -> Result<(), ServiceError> {
    if tenant.object_types.contains(ty) {
        Ok(())
    } else {
        let enabled = type_list(&tenant.object_types);
        Err(ServiceError::Invalid(
            vigie_domain::DomainError::invalid(
                "object_type",
                format!(
                    "the collective '{}' does not enable the object type '{ty}'; it enables: \
                     {enabled}",
                    tenant.slug
                ),
            )
            .fr(format!(
                "Le collectif « {} » n'a pas activé le type de lieu « {ty} » ; il a activé : \
                 {enabled}.",
                tenant.slug
            )),
        ))
    }
}

/// The demo collective: Marseille's public schools, as the Collectif des écoles de Marseille
/// would open it.
pub fn demo_tenant() -> Result<NewTenant, ServiceError> {
    Ok(NewTenant::new(
        TenantSlug::parse("ecoles-marseille")?,
        "Écoles de Marseille (démo)",
        "Espace de démonstration : les écoles publiques de Marseille, leurs effectifs, leurs \
         personnels et les demandes de travaux. Demo space: Marseille's public schools, their \
         staff and the repairs parents ask for.",
        vigie_domain::MapView::MARSEILLE,
        vec![ObjectTypeKey::parse("schools")?],
        vec![
            vigie_domain::EmailDomain::parse("marseille.fr")?,
            vigie_domain::EmailDomain::parse("ac-aix-marseille.fr")?,
            vigie_domain::EmailDomain::parse("ampmetropole.fr")?,
        ],
    )?)
}
