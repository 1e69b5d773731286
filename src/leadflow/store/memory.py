"""The in-memory backend: the same contract in plain Python, for tests and simulations.

Rows are kept in the SQLite column layouts with JSON fields as JSON text (see :mod:`.codec`), so
every record handed out is freshly decoded (callers never share state with the store) and values
round-trip exactly as they do through SQLite. One lock makes it thread-safe.

Every writing method first validates and encodes everything it was given (anything that can
raise), then applies the changes, so a method that raises has changed nothing.

Due work is indexed with heaps and lazy deletion: every change to a run's or message's position
bumps its ``hver``; heap entries with an old ``hver`` are dropped when they surface.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.model.jsonvalue import dumps
from leadflow.model.records import (
    DEFAULT_TENANT,
    Contact,
    ContactFilter,
    ContactPatch,
    NewEvent,
    Schedule,
    Scope,
    WorkflowVersion,
)
from leadflow.model.rules import (
    apply_patch,
    matches_contact,
    meta_number,
    publishable,
)
from leadflow.store import sqlfiles
from leadflow.store.codec import (
    contact_from_row,
    contact_to_row,
    workflow_from_row,
)
from leadflow.store.contract import Store
from leadflow.store.drafts_memory import MemoryDrafts
from leadflow.store.event_outcomes import MemoryEventOutcomes
from leadflow.store.experiments_memory import MemoryExperiments
from leadflow.store.listing_matches import MemoryListingMatches
from leadflow.store.listings_memory import MemoryListings
from leadflow.store.memory_events import MemoryEvents
from leadflow.store.memory_outbox import MemoryOutbox

# The row layouts (R_*, M_*, E_*) are importable from here too, as they always were.
from leadflow.store.memory_rows import (
    E_CONTACT,
    E_CREATED,
    E_DATA,
    E_ERROR,
    E_ID,
    E_IGNORED,
    E_KEY,
    E_LOWNER,
    E_LUNTIL,
    E_OCCURRED,
    E_PROCESSED,
    E_TYPE,
    M_ATTEMPTS,
    M_BODY,
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
    M_KEY,
    M_LOWNER,
    M_LUNTIL,
    M_NODE,
    M_OPENED,
    M_PAYLOAD,
    M_PROVIDER,
    M_REPLIED,
    M_RUN,
    M_SENT,
    M_STATUS,
    M_SUBJECT,
    M_SUPPRESSED,
    M_TO,
    R_ATTEMPT,
    R_CONTACT,
    R_CREATED,
    R_CTX,
    R_ENDED,
    R_ERROR,
    R_EXIT,
    R_HVER,
    R_ID,
    R_KEY,
    R_LOWNER,
    R_LUNTIL,
    R_NODE,
    R_SEQ,
    R_STATUS,
    R_STEP_SEQ,
    R_UPDATED,
    R_VERSION,
    R_WAITING,
    R_WAKE,
    require,
)
from leadflow.store.memory_runs import MemoryRuns
from leadflow.store.prune_memory import MemoryPrune
from leadflow.store.sandbox_memory import MemorySandbox
from leadflow.store.score_models_memory import MemoryScoreModels
from leadflow.store.senders_memory import MemorySenders
from leadflow.store.tenancy_memory import MemoryTenancy
from leadflow.store.webhooks_memory import MemoryWebhooks


class MemoryStore(
    MemoryRuns,
    MemoryEvents,
    MemoryOutbox,
    MemoryPrune,
    MemoryEventOutcomes,
    MemoryTenancy,
    MemorySenders,
    MemoryDrafts,
    MemoryWebhooks,
    MemoryListings,
    MemoryListingMatches,
    MemoryScoreModels,
    MemoryExperiments,
    MemorySandbox,
    Store,
):
    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._lock = threading.Lock()
        self._schema = 0
        self._meta: dict[str, str] = {}
        self._contacts: dict[str, tuple[Any, ...]] = {}
        # (tenant, key) -> versions; (tenant, key, trigger index) -> schedule row
        self._workflows: dict[tuple[str, str], list[tuple[str, int, str, str, float, str]]] = {}
        self._schedules: dict[tuple[str, str, int], tuple[str, int, int, str, str, float, str]] = {}
        self._runs: dict[int, list[Any]] = {}
        self._last_run_id = 0
        self._runs_by_contact: dict[str, list[int]] = {}
        self._runs_by_pair: dict[tuple[str, str], list[int]] = {}
        self._runs_by_key: dict[str, list[int]] = {}  # workflow key -> run ids, in id order
        # (contact, workflow key) -> (pruned runs, latest created_at among them): re-entry
        # counts them as runs that exist (see MemoryPrune.delete_runs_history)
        self._marks: dict[tuple[str, str], tuple[int, float]] = {}
        self._run_heap: list[tuple[float, int, int]] = []
        self._steps: list[tuple[Any, ...]] = []  # step id = index + 1
        self._steps_by_run: dict[int, list[int]] = {}
        self._messages: dict[int, list[Any]] = {}
        self._last_message_id = 0
        self._message_by_key: dict[str, int] = {}
        self._messages_by_run: dict[int, list[int]] = {}
        self._messages_by_contact: dict[str, list[int]] = {}
        self._message_heap: list[tuple[float, int, int]] = []
        self._sending: dict[int, None] = {}
        self._events: dict[int, list[Any]] = {}
        self._last_event_id = 0
        self._event_by_key: dict[str, int] = {}
        self._unprocessed: dict[int, None] = {}  # insertion order is id order
        self._replies_waiting: dict[str, int] = {}  # contact -> unprocessed hold-back events
        self._last_reply: dict[str, float] = {}  # contact -> latest reply's occurred_at

    # ------------------------------------------------------------------ lifecycle / schema
    def schema_version(self) -> int:
        return self._schema

    def latest_schema_version(self) -> int:
        return sqlfiles.latest_version("sqlite")

    def upgrade(self) -> list[int]:
        with self._lock:
            latest = self.latest_schema_version()
            known = [m.version for m in sqlfiles.migrations("sqlite")]
            applied = [v for v in known if v > self._schema]
            self._schema = max(self._schema, latest)
            return applied

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        require(value, "meta.value")
        with self._lock:
            self._meta[key] = value

    def raise_meta(self, key: str, value: float) -> float:
        with self._lock:
            current = meta_number(self._meta.get(key))
            if current is None or current < value:
                self._meta[key] = repr(float(value))
                return float(value)
            return current

    # ------------------------------------------------------------------ contacts
    def save_contacts(
        self, contacts: Sequence[Contact], events: Sequence[NewEvent], now: float
    ) -> tuple[int, int, list[int | None]]:
        for c in contacts:
            require(c.id, "contacts.id")
        rows = [contact_to_row(c, c.created_at or now, now) for c in contacts]
        encoded = [self._encode_event(e) for e in events]
        with self._lock:
            inserted = updated = 0
            for row in rows:
                old = self._contacts.get(row[0])
                if old is None:
                    inserted += 1
                else:
                    updated += 1
                    row = (*row[:12], old[12], row[13], old[14])  # tenant never moves
                self._contacts[row[0]] = row
            ids = self._insert_events(encoded, now)
        if any(i is not None for i in ids):
            self._signal_work()
        return inserted, updated, ids

    def get_contact(self, contact_id: str) -> Contact | None:
        with self._lock:
            row = self._contacts.get(contact_id)
            return None if row is None else contact_from_row(row)

    def get_contacts(self, contact_ids: Iterable[str]) -> dict[str, Contact]:
        with self._lock:
            out: dict[str, Contact] = {}
            for cid in contact_ids:
                row = self._contacts.get(cid)
                if row is not None:
                    out[cid] = contact_from_row(row)
            return out

    def list_contacts(self, limit: int = 1000, offset: int = 0) -> list[Contact]:
        with self._lock:
            ids = sorted(self._contacts)[offset : offset + limit]
            return [contact_from_row(self._contacts[i]) for i in ids]

    def _in_scope(self, contact_id: str | None, scope: Scope | None) -> bool:
        """Whether the contact (a row id) is in ``scope`` (everything is when scope is None)."""
        if scope is None:
            return True
        row = None if contact_id is None else self._contacts.get(contact_id)
        return row is not None and scope.allows(contact_from_row(row))

    def find_contacts(self, flt: ContactFilter) -> list[Contact]:
        with self._lock:
            out: list[Contact] = []
            for cid in sorted(self._contacts):
                if flt.after_id is not None and cid <= flt.after_id:
                    continue
                c = contact_from_row(self._contacts[cid])
                if matches_contact(c, flt):
                    out.append(c)
                    if len(out) >= flt.limit:
                        break
            return out

    def contacts_in_scope(self, scope: Scope, contact_ids: Iterable[str]) -> set[str]:
        with self._lock:
            return {cid for cid in set(contact_ids) if self._in_scope(cid, scope)}

    def count_contacts(self) -> int:
        with self._lock:
            return len(self._contacts)

    def apply_contact_patches(self, patches: Sequence[ContactPatch], now: float) -> None:
        with self._lock:
            self._patches(patches, now)

    @staticmethod
    def _check_patch(patch: ContactPatch) -> None:
        dumps(patch.set)
        dumps(list(patch.add_tags))
        dumps(patch.consent)

    def _patches(self, patches: Sequence[ContactPatch], now: float) -> None:
        """Check, then apply (the encode of the result cannot fail once the parts encode)."""
        for patch in patches:
            self._check_patch(patch)
        work: dict[str, Contact] = {}
        for patch in patches:
            contact = work.get(patch.contact_id)
            if contact is None:
                row = self._contacts.get(patch.contact_id)
                if row is None:
                    continue
                contact = work[patch.contact_id] = contact_from_row(row)
            apply_patch(contact, patch, now)
        encoded = [contact_to_row(c, c.created_at, now) for c in work.values()]
        for row in encoded:
            self._contacts[row[0]] = row

    # ------------------------------------------------------------------ workflows
    def publish_workflow(
        self,
        key: str,
        name: str,
        definition: dict[str, Any],
        now: float,
        tenant_id: str = DEFAULT_TENANT,
    ) -> WorkflowVersion:
        text = dumps(definition)
        with self._lock:
            versions = self._workflows.get((tenant_id, key), [])
            found = workflow_from_row(versions[-1]) if versions else None
            latest = publishable(found, definition)
            if latest is not None:
                return latest
            row = (key, len(versions) + 1, name, text, now, tenant_id)
            self._workflows.setdefault((tenant_id, key), []).append(row)
            return workflow_from_row(row)

    def get_workflow(
        self, tenant_id: str, key: str, version: int | None = None
    ) -> WorkflowVersion | None:
        with self._lock:
            versions = self._workflows.get((tenant_id, key))
            if not versions:
                return None
            if version is None:
                row = versions[-1]
            elif 1 <= version <= len(versions):
                row = versions[version - 1]
            else:
                return None
            return workflow_from_row(row)

    def list_workflows(self, tenant_id: str | None = None) -> list[WorkflowVersion]:
        with self._lock:
            rows = [self._workflows[k][-1] for k in sorted(self._workflows, key=lambda k: k[::-1])]
            if tenant_id is not None:
                rows = [r for r in rows if r[5] == tenant_id]
            return [workflow_from_row(r) for r in rows]

    # ------------------------------------------------------------------ schedules
    def set_schedules(self, tenant_id: str, key: str, schedules: Sequence[Schedule]) -> None:
        rows = []
        for s in schedules:
            for value, what in (
                (s.version, "version"),
                (s.trigger_index, "trigger_index"),
                (s.cron, "cron"),
                (s.timezone, "timezone"),
                (s.next_fire_at, "next_fire_at"),
            ):
                require(value, f"schedules.{what}")
            row = (key, s.version, s.trigger_index, s.cron, s.timezone, s.next_fire_at, tenant_id)
            rows.append(row)
        with self._lock:
            for k in [k for k in self._schedules if k[:2] == (tenant_id, key)]:
                del self._schedules[k]
            for row in rows:
                self._schedules[(tenant_id, key, row[2])] = row
        if rows:
            self._signal_work()

    def due_schedules(self, now: float) -> list[Schedule]:
        with self._lock:
            rows = sorted(
                (r for r in self._schedules.values() if r[5] <= now),
                key=lambda r: (r[5], r[0], r[6], r[2]),
            )
            return [Schedule(*r) for r in rows]

    def advance_schedule(self, schedule: Schedule, next_fire_at: float) -> bool:
        with self._lock:
            k = (schedule.tenant_id, schedule.workflow_key, schedule.trigger_index)
            row = self._schedules.get(k)
            if row is None or row[1] != schedule.version or row[5] != schedule.next_fire_at:
                return False
            self._schedules[k] = (*row[:5], next_fire_at, row[6])
            return True

    # ------------------------------------------------------------------ due times
    def next_due_at(self, include_leases: bool = True) -> float | None:
        with self._lock:
            found: list[float] = []
            # runs: in wake_at order, held runs count at their lease_until, up to the first run
            # that is not held past its wake_at (held runs are work in flight: few)
            heap = self._run_heap
            popped: list[tuple[float, int, int]] = []
            while heap:
                entry = heapq.heappop(heap)
                row = self._runs.get(entry[1])
                if row is None or row[R_HVER] != entry[2]:
                    continue  # stale
                popped.append(entry)
                until = row[R_LUNTIL]
                if until is not None and until > entry[0]:
                    if include_leases:
                        found.append(until)
                    continue
                found.append(entry[0])
                break
            for entry in popped:
                heapq.heappush(heap, entry)
            # messages: pending/deferred at due_at; sending at its lease expiry
            mheap = self._message_heap
            while mheap:
                if self._messages[mheap[0][1]][M_HVER] == mheap[0][2]:
                    found.append(mheap[0][0])
                    break
                heapq.heappop(mheap)
            for mid in self._sending:
                row = self._messages[mid]
                until = row[M_LUNTIL]
                if until is None or until <= row[M_DUE]:
                    found.append(row[M_DUE])
                elif include_leases:
                    found.append(until)
            # events: at occurred_at, or at the lease expiry while leased past it
            for eid in self._unprocessed:
                row = self._events[eid]
                until = row[E_LUNTIL]
                if until is None or until <= row[E_OCCURRED]:
                    found.append(row[E_OCCURRED])
                elif include_leases:
                    found.append(until)
            if self._schedules:
                found.append(min(r[5] for r in self._schedules.values()))
            return min(found) if found else None


__all__ = [
    "E_CONTACT",
    "E_CREATED",
    "E_DATA",
    "E_ERROR",
    "E_ID",
    "E_IGNORED",
    "E_KEY",
    "E_LOWNER",
    "E_LUNTIL",
    "E_OCCURRED",
    "E_PROCESSED",
    "E_TYPE",
    "M_ATTEMPTS",
    "M_BODY",
    "M_CHANNEL",
    "M_CLICKED",
    "M_CONTACT",
    "M_CREATED",
    "M_DELIVERED",
    "M_DUE",
    "M_ERROR",
    "M_HVER",
    "M_ID",
    "M_IDEM",
    "M_KEY",
    "M_LOWNER",
    "M_LUNTIL",
    "M_NODE",
    "M_OPENED",
    "M_PAYLOAD",
    "M_PROVIDER",
    "M_REPLIED",
    "M_RUN",
    "M_SENT",
    "M_STATUS",
    "M_SUBJECT",
    "M_SUPPRESSED",
    "M_TO",
    "R_ATTEMPT",
    "R_CONTACT",
    "R_CREATED",
    "R_CTX",
    "R_ENDED",
    "R_ERROR",
    "R_EXIT",
    "R_HVER",
    "R_ID",
    "R_KEY",
    "R_LOWNER",
    "R_LUNTIL",
    "R_NODE",
    "R_SEQ",
    "R_STATUS",
    "R_STEP_SEQ",
    "R_UPDATED",
    "R_VERSION",
    "R_WAITING",
    "R_WAKE",
    "MemoryStore",
]
