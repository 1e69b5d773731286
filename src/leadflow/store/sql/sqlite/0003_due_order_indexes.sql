-- leadflow schema, version 3: indexes only (no table changes), so the upgrade keeps every row.
-- Never edit a shipped migration: later changes go in 0004 and on.

-- Claims read due work in (due time, id) order. With the due time alone in the index, many rows
-- sharing one moment (an `enroll --all` puts a million runs at the same wake_at) had to be read
-- and sorted to find the next batch; with the id in the index the batch is read in order.
DROP INDEX runs_due;
CREATE INDEX runs_due ON runs (wake_at, id) WHERE status IN ('active', 'waiting');

DROP INDEX messages_due;
CREATE INDEX messages_due ON messages (due_at, id) WHERE status IN ('pending', 'deferred', 'sending');
