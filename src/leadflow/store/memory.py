"""The in-memory backend: the same contract in plain Python, for tests and simulations.

It keeps records (see :mod:`.memory_state`): copies made on the way in, with JSON-ish fields
passed through JSON text so values round-trip exactly as they do through SQLite, and copies handed
out, so callers never share state with the store. One lock makes it thread-safe.

Every writing method first validates and copies everything it was given (anything that can
raise), then applies the changes, so a method that raises has changed nothing.

Due work is indexed with heaps and lazy deletion: every change to a run's or message's position
bumps its ``hver``; heap entries with an old ``hver`` are dropped when they surface.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from leadflow.model.records import (
    Contact,
    ContactFilter,
    ContactPatch,
    NewEvent,
    Schedule,
    Scope,
    Step,
    WorkflowVersion,
)
from leadflow.model.rules import (
    apply_patch,
    matches_contact,
    meta_number,
    publishable,
)
from leadflow.store import sqlfiles
from leadflow.store.ai_memory import MemoryAiCalls
from leadflow.store.analytics_memory import MemoryAnalytics
from leadflow.store.compose_memory import MemoryComposeDrafts
from leadflow.store.contract import Store
from leadflow.store.crm_memory import MemoryCrm
from leadflow.store.drafts_memory import MemoryDrafts
from leadflow.store.erasure_memory import MemoryErasure
from leadflow.store.event_outcomes import MemoryEventOutcomes
from leadflow.store.experiments_memory import MemoryExperiments
from leadflow.store.listing_matches import MemoryListingMatches
from leadflow.store.listings_memory import MemoryListings
from leadflow.store.memory_events import MemoryEvents
from leadflow.store.memory_outbox import MemoryOutbox
from leadflow.store.memory_runs import MemoryRuns
from leadflow.store.memory_state import (
    HeldEvent,
    HeldMessage,
    HeldRun,
    as_json,
    copies_of,
    copy_contact,
    copy_schedule,
    copy_workflow,
    require,
    require_fields,
)
from leadflow.store.meta_memory import MemoryMeta
from leadflow.store.orchestration_memory import MemoryOrchestration
from leadflow.store.playbooks_memory import MemoryPlaybooks
from leadflow.store.prune_memory import MemoryPrune
from leadflow.store.rules_memory import MemoryRules
from leadflow.store.sandbox_memory import MemorySandbox
from leadflow.store.score_models_memory import MemoryScoreModels
from leadflow.store.senders_memory import MemorySenders
from leadflow.store.tenancy_memory import MemoryTenancy
from leadflow.store.web_sessions_memory import MemoryWebSessions
from leadflow.store.webhooks_memory import MemoryWebhooks

_SCHEDULE_REQUIRED = ("version", "trigger_index", "cron", "timezone", "next_fire_at")


def stored_contact(c: Contact, created_at: float, updated_at: float) -> Contact:
    """The copy of ``c`` the store keeps (raises StoreError when a field is not JSON)."""
    return replace(
        c,
        tags=as_json(list(c.tags)),
        fields=as_json(c.fields),
        consent=as_json(c.consent),
        created_at=created_at,
        updated_at=updated_at,
    )


class MemoryStore(
    MemoryComposeDrafts,
    MemoryRuns,
    MemoryEvents,
    MemoryOutbox,
    MemoryPrune,
    MemoryEventOutcomes,
    MemoryTenancy,
    MemorySenders,
    MemoryDrafts,
    MemoryWebSessions,
    MemoryWebhooks,
    MemoryListings,
    MemoryListingMatches,
    MemoryScoreModels,
    MemoryExperiments,
    MemoryPlaybooks,
    MemorySandbox,
    MemoryAnalytics,
    MemoryAiCalls,
    MemoryMeta,
    MemoryOrchestration,
    MemoryCrm,
    MemoryRules,
    MemoryErasure,
    Store,
):
    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._lock = threading.Lock()
        self._schema = 0
        self._meta: dict[str, str] = {}
        self._contacts: dict[str, Contact] = {}
        # (tenant, key) -> versions; (tenant, key, trigger index) -> schedule
        self._workflows: dict[tuple[str, str], list[WorkflowVersion]] = {}
        self._schedules: dict[tuple[str, str, int], Schedule] = {}
        self._runs: dict[int, HeldRun] = {}
        self._last_run_id = 0
        self._runs_by_contact: dict[str, list[int]] = {}
        self._runs_by_pair: dict[tuple[str, str], list[int]] = {}
        self._runs_by_key: dict[str, list[int]] = {}  # workflow key -> run ids, in id order
        # (contact, workflow key) -> (pruned runs, latest created_at among them): re-entry
        # counts them as runs that exist (see MemoryPrune.delete_runs_history)
        self._marks: dict[tuple[str, str], tuple[int, float]] = {}
        self._run_heap: list[tuple[float, int, int]] = []
        self._steps: list[Step | None] = []  # step id = index + 1 (None: pruned)
        self._steps_by_run: dict[int, list[int]] = {}
        self._messages: dict[int, HeldMessage] = {}
        self._last_message_id = 0
        self._message_by_key: dict[str, int] = {}
        self._messages_by_run: dict[int, list[int]] = {}
        self._messages_by_contact: dict[str, list[int]] = {}
        self._message_heap: list[tuple[float, int, int]] = []
        self._sending: dict[int, None] = {}
        self._events: dict[int, HeldEvent] = {}
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
        copies = [stored_contact(c, c.created_at or now, now) for c in contacts]
        encoded = [self._encode_event(e) for e in events]
        with self._lock:
            inserted = updated = 0
            for c in copies:
                old = self._contacts.get(c.id)
                if old is None:
                    inserted += 1
                else:
                    updated += 1
                    c.created_at, c.tenant_id = old.created_at, old.tenant_id  # never move
                self._contacts[c.id] = c
            ids = self._insert_events(encoded, now)
        if any(i is not None for i in ids):
            self._signal_work()
        return inserted, updated, ids

    def get_contact(self, contact_id: str) -> Contact | None:
        with self._lock:
            found = self._contacts.get(contact_id)
            return None if found is None else copy_contact(found)

    def get_contacts(self, contact_ids: Iterable[str]) -> dict[str, Contact]:
        with self._lock:
            return copies_of(self._contacts, contact_ids, copy_contact)

    def list_contacts(self, limit: int = 1000, offset: int = 0) -> list[Contact]:
        with self._lock:
            ids = sorted(self._contacts)[offset : offset + limit]
            return [copy_contact(self._contacts[i]) for i in ids]

    def _in_scope(self, contact_id: str | None, scope: Scope | None) -> bool:
        """Whether the contact (by id) is in ``scope`` (everything is when scope is None)."""
        if scope is None:
            return True
        return scope.allows(None if contact_id is None else self._contacts.get(contact_id))

    def find_contacts(self, flt: ContactFilter) -> list[Contact]:
        with self._lock:
            out: list[Contact] = []
            for cid in sorted(self._contacts):
                if flt.after_id is not None and cid <= flt.after_id:
                    continue
                c = self._contacts[cid]
                if matches_contact(c, flt):
                    out.append(copy_contact(c))
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
        as_json(patch.set)
        as_json(list(patch.add_tags))
        as_json(patch.consent)

    def _patches(self, patches: Sequence[ContactPatch], now: float) -> None:
        """Check, then apply (the copy of the result cannot fail once the parts are JSON)."""
        for patch in patches:
            self._check_patch(patch)
        work: dict[str, Contact] = {}
        for patch in patches:
            contact = work.get(patch.contact_id)
            if contact is None:
                found = self._contacts.get(patch.contact_id)
                if found is None:
                    continue
                contact = work[patch.contact_id] = copy_contact(found)
            apply_patch(contact, patch, now)
        for c in work.values():
            self._contacts[c.id] = stored_contact(c, c.created_at, now)

    # ------------------------------------------------------------------ workflows
    def _publish(
        self, tenant_id: str, key: str, name: str, definition: dict[str, Any], now: float
    ) -> WorkflowVersion:
        stored = as_json(definition)
        with self._lock:
            versions = self._workflows.setdefault((tenant_id, key), [])
            latest = publishable(versions[-1] if versions else None, definition)
            if latest is None:
                latest = WorkflowVersion(key, len(versions) + 1, name, stored, now, tenant_id)
                versions.append(latest)
            return copy_workflow(latest)

    def get_workflow(
        self, tenant_id: str, key: str, version: int | None = None
    ) -> WorkflowVersion | None:
        with self._lock:
            versions = self._workflows.get((tenant_id, key))
            if not versions:
                return None
            if version is None:
                found = versions[-1]
            elif 1 <= version <= len(versions):
                found = versions[version - 1]
            else:
                return None
            return copy_workflow(found)

    def list_workflows(self, tenant_id: str | None = None) -> list[WorkflowVersion]:
        with self._lock:
            latest = [
                self._workflows[k][-1] for k in sorted(self._workflows, key=lambda k: k[::-1])
            ]
            return [copy_workflow(w) for w in latest if tenant_id in (None, w.tenant_id)]

    # ------------------------------------------------------------------ schedules
    def set_schedules(self, tenant_id: str, key: str, schedules: Sequence[Schedule]) -> None:
        copies = []
        for s in schedules:
            require_fields("schedules", s, _SCHEDULE_REQUIRED)
            copies.append(replace(s, workflow_key=key, tenant_id=tenant_id))
        with self._lock:
            for k in [k for k in self._schedules if k[:2] == (tenant_id, key)]:
                del self._schedules[k]
            for s in copies:
                self._schedules[(tenant_id, key, s.trigger_index)] = s
        if copies:
            self._signal_work()

    def due_schedules(self, now: float) -> list[Schedule]:
        with self._lock:
            due = sorted(
                (s for s in self._schedules.values() if s.next_fire_at <= now),
                key=lambda s: (s.next_fire_at, s.workflow_key, s.tenant_id, s.trigger_index),
            )
            return [copy_schedule(s) for s in due]

    def advance_schedule(self, schedule: Schedule, next_fire_at: float) -> bool:
        with self._lock:
            k = (schedule.tenant_id, schedule.workflow_key, schedule.trigger_index)
            found = self._schedules.get(k)
            if (
                found is None
                or found.version != schedule.version
                or found.next_fire_at != schedule.next_fire_at
            ):
                return False
            found.next_fire_at = next_fire_at
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
                held = self._runs.get(entry[1])
                if held is None or held.hver != entry[2]:
                    continue  # stale
                popped.append(entry)
                until = held.lease_until
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
                if self._messages[mheap[0][1]].hver == mheap[0][2]:
                    found.append(mheap[0][0])
                    break
                heapq.heappop(mheap)
            # sending messages, unprocessed events: when due, or at the lease expiry while
            # leased past it
            sending = (self._messages[mid] for mid in self._sending)
            unprocessed = (self._events[eid] for eid in self._unprocessed)
            in_flight = [
                *((h.record.due_at, h.lease_until) for h in sending),
                *((h.record.occurred_at, h.lease_until) for h in unprocessed),
            ]
            for due, until in in_flight:
                if until is None or until <= due:
                    found.append(due)
                elif include_leases:
                    found.append(until)
            if self._schedules:
                found.append(min(s.next_fire_at for s in self._schedules.values()))
            return min(found) if found else None


__all__ = ["MemoryStore"]
