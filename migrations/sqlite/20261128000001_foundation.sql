-- Foundation: collectives, accounts, sessions, Casbin rules and the public log of role grants.
-- Portable types (see docs/architecture.md): integers, REAL, TEXT. Timestamps are TEXT in
-- RFC 3339 UTC with microseconds (they sort as text); booleans are INTEGER 0/1.

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    map_latitude REAL NOT NULL,
    map_longitude REAL NOT NULL,
    map_zoom INTEGER NOT NULL,
    is_demo INTEGER NOT NULL DEFAULT 0,
    policy_revision INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE tenant_object_types (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    type_key TEXT NOT NULL,
    PRIMARY KEY (tenant_id, type_key)
);

CREATE TABLE tenant_official_domains (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    domain TEXT NOT NULL,
    PRIMARY KEY (tenant_id, domain)
);
CREATE INDEX tenant_official_domains_by_domain ON tenant_official_domains (domain);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email_verified_at TEXT,
    created_at TEXT NOT NULL
);

-- Single-use links e-mailed to users (verification, password reset); only hashes are kept.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Sign-in sessions; the cookie holds the token, the database only its hash.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Casbin rules. tenant_id is NULL for platform-wide rules (role permissions, Gurus); each
-- collective's enforcer loads its own rules plus the platform-wide ones.
CREATE TABLE casbin_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER REFERENCES tenants(id),
    ptype TEXT NOT NULL,
    v0 TEXT NOT NULL DEFAULT '',
    v1 TEXT NOT NULL DEFAULT '',
    v2 TEXT NOT NULL DEFAULT '',
    v3 TEXT NOT NULL DEFAULT '',
    v4 TEXT NOT NULL DEFAULT '',
    v5 TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX casbin_rules_unique ON casbin_rules (ptype, v0, v1, v2, v3, v4, v5);
CREATE INDEX casbin_rules_by_tenant ON casbin_rules (tenant_id);

-- Append-only, public record of every grant and revocation (names only, never e-mails).
CREATE TABLE role_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER REFERENCES tenants(id),
    action TEXT NOT NULL,
    role TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    object_type TEXT,
    object_id INTEGER,
    actor_id INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX role_events_by_tenant ON role_events (tenant_id, id);
