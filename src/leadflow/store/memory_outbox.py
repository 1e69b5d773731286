"""The outbox in the memory backend: queueing, claims under the lease fence, verdicts, leases,
message facts and the message queries."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.model.jsonvalue import dumps
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
from leadflow.store.codec import contact_from_row, message_from_row
from leadflow.store.memory_rows import (
    E_LOWNER,
    E_LUNTIL,
    M_ATTEMPTS,
    M_CHANNEL,
    M_CLICKED,
    M_CONTACT,
    M_CREATED,
    M_DELIVERED,
    M_DUE,
    M_ERROR,
    M_HVER,
    M_ID,
    M_IDEM,
    M_LOWNER,
    M_LUNTIL,
    M_OPENED,
    M_PROVIDER,
    M_REPLIED,
    M_RUN,
    M_SENT,
    M_STATUS,
    M_SUPPRESSED,
    R_HVER,
    R_LOWNER,
    R_LUNTIL,
    R_STATUS,
    R_VERSION,
    SENT_OR_DELIVERED,
    MemoryState,
    NewIds,
    require,
)


class MemoryOutbox(MemoryState):
    # ------------------------------------------------------------------ outbox
    @staticmethod
    def _encode_message(m: Message) -> list[Any]:
        for value, what in (
            (m.channel, "channel"),
            (m.idempotency_key, "idempotency_key"),
            (m.due_at, "due_at"),
            (m.created_at, "created_at"),
            (m.status, "status"),
            (m.attempts, "attempts"),
        ):
            require(value, f"messages.{what}")
        check_message_status(m.status)
        return [
            0,
            m.run_id,
            m.contact_id,
            m.workflow_key,
            m.node,
            m.channel,
            m.to,
            m.idempotency_key,
            m.due_at,
            m.created_at,
            m.subject,
            m.body,
            dumps(m.payload),
            m.status,
            m.attempts,
            m.sent_at,
            m.delivered_at,
            m.opened_at,
            m.clicked_at,
            m.replied_at,
            m.provider_id,
            m.suppressed_reason,
            m.error,
            None,
            None,
            0,
        ]

    def _insert_messages(
        self, messages: Sequence[Message], encoded: Sequence[list[Any]], ids: NewIds
    ) -> None:
        for msg, row in zip(messages, encoded, strict=True):
            found = self._message_by_key.get(row[M_IDEM])
            if found is not None:
                ids.pairs.append((msg, found))
                continue
            self._last_message_id += 1
            mid = self._last_message_id
            row = list(row)
            row[M_ID] = mid
            self._messages[mid] = row
            self._message_by_key[row[M_IDEM]] = mid
            if row[M_RUN] is not None:
                self._messages_by_run.setdefault(row[M_RUN], []).append(mid)
            if row[M_CONTACT] is not None:
                self._messages_by_contact.setdefault(row[M_CONTACT], []).append(mid)
            self._index_message(row)
            ids.pairs.append((msg, mid))

    def queue_messages(self, messages: Sequence[Message], now: float) -> list[int | None]:
        check_runless(messages)
        encoded = [self._encode_message(m) for m in messages]
        ids = NewIds()
        out: list[int | None] = []
        with self._lock:
            for msg, row in zip(messages, encoded, strict=True):
                if row[M_IDEM] in self._message_by_key:
                    out.append(None)
                    continue
                self._insert_messages([msg], [row], ids)
                out.append(ids.pairs[-1][1])
        ids.assign()
        if ids.pairs:
            self._signal_work()
        return out

    def _index_message(self, row: list[Any]) -> None:
        """Call after a change of status/due_at."""
        row[M_HVER] += 1
        mid = row[M_ID]
        status = row[M_STATUS]
        if status in DUE_MESSAGE_STATUSES:
            heapq.heappush(self._message_heap, (row[M_DUE], mid, row[M_HVER]))
        if status == MessageStatus.SENDING:
            self._sending[mid] = None
        else:
            self._sending.pop(mid, None)

    def _message_out(self, row: list[Any]) -> Message:
        dup = self._sandbox_duplicates(row[M_IDEM])
        return message_from_row((*row[1:23], dup, row[0]))

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
                row = self._messages[mid]
                until = row[M_LUNTIL]
                busy = row[M_LOWNER] != owner and until is not None and until >= now
                if busy and row[M_CONTACT] is not None:
                    blocked.add(row[M_CONTACT])
            heap = self._message_heap
            candidates: list[tuple[float, int]] = []
            keep: list[tuple[float, int, int]] = []
            while heap and len(candidates) < limit and heap[0][0] <= now:
                entry = heapq.heappop(heap)
                row = self._messages[entry[1]]
                if row[M_HVER] != entry[2]:
                    continue  # stale
                keep.append(entry)
                if row[M_CONTACT] is not None and row[M_CONTACT] in blocked:
                    continue
                candidates.append((entry[0], entry[1]))
            in_doubt: set[int] = set()
            for mid in self._sending:
                row = self._messages[mid]
                until = row[M_LUNTIL]
                if (
                    row[M_DUE] <= now
                    and (until is None or until < now)
                    and not (row[M_CONTACT] is not None and row[M_CONTACT] in blocked)
                ):
                    candidates.append((row[M_DUE], mid))
                    in_doubt.add(mid)
            candidates.sort()
            chosen = {mid for _, mid in candidates[:limit]}
            for entry in keep:
                if entry[1] not in chosen:
                    heapq.heappush(heap, entry)
            out: list[ClaimedMessage] = []
            for _, mid in candidates[:limit]:
                row = self._messages[mid]
                row[M_STATUS] = MessageStatus.SENDING
                row[M_LOWNER] = owner
                row[M_LUNTIL] = now + lease_s
                self._index_message(row)
                run = None if row[M_RUN] is None else self._runs.get(row[M_RUN])
                contact = None if row[M_CONTACT] is None else self._contacts.get(row[M_CONTACT])
                out.append(
                    ClaimedMessage(
                        self._message_out(row),
                        None if contact is None else contact_from_row(contact),
                        None if run is None else run[R_STATUS],
                        None if run is None else run[R_VERSION],
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
                if (row := self._messages.get(u.message_id)) is None
                or row[M_STATUS] != MessageStatus.SENDING
                or row[M_LOWNER] != owner
            ]
            events = events_not_about(events, refused)
            encoded = [self._encode_event(e) for e in events]
            out = set(refused)
            for u in updates:
                row = self._messages.get(u.message_id)
                if row is None or u.message_id in out:
                    continue
                row[M_STATUS] = u.status
                if u.status in SENT_OR_DELIVERED:
                    row[M_SUPPRESSED] = None  # sent after all: not suppressed (deferral over)
                for index, value in (
                    (M_DUE, u.due_at),
                    (M_ATTEMPTS, u.attempts),
                    (M_SENT, u.sent_at),
                    (M_DELIVERED, u.delivered_at),
                    (M_PROVIDER, u.provider_id),
                    (M_SUPPRESSED, None if u.status in SENT_OR_DELIVERED else u.suppressed_reason),
                    (M_ERROR, u.error),
                ):
                    if value is not None:
                        row[index] = value
                row[M_LOWNER] = row[M_LUNTIL] = None
                self._index_message(row)
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
                row = self._messages.get(mid)
                if row is None or row[M_STATUS] != MessageStatus.SENDING or row[M_LOWNER] != owner:
                    continue
                if row[M_CONTACT] is not None and row[M_CONTACT] in self._replies_waiting:
                    continue
                row[M_LUNTIL] = now + lease_s
                out.add(mid)
            return out

    # ------------------------------------------------------------------ leases
    def held_leases(self) -> list[HeldLease]:
        with self._lock:
            found: list[tuple[str, str, float]] = []
            for eid in self._unprocessed:
                row = self._events[eid]
                if row[E_LOWNER] is not None:
                    found.append((row[E_LOWNER], "events", row[E_LUNTIL]))
            for mid in self._sending:
                row = self._messages[mid]
                if row[M_LOWNER] is not None:
                    found.append((row[M_LOWNER], "messages", row[M_LUNTIL]))
            for row in self._leased_runs():
                found.append((row[R_LOWNER], "runs", row[R_LUNTIL]))
        return summarize_leases(found)

    def _leased_runs(self) -> list[list[Any]]:
        """Live runs under a lease (claims need a wake_at, so they are all in the heap)."""
        seen: set[int] = set()
        out: list[list[Any]] = []
        for _, rid, version in self._run_heap:
            row = self._runs.get(rid)
            if row is None or row[R_HVER] != version or rid in seen:
                continue
            seen.add(rid)
            if row[R_LOWNER] is not None and row[R_STATUS] in ("active", "waiting"):
                out.append(row)
        return out

    def release_leases(self, owners: Sequence[str]) -> int:
        gone = set(owners)
        released = 0
        with self._lock:
            for eid in self._unprocessed:
                row = self._events[eid]
                if row[E_LOWNER] in gone:
                    row[E_LOWNER] = row[E_LUNTIL] = None
                    released += 1
            for mid in self._sending:
                row = self._messages[mid]
                if row[M_LOWNER] in gone:
                    row[M_LOWNER] = row[M_LUNTIL] = None
                    released += 1
            for row in self._leased_runs():
                if row[R_LOWNER] in gone:
                    row[R_LOWNER] = row[R_LUNTIL] = None
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
            row = self._messages.get(f.message_id)
            if row is None:
                continue
            new = merge_status(row[M_STATUS], f.status)
            for index, value in (
                (M_DELIVERED, f.delivered_at),
                (M_OPENED, f.opened_at),
                (M_CLICKED, f.clicked_at),
                (M_REPLIED, f.replied_at),
            ):
                if row[index] is None:
                    row[index] = value
            if f.error is not None and (f.status is None or new == f.status):
                row[M_ERROR] = f.error
            if new != row[M_STATUS]:
                row[M_STATUS] = new
                self._index_message(row)

    def get_message(self, message_id: int) -> Message | None:
        with self._lock:
            row = self._messages.get(message_id)
            return None if row is None else self._message_out(row)

    def find_message(self, idempotency_key: str) -> Message | None:
        with self._lock:
            mid = self._message_by_key.get(idempotency_key)
            return None if mid is None else self._message_out(self._messages[mid])

    def find_message_by_provider(self, provider_id: str) -> Message | None:
        with self._lock:
            found = [m for m in self._messages.values() if m[M_PROVIDER] == provider_id]
            return self._message_out(max(found, key=lambda m: int(m[M_ID]))) if found else None

    def latest_message_to(self, contact_id: str, channel: str) -> Message | None:
        with self._lock:
            best: list[Any] | None = None
            best_key: tuple[float, int] | None = None
            for mid in self._messages_by_contact.get(contact_id, ()):
                row = self._messages[mid]
                if row[M_CHANNEL] != channel or row[M_STATUS] not in (
                    MessageStatus.SENT,
                    MessageStatus.DELIVERED,
                ):
                    continue
                key = (row[M_SENT] if row[M_SENT] is not None else row[M_CREATED], mid)
                if best_key is None or key > best_key:
                    best, best_key = row, key
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
                    row = self._messages[mid]
                    if (
                        row[M_STATUS] in SENT_OR_DELIVERED
                        and row[M_RUN] is not None
                        and row[M_SENT] is not None
                        and row[M_SENT] >= since
                        and (wanted is None or row[M_CHANNEL] in wanted)
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
            if flt.run_id is not None:
                source: Iterable[list[Any]] = (
                    self._messages[i] for i in self._messages_by_run.get(flt.run_id, ())
                )
            elif flt.contact_id is not None:
                source = (
                    self._messages[i] for i in self._messages_by_contact.get(flt.contact_id, ())
                )
            else:
                source = self._messages.values()
            rows = [
                r
                for r in source
                if (flt.run_id is None or r[M_RUN] == flt.run_id)
                and (flt.contact_id is None or r[M_CONTACT] == flt.contact_id)
                and (flt.status is None or r[M_STATUS] == flt.status)
                and (flt.channel is None or r[M_CHANNEL] == flt.channel)
                and r[M_ID] > flt.after_id
                and self._in_scope(r[M_CONTACT], flt.scope)
            ]
            return [self._message_out(r) for r in rows[flt.offset : flt.offset + flt.limit]]

    def messages_of_run(self, run_id: int) -> list[Message]:
        with self._lock:
            return [
                self._message_out(self._messages[i]) for i in self._messages_by_run.get(run_id, ())
            ]


__all__ = ["MemoryOutbox"]
