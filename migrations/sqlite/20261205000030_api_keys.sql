-- Open311 API keys (issue 15): a Garant of a collective issues a key to a reporting app, which
-- files requests through `POST /open311/v2/requests` with it. The key is shown once; only its
-- SHA-256 is stored, like the requesters' links. A revoked key stays, for the record.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    label TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);
