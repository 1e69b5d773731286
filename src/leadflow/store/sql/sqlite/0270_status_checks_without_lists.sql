-- leadflow schema, version 270: the status checks of the tables written once per row by the
-- workers (runs, messages, webhook_deliveries, crm_deliveries), and the messages_due index's
-- condition, written as comparisons joined by OR instead of IN lists. Same rules, same
-- rows in the index; what changes is the cost of every write of a run or a message.
--
-- SQLite evaluates `status IN ('a', 'b', 'c', ...)` (three or more constants) by building a
-- temporary b-tree of the constants each time the statement runs, and the engine runs its
-- writes once per row (executemany). A CHECK and a partial index's WHERE are evaluated on
-- every insert and update, so each write of a message built three such b-trees (the CHECK,
-- and the index's condition for the old and the new row) and each write of a run one: about
-- a third of a dispatched message's SQLite time went to allocating and zeroing their pages.
-- `status = 'a' OR status = 'b' ...` is evaluated in place.
--
-- A CHECK cannot be altered, and rebuilding runs and messages would copy every row. The check's
-- text is changed in the schema instead, as SQLite documents for a change that leaves the
-- stored rows as they are (https://sqlite.org/lang_altertable.html, "otheralter"): the new
-- check accepts exactly the statuses the old one did. The index is made again, which also
-- makes every connection read the new schema.
-- Never edit a shipped migration: later changes go in a new file.

PRAGMA writable_schema = ON;

-- Each table's `CHECK (status IN (...))`, up to the `'))` that closes it, replaced.
UPDATE sqlite_master SET sql =
    substr(sql, 1, instr(sql, 'CHECK (status IN (') - 1)
    || CASE name
        WHEN 'runs' THEN 'CHECK (status = ''active'' OR status = ''waiting'' '
            || 'OR status = ''paused'' OR status = ''completed'' OR status = ''exited'' '
            || 'OR status = ''failed'' OR status = ''cancelled'')'
        WHEN 'messages' THEN 'CHECK (status = ''pending'' OR status = ''deferred'' '
            || 'OR status = ''sending'' OR status = ''sent'' OR status = ''delivered'' '
            || 'OR status = ''failed'' OR status = ''suppressed'')'
        WHEN 'webhook_deliveries'
            THEN 'CHECK (status = ''pending'' OR status = ''delivered'' OR status = ''failed'')'
        WHEN 'crm_deliveries'
            THEN 'CHECK (status = ''pending'' OR status = ''done'' OR status = ''failed'')'
    END
    || substr(sql, instr(sql, 'CHECK (status IN (')
        + instr(substr(sql, instr(sql, 'CHECK (status IN (')), '''))') + 2)
WHERE type = 'table' AND name IN ('runs', 'messages', 'webhook_deliveries', 'crm_deliveries')
    AND instr(sql, 'CHECK (status IN (') > 0;

PRAGMA writable_schema = RESET;

-- The queries that read it repeat this condition word for word (store/sql_common.py, QUEUED),
-- so the planner can use the index.
DROP INDEX messages_due;
CREATE INDEX messages_due ON messages (due_at, id)
    WHERE status = 'pending' OR status = 'deferred' OR status = 'sending';
