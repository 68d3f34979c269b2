-- The moderation desk lists and counts what waits for a decision in a collective, oldest first.
-- Only what was filed pending can wait: partial indexes over those rows keep the desk and the
-- header's count proportional to what citizens proposed, never to the official data imported
-- beside it (an item decided since keeps its filed state; its decision row says it is done).
CREATE INDEX facts_filed_pending ON facts (tenant_id, id) WHERE filed_state = 'pending';
CREATE INDEX life_events_filed_pending ON life_events (tenant_id, id) WHERE filed_state = 'pending';
CREATE INDEX documents_filed_pending ON documents (tenant_id, id) WHERE filed_state = 'pending';
-- Requests awaiting moderation, oldest first.
CREATE INDEX requests_by_status_id ON requests (tenant_id, status, id);
