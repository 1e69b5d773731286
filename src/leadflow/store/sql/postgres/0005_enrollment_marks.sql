-- leadflow schema, version 5: re-entry remembers pruned runs.
-- Never edit a shipped migration: later changes go in 0006 and on.

-- What `db prune` deleted, per contact and workflow key: how many runs and the latest creation
-- time among them. Re-entry counts a mark as runs that still exist (policy `never` stays
-- closed, `after N days` counts from the latest pruned run). Read by primary key only.
-- (Ids come from identity sequences here, which never hand out an id twice.)
CREATE TABLE enrollment_marks (
    contact_id      TEXT COLLATE "C" NOT NULL REFERENCES contacts (id),
    workflow_key    TEXT COLLATE "C" NOT NULL,
    runs            INTEGER NOT NULL,
    last_created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (contact_id, workflow_key)
);
