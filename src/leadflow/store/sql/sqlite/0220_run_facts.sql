-- leadflow schema, version 220: a per-run summary of what the funnel and the cohort grid read
-- of each run, so a report groups one narrow row per run instead of reading every step and
-- message (see store/funnel_summary.py).
--
-- funnel_paths: every distinct "path" -- what the funnel reads of a run (version, node, status,
-- exit reason, whether it entered the workflow, its steps as (node, kind, outcome) and its
-- messages as (node, flag bits)) as canonical JSON -- once.
CREATE TABLE funnel_paths (
    id    INTEGER PRIMARY KEY,
    facts TEXT NOT NULL UNIQUE
);

-- run_facts: one row per run: its tenant (its contact's), workflow, entry time, whether it
-- entered the workflow (not a parallel node's branch run) and its path.
CREATE TABLE run_facts (
    run_id       INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    workflow_key TEXT NOT NULL,
    created_at   REAL NOT NULL,
    root         INTEGER NOT NULL,
    path_id      INTEGER NOT NULL
);
-- The funnel: the runs of a workflow counted by path (read in path order, no sort).
CREATE INDEX run_facts_path ON run_facts (tenant_id, workflow_key, path_id, created_at);
-- The cohort grid: the runs of a workflow by entry time.
CREATE INDEX run_facts_entry ON run_facts (tenant_id, workflow_key, created_at, root);

-- funnel_dirty: the runs whose facts changed since their row was last made. Triggers mark them
-- in the transaction that changes them (every write path: the engine, message status updates
-- and webhooks, rewinds, migrations, prune, erasure); a report, or the periodic fold, makes
-- their rows again from the runs, steps and messages and deletes the marks.
CREATE TABLE funnel_dirty (
    run_id INTEGER PRIMARY KEY
);
INSERT INTO funnel_dirty (run_id) SELECT id FROM runs;

CREATE TRIGGER funnel_run_new AFTER INSERT ON runs
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (NEW.id);
END;

-- A run's context is read only for its branch link: a change of a context that names
-- "_branch" (before or after) marks the run (a cheap superset of the link changing).
-- The engine writes a run's steps and its messages only with an advance of the run, which
-- moves its seq in the same transaction: a new seq marks them (no trigger per step or message
-- row, which cost the engine's commits more than the budget allows).
CREATE TRIGGER funnel_run_change AFTER UPDATE ON runs
WHEN OLD.seq IS NOT NEW.seq OR OLD.status IS NOT NEW.status OR OLD.node IS NOT NEW.node
    OR OLD.version IS NOT NEW.version OR OLD.exit_reason IS NOT NEW.exit_reason
    OR OLD.created_at IS NOT NEW.created_at OR OLD.workflow_key IS NOT NEW.workflow_key
    OR OLD.contact_id IS NOT NEW.contact_id OR OLD.id IS NOT NEW.id
    OR (OLD.context IS NOT NEW.context
        AND (instr(OLD.context, '"_branch"') > 0 OR instr(NEW.context, '"_branch"') > 0))
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (NEW.id);
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (OLD.id);
END;

CREATE TRIGGER funnel_run_gone AFTER DELETE ON runs
BEGIN
    DELETE FROM run_facts WHERE run_id = OLD.id;
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (OLD.id);
END;

CREATE TRIGGER funnel_step_change AFTER UPDATE ON steps
WHEN OLD.run_id IS NOT NEW.run_id OR OLD.node IS NOT NEW.node OR OLD.kind IS NOT NEW.kind
    OR OLD.outcome IS NOT NEW.outcome
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (NEW.run_id);
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (OLD.run_id);
END;

CREATE TRIGGER funnel_step_gone AFTER DELETE ON steps
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (OLD.run_id);
END;

-- A status counts only as sent, delivered, suppressed or failed (pending -> sending: no mark).
CREATE TRIGGER funnel_message_change AFTER UPDATE ON messages
WHEN OLD.status IS NOT NEW.status AND (OLD.status IN ('sent', 'delivered', 'suppressed', 'failed') OR NEW.status IN ('sent', 'delivered', 'suppressed', 'failed')) OR OLD.run_id IS NOT NEW.run_id OR OLD.node IS NOT NEW.node
    OR OLD.sent_at IS NOT NEW.sent_at OR OLD.delivered_at IS NOT NEW.delivered_at
    OR OLD.opened_at IS NOT NEW.opened_at OR OLD.clicked_at IS NOT NEW.clicked_at
    OR OLD.replied_at IS NOT NEW.replied_at
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) SELECT NEW.run_id WHERE NEW.run_id IS NOT NULL;
    INSERT OR IGNORE INTO funnel_dirty (run_id) SELECT OLD.run_id WHERE OLD.run_id IS NOT NULL;
END;

CREATE TRIGGER funnel_message_gone AFTER DELETE ON messages
WHEN OLD.run_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (OLD.run_id);
END;

CREATE TRIGGER funnel_contact_tenant AFTER UPDATE ON contacts
WHEN OLD.tenant_id IS NOT NEW.tenant_id OR OLD.id IS NOT NEW.id
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) SELECT id FROM runs WHERE contact_id = NEW.id;
END;
