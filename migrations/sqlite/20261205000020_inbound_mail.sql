-- Replies by e-mail that could not be taken as answers: no reply address, an unknown, expired
-- or revoked token, or a sender who is not the person the token was sent to. They wait here
-- until a Garant of the collective (or a Guru, for mail matching no collective) routes one to
-- a request, where it becomes an answer « reçue par e-mail », or drops it.
-- The sender's address is private: never shown publicly, never exported.

CREATE TABLE inbound_mail (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    -- The collective and the request the token named, when it named one.
    tenant_id INTEGER REFERENCES tenants (id) ON DELETE CASCADE,
    request_id INTEGER,
    sender TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attachments INTEGER NOT NULL DEFAULT 0,
    -- Why it is held: `no_token`, `unknown_token`, `expired_token`, `other_sender`, …
    reason TEXT NOT NULL,
    -- `held`, `routed` or `dropped`.
    state TEXT NOT NULL DEFAULT 'held',
    -- The request it was routed to.
    routed_to INTEGER,
    decided_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decided_at TEXT
);
CREATE INDEX inbound_mail_held ON inbound_mail (state, tenant_id, id);
