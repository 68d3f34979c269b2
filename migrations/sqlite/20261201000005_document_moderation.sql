-- Documents attached to an object by someone who may not moderate it wait for moderation, like
-- life events: a filed state written once, and one decision row, never changed. Documents
-- already stored (and those of requests, governed by the request's rules) are accepted.

ALTER TABLE documents ADD COLUMN filed_state TEXT NOT NULL DEFAULT 'accepted';

CREATE TABLE document_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL UNIQUE REFERENCES documents(id),
    decision TEXT NOT NULL,
    reason TEXT,
    decided_by INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
