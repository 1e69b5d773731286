-- leadflow schema, version 270: the messages_due index's condition written as comparisons
-- joined by OR, word for word as on SQLite, so that one text of the due-message queries
-- (store/sql_common.py, QUEUED) matches the index on both. Same rows in the index.
-- (On SQLite this version also rewrites the status checks of the tables the workers write row
-- by row, which cost SQLite a temporary b-tree per write; PostgreSQL evaluates an IN list in
-- place, so its checks stay.)
-- Never edit a shipped migration: later changes go in a new file.

DROP INDEX messages_due;
CREATE INDEX messages_due ON messages (due_at, id)
    WHERE status = 'pending' OR status = 'deferred' OR status = 'sending';
