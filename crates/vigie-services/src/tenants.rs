//! Collectives.

use vigie_domain::notify::Language;
use vigie_domain::{
    DataLicence, DomainError, EmailDomain, MapView, NewTenant, ObjectTypeKey, Operation, Scope,
    TenantId, TenantSlug, TileSource,
};
use vigie_storage::Tenant;

use crate::actor::Actor;
use crate::{ServiceError, Services};

/// A collective as asked for, before any check.
#[derive(Debug, Clone, Default)]
pub struct TenantInput {
    /// URL name: 2 to 40 lowercase letters, digits and inner hyphens.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Description shown on the collective's home page.
    pub description: String,
    /// Default map view (latitude, longitude, zoom); Marseille if absent.
    pub map: Option<(f64, f64, i64)>,
    /// The collective's own map tiles (URL template, attribution); the instance's if absent.
    pub tiles: Option<(String, String)>,
    /// Object types to enable.
    pub object_types: Vec<String>,
    /// E-mail domains whose verified users become Officials.
    pub official_domains: Vec<String>,
}

impl Services {
    /// Opens a collective (Guru only). The right is checked before the input is.
    pub async fn create_tenant(
        &self,
        actor: Actor<'_>,
        input: TenantInput,
    ) -> Result<Tenant, ServiceError> {
        let permit = self
            .permit_in(actor, None, Scope::Platform, Operation::CreateTenant)
            .await?;
        let new = self.new_tenant(input)?;
        let tenant = self.store.create_tenant(&new, false).await?;
        self.ensure_starter_badges(tenant.id).await?;
        tracing::info!(slug = %tenant.slug, actor = ?permit.actor(), "collective created");
        Ok(tenant)
    }

    fn new_tenant(&self, input: TenantInput) -> Result<NewTenant, ServiceError> {
        let slug = TenantSlug::parse(&input.slug)?;
        let map = match input.map {
            Some((latitude, longitude, zoom)) => MapView::new(latitude, longitude, zoom)?,
            None => MapView::MARSEILLE,
        };
        let mut types = Vec::with_capacity(input.object_types.len());
        for raw in &input.object_types {
            let key = ObjectTypeKey::parse(raw)?;
            self.require_known_type(&key)?;
            types.push(key);
        }
        let domains = input
            .official_domains
            .iter()
            .map(|d| EmailDomain::parse(d))
            .collect::<Result<Vec<_>, _>>()?;
        let tiles = input
            .tiles
            .map(|(url, attribution)| TileSource::parse(&url, &attribution))
            .transpose()?;
        Ok(
            NewTenant::new(slug, &input.name, &input.description, map, types, domains)?
                .with_tiles(tiles),
        )
    }

    /// Sets a collective's default map view and its own tiles (`None`: the instance's) —
    /// Guru. The right is checked before the input is.
    pub async fn set_tenant_map(
        &self,
        actor: Actor<'_>,
        slug: &str,
        view: (f64, f64, i64),
        tiles: Option<(String, String)>,
    ) -> Result<Tenant, ServiceError> {
        let tenant = self.tenant(slug).await?;
        let permit = self
            .permit_for(
                actor,
                &tenant,
                Scope::Tenant(tenant.slug.clone()),
                Operation::UpdateTenant,
            )
            .await?;
        let (latitude, longitude, zoom) = view;
        let map = MapView::new(latitude, longitude, zoom)?;
        let tiles = tiles
            .map(|(url, attribution)| TileSource::parse(&url, &attribution))
            .transpose()?;
        let tenant = self
            .store
            .set_tenant_map(tenant.id, map, tiles.as_ref())
            .await?;
        tracing::info!(slug = %tenant.slug, actor = ?permit.actor(), "collective map set");
        Ok(tenant)
    }

    /// Sets the language a collective writes in to people without an account (its contacts,
    /// addresses typed with a request: `fr` or `en`) and the licence of its open data — Guru.
    /// The right is checked before the input is.
    pub async fn set_tenant_publication(
        &self,
        actor: Actor<'_>,
        slug: &str,
        language: &str,
        licence: &str,
    ) -> Result<Tenant, ServiceError> {
        let tenant = self.tenant(slug).await?;
        let permit = self
            .permit_for(
                actor,
                &tenant,
                Scope::Tenant(tenant.slug.clone()),
                Operation::UpdateTenant,
            )
            .await?;
        let language = match language.trim() {
            "fr" => Language::Fr,
            "en" => Language::En,
            other => {
                return Err(DomainError::invalid(
                    "language",
                    format!("'{other}' is not a language of Vigie's messages: use 'fr' or 'en'"),
                )
                .fr(format!(
                    "« {other} » n'est pas une langue des messages de Vigie : « fr » ou « en »."
                ))
                .into());
            }
        };
        let licence = DataLicence::parse(licence)?;
        let tenant = self
            .store
            .set_tenant_publication(tenant.id, language, licence)
            .await?;
        tracing::info!(slug = %tenant.slug, actor = ?permit.actor(), "collective publication set");
        Ok(tenant)
    }

    /// A collective by id.
    pub async fn tenant_by_id(&self, id: TenantId) -> Result<Option<Tenant>, ServiceError> {
        Ok(self.store.tenant_by_id(id).await?)
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
        self.ensure_starter_badges(tenant.id).await?;
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
