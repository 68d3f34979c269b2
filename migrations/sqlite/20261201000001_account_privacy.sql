-- Account privacy: a stable pseudonym per account (what the public journal names), the time an
-- account was deleted, and the count of account e-mails sent per address (hashed, never in
-- clear) so that mail floods are limited across restarts.

ALTER TABLE users ADD COLUMN pseudonym TEXT;
ALTER TABLE users ADD COLUMN deleted_at TEXT;
UPDATE users SET pseudonym = lower(hex(randomblob(8))) WHERE pseudonym IS NULL;
CREATE UNIQUE INDEX users_by_pseudonym ON users (pseudonym);

CREATE TABLE mail_sends (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the lowercase address with a fixed prefix: the address itself is not kept.
    address_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX mail_sends_by_address ON mail_sends (address_hash, sent_at);
