"""Events in the memory backend: append (deduped), claim, complete, list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.model.jsonvalue import dumps
from leadflow.model.records import (
    Advance,
    CommitResult,
    EnrollRequest,
    Event,
    MessageFacts,
    NewEvent,
    Scope,
)
from leadflow.model.rules import (
    check_reentry,
    plan_event_advances,
)
from leadflow.store.codec import event_from_row
from leadflow.store.contract import makes_work
from leadflow.store.memory_rows import (
    E_CONTACT,
    E_ID,
    E_LOWNER,
    E_LUNTIL,
    E_OCCURRED,
    E_PROCESSED,
    E_TYPE,
    HOLD_TYPES,
    REPLY_TYPES,
    MemoryState,
    NewIds,
    event_status,
    require,
)


class MemoryEvents(MemoryState):
    # ------------------------------------------------------------------ events
    @staticmethod
    def _encode_event(e: NewEvent) -> tuple[Any, ...]:
        require(e.type, "events.type")
        require(e.dedupe_key, "events.dedupe_key")
        require(e.occurred_at, "events.occurred_at")
        return (e.type, e.contact_id, dumps(e.data), e.dedupe_key, e.occurred_at, e.processed)

    def _insert_events(self, encoded: Sequence[tuple[Any, ...]], now: float) -> list[int | None]:
        out: list[int | None] = []
        for etype, contact_id, data, key, occurred, processed in encoded:
            if key in self._event_by_key:
                out.append(None)
                continue
            self._last_event_id += 1
            eid = self._last_event_id
            done = now if processed else None
            self._events[eid] = [eid, etype, contact_id, data, key, occurred, now, done]
            self._events[eid] += [None, None, None, None]  # error, ignored, lease
            self._event_by_key[key] = eid
            if etype in REPLY_TYPES and contact_id is not None:
                self._last_reply[contact_id] = max(
                    occurred, self._last_reply.get(contact_id, occurred)
                )
            if processed:
                out.append(eid)
                continue
            self._unprocessed[eid] = None
            if etype in HOLD_TYPES and contact_id is not None:
                self._replies_waiting[contact_id] = self._replies_waiting.get(contact_id, 0) + 1
            out.append(eid)
        return out

    def _mark_processed(self, row: list[Any], now: float) -> None:
        row[E_PROCESSED] = now
        self._unprocessed.pop(row[E_ID], None)
        contact_id = row[E_CONTACT]
        if row[E_TYPE] in HOLD_TYPES and contact_id is not None:
            left = self._replies_waiting.get(contact_id, 0) - 1
            if left > 0:
                self._replies_waiting[contact_id] = left
            else:
                self._replies_waiting.pop(contact_id, None)

    def append_events(self, events: Sequence[NewEvent], now: float) -> list[int | None]:
        encoded = [self._encode_event(e) for e in events]
        with self._lock:
            out = self._insert_events(encoded, now)
        if any(i is not None for i in out):
            self._signal_work()
        return out

    def claim_events(self, owner: str, now: float, limit: int, lease_s: float) -> list[Event]:
        with self._lock:
            out: list[Event] = []
            if limit <= 0:
                return out
            for eid in self._unprocessed:
                row = self._events[eid]
                if row[E_OCCURRED] > now:
                    continue
                until = row[E_LUNTIL]
                if until is not None and until >= now:
                    continue
                row[E_LOWNER] = owner
                row[E_LUNTIL] = now + lease_s
                out.append(event_from_row(row))
                if len(out) >= limit:
                    break
            return out

    def complete_events(
        self,
        owner: str,
        event_ids: Sequence[int],
        advances: Sequence[Advance],
        enrollments: Sequence[EnrollRequest],
        facts: Sequence[MessageFacts],
        now: float,
    ) -> CommitResult:
        for req in enrollments:
            check_reentry(req.reentry, req.reentry_days)
        ids = NewIds()
        with self._lock:
            plan = plan_event_advances(advances, self._seq_of)
            retry = plan.retry_events
            kept = [r for r in enrollments if r.event_id is None or r.event_id not in retry]
            self._commit(plan.accepted, kept, facts, event_ids, retry, now, ids)
        ids.assign()
        if retry or kept or makes_work(plan.accepted):
            self._signal_work()
        return CommitResult(
            len(plan.accepted), len(plan.rejected), [a.run_id for a in plan.rejected]
        )

    def list_events(
        self,
        contact_id: str | None = None,
        limit: int = 1000,
        offset: int = 0,
        *,
        scope: Scope | None = None,
        after_id: int = 0,
        type: str | None = None,
        status: str | None = None,
    ) -> list[Event]:
        with self._lock:
            rows = [
                r
                for r in self._events.values()
                if (contact_id is None or r[E_CONTACT] == contact_id)
                and (type is None or r[E_TYPE] == type)
                and (status is None or event_status(r) == status)
                and r[E_ID] > after_id
                and self._in_scope(r[E_CONTACT], scope)
            ]
            return [event_from_row(r) for r in rows[offset : offset + limit]]

    def pending_events_count(self) -> int:
        with self._lock:
            return len(self._unprocessed)


__all__ = ["MemoryEvents"]
