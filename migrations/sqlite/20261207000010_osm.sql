-- OpenStreetMap both ways (issue 18). An imported OSM extract is kept as given (Overpass JSON)
-- per collective and type, newest wins: the discrepancy report and the osmChange file read it.
CREATE TABLE osm_extracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    type_key TEXT NOT NULL,
    body TEXT NOT NULL,
    imported_by INTEGER REFERENCES users(id),
    imported_at TEXT NOT NULL
);
CREATE INDEX osm_extracts_by_type ON osm_extracts (tenant_id, type_key, id);

-- A place linked to an OSM element: found by the type's reference tag (`reference`, linked at
-- once) or by name and distance (`proximity`, proposed until a Garant confirms or rejects it).
-- A rejected link stays, so a later import does not propose it again.
CREATE TABLE osm_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    object_id INTEGER NOT NULL REFERENCES objects(id),
    osm_type TEXT NOT NULL,
    osm_id INTEGER NOT NULL,
    matched_by TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by INTEGER REFERENCES users(id),
    UNIQUE (tenant_id, object_id, osm_type, osm_id)
);
CREATE INDEX osm_links_by_object ON osm_links (object_id);

-- A tag correction a Garant reviewed and accepted: what the osmChange file proposes.
CREATE TABLE osm_corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    type_key TEXT NOT NULL,
    osm_type TEXT NOT NULL,
    osm_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    value TEXT NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at TEXT NOT NULL,
    UNIQUE (tenant_id, type_key, osm_type, osm_id, tag)
);
