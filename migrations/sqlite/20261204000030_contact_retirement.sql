-- A contact who left their post is retired by a Garant (issue 13), not deleted: the journal and
-- past assignments keep their name and role; they are no longer offered, notified or assigned,
-- and their personal links stop working. Added again with the same address, they come back.
ALTER TABLE request_contacts ADD COLUMN retired_at TEXT;
