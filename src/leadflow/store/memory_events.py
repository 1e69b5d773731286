"""Events in the memory backend: append (deduped), claim, list (completing them is a batch
commit: :meth:`.MemoryRuns.complete_events`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from leadflow.model.records import (
    Event,
    NewEvent,
)
from leadflow.store.contract_work import EventQuery
from leadflow.store.memory_state import (
    HOLD_TYPES,
    REPLY_TYPES,
    HeldEvent,
    MemoryState,
    as_json,
    copy_event,
    event_status,
    require,
)


class MemoryEvents(MemoryState):
    # ------------------------------------------------------------------ events
    @staticmethod
    def _encode_event(e: NewEvent) -> NewEvent:
        require(e.type, "events.type")
        require(e.dedupe_key, "events.dedupe_key")
        require(e.occurred_at, "events.occurred_at")
        return replace(e, data=as_json(e.data))

    def _insert_events(self, encoded: Sequence[NewEvent], now: float) -> list[int | None]:
        out: list[int | None] = []
        for e in encoded:
            key, contact_id, etype, occurred, processed = (
                e.dedupe_key,
                e.contact_id,
                e.type,
                e.occurred_at,
                e.processed,
            )
            if key in self._event_by_key:
                out.append(None)
                continue
            self._last_event_id += 1
            eid = self._last_event_id
            done = now if processed else None
            stored = Event(eid, etype, contact_id, e.data, key, occurred, now, done)
            self._events[eid] = HeldEvent(stored)
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

    def _mark_processed(self, held: HeldEvent, now: float) -> None:
        event = held.record
        event.processed_at = now
        self._unprocessed.pop(event.id, None)
        contact_id = event.contact_id
        if event.type in HOLD_TYPES and contact_id is not None:
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

    def event_ids_by_dedupe(self, dedupe_keys: Sequence[str]) -> dict[str, int]:
        with self._lock:
            found = self._event_by_key
            return {key: found[key] for key in dedupe_keys if key in found}

    def claim_events(self, owner: str, now: float, limit: int, lease_s: float) -> list[Event]:
        with self._lock:
            out: list[Event] = []
            if limit <= 0:
                return out
            for eid in self._unprocessed:
                held = self._events[eid]
                if held.record.occurred_at > now:
                    continue
                until = held.lease_until
                if until is not None and until >= now:
                    continue
                held.lease_owner = owner
                held.lease_until = now + lease_s
                out.append(copy_event(held.record))
                if len(out) >= limit:
                    break
            return out

    def _find_events(self, q: EventQuery) -> list[Event]:
        with self._lock:
            found = [
                e
                for e in (held.record for held in self._events.values())
                if (q.contact_id is None or e.contact_id == q.contact_id)
                and (q.type is None or e.type == q.type)
                and (q.status is None or event_status(e) == q.status)
                and e.id > q.after_id
                and self._in_scope(e.contact_id, q.scope)
            ]
            return [copy_event(e) for e in found[q.offset : q.offset + q.limit]]

    def event_marks(self, after_id: int, limit: int) -> list[tuple[int, float]]:
        out: list[tuple[int, float]] = []
        if limit <= 0:
            return out
        with self._lock:
            last = self._last_event_id
            if last - after_id <= len(self._events):  # walk the ids after the cursor
                ids: Iterable[int] = range(max(after_id, 0) + 1, last + 1)
            else:  # far behind (or pruned): walk what is held, in id order
                ids = (eid for eid in self._events if eid > after_id)
            for eid in ids:
                held = self._events.get(eid)
                if held is not None:
                    out.append((eid, held.record.created_at))
                    if len(out) >= limit:
                        break
            return out

    def pending_events_count(self) -> int:
        with self._lock:
            return len(self._unprocessed)


__all__ = ["MemoryEvents"]
