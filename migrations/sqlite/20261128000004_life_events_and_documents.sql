-- Dated life events of an object (closure, works, strike, reopening…), moderated like facts,
-- and documents attached to objects (stored in the blob store; only metadata here).

CREATE TABLE life_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    object_id INTEGER NOT NULL REFERENCES objects(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    provenance TEXT NOT NULL,
    author_id INTEGER REFERENCES users(id),
    -- Private: shown to the type's Garants only.
    contact_email TEXT,
    filed_state TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX life_events_by_object ON life_events (object_id, starts_on);

CREATE TABLE life_event_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL UNIQUE REFERENCES life_events(id),
    decision TEXT NOT NULL,
    reason TEXT,
    decided_by INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    object_id INTEGER NOT NULL REFERENCES objects(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    document_date TEXT,
    source TEXT,
    blob_key TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX documents_by_object ON documents (object_id, id);
