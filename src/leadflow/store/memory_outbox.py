"""The outbox in the memory backend: queueing, claims under the lease fence, verdicts, leases,
message facts and the message queries."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import replace

from leadflow.model.records import (
    DUE_MESSAGE_STATUSES,
    ClaimedMessage,
    HeldLease,
    Message,
    MessageFacts,
    MessageFilter,
    MessageStatus,
    MessageUpdate,
    NewEvent,
)
from leadflow.model.rules import (
    check_message_status,
    check_runless,
    events_not_about,
    merge_status,
    summarize_leases,
)
from leadflow.store.memory_state import (
    SENT_OR_DELIVERED,
    HeldEvent,
    HeldMessage,
    HeldRun,
    MemoryState,
    NewIds,
    as_json,
    copy_contact,
    copy_message,
    ids_to_scan,
    require_fields,
)

_MESSAGE_REQUIRED = ("channel", "idempotency_key", "due_at", "created_at", "status", "attempts")


class MemoryOutbox(MemoryState):
    # ------------------------------------------------------------------ outbox
    @staticmethod
    def _encode_message(m: Message) -> Message:
        require_fields("messages", m, _MESSAGE_REQUIRED)
        check_message_status(m.status)
        return replace(m, payload=as_json(m.payload), duplicates=0, id=None)

    def _insert_messages(
        self, messages: Sequence[Message], encoded: Sequence[Message], ids: NewIds
    ) -> None:
        for msg, copied in zip(messages, encoded, strict=True):
            found = self._message_by_key.get(copied.idempotency_key)
            if found is not None:
                ids.pairs.append((msg, found))
                continue
            self._last_message_id += 1
            mid = self._last_message_id
            stored = replace(copied, id=mid)
            held = self._messages[mid] = HeldMessage(stored)
            self._message_by_key[stored.idempotency_key] = mid
            if stored.run_id is not None:
                self._messages_by_run.setdefault(stored.run_id, []).append(mid)
            if stored.contact_id is not None:
                self._messages_by_contact.setdefault(stored.contact_id, []).append(mid)
            self._index_message(held)
            ids.pairs.append((msg, mid))

    def queue_messages(self, messages: Sequence[Message], now: float) -> list[int | None]:
        check_runless(messages)
        encoded = [self._encode_message(m) for m in messages]
        ids = NewIds()
        out: list[int | None] = []
        with self._lock:
            for msg, copied in zip(messages, encoded, strict=True):
                if copied.idempotency_key in self._message_by_key:
                    out.append(None)
                    continue
                self._insert_messages([msg], [copied], ids)
                out.append(ids.pairs[-1][1])
        ids.assign()
        if ids.pairs:
            self._signal_work()
        return out

    def _index_message(self, held: HeldMessage) -> None:
        """Call after a change of status/due_at."""
        held.hver += 1
        m = held.record
        mid, status = m.id, m.status
        assert mid is not None
        if status in DUE_MESSAGE_STATUSES:
            heapq.heappush(self._message_heap, (m.due_at, mid, held.hver))
        if status == MessageStatus.SENDING:
            self._sending[mid] = None
        else:
            self._sending.pop(mid, None)

    def _message_out(self, held: HeldMessage) -> Message:
        out = copy_message(held.record)
        out.duplicates = self._sandbox_duplicates(out.idempotency_key)
        return out

    def claim_messages(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[ClaimedMessage]:
        with self._lock:
            if limit <= 0:
                return []
            # contacts with a reply or consent change waiting, or with a message another owner
            # is sending now
            blocked: set[str] = set(self._replies_waiting)
            for mid in self._sending:
                held = self._messages[mid]
                until, contact_id = held.lease_until, held.record.contact_id
                busy = held.lease_owner != owner and until is not None and until >= now
                if busy and contact_id is not None:
                    blocked.add(contact_id)
            heap = self._message_heap
            candidates: list[tuple[float, int]] = []
            keep: list[tuple[float, int, int]] = []
            while heap and len(candidates) < limit and heap[0][0] <= now:
                entry = heapq.heappop(heap)
                held = self._messages[entry[1]]
                if held.hver != entry[2]:
                    continue  # stale
                keep.append(entry)
                if held.record.contact_id in blocked:
                    continue
                candidates.append((entry[0], entry[1]))
            in_doubt: set[int] = set()
            for mid in self._sending:
                held = self._messages[mid]
                m, until = held.record, held.lease_until
                if (
                    m.due_at <= now
                    and (until is None or until < now)
                    and m.contact_id not in blocked
                ):
                    candidates.append((m.due_at, mid))
                    in_doubt.add(mid)
            candidates.sort()
            chosen = {mid for _, mid in candidates[:limit]}
            for entry in keep:
                if entry[1] not in chosen:
                    heapq.heappush(heap, entry)
            out: list[ClaimedMessage] = []
            for _, mid in candidates[:limit]:
                held = self._messages[mid]
                m = held.record
                m.status = MessageStatus.SENDING
                held.lease_owner = owner
                held.lease_until = now + lease_s
                self._index_message(held)
                run = None if m.run_id is None else self._runs.get(m.run_id)
                contact = None if m.contact_id is None else self._contacts.get(m.contact_id)
                out.append(
                    ClaimedMessage(
                        self._message_out(held),
                        None if contact is None else copy_contact(contact),
                        None if run is None else run.record.status,
                        None if run is None else run.record.version,
                        mid in in_doubt,
                    )
                )
            return out

    def update_messages(
        self, owner: str, updates: Sequence[MessageUpdate], events: Sequence[NewEvent], now: float
    ) -> list[int]:
        for u in updates:
            check_message_status(u.status)
        with self._lock:
            refused = [
                u.message_id
                for u in updates
                if (held := self._messages.get(u.message_id)) is None
                or held.record.status != MessageStatus.SENDING
                or held.lease_owner != owner
            ]
            events = events_not_about(events, refused)
            encoded = [self._encode_event(e) for e in events]
            out = set(refused)
            for u in updates:
                found = self._messages.get(u.message_id)
                if found is None or u.message_id in out:
                    continue
                m = found.record
                m.status = u.status
                sent = u.status in SENT_OR_DELIVERED
                if sent:
                    m.suppressed_reason = None  # sent after all: not suppressed (deferral over)
                if u.due_at is not None:
                    m.due_at = u.due_at
                if u.attempts is not None:
                    m.attempts = u.attempts
                m.sent_at = m.sent_at if u.sent_at is None else u.sent_at
                m.delivered_at = m.delivered_at if u.delivered_at is None else u.delivered_at
                m.provider_id = m.provider_id if u.provider_id is None else u.provider_id
                if not sent and u.suppressed_reason is not None:
                    m.suppressed_reason = u.suppressed_reason
                m.error = m.error if u.error is None else u.error
                found.lease_owner = found.lease_until = None
                self._index_message(found)
            self._insert_events(encoded, now)
        if events or any(u.status in DUE_MESSAGE_STATUSES for u in updates):
            self._signal_work()
        return refused

    def renew_messages(
        self, owner: str, message_ids: Sequence[int], now: float, lease_s: float
    ) -> set[int]:
        with self._lock:
            out: set[int] = set()
            for mid in message_ids:
                held = self._messages.get(mid)
                if (
                    held is None
                    or held.record.status != MessageStatus.SENDING
                    or held.lease_owner != owner
                ):
                    continue
                if held.record.contact_id in self._replies_waiting:
                    continue
                held.lease_until = now + lease_s
                out.add(mid)
            return out

    # ------------------------------------------------------------------ leases
    def held_leases(self) -> list[HeldLease]:
        with self._lock:
            found: list[tuple[str, str, float]] = []
            queues: list[tuple[str, Iterable[HeldEvent | HeldMessage | HeldRun]]] = [
                ("events", (self._events[eid] for eid in self._unprocessed)),
                ("messages", (self._messages[mid] for mid in self._sending)),
                ("runs", self._leased_runs()),
            ]
            for queue, held in queues:
                for h in held:
                    if h.lease_owner is not None and h.lease_until is not None:
                        found.append((h.lease_owner, queue, h.lease_until))
        return summarize_leases(found)

    def _leased_runs(self) -> list[HeldRun]:
        """Live runs under a lease (claims need a wake_at, so they are all in the heap)."""
        seen: set[int] = set()
        out: list[HeldRun] = []
        for _, rid, version in self._run_heap:
            held = self._runs.get(rid)
            if held is None or held.hver != version or rid in seen:
                continue
            seen.add(rid)
            if held.lease_owner is not None and held.record.status in ("active", "waiting"):
                out.append(held)
        return out

    def release_leases(self, owners: Sequence[str]) -> int:
        gone = set(owners)
        released = 0
        with self._lock:
            held: list[HeldEvent | HeldMessage | HeldRun] = [
                *(self._events[eid] for eid in self._unprocessed),
                *(self._messages[mid] for mid in self._sending),
                *self._leased_runs(),
            ]
            for h in held:
                if h.lease_owner in gone:
                    h.lease_owner = h.lease_until = None
                    released += 1
        if released:
            self._signal_work()
        return released

    def apply_message_facts(self, facts: Sequence[MessageFacts], now: float) -> None:
        for f in facts:
            if f.status is not None:
                check_message_status(f.status)
        with self._lock:
            self._apply_facts(facts)

    def _apply_facts(self, facts: Sequence[MessageFacts]) -> None:
        for f in facts:
            held = self._messages.get(f.message_id)
            if held is None:
                continue
            m = held.record
            new = merge_status(m.status, f.status)
            if m.delivered_at is None:
                m.delivered_at = f.delivered_at
            if m.opened_at is None:
                m.opened_at = f.opened_at
            if m.clicked_at is None:
                m.clicked_at = f.clicked_at
            if m.replied_at is None:
                m.replied_at = f.replied_at
            if f.error is not None and (f.status is None or new == f.status):
                m.error = f.error
            if new != m.status:
                m.status = new
                self._index_message(held)

    def get_message(self, message_id: int) -> Message | None:
        with self._lock:
            held = self._messages.get(message_id)
            return None if held is None else self._message_out(held)

    def find_message(self, idempotency_key: str) -> Message | None:
        with self._lock:
            mid = self._message_by_key.get(idempotency_key)
            return None if mid is None else self._message_out(self._messages[mid])

    def find_message_by_provider(self, provider_id: str) -> Message | None:
        with self._lock:
            found = [h for h in self._messages.values() if h.record.provider_id == provider_id]
            return self._message_out(found[-1]) if found else None  # the latest: ids ascend

    def latest_message_to(self, contact_id: str, channel: str) -> Message | None:
        with self._lock:
            best: HeldMessage | None = None
            best_key: tuple[float, int] | None = None
            for mid in self._messages_by_contact.get(contact_id, ()):
                held = self._messages[mid]
                m = held.record
                if m.channel != channel or m.status not in SENT_OR_DELIVERED:
                    continue
                key = (m.sent_at if m.sent_at is not None else m.created_at, mid)
                if best_key is None or key > best_key:
                    best, best_key = held, key
            return None if best is None else self._message_out(best)

    def sent_counts_since(
        self, contact_ids: Iterable[str], since: float, channels: Iterable[str] | None = None
    ) -> dict[str, int]:
        wanted = None if channels is None else frozenset(channels)
        with self._lock:
            out: dict[str, int] = {}
            for cid in sorted(set(contact_ids)):
                n = 0
                for mid in self._messages_by_contact.get(cid, ()):
                    m = self._messages[mid].record
                    if (
                        m.status in SENT_OR_DELIVERED
                        and m.run_id is not None
                        and m.sent_at is not None
                        and m.sent_at >= since
                        and (wanted is None or m.channel in wanted)
                    ):
                        n += 1
                out[cid] = n
            return out

    def last_reply_at(self, contact_ids: Iterable[str]) -> dict[str, float]:
        with self._lock:
            return {
                cid: self._last_reply[cid]
                for cid in sorted(set(contact_ids))
                if cid in self._last_reply
            }

    def list_messages(self, flt: MessageFilter) -> list[Message]:
        with self._lock:
            by = ((flt.run_id, self._messages_by_run), (flt.contact_id, self._messages_by_contact))
            ids = ids_to_scan(by, self._messages)
            held = [
                h
                for h in (self._messages[i] for i in ids)
                if (flt.run_id is None or h.record.run_id == flt.run_id)
                and (flt.contact_id is None or h.record.contact_id == flt.contact_id)
                and (flt.status is None or h.record.status == flt.status)
                and (flt.channel is None or h.record.channel == flt.channel)
                and (h.record.id or 0) > flt.after_id
                and self._in_scope(h.record.contact_id, flt.scope)
            ]
            return [self._message_out(h) for h in held[flt.offset : flt.offset + flt.limit]]

    def messages_of_run(self, run_id: int) -> list[Message]:
        with self._lock:
            return [
                self._message_out(self._messages[i]) for i in self._messages_by_run.get(run_id, ())
            ]


__all__ = ["MemoryOutbox"]
