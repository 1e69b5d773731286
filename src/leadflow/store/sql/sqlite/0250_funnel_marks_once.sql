-- leadflow schema, version 250: the funnel summary's marks (0220) cost the engine less.
--
-- * A message's status and facts (sent, delivered, opened, clicked, replied, suppressed, failed)
--   change only through the outbox's two batch updates (the dispatcher's verdicts and the
--   facts of receipts and webhooks), which now mark their messages' runs in one statement per
--   batch (store/sql_writes.py, _mark_message_runs). The per-row trigger that compared ten
--   columns on every message update, the lease included, goes; a trigger stays for the
--   columns no batch update sets (a message moved to another run or node).
-- * The run trigger fires only for updates that set a column it reads (UPDATE OF): a claim or
--   a release of a run's lease no longer compares the run's context. The run and step triggers
--   write the second mark (the run the row had before) only when the row changed runs.
DROP TRIGGER funnel_run_change;
CREATE TRIGGER funnel_run_change
AFTER UPDATE OF seq, status, node, version, exit_reason, created_at, workflow_key, contact_id, id, context
ON runs
WHEN OLD.seq IS NOT NEW.seq OR OLD.status IS NOT NEW.status OR OLD.node IS NOT NEW.node
    OR OLD.version IS NOT NEW.version OR OLD.exit_reason IS NOT NEW.exit_reason
    OR OLD.created_at IS NOT NEW.created_at OR OLD.workflow_key IS NOT NEW.workflow_key
    OR OLD.contact_id IS NOT NEW.contact_id OR OLD.id IS NOT NEW.id
    OR (OLD.context IS NOT NEW.context
        AND (instr(OLD.context, '"_branch"') > 0 OR instr(NEW.context, '"_branch"') > 0))
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (NEW.id);
    INSERT OR IGNORE INTO funnel_dirty (run_id) SELECT OLD.id WHERE OLD.id IS NOT NEW.id;
END;

DROP TRIGGER funnel_step_change;
CREATE TRIGGER funnel_step_change AFTER UPDATE ON steps
WHEN OLD.run_id IS NOT NEW.run_id OR OLD.node IS NOT NEW.node OR OLD.kind IS NOT NEW.kind
    OR OLD.outcome IS NOT NEW.outcome
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) VALUES (NEW.run_id);
    INSERT OR IGNORE INTO funnel_dirty (run_id) SELECT OLD.run_id WHERE OLD.run_id IS NOT NEW.run_id;
END;

DROP TRIGGER funnel_message_change;
CREATE TRIGGER funnel_message_moved AFTER UPDATE OF run_id, node ON messages
WHEN OLD.run_id IS NOT NEW.run_id OR OLD.node IS NOT NEW.node
BEGIN
    INSERT OR IGNORE INTO funnel_dirty (run_id) SELECT NEW.run_id WHERE NEW.run_id IS NOT NULL;
    INSERT OR IGNORE INTO funnel_dirty (run_id) SELECT OLD.run_id
        WHERE OLD.run_id IS NOT NULL AND OLD.run_id IS NOT NEW.run_id;
END;
