-- The similar-requests search as indexed lookups (docs/requests.md, « Similar requests »).

-- Each request's stems (vigie_domain::requests::stems of its requester's title and of the
-- title and description shown), written with the request and rewritten when the shown text
-- changes. `state`: 0 offered to everybody (open, published, not merged), 1 offered to its
-- moderators only (awaiting moderation), 2 never (closed or merged).
CREATE TABLE request_stems (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    object_id INTEGER NOT NULL REFERENCES objects(id),
    stem TEXT NOT NULL,
    state INTEGER NOT NULL,
    PRIMARY KEY (request_id, stem)
);
CREATE INDEX request_stems_by_object ON request_stems (object_id, stem, state);

-- How many stems a request has, and with which version of the stemming they were computed
-- (0: not yet; the store computes them at start-up, in batches).
ALTER TABLE requests ADD COLUMN stem_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN stems_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX requests_by_stems_version ON requests (stems_version, id);

-- Nearby objects by a bounding box.
CREATE INDEX objects_by_position ON objects (tenant_id, type_key, latitude, longitude);

-- The supporters counted with a request look up the requests merged into it.
CREATE INDEX requests_by_merged_into ON requests (merged_into);

-- …and the supporters of it and of those (the unique index is partial: accounts only).
CREATE INDEX request_supporters_by_request ON request_supporters (request_id);
