-- leadflow schema, version 15: experiments (split nodes with an ``experiment`` block), each
-- contact's sticky arm and every decision with the numbers behind it. Never edit a shipped
-- migration: later changes go in a new file.

CREATE TABLE experiments (
    tenant_id      TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    key            TEXT COLLATE "C" NOT NULL,
    workflow_key   TEXT NOT NULL,
    node_id        TEXT NOT NULL,
    config         TEXT NOT NULL,          -- JSON: the experiment block as published, plus arms
    weights        TEXT NOT NULL,          -- JSON: arm -> share new entrants get now
    status         TEXT NOT NULL,          -- running | applied | stopped
    winner         TEXT,
    revision       INTEGER NOT NULL,       -- each write names the revision it read
    created_at     DOUBLE PRECISION NOT NULL,
    updated_at     DOUBLE PRECISION NOT NULL,
    next_review_at DOUBLE PRECISION,
    PRIMARY KEY (tenant_id, key)
);
-- due_experiments: running experiments by next_review_at.
CREATE INDEX experiments_due ON experiments (next_review_at)
    WHERE status = 'running' AND next_review_at IS NOT NULL;

CREATE TABLE experiment_assignments (
    tenant_id      TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    experiment_key TEXT COLLATE "C" NOT NULL,
    contact_id     TEXT COLLATE "C" NOT NULL,
    arm            TEXT NOT NULL,
    assigned_at    DOUBLE PRECISION NOT NULL,
    run_id         BIGINT,
    PRIMARY KEY (tenant_id, experiment_key, contact_id)
);

CREATE TABLE experiment_decisions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    experiment_key TEXT COLLATE "C" NOT NULL,
    decided_at     DOUBLE PRECISION NOT NULL,
    action         TEXT NOT NULL,          -- keep | apply_winner | reallocate | ...
    reason         TEXT NOT NULL,
    weights_before TEXT NOT NULL,          -- JSON
    weights_after  TEXT NOT NULL,          -- JSON
    winner         TEXT,
    numbers        TEXT NOT NULL           -- JSON: the report the decision was made on
);
CREATE INDEX experiment_decisions_key ON experiment_decisions (tenant_id, experiment_key, id);

-- Outcome reads: a few event types of many contacts since a moment (contact_events).
CREATE INDEX events_contact_type ON events (contact_id, type, occurred_at);
