-- Requests for intervention or improvement, filed on an observed object; who handles them;
-- their supporters ("me too"), comments and attachments; and the collective's append-only,
-- hash-chained journal of everything done to them. Nothing here is ever deleted.

-- Named people of the collective requests of a type can be assigned to (e.g. the city's head
-- of works). Name and role are public; the e-mail is private.
CREATE TABLE request_contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    type_key TEXT NOT NULL,
    name TEXT NOT NULL,
    role_title TEXT NOT NULL,
    email TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    at TEXT NOT NULL,
    UNIQUE (tenant_id, type_key, email)
);

CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    object_id INTEGER NOT NULL REFERENCES objects(id),
    kind TEXT NOT NULL,
    -- JSON array of "set/category" keys.
    categories TEXT NOT NULL,
    -- The requester's words, never changed.
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The moderator's re-expression, when there is one.
    public_title TEXT,
    public_description TEXT,
    -- JSON object of the kind's extra fields (encoded values).
    extra_fields TEXT NOT NULL,
    urgency TEXT NOT NULL,
    reminder_on TEXT,
    reminder_sent_at TEXT,
    provenance TEXT NOT NULL,
    author_id INTEGER REFERENCES users(id),
    -- Private: lets an anonymous requester follow the request.
    contact_email TEXT,
    status TEXT NOT NULL,
    -- Public reason of a refusal or of setting apart.
    moderation_reason TEXT,
    merged_into INTEGER REFERENCES requests(id),
    filed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX requests_by_object ON requests (tenant_id, object_id, id);
CREATE INDEX requests_by_status ON requests (tenant_id, status);

CREATE TABLE request_assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    user_id INTEGER REFERENCES users(id),
    contact_id INTEGER REFERENCES request_contacts(id),
    assigned_by INTEGER REFERENCES users(id),
    at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX request_assignments_by_request ON request_assignments (request_id);

CREATE TABLE request_supporters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    user_id INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE UNIQUE INDEX request_supporters_once ON request_supporters (request_id, user_id)
    WHERE user_id IS NOT NULL;

-- Readable by signed-in users only.
CREATE TABLE request_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX request_comments_by_request ON request_comments (request_id, id);

-- Photos and documents of a request live with the object's documents.
ALTER TABLE documents ADD COLUMN request_id INTEGER REFERENCES requests(id);

-- Secret links: the requester's (to follow and update an anonymous request) and each assigned
-- contact's (to answer without an account). Only a hash is kept.
CREATE TABLE request_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    contact_id INTEGER REFERENCES request_contacts(id),
    token_hash TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL
);

-- The head of each collective's chain: taking the next position locks it, so entries are
-- written one after the other.
CREATE TABLE journal_heads (
    tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE request_journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    seq INTEGER NOT NULL,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    action TEXT NOT NULL,
    details TEXT NOT NULL,
    at TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (tenant_id, seq)
);
CREATE INDEX request_journal_by_request ON request_journal (request_id, seq);
