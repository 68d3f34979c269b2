-- Personal links that expire and can be withdrawn, a requester's contact address confirmed
-- before it is mailed again, and a log of the e-mails requests cause (an address is kept as a
-- hash only) so that they can be bounded per request and per address.

-- When a link was last used (its lifetime runs from there) and when it was withdrawn (a
-- contact's, when their assignment ends). `confirms_contact`: the link mailed to a requester's
-- contact address, which confirms that address when it is opened.
ALTER TABLE request_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE request_tokens ADD COLUMN revoked_at TEXT;
ALTER TABLE request_tokens ADD COLUMN confirms_contact INTEGER NOT NULL DEFAULT 0;
CREATE INDEX request_tokens_by_request ON request_tokens (request_id, contact_id);

-- When the requester's contact address was confirmed (only then is it mailed again).
ALTER TABLE requests ADD COLUMN contact_confirmed_at TEXT;

CREATE TABLE request_mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    -- SHA-256 of the lower-cased address: never the address itself.
    address_hash TEXT NOT NULL,
    -- 1 when an editor caused it (a notification, an assignment): counted per request.
    by_editor INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX request_mails_by_request ON request_mails (request_id, at);
CREATE INDEX request_mails_by_address ON request_mails (address_hash, at);
