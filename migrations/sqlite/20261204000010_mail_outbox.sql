-- The durable outbox of e-mails: a message is inserted in the transaction of the action that
-- causes it, then delivered by a background worker (`vigie serve`) that claims due rows under a
-- lease, retries with exponential back-off and gives up ("failed") after a number of attempts.
-- The Message-ID is fixed per row: a crash between sending and marking re-sends the same one.
-- The recipient is private (never shown publicly); the row is kept once sent, for the record.

CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Local part of the Message-ID (`<{message_id}@{sender's domain}>`).
    message_id TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- What it is for: `notification`, `verify_email`, `reset_password`, …
    purpose TEXT NOT NULL,
    tenant_id INTEGER REFERENCES tenants (id) ON DELETE CASCADE,
    request_id INTEGER,
    -- `pending`, `sent` or `failed`.
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    -- A worker's claim: until when, and whose.
    lease_until TEXT,
    lease_owner TEXT,
    last_error TEXT,
    server_reply TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);
