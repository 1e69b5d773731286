"""The store contracts: the core (:class:`CoreStore`: contacts, workflows, runs, steps, events,
outbox, leases, schedules, meta -- what must share a transaction) and the combined
:class:`Store`, the core plus the narrow per-feature stores (``contract_<feature>.py``: tenancy,
senders, listings, experiments, webhooks, drafts, score models, prune, the sandbox ledger).
Every backend (memory, SQLite, PostgreSQL) implements the combined contract, and one contract
test suite (``tests/contract``) runs against each. A feature package annotates the store it
takes with the narrow contract it needs; the engine and the wiring take the combined
:class:`Store`.

Design rules every backend honours:

* **Atomic batches.** ``commit_advances`` applies a whole batch in one transaction; for each
  :class:`Advance` it writes the run's new state *only if the run's seq still equals
  ``advance.seq``* (optimistic concurrency) and then, for that run only, its steps, messages,
  contact patches, enrollments and events. A conflicted advance writes nothing at all.
* **Leases.** ``claim_runs`` / ``claim_messages`` / ``claim_events`` hand out due work to one
  ``owner`` until ``now + lease_s``; an expired lease makes the work claimable again. A commit by
  an owner whose lease expired is still accepted if the seq guard holds (the work is idempotent).
* **Dedupe.** Events are unique by ``dedupe_key``; messages are unique by ``idempotency_key``
  (inserting an existing key is a no-op, not an error).
* **Time is an argument.** No method reads a clock; callers pass ``now``.
* **No half writes.** Any method that raises has changed nothing.
* **Wake-ups.** :meth:`Store.wait_for_work` lets an idle worker sleep until new work may be
  available: PostgreSQL writers ``NOTIFY leadflow_work`` in the writing transaction and waiters
  ``LISTEN``; memory and SQLite only see writes made through the same store object (other
  processes are found by polling).
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.model.records import (
    DEFAULT_TENANT,
    Advance,
    Contact,
    ContactFilter,
    ContactPatch,
    Message,
    NewEvent,
    Schedule,
    Scope,
    WorkflowVersion,
)
from leadflow.store.contract_ai import AiCallStore
from leadflow.store.contract_analytics import AnalyticsStore
from leadflow.store.contract_compose import ComposeStore
from leadflow.store.contract_crm import CrmStore
from leadflow.store.contract_drafts import DraftStore
from leadflow.store.contract_erasure import ErasureStore
from leadflow.store.contract_experiments import ExperimentStore
from leadflow.store.contract_listings import ListingStore
from leadflow.store.contract_meta import MetaStore
from leadflow.store.contract_orchestration import OrchestrationStore
from leadflow.store.contract_outbox import OutboxContract
from leadflow.store.contract_playbooks import PlaybookStore
from leadflow.store.contract_prune import PruneStore
from leadflow.store.contract_rules import RuleStore
from leadflow.store.contract_sandbox import SandboxLedger
from leadflow.store.contract_score_models import ScoreModelStore
from leadflow.store.contract_senders import SenderStore
from leadflow.store.contract_tenancy import TenancyStore
from leadflow.store.contract_web_sessions import WebSessionStore
from leadflow.store.contract_webhooks import WebhookStore
from leadflow.store.contract_work import RunsEventsContract

_WORK_SIGNAL_LOCK = threading.Lock()


class CoreStore(RunsEventsContract, OutboxContract, abc.ABC):
    """The core contract: where contacts, workflows, runs, steps, events and the outbox live
    (and the leases, schedules and meta that share their transactions)."""

    url: str

    # ------------------------------------------------------------------ wake-ups
    def _work_signal(self) -> threading.Event:
        """The in-process event set by writes that may add due work (made on first use)."""
        signal: threading.Event | None = self.__dict__.get("_work_event")
        if signal is None:
            with _WORK_SIGNAL_LOCK:
                signal = self.__dict__.setdefault("_work_event", threading.Event())
        return signal

    def _signal_work(self) -> None:
        """Wake :meth:`wait_for_work` callers: new work may be due (call after the commit)."""
        self._work_signal().set()

    def wait_for_work(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds of wall time (an I/O wait, not logic time: the only
        method that does not take ``now``), or until new work may be available. True when woken
        by a notification (work was written since the last wake-up), False on time-out.

        This default sees only writes made through this store object (memory, SQLite: other
        processes are found by polling); PostgreSQL listens for every writer's notification.
        A wake-up means "look again", never a promise that anything is claimable."""
        signal = self._work_signal()
        if signal.wait(max(0.0, timeout)):
            signal.clear()
            return True
        return False

    # ------------------------------------------------------------------ lifecycle / schema
    @abc.abstractmethod
    def schema_version(self) -> int:
        """The schema version the database is at (0 = empty database)."""

    @abc.abstractmethod
    def latest_schema_version(self) -> int:
        """The schema version this code expects."""

    @abc.abstractmethod
    def upgrade(self) -> list[int]:
        """Apply pending migrations in order, each in its own transaction; return the versions
        applied. Safe to call on an up-to-date database (returns [])."""

    def check_schema(self) -> None:
        """Raise :class:`~leadflow.errors.SchemaOutOfDate` naming the fixing command unless the
        database is at the latest version (an empty database counts as out of date too)."""
        from leadflow.errors import SchemaOutOfDate

        current, latest = self.schema_version(), self.latest_schema_version()
        if current == latest:
            return
        if current > latest:
            raise SchemaOutOfDate(
                f"database schema is version {current}, newer than this leadflow supports "
                f"({latest}); upgrade leadflow"
            )
        what = "empty" if current == 0 else f"at schema version {current}"
        raise SchemaOutOfDate(
            f"database {self.url} is {what}, leadflow needs version {latest}; "
            f"run `leadflow db upgrade --db {self.url}` (or `leadflow init`)"
        )

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    # ------------------------------------------------------------------ meta (key/value)
    @abc.abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abc.abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def raise_meta(self, key: str, value: float) -> float:
        """Atomically set meta ``key`` to ``max(its number, value)`` (stored as ``repr`` of the
        float; a missing or non-numeric value counts as lower) and return the number it holds
        now. Several processes raising one key never move it backwards (the shared virtual
        clock)."""

    # ------------------------------------------------------------------ contacts
    def upsert_contacts(self, contacts: Sequence[Contact], now: float) -> tuple[int, int]:
        """Insert or replace contacts by id, all in one transaction; return (inserted, updated).
        ``created_at`` and ``tenant_id`` are kept for existing contacts; ``updated_at`` becomes
        ``now``."""
        inserted, updated, _ = self.save_contacts(contacts, (), now)
        return inserted, updated

    @abc.abstractmethod
    def save_contacts(
        self, contacts: Sequence[Contact], events: Sequence[NewEvent], now: float
    ) -> tuple[int, int, list[int | None]]:
        """:meth:`upsert_contacts` and :meth:`append_events` in ONE transaction (a lead and the
        event it raised are stored together or not at all): (inserted, updated, event ids)."""

    @abc.abstractmethod
    def get_contact(self, contact_id: str) -> Contact | None: ...

    @abc.abstractmethod
    def get_contacts(self, contact_ids: Iterable[str]) -> dict[str, Contact]: ...

    @abc.abstractmethod
    def list_contacts(self, limit: int = 1000, offset: int = 0) -> list[Contact]:
        """Contacts ordered by id."""

    @abc.abstractmethod
    def find_contacts(self, flt: ContactFilter) -> list[Contact]:
        """Contacts passing the filter, by id, at most ``flt.limit`` after ``flt.after_id``;
        with a scope, only that tenant's (and owners') contacts are read."""

    @abc.abstractmethod
    def contacts_in_scope(self, scope: Scope, contact_ids: Iterable[str]) -> set[str]:
        """Which of these contact ids exist in ``scope`` (one indexed read, no decoding: the
        check behind every write the API makes about a contact)."""

    @abc.abstractmethod
    def count_contacts(self) -> int: ...

    @abc.abstractmethod
    def apply_contact_patches(self, patches: Sequence[ContactPatch], now: float) -> None:
        """Apply patches in order in one transaction (unknown contact ids are ignored).
        ``set`` keys that are contact attributes (first_name ... stage) set them (as text, or
        None); any other key sets ``fields[key]``. Tags are removed, then added (no duplicates);
        consent is merged; ``updated_at`` becomes ``now``."""

    # ------------------------------------------------------------------ workflows
    def publish_workflow(
        self,
        key: str,
        name: str,
        definition: dict[str, Any],
        now: float,
        tenant_id: str = DEFAULT_TENANT,
    ) -> WorkflowVersion:
        """Store a new immutable version of ``(tenant_id, key)``, numbered 1, 2, ... per
        tenant and key (keys are per tenant: another tenant's workflow of the same key is a
        different workflow). If the latest version's definition is equal to ``definition`` no
        new version is made and the latest is returned."""
        return self._publish(tenant_id, key, name, definition, now)

    @abc.abstractmethod
    def _publish(
        self, tenant_id: str, key: str, name: str, definition: dict[str, Any], now: float
    ) -> WorkflowVersion:
        """:meth:`publish_workflow` of the backend."""

    @abc.abstractmethod
    def get_workflow(
        self, tenant_id: str, key: str, version: int | None = None
    ) -> WorkflowVersion | None:
        """A version of the tenant's workflow ``key``, or its latest when ``version`` is None;
        None when the tenant has none (whatever other tenants have)."""

    @abc.abstractmethod
    def list_workflows(self, tenant_id: str | None = None) -> list[WorkflowVersion]:
        """The latest version of every workflow (of one tenant when given), by key then
        tenant."""

    # ------------------------------------------------------------------ schedules (cron triggers)
    @abc.abstractmethod
    def set_schedules(self, tenant_id: str, key: str, schedules: Sequence[Schedule]) -> None:
        """Replace all schedules of the tenant's workflow ``key`` (each stored with that
        tenant, whatever its ``tenant_id`` says)."""

    @abc.abstractmethod
    def due_schedules(self, now: float) -> list[Schedule]: ...

    @abc.abstractmethod
    def advance_schedule(self, schedule: Schedule, next_fire_at: float) -> bool:
        """Move a schedule on, only if its next_fire_at is still ``schedule.next_fire_at``
        (so two workers never fire it twice); True when this caller moved it."""

    # ------------------------------------------------------------------ due times
    @abc.abstractmethod
    def next_due_at(self, include_leases: bool = True) -> float | None:
        """The earliest moment any work becomes due (None when nothing ever will), the least of:

        * a live run with a wake_at: its wake_at, or its ``lease_until`` when a lease holds it
          past its wake_at (``max(wake_at, lease_until)``: the moment it becomes claimable
          again if its holder never commits);
        * a pending/deferred message: its due_at; a ``sending`` message: its lease_until (when
          an in-doubt message becomes reclaimable; ``max(due_at, lease_until)``, due_at if it has
          no lease);
        * an unprocessed event: its occurred_at, or its lease_until when leased past it;
        * a schedule's next_fire_at.

        The value may be in the past (work due now, or a lease that has expired). Work under a
        lease is claimable only once ``now > lease_until`` (claims need an expired lease), so a
        caller that sleeps until exactly the returned lease_until may find it still held.

        No ``now`` is needed: ``max(due, lease_until)`` is right whether the lease still holds
        or has expired. Cost: a few index range reads -- the first entry in due order not held
        past its due time, then the least lease_until of the held entries due before it. Held
        entries are work in flight, so this stays O(log n + in-flight), however many runs
        wait."""


class Store(
    CoreStore,
    TenancyStore,
    SenderStore,
    ListingStore,
    ExperimentStore,
    WebhookStore,
    DraftStore,
    WebSessionStore,
    ScoreModelStore,
    PruneStore,
    PlaybookStore,
    SandboxLedger,
    AnalyticsStore,
    AiCallStore,
    ComposeStore,
    MetaStore,
    OrchestrationStore,
    CrmStore,
    RuleStore,
    ErasureStore,
    abc.ABC,
):
    """A whole backend: the core plus every feature store (what the factory opens)."""


def makes_work(advances: Iterable[Advance]) -> bool:
    """Whether committing these advances may leave work for a worker (a run with a wake_at, a
    message, an enrollment or an event): the writer then wakes :meth:`Store.wait_for_work`."""
    return any(a.wake_at is not None or a.messages or a.enrollments or a.events for a in advances)


__all__ = ["CoreStore", "Message", "Store", "makes_work"]
