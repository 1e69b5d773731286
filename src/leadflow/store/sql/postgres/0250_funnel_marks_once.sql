-- leadflow schema, version 250: the funnel summary's marks (0220) cost the engine less.
-- A message's status and facts (sent, delivered, opened, clicked, replied, suppressed, failed)
-- change only through the outbox's two batch updates (the dispatcher's verdicts and the facts
-- of receipts and webhooks), which now mark their messages' runs in one statement per batch
-- (store/sql_writes.py, _mark_message_runs). The per-row trigger that compared ten columns on
-- every message update, the lease included, goes; a trigger stays for the columns no batch
-- update sets (a message moved to another run or node). The run trigger fires only for updates
-- that set a column it reads (UPDATE OF): a claim or a release of a run's lease no longer
-- compares the run's context. (The run and step trigger functions already wrote the second
-- mark only when a row changed runs.)
DROP TRIGGER funnel_message_change ON messages;

CREATE OR REPLACE TRIGGER funnel_message_moved AFTER UPDATE OF run_id, node ON messages
FOR EACH ROW WHEN (OLD.run_id IS DISTINCT FROM NEW.run_id OR OLD.node IS DISTINCT FROM NEW.node)
EXECUTE FUNCTION funnel_mark_both();

DROP TRIGGER funnel_run_change ON runs;

CREATE OR REPLACE TRIGGER funnel_run_change
AFTER UPDATE OF seq, status, node, version, exit_reason, created_at, workflow_key, contact_id, id, context ON runs
FOR EACH ROW WHEN (OLD.seq IS DISTINCT FROM NEW.seq OR OLD.status IS DISTINCT FROM NEW.status OR OLD.node IS DISTINCT FROM NEW.node
    OR OLD.version IS DISTINCT FROM NEW.version
    OR OLD.exit_reason IS DISTINCT FROM NEW.exit_reason
    OR OLD.created_at IS DISTINCT FROM NEW.created_at
    OR OLD.workflow_key IS DISTINCT FROM NEW.workflow_key
    OR OLD.contact_id IS DISTINCT FROM NEW.contact_id OR OLD.id IS DISTINCT FROM NEW.id
    OR (OLD.context IS DISTINCT FROM NEW.context
        AND (strpos(OLD.context, '"_branch"') > 0 OR strpos(NEW.context, '"_branch"') > 0)))
EXECUTE FUNCTION funnel_mark_run();
