-- leadflow schema, version 16: what became of an event. ``error``: it could not be processed
-- (quarantined: marked processed with the reason, so it blocks nothing); ``ignored``: parts of
-- its data were ignored, and why (an id naming another contact's message...). Never edit a
-- shipped migration: later changes go in a new file.

ALTER TABLE events ADD COLUMN error TEXT;
ALTER TABLE events ADD COLUMN ignored TEXT;
-- GET /api/v1/events?status=failed and the failed-events metric read only these.
CREATE INDEX events_failed ON events (id) WHERE error IS NOT NULL;
