-- Citizen fields a Garant adds to its object type's schema, for its collective only. Never
-- deleted: a retired field keeps its definition, who added and who retired it, and when.
CREATE TABLE schema_fields (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    type_key TEXT NOT NULL,
    field_key TEXT NOT NULL,
    -- The field descriptor of the plugin interface (vigie:object-type `field`), as JSON.
    definition TEXT NOT NULL,
    added_by INTEGER REFERENCES users(id),
    added_at TEXT NOT NULL,
    retired_by INTEGER REFERENCES users(id),
    retired_at TEXT
);
CREATE UNIQUE INDEX schema_fields_active ON schema_fields (tenant_id, type_key, field_key)
    WHERE retired_at IS NULL;
