-- leadflow schema, version 5: re-entry remembers pruned runs; ids are never handed out twice.
-- Never edit a shipped migration: later changes go in 0006 and on.

-- What `db prune` deleted, per contact and workflow key: how many runs and the latest creation
-- time among them. Re-entry counts a mark as runs that still exist (policy `never` stays
-- closed, `after N days` counts from the latest pruned run). Read by primary key only.
CREATE TABLE enrollment_marks (
    contact_id      TEXT NOT NULL REFERENCES contacts (id),
    workflow_key    TEXT NOT NULL,
    runs            INTEGER NOT NULL,
    last_created_at REAL NOT NULL,
    PRIMARY KEY (contact_id, workflow_key)
) WITHOUT ROWID;

-- New steps, messages and events get max(id) + 1. Before a prune deletes rows it records each
-- table's highest id here, so an id that went (say, of a message a late delivery receipt still
-- names) is never given to a new row. Runs need no entry: their ids are AUTOINCREMENT.
CREATE TABLE id_high_water (
    name TEXT PRIMARY KEY,
    id   INTEGER NOT NULL
) WITHOUT ROWID;
