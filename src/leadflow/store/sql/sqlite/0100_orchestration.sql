-- leadflow schema, version 100: AI task orchestration. A batch of AI tasks a tenant submitted
-- (orch_batches) and its tasks (orch_tasks), claimed by workers with leases like runs and
-- messages; a task's outcome is written only by the holder of its lease.

CREATE TABLE orch_batches (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    label         TEXT NOT NULL DEFAULT '',
    created_at    REAL NOT NULL,
    cancelled_at  REAL
);

CREATE INDEX orch_batches_tenant ON orch_batches (tenant_id, created_at);

CREATE TABLE orch_tasks (
    batch_id      TEXT NOT NULL REFERENCES orch_batches (id),
    task_id       TEXT NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    kind          TEXT NOT NULL,           -- compose | classify | summarise | draft_workflow | draft_campaign
    input         TEXT NOT NULL,           -- JSON
    priority      INTEGER NOT NULL,
    depends_on    TEXT NOT NULL,           -- JSON list of task ids of the same batch
    server        TEXT NOT NULL,           -- the model server it calls, 'local' for none
    seq           INTEGER NOT NULL,        -- submission order within the batch
    created_at    REAL NOT NULL,
    status        TEXT NOT NULL,           -- pending | running | done | failed | skipped | cancelled
    ready         INTEGER NOT NULL,        -- 1 once every dependency is done
    result        TEXT,                    -- JSON
    confidence    REAL,
    tokens_in     INTEGER NOT NULL DEFAULT 0,
    tokens_out    INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_until   REAL,
    started_at    REAL,
    finished_at   REAL,
    PRIMARY KEY (batch_id, task_id)
);

-- what a claim reads: ready pending tasks in claim order, and leased tasks by lease end
CREATE INDEX orch_tasks_claimable ON orch_tasks (priority DESC, created_at, batch_id, seq)
    WHERE status = 'pending' AND ready = 1;
CREATE INDEX orch_tasks_leased ON orch_tasks (lease_until) WHERE status = 'running';

-- the dependency edges (task_id depends on dep_id), read both ways when a task ends
CREATE TABLE orch_deps (
    batch_id  TEXT NOT NULL,
    task_id   TEXT NOT NULL,
    dep_id    TEXT NOT NULL,
    PRIMARY KEY (batch_id, task_id, dep_id),
    FOREIGN KEY (batch_id, task_id) REFERENCES orch_tasks (batch_id, task_id)
);

CREATE INDEX orch_deps_dependents ON orch_deps (batch_id, dep_id);
