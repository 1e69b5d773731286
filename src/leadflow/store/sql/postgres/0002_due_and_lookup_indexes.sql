-- leadflow schema, version 2 (PostgreSQL, as SQLite's 0002): indexes only, so the upgrade keeps every row.
-- Never edit a shipped migration: later changes go in 0003 and on.

-- Runs of one workflow (list_runs / count_runs / node_counts with a workflow key). On the
-- workflow key alone: commits never set it, so the hot UPDATE of a run does not touch this index
-- (an index on (workflow_key, status) would be rewritten by every commit that moves a status);
-- equal keys are in id order, which is list_runs' order.
CREATE INDEX runs_workflow ON runs (workflow_key);

-- The event queue in occurred_at order, unprocessed events only: next_due_at reads the first
-- due event from here instead of scanning the backlog.
CREATE INDEX events_due ON events (occurred_at) WHERE processed_at IS NULL;
