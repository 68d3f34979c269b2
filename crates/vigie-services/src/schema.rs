//! An object type's schema in a collective: the plugin's fields plus the citizen fields its
//! Garants added.

use std::sync::Arc;

use vigie_domain::{DomainError, ObjectTypeKey, Operation, Scope};
use vigie_plugins::{LoadedPlugin, wit};
use vigie_storage::{SchemaField, Tenant};

use crate::actor::Actor;
use crate::tenants::require_type;
use crate::{ServiceError, Services};

/// The schema of a type in a collective.
#[derive(Debug, Clone)]
pub struct ObjectSchema {
    /// The plugin (its manifest holds the type's own fields).
    pub plugin: Arc<LoadedPlugin>,
    /// Citizen fields added here, active ones.
    pub added: Vec<(SchemaField, wit::Field)>,
}

impl ObjectSchema {
    /// The vintage current today, the one forms suggest: the school year 2026-2027 from
    /// 1 September 2026 (not the plugin's first example).
    pub fn current_vintage(&self) -> Result<String, ServiceError> {
        crate::objects::current_vintage(&self.plugin)
    }
}

fn decode(f: &SchemaField) -> Result<wit::Field, ServiceError> {
    serde_json::from_str(&f.definition)
        .map_err(|e| ServiceError::Internal(format!("stored field {} is unreadable: {e}", f.key)))
}

impl Services {
    /// The plugin of a type this server knows.
    pub fn plugin(&self, key: &ObjectTypeKey) -> Result<Arc<LoadedPlugin>, ServiceError> {
        self.plugins
            .get(key.as_str())
            .cloned()
            .ok_or(ServiceError::NotFound("object type"))
    }

    /// The schema of a type in a collective (the type must be enabled there).
    pub async fn object_schema(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<ObjectSchema, ServiceError> {
        require_type(tenant, key)?;
        let plugin = self.plugin(key)?;
        let mut added = Vec::new();
        for f in self.store.schema_fields(tenant.id, key, false).await? {
            let def = decode(&f)?;
            added.push((f, def));
        }
        Ok(ObjectSchema { plugin, added })
    }

    /// Every field ever added to a type in a collective, retired ones included (public
    /// history).
    pub async fn schema_history(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<Vec<SchemaField>, ServiceError> {
        require_type(tenant, key)?;
        Ok(self.store.schema_fields(tenant.id, key, true).await?)
    }

    /// Adds a citizen field to a type's schema in a collective (Garant of the type).
    pub async fn extend_schema(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        field: wit::Field,
    ) -> Result<SchemaField, ServiceError> {
        let scope = Scope::ObjectType(tenant.slug.clone(), key.clone());
        let permit = self
            .permit_for(actor, tenant, scope, Operation::ExtendSchema)
            .await?;
        let schema = self.object_schema(tenant, key).await?;
        let existing: Vec<wit::Field> = schema.added.into_iter().map(|(_, f)| f).collect();
        let problems =
            vigie_plugins::check_extension_field(schema.plugin.manifest(), &existing, &field);
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(DomainError::invalid(
                "field",
                problems.join("; "),
            )));
        }
        let definition =
            serde_json::to_string(&field).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let added = self
            .store
            .add_schema_field(tenant.id, key, &field.key, &definition, permit.actor())
            .await?;
        tracing::info!(tenant = %tenant.slug, object_type = %key, field = %field.key, "schema extended");
        Ok(added)
    }

    /// Retires an added field (Garant of the type); it stays in the history.
    pub async fn retire_schema_field(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        field: &str,
    ) -> Result<SchemaField, ServiceError> {
        require_type(tenant, key)?;
        let scope = Scope::ObjectType(tenant.slug.clone(), key.clone());
        let permit = self
            .permit_for(actor, tenant, scope, Operation::ExtendSchema)
            .await?;
        Ok(self
            .store
            .retire_schema_field(tenant.id, key, field, permit.actor())
            .await?)
    }
}
