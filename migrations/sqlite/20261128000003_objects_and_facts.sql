-- Observed objects, their official identity (with its history), vintaged facts and their
-- moderation, and the imports that brought official data. Facts are never updated: a
-- correction is a new fact; moderation decisions are rows of their own.

CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    type_key TEXT NOT NULL,
    importer TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    attribution TEXT NOT NULL,
    source_url TEXT,
    actor_id INTEGER REFERENCES users(id),
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    facts_added INTEGER NOT NULL DEFAULT 0,
    possibly_closed INTEGER NOT NULL DEFAULT 0,
    at TEXT NOT NULL
);

CREATE TABLE objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    type_key TEXT NOT NULL,
    identifier TEXT NOT NULL,
    official_name TEXT NOT NULL,
    street TEXT,
    postcode TEXT,
    city TEXT,
    insee_code TEXT,
    latitude REAL,
    longitude REAL,
    status TEXT NOT NULL,
    opened_on TEXT,
    closed_on TEXT,
    -- Set when a referential import no longer lists the object; a Garant confirms or clears.
    possibly_closed_since TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, type_key, identifier)
);
CREATE INDEX objects_by_tenant_type ON objects (tenant_id, type_key);

-- Every change of an object's official identity: which field, from what, to what, by whom.
CREATE TABLE object_identity_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id INTEGER NOT NULL REFERENCES objects(id),
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    import_id INTEGER REFERENCES imports(id),
    actor_id INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX object_identity_changes_by_object ON object_identity_changes (object_id, id);

CREATE TABLE facts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    object_id INTEGER NOT NULL REFERENCES objects(id),
    field_key TEXT NOT NULL,
    vintage TEXT NOT NULL,
    -- The value as the plugin interface's `value` variant, JSON.
    value TEXT NOT NULL,
    -- official_import | garant | citizen | anonymous
    provenance TEXT NOT NULL,
    source TEXT,
    import_id INTEGER REFERENCES imports(id),
    author_id INTEGER REFERENCES users(id),
    -- Private: shown to the type's Garants only, never exported.
    contact_email TEXT,
    contact_phone TEXT,
    -- accepted (official data) or pending (contributions) when filed.
    filed_state TEXT NOT NULL,
    -- Contributions filed together share a batch number (one form, one vintage).
    batch TEXT,
    at TEXT NOT NULL
);
CREATE INDEX facts_by_object ON facts (object_id, field_key, vintage, id);
CREATE INDEX facts_by_tenant ON facts (tenant_id, id);

-- One decision per contribution, never changed.
CREATE TABLE fact_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fact_id INTEGER NOT NULL UNIQUE REFERENCES facts(id),
    decision TEXT NOT NULL,
    reason TEXT,
    decided_by INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
