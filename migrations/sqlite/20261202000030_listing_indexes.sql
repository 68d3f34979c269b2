-- Pages of a collective's objects by name (the collective page) without sorting them all.
CREATE INDEX objects_by_tenant_name ON objects (tenant_id, official_name, id);
