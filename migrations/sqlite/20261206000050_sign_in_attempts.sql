-- Sign-in throttling kept in the database, so that several server processes share one count:
-- the attempts of each key (a hash of the account's address, or of the client's address, with
-- what it counts: never either in clear) over its sliding window. A successful attempt gives
-- its row back; rows past the longest window are pruned, and the table is capped in size.

CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    limit_key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX sign_in_attempts_by_key ON sign_in_attempts (limit_key, at);
CREATE INDEX sign_in_attempts_by_time ON sign_in_attempts (at);
