"""What became of events that could not be processed as sent: quarantined (``error``: set aside,
processed, blocking nothing) or partly ignored (``ignored``: the ids in their data that named
something outside their contact, and why); and what observers added to their data
(:meth:`annotate_events`). The store methods for the three backends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.model.jsonvalue import dumps, loads
from leadflow.store.memory_state import MemoryState
from leadflow.store.parts import MemoryPart, SqlPart

MAX_NOTE = 2000  # characters kept of a reason (an exception's text can be long)


def clip(text: str) -> str:
    return text if len(text) <= MAX_NOTE else text[: MAX_NOTE - 3] + "..."


class SqlEventOutcomes(SqlPart):
    """:meth:`fail_events`, :meth:`note_events`, :meth:`failed_events_count` on SQLite and
    PostgreSQL (the same SQL, in each dialect's placeholders)."""

    def fail_events(self, owner: str, failures: Mapping[int, str], now: float) -> list[int]:
        """Quarantine: mark each event processed with its reason as ``error`` (its lease
        released), in one transaction -- only those still unprocessed and leased to ``owner``
        (or to nobody). Returns the ids quarantined, in id order."""
        if not failures:
            return []
        sql = self._dialect.sql(
            "UPDATE events SET processed_at = ?, error = ?, lease_owner = NULL, "
            "lease_until = NULL WHERE id = ? AND processed_at IS NULL "
            "AND (lease_owner IS NULL OR lease_owner = ?)"
        )
        done: list[int] = []
        with self._write() as conn:
            for event_id in sorted(failures):
                cur = conn.execute(sql, (now, clip(failures[event_id]), event_id, owner))
                if cur.rowcount:
                    done.append(event_id)
        return done

    def note_events(self, notes: Mapping[int, str]) -> None:
        """Record on each event what of its data was ignored and why (replacing a former
        note: processing an event again writes the same one)."""
        if not notes:
            return
        sql = self._dialect.sql("UPDATE events SET ignored = ? WHERE id = ?")
        with self._write() as conn:
            for event_id in sorted(notes):
                conn.execute(sql, (clip(notes[event_id]), event_id))

    def annotate_events(self, data: Mapping[int, Mapping[str, Any]]) -> None:
        """Merge keys into each event's ``data``, in one transaction."""
        if not data:
            return
        read = self._dialect.sql("SELECT data FROM events WHERE id = ?")
        write = self._dialect.sql("UPDATE events SET data = ? WHERE id = ?")
        with self._write() as conn:
            for event_id in sorted(data):
                row = conn.execute(read, (event_id,)).fetchone()
                if row is None:
                    continue
                merged = {**(loads(row[0]) or {}), **data[event_id]}
                conn.execute(write, (dumps(merged), event_id))

    def failed_events_count(self) -> int:
        """How many stored events are quarantined."""
        with self._read() as conn:
            row = conn.execute("SELECT count(*) FROM events WHERE error IS NOT NULL").fetchone()
        return 0 if row is None else int(row[0])


# Row layout of :mod:`.memory` events (EVENT_COLS order, then the lease).
class MemoryEventOutcomes(MemoryState, MemoryPart):
    """The same methods on the memory backend."""

    def fail_events(self, owner: str, failures: Mapping[int, str], now: float) -> list[int]:
        done: list[int] = []
        with self._lock:
            for event_id in sorted(failures):
                held = self._events.get(event_id)
                if held is None or held.record.processed_at is not None:
                    continue
                if held.lease_owner not in (None, owner):
                    continue
                held.record.error = clip(failures[event_id])
                held.lease_owner = held.lease_until = None
                self._mark_processed(held, now)
                done.append(event_id)
        return done

    def note_events(self, notes: Mapping[int, str]) -> None:
        with self._lock:
            for event_id, note in notes.items():
                held = self._events.get(event_id)
                if held is not None:
                    held.record.ignored = clip(note)

    def annotate_events(self, data: Mapping[int, Mapping[str, Any]]) -> None:
        with self._lock:
            for event_id, keys in data.items():
                held = self._events.get(event_id)
                if held is not None:
                    held.record.data = loads(dumps({**held.record.data, **keys}))

    def failed_events_count(self) -> int:
        with self._lock:
            return sum(1 for h in self._events.values() if h.record.error is not None)


__all__ = ["MAX_NOTE", "MemoryEventOutcomes", "SqlEventOutcomes", "clip"]
