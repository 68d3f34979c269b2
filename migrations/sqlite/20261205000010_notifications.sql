-- Notifications as people choose them: what they follow, how each kind of event reaches them
-- (at once, in a daily digest, or never), the one-click key that stops a kind from any
-- message, and the events waiting for tomorrow's digest. Messages get an HTML alternative,
-- the collective's name as sender, a Reply-To and a List-Unsubscribe link, and the public
-- label of their recipient (a name or a role, never an address) for the journal entry written
-- when they are delivered.

ALTER TABLE mail_outbox ADD COLUMN html TEXT;
ALTER TABLE mail_outbox ADD COLUMN from_name TEXT;
ALTER TABLE mail_outbox ADD COLUMN reply_to TEXT;
ALTER TABLE mail_outbox ADD COLUMN unsubscribe_url TEXT;
ALTER TABLE mail_outbox ADD COLUMN recipient_label TEXT;

-- The language a user's messages are written in: `fr` or `en`.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';

-- Who follows what: a request (`request`) or a place (`object`), and why (`filed`,
-- `supported`, `assigned` or `chosen`).
CREATE TABLE follows (
    user_id INTEGER NOT NULL REFERENCES users(id),
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (user_id, target, target_id)
);
CREATE INDEX follows_by_target ON follows (target, target_id);

-- How a kind of event reaches a user when it is not the default: `immediately`, `daily` or
-- `never`.
CREATE TABLE notification_choices (
    user_id INTEGER NOT NULL REFERENCES users(id),
    event TEXT NOT NULL,
    mode TEXT NOT NULL,
    PRIMARY KEY (user_id, event)
);

-- The one-click links of messages (List-Unsubscribe): each stops one kind of event for its user
-- (\`event\` NULL: every kind). Only hashes are kept.
CREATE TABLE notification_keys (
    key_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    event TEXT,
    created_at TEXT NOT NULL
);

-- Events waiting for a user's daily digest; `sent_at` once a digest took them.
CREATE TABLE digest_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    request_id INTEGER,
    event TEXT NOT NULL,
    line TEXT NOT NULL,
    link TEXT NOT NULL,
    at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX digest_items_waiting ON digest_items (sent_at, user_id);

-- Those who filed or supported a request before following existed follow it.
INSERT INTO follows (user_id, tenant_id, target, target_id, reason, since)
SELECT author_id, tenant_id, 'request', id, 'filed', filed_at FROM requests
WHERE author_id IS NOT NULL;
INSERT INTO follows (user_id, tenant_id, target, target_id, reason, since)
SELECT s.user_id, r.tenant_id, 'request', r.id, 'supported', MIN(s.at)
FROM request_supporters s JOIN requests r ON r.id = s.request_id
WHERE s.user_id IS NOT NULL AND (r.author_id IS NULL OR r.author_id <> s.user_id)
GROUP BY s.user_id, r.tenant_id, r.id;
