"""History pruning on the SQL backends (SQLite and PostgreSQL share this SQL).

Reads are one consistent snapshot; each delete is one write transaction that first re-reads the
guard (still finished, ended before the cutoff, same seq, no queued message), records the runs
in ``enrollment_marks`` (re-entry counts them) and then deletes the runs' steps, messages and
runs. On SQLite it first keeps each table's highest id in ``id_high_water``, so no id is handed
out again. PostgreSQL locks the runs it checks (``FOR UPDATE``) so no commit
can slip in between the check and the delete; SQLite's ``BEGIN IMMEDIATE`` already holds the
only write lock.

No index is needed: the runs are read in primary-key order from ``after_id`` on, so a whole prune
reads the runs table once, an occasional cost that buys no write overhead on the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadflow.model.jsonvalue import dumps
from leadflow.model.records import Event, RunHistory
from leadflow.store.codec import (
    EVENT_COLS,
    MESSAGE_COLS,
    MESSAGE_FROM,
    RUN_COLS,
    STEP_COLS,
    event_from_row,
    message_from_row,
    run_from_row,
    step_from_row,
)
from leadflow.store.contract_prune import PruneStore
from leadflow.store.parts import SqlPart

ENDED = "('completed', 'exited', 'failed', 'cancelled')"
QUEUED = "('pending', 'deferred', 'sending')"


class _Sql:
    """The statements of one dialect: ``p`` is the placeholder, ``ids`` an id-list test."""

    def __init__(self, p: str, ids: str, lock: str, greatest: str, high_water: bool) -> None:
        no_queued = (
            f"NOT EXISTS (SELECT 1 FROM messages q WHERE q.run_id = r.id AND q.status IN {QUEUED})"
        )
        finished = f"r.status IN {ENDED} AND r.ended_at < {p} AND {no_queued}"
        self.runs = (
            f"SELECT {', '.join('r.' + c.strip() for c in RUN_COLS.split(','))} FROM runs r "
            f"WHERE {finished} AND r.id > {p} ORDER BY r.id LIMIT {p}"
        )
        self.steps = f"SELECT {STEP_COLS} FROM steps WHERE run_id {ids} ORDER BY id"
        self.messages = (
            f"SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} WHERE m.run_id {ids} ORDER BY m.id"
        )
        self.guard = f"SELECT r.id, r.seq FROM runs r WHERE r.id {ids} AND {finished}{lock}"
        # Re-entry remembers the runs that go: per (contact, workflow key), how many and the
        # latest created_at (ordered, so concurrent prunes lock marks in one order).
        self.mark = (
            "INSERT INTO enrollment_marks (contact_id, workflow_key, runs, last_created_at) "
            f"SELECT contact_id, workflow_key, count(*), max(created_at) FROM runs WHERE id {ids} "
            "GROUP BY contact_id, workflow_key ORDER BY contact_id, workflow_key "
            "ON CONFLICT (contact_id, workflow_key) DO UPDATE SET "
            "runs = enrollment_marks.runs + excluded.runs, "
            f"last_created_at = {greatest}(enrollment_marks.last_created_at, "
            "excluded.last_created_at)"
        )
        # SQLite hands out max(id) + 1: keep each table's highest id before rows go (see
        # SQLiteStore._next_id). PostgreSQL's identity sequences never go back.
        self.high_water = (
            [
                "INSERT INTO id_high_water (name, id) "
                f"SELECT '{table}', coalesce(max(id), 0) FROM {table} WHERE true "
                "ON CONFLICT (name) DO UPDATE SET id = max(id_high_water.id, excluded.id)"
                for table in ("steps", "messages", "events")
            ]
            if high_water
            else []
        )
        self.delete_steps = f"DELETE FROM steps WHERE run_id {ids}"
        self.delete_messages = f"DELETE FROM messages WHERE run_id {ids}"
        self.delete_runs = f"DELETE FROM runs WHERE id {ids}"
        done = f"processed_at IS NOT NULL AND processed_at < {p} AND occurred_at < {p}"
        self.events = (
            f"SELECT {EVENT_COLS} FROM events WHERE {done} AND id > {p} ORDER BY id LIMIT {p}"
        )
        self.delete_events = f"DELETE FROM events WHERE id {ids} AND {done} RETURNING id"


SQLITE = _Sql("?", "IN (SELECT value FROM json_each(?))", "", "max", high_water=True)
POSTGRES = _Sql(
    "%s", "= ANY(%s::bigint[])", " ORDER BY r.id FOR UPDATE", "greatest", high_water=False
)


class SqlPrune(SqlPart, PruneStore):
    """The prune methods of :class:`~leadflow.store.contract.Store`, for a backend with
    ``_read(snapshot)`` / ``_write()`` context managers yielding a DB-API-like connection."""

    _prune_sql: _Sql = SQLITE
    _prune_json_ids = True  # SQLite passes id lists as one JSON text; PostgreSQL as an array

    def _ids(self, ids: Sequence[int]) -> Any:
        return dumps(list(ids)) if self._prune_json_ids else list(ids)

    def prunable_runs(
        self, before: float, after_id: int = 0, limit: int = 1000
    ) -> list[RunHistory]:
        sql = self._prune_sql
        with self._read(snapshot=True) as conn:
            rows = conn.execute(sql.runs, (before, after_id, max(limit, 0))).fetchall()
            found = {r[0]: RunHistory(run_from_row(r)) for r in rows}
            if not found:
                return []
            ids = self._ids(list(found))
            steps = conn.execute(sql.steps, (ids,)).fetchall()
            messages = conn.execute(sql.messages, (ids,)).fetchall()
        for row in steps:
            step = step_from_row(row)
            found[step.run_id].steps.append(step)
        for row in messages:
            message = message_from_row(row)
            if message.run_id is not None:
                found[message.run_id].messages.append(message)
        return list(found.values())

    def delete_runs_history(self, seqs: Mapping[int, int], before: float) -> list[int]:
        if not seqs:
            return []
        sql = self._prune_sql
        with self._write() as conn:
            rows = conn.execute(sql.guard, (self._ids(sorted(seqs)), before)).fetchall()
            keep = sorted(rid for rid, seq in rows if seqs.get(rid) == seq)
            if keep:
                ids = self._ids(keep)
                for statement in sql.high_water:
                    conn.execute(statement)
                conn.execute(sql.mark, (ids,))
                conn.execute(sql.delete_steps, (ids,))
                conn.execute(sql.delete_messages, (ids,))
                conn.execute(sql.delete_runs, (ids,))
        return keep

    def prunable_events(self, before: float, after_id: int = 0, limit: int = 1000) -> list[Event]:
        with self._read() as conn:
            rows = conn.execute(
                self._prune_sql.events, (before, before, after_id, max(limit, 0))
            ).fetchall()
        return [event_from_row(r) for r in rows]

    def delete_events(self, event_ids: Sequence[int], before: float) -> list[int]:
        if not event_ids:
            return []
        with self._write() as conn:
            for statement in self._prune_sql.high_water:
                conn.execute(statement)
            rows = conn.execute(
                self._prune_sql.delete_events, (self._ids(sorted(set(event_ids))), before, before)
            ).fetchall()
        return sorted(int(r[0]) for r in rows)


class PgPrune(SqlPrune):
    """:class:`SqlPrune` with PostgreSQL's placeholders, id arrays and row locks."""

    _prune_sql = POSTGRES
    _prune_json_ids = False


__all__ = ["PgPrune", "SqlPrune"]
