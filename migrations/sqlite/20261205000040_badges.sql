-- Badges (issue 16): each collective's badges, earned by rule (a SQL SELECT over documented
-- views of its activity, run in a sandbox: vigie-storage/src/badge_rules.rs) or granted by a
-- Garant with a public reason. An award is one level reached by one account, never taken back:
-- it records the rule's version, the score, or the Garant and the reason.
CREATE TABLE badges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    key TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description_fr TEXT NOT NULL,
    description_en TEXT NOT NULL,
    -- What the score counts, for the goals (« contributions acceptées »).
    unit_fr TEXT NOT NULL,
    unit_en TEXT NOT NULL,
    -- One of the bundled visuals (static/badges/{visual}.svg), or 'custom' with visual_svg.
    visual TEXT NOT NULL,
    -- An uploaded SVG, sanitized before it was stored; always served as an image.
    visual_svg TEXT,
    -- The thresholds of its levels: "1, 5, 10, 30, 60".
    levels TEXT NOT NULL,
    -- NULL for a manual badge.
    rule TEXT,
    rule_version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    retired_at TEXT,
    UNIQUE (tenant_id, key)
);

CREATE TABLE badge_awards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    badge_id INTEGER NOT NULL REFERENCES badges(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    level INTEGER NOT NULL,
    -- By rule: the score and the rule's version.
    score INTEGER,
    rule_version INTEGER,
    -- By hand: the Garant and the public reason.
    granted_by INTEGER REFERENCES users(id),
    reason TEXT,
    at TEXT NOT NULL,
    -- When its holder saw it on their profile (the site's notice until then).
    seen_at TEXT,
    UNIQUE (badge_id, user_id, level)
);
CREATE INDEX badge_awards_by_user ON badge_awards (user_id, badge_id);

-- What rules read, by account.
CREATE INDEX facts_by_author ON facts (author_id);
CREATE INDEX requests_by_author ON requests (author_id);
CREATE INDEX request_supporters_by_user ON request_supporters (user_id);
CREATE INDEX request_comments_by_author ON request_comments (author_id);
