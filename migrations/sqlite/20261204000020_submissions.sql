-- Submissions sent with an idempotency key (issue 13). A quick report or a contribution made
-- without network waits on the phone and is sent again until an answer comes back; its key,
-- recorded in the same transaction as what it filed, makes any later sending find that instead
-- of filing twice. The key itself is never stored: its SHA-256, like the requesters' links.
CREATE TABLE submissions (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    key_hash TEXT NOT NULL,
    -- 'request' or 'contribution'
    kind TEXT NOT NULL,
    -- The request's id, or the first fact of the contribution.
    target_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key_hash)
);
