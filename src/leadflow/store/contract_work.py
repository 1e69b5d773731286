"""Runs and events in the Store contract: enrolment, claims, seq-guarded batch commits, the run
queries, and the event queue."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadflow.model.records import (
    Advance,
    ClaimedRun,
    CommitResult,
    EnrollOutcome,
    EnrollRequest,
    Event,
    MessageFacts,
    NewEvent,
    NodeCount,
    Run,
    RunFilter,
    Scope,
    Step,
)
from leadflow.model.rules import check_reentry


@dataclass(frozen=True, slots=True)
class EnrollAll:
    """The arguments of :meth:`RunsEventsContract.enroll_all`, its re-entry policy checked."""

    workflow_key: str
    version: int
    start_node: str
    now: float
    reentry: str
    reentry_days: int | None
    tenant_id: str | None


@dataclass(frozen=True, slots=True)
class EventBatch:
    """The arguments of :meth:`RunsEventsContract.complete_events`, its enrolments' re-entry
    policies checked."""

    owner: str
    event_ids: Sequence[int]
    advances: Sequence[Advance]
    enrollments: Sequence[EnrollRequest]
    facts: Sequence[MessageFacts]
    now: float


@dataclass(frozen=True, slots=True)
class EventQuery:
    """The arguments of :meth:`RunsEventsContract.list_events`."""

    contact_id: str | None
    limit: int
    offset: int
    scope: Scope | None
    after_id: int
    type: str | None
    status: str | None


class RunsEventsContract(abc.ABC):
    # ------------------------------------------------------------------ runs
    @abc.abstractmethod
    def enroll(self, requests: Sequence[EnrollRequest], now: float) -> EnrollOutcome:
        """Create runs (status active, wake_at=now, node=start_node) in one transaction,
        honouring each request's re-entry policy against the contact's existing runs of that
        workflow key (any version) *and* against requests earlier in the same call:
        ``never``: skip if any run exists; ``after``: skip if a live or paused run exists or a run
        was created within ``reentry_days`` days; ``always``: skip only if a live or paused run
        exists. Runs deleted by :meth:`delete_runs_history` still count as (finished) runs:
        created at the latest ``created_at`` among them. Unknown contacts are skipped. ``after``
        without ``reentry_days`` behaves as ``always``."""

    def enroll_all(
        self,
        workflow_key: str,
        version: int,
        start_node: str,
        now: float,
        reentry: str = "never",
        reentry_days: int | None = None,
        tenant_id: str | None = None,
    ) -> EnrollOutcome:
        """Enroll every contact (of ``tenant_id`` when given; skipped counts only those),
        with the same rules as :meth:`enroll`, in bulk; run_ids may be empty
        (the backends shipped leave it empty: a million ids is not worth returning)."""
        check_reentry(reentry, reentry_days)
        args = EnrollAll(workflow_key, version, start_node, now, reentry, reentry_days, tenant_id)
        return self._enroll_all(args)

    @abc.abstractmethod
    def _enroll_all(self, q: EnrollAll) -> EnrollOutcome:
        """:meth:`enroll_all` once the re-entry policy is checked."""

    @abc.abstractmethod
    def claim_runs(self, owner: str, now: float, limit: int, lease_s: float) -> list[ClaimedRun]:
        """Claim up to ``limit`` runs with status active/waiting and ``wake_at <= now`` whose lease
        is free or expired (``lease_until < now``), ordered by wake_at (then id); lease them to
        ``owner`` until ``now + lease_s``.
        Returns each run with its contact."""

    @abc.abstractmethod
    def commit_advances(self, owner: str, advances: Sequence[Advance], now: float) -> CommitResult:
        """Apply the batch in one transaction (see module docs: seq guard per run, products
        only for applied runs) and release the leases of the applied runs. Ended runs get
        ``wake_at = None`` (and ``ended_at = now`` unless the advance has one). Messages get ids;
        duplicate idempotency keys are ignored. Once committed, the :class:`Step` and
        :class:`Message` records passed in carry their ids (a message whose key was taken
        carries the id of the message that has it). Products are written in order: steps,
        messages, contact patches, enrollments, events."""

    @abc.abstractmethod
    def release_runs(self, owner: str, run_ids: Sequence[int]) -> None:
        """Drop ``owner``'s leases on these runs without changing them."""

    @abc.abstractmethod
    def get_run(self, run_id: int) -> Run | None: ...

    @abc.abstractmethod
    def get_runs(self, run_ids: Iterable[int]) -> dict[int, Run]: ...

    @abc.abstractmethod
    def runs_of_contact(self, contact_id: str, statuses: Iterable[str] | None = None) -> list[Run]:
        """Runs of a contact (optionally only these statuses), oldest first."""

    def count_runs_since(self, contact_id: str, workflow_key: str, since: float) -> int:
        """How many runs of ``workflow_key`` the contact has that were created after ``since``
        (what ``EnrollRequest.max_per_hour`` counts), a ``parallel`` node's branch runs apart:
        they are part of their parent's run, not enrolments."""
        return sum(
            1
            for r in self.runs_of_contact(contact_id)
            if r.workflow_key == workflow_key and r.created_at > since and r.parent_run_id is None
        )

    @abc.abstractmethod
    def runs_of_contacts(
        self, contact_ids: Iterable[str], statuses: Iterable[str] | None = None
    ) -> dict[str, list[Run]]:
        """:meth:`runs_of_contact` for many contacts in one query: contact id -> its runs
        (optionally only these statuses), each list oldest first (by id). Contacts without a
        matching run are absent (never an empty list); repeated ids count once; keys come in
        contact id order. Any number of ids (SQLite passes them as one JSON parameter, so its
        limit on bound variables never applies)."""

    @abc.abstractmethod
    def list_runs(self, flt: RunFilter) -> list[Run]:
        """Runs matching the filter, by id (ids above ``after_id``; with a scope, only runs
        whose contact is in it)."""

    @abc.abstractmethod
    def count_runs(
        self, workflow_key: str | None = None, scope: Scope | None = None
    ) -> dict[str, int]:
        """status -> count (only runs whose contact is in ``scope`` when given: a workflow
        key names one tenant's workflow only together with that tenant); a ``parallel`` node's
        branch runs are not counted (each is part of its parent's run)."""

    @abc.abstractmethod
    def run_steps(self, run_id: int) -> list[Step]:
        """The run's step history, in order."""

    @abc.abstractmethod
    def all_steps(self, limit: int | None = None, since_id: int = 0) -> list[Step]:
        """Steps with id > since_id in id order (used by reports and benchmarks)."""

    @abc.abstractmethod
    def node_counts(self, workflow_key: str, scope: Scope | None = None) -> list[NodeCount]:
        """Per (version, node) of a workflow (only runs whose contact is in ``scope`` when
        given): entered = runs with a step at that node (distinct
        runs), sent/delivered/replied = distinct runs whose message from that node reached that
        state (sent counts sent or delivered; replied counts replied_at set), exited = runs that
        ended (exited/completed/failed/cancelled) at that node, current = live/paused runs at
        that node now."""

    # ------------------------------------------------------------------ events
    @abc.abstractmethod
    def append_events(self, events: Sequence[NewEvent], now: float) -> list[int | None]:
        """Insert events in one transaction; for each, its new id, or None when its dedupe key
        was already taken (the same key twice is one event). An event with ``processed`` set is
        stored already processed (``processed_at = now``): history that nothing will claim."""

    @abc.abstractmethod
    def event_ids_by_dedupe(self, dedupe_keys: Sequence[str]) -> dict[str, int]:
        """The id of the stored event holding each of these dedupe keys (keys held by no event
        are left out): what a duplicate was a duplicate of."""

    @abc.abstractmethod
    def claim_events(self, owner: str, now: float, limit: int, lease_s: float) -> list[Event]:
        """Claim unprocessed events with ``occurred_at <= now``, oldest first (by id)."""

    def complete_events(
        self,
        owner: str,
        event_ids: Sequence[int],
        advances: Sequence[Advance],
        enrollments: Sequence[EnrollRequest],
        facts: Sequence[MessageFacts],
        now: float,
    ) -> CommitResult:
        """One transaction: apply ``advances`` (as commit_advances, seq-guarded), ``enrollments``
        (as enroll), message ``facts`` (as apply_message_facts) and mark ``event_ids`` processed.

        **An event's products are one unit.** The advances sharing an ``event_id`` are applied
        all or none: when any of them fails its seq guard, nothing of that event is applied --
        none of its advances (nor their steps, messages, patches, enrollments, events), none of
        the ``enrollments`` with that ``event_id`` -- and the event stays unprocessed with its
        lease released, to be processed again against the runs' new state. Advances and
        enrollments whose ``event_id`` is None are judged alone, as in commit_advances. Facts
        are idempotent and always applied.

        Units (an event's advances in the order given; an advance without event alone) are tried
        in the order of their first advance, each against the seqs left by the units applied
        before it. So a later advance that builds on a withdrawn one (same run, seq + 1) fails
        too, and its event is retried as well; applied advances are written in that unit order.

        In the result, ``applied`` counts the advances applied; ``conflicts`` /
        ``conflicted_run_ids`` (in the order given) are every advance not applied, whether it
        lost its own seq race or was withdrawn with its event (applied + conflicts ==
        len(advances))."""
        for req in enrollments:
            check_reentry(req.reentry, req.reentry_days)
        return self._complete_events(
            EventBatch(owner, event_ids, advances, enrollments, facts, now)
        )

    @abc.abstractmethod
    def _complete_events(self, b: EventBatch) -> CommitResult:
        """:meth:`complete_events` once the enrolments' re-entry policies are checked."""

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
        """Events by id (ids above ``after_id``, of one type when given, in one
        :attr:`Event.status` when given: pending, processed (not failed) or failed; with a
        scope, only events whose contact is in it -- events without a contact are in no
        scope)."""
        query = EventQuery(contact_id, limit, offset, scope, after_id, type, status)
        return self._find_events(query)

    def every_event_of(self, contact_id: str, page: int = 1000) -> list[Event]:
        """Every stored event of the contact, oldest first, read ``page`` at a time."""
        out: list[Event] = []
        after = 0
        while True:
            found = self.list_events(contact_id, limit=page, after_id=after)
            out.extend(found)
            if len(found) < page:
                return out
            after = found[-1].id

    @abc.abstractmethod
    def _find_events(self, q: EventQuery) -> list[Event]:
        """:meth:`list_events` of the backend."""

    @abc.abstractmethod
    def event_marks(self, after_id: int, limit: int) -> list[tuple[int, float]]:
        """``(id, created_at)`` of the events with ids above ``after_id``, in id order, at most
        ``limit``: the ids and times :meth:`list_events` would give, nothing of the events
        decoded (what moves the outbound webhooks' cursor when nobody is subscribed)."""

    @abc.abstractmethod
    def pending_events_count(self) -> int: ...

    @abc.abstractmethod
    def fail_events(self, owner: str, failures: Mapping[int, str], now: float) -> list[int]:
        """Quarantine events that cannot be processed: mark each processed with its reason as
        ``error`` and release its lease, in one transaction -- only those still unprocessed and
        leased to ``owner`` or to nobody. Returns the ids quarantined, in id order."""

    @abc.abstractmethod
    def note_events(self, notes: Mapping[int, str]) -> None:
        """Record on each event (``ignored``) what of its data was ignored and why."""

    @abc.abstractmethod
    def annotate_events(self, data: Mapping[int, Mapping[str, Any]]) -> None:
        """Merge keys into each event's ``data`` (what an observer read from it, e.g. a reply's
        ``intent``), in one transaction; the same keys written again change nothing."""

    @abc.abstractmethod
    def failed_events_count(self) -> int:
        """How many stored events are quarantined (``error`` set)."""


__all__ = ["EventQuery", "RunsEventsContract"]
