"""The Store contract: every backend (memory, SQLite, PostgreSQL) implements exactly this, and
one contract test suite (``tests/contract``) runs against each.

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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from leadflow.store.experiments_records import Assignment, Experiment, ExperimentDecision
from leadflow.store.listing_matches import ListingMatch
from leadflow.store.listings_records import Listing, ListingChanges, ListingFilter
from leadflow.store.records import (
    DEFAULT_TENANT,
    Advance,
    ClaimedMessage,
    ClaimedRun,
    CommitResult,
    Contact,
    ContactFilter,
    ContactPatch,
    Draft,
    EnrollOutcome,
    EnrollRequest,
    Event,
    HeldLease,
    Message,
    MessageFacts,
    MessageFilter,
    MessageUpdate,
    NewEvent,
    NodeCount,
    Run,
    RunFilter,
    RunHistory,
    SandboxDelivery,
    Schedule,
    Scope,
    Step,
    WorkflowVersion,
)
from leadflow.store.score_models_records import NewScoreModel, ScoreModel
from leadflow.store.senders_records import SenderStore
from leadflow.store.tenancy_records import Agent, ApiKey, Team, Tenant
from leadflow.store.webhooks_records import NewDelivery, WebhookDelivery, WebhookSubscription

_WORK_SIGNAL_LOCK = threading.Lock()


class Store(SenderStore, abc.ABC):
    """Where contacts, workflows, runs, steps, events and the outbox live."""

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

    # ------------------------------------------------------------------ tenancy
    @abc.abstractmethod
    def create_tenant(self, tenant: Tenant, now: float) -> None:
        """Add a tenant (``created_at`` becomes ``now``); StoreError when the id is taken."""

    @abc.abstractmethod
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    @abc.abstractmethod
    def list_tenants(self) -> list[Tenant]:
        """By id."""

    @abc.abstractmethod
    def upsert_team(self, team: Team, now: float) -> bool:
        """Insert or update a team by (tenant, team_key); True when new. StoreError when the
        tenant does not exist."""

    @abc.abstractmethod
    def list_teams(self, tenant_id: str) -> list[Team]:
        """The tenant's teams by team_key."""

    @abc.abstractmethod
    def upsert_agents(self, agents: Sequence[Agent], now: float) -> tuple[int, int]:
        """Insert or update agents by (tenant, member_key) in one transaction; (inserted,
        updated). ``created_at`` is kept for existing agents, ``updated_at`` becomes ``now``.
        StoreError (nothing written) when a tenant or team does not exist."""

    @abc.abstractmethod
    def get_agent(self, tenant_id: str, member_key: str) -> Agent | None: ...

    @abc.abstractmethod
    def list_agents(self, tenant_id: str, team_key: str | None = None) -> list[Agent]:
        """The tenant's agents (optionally of one team) by member_key."""

    @abc.abstractmethod
    def create_api_key(self, key: ApiKey, now: float) -> None:
        """Store a key (``created_at`` becomes ``now``); StoreError when the id is taken or the
        tenant / agent does not exist."""

    @abc.abstractmethod
    def get_api_key(self, key_id: str) -> ApiKey | None: ...

    @abc.abstractmethod
    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        """The tenant's keys, revoked ones included, by created_at then id."""

    @abc.abstractmethod
    def revoke_api_key(self, key_id: str, now: float) -> bool:
        """Revoke a key (``revoked_at = now``); True when this call revoked it, False when it
        was unknown or already revoked (its first revocation time is kept)."""

    # ------------------------------------------------------------------ predictive-score models
    @abc.abstractmethod
    def save_score_model(self, new: NewScoreModel, now: float) -> ScoreModel:
        """Store a trained model as its tenant's next version (1, 2, ...) created at ``now``.
        StoreError when the tenant does not exist."""

    @abc.abstractmethod
    def get_score_model(self, tenant_id: str, version: int | None = None) -> ScoreModel | None:
        """That version of the tenant's model, or its latest when ``version`` is None."""

    @abc.abstractmethod
    def list_score_models(self, tenant_id: str) -> list[ScoreModel]:
        """The tenant's models by version."""

    # ------------------------------------------------------------------ experiments
    @abc.abstractmethod
    def save_experiment(self, experiment: Experiment, expected_revision: int | None) -> bool:
        """Create (``expected_revision`` None: only when (tenant, key) is absent) or replace
        (only when the stored revision equals ``expected_revision``) an experiment. The stored
        revision becomes ``expected_revision + 1`` (0 on create) whatever ``experiment.revision``
        says. True when written, False when the condition did not hold (nothing written).
        StoreError when the tenant does not exist."""

    @abc.abstractmethod
    def get_experiment(self, tenant_id: str, key: str) -> Experiment | None: ...

    @abc.abstractmethod
    def list_experiments(self, tenant_id: str | None = None) -> list[Experiment]:
        """Experiments by (tenant, key); every tenant's when ``tenant_id`` is None."""

    @abc.abstractmethod
    def due_experiments(self, now: float) -> list[Experiment]:
        """Running experiments whose ``next_review_at`` is at or before ``now`` (every tenant),
        by next_review_at then (tenant, key)."""

    @abc.abstractmethod
    def assign_arm(self, assignment: Assignment) -> Assignment:
        """Store the contact's arm unless it has one in this experiment; return the stored one
        (an earlier assignment always wins, so re-entry and a re-executed step keep the arm)."""

    @abc.abstractmethod
    def get_assignment(self, tenant_id: str, key: str, contact_id: str) -> Assignment | None: ...

    @abc.abstractmethod
    def experiment_assignments(self, tenant_id: str, key: str) -> list[Assignment]:
        """Every assignment of the experiment, by assigned_at then contact id."""

    @abc.abstractmethod
    def record_decision(
        self, decision: ExperimentDecision, experiment: Experiment, expected_revision: int
    ) -> ExperimentDecision | None:
        """In one transaction: replace the experiment (as :meth:`save_experiment` with
        ``expected_revision``) and store the decision. The stored decision (with its id), or None
        when the revision moved on (another reviewer decided first; nothing written)."""

    @abc.abstractmethod
    def experiment_decisions(self, tenant_id: str, key: str) -> list[ExperimentDecision]:
        """The experiment's decisions, oldest first (by id)."""

    @abc.abstractmethod
    def contact_events(
        self, contact_ids: Iterable[str], types: Iterable[str], since: float = 0.0
    ) -> list[Event]:
        """Events of these types of these contacts that occurred at or after ``since``, by
        contact id then occurred_at then id (processed or not)."""

    # ------------------------------------------------------------------ listings
    @abc.abstractmethod
    def upsert_listings(self, listings: Sequence[Listing], now: float) -> ListingChanges:
        """Insert or replace listings by (tenant, listing_key), all in one transaction, in order
        (a key given twice is compared with its earlier self). StandardStatus is stored in its
        RESO spelling. ``created_at`` is kept for existing listings; ``updated_at`` becomes
        ``now``. Returns, per listing, whether it was new and its price / status change (old,
        new). StoreError (nothing written) for an unknown tenant, an empty key or an unknown
        StandardStatus."""

    @abc.abstractmethod
    def get_listing(self, tenant_id: str, listing_key: str) -> Listing | None: ...

    @abc.abstractmethod
    def list_listings(self, flt: ListingFilter) -> list[Listing]:
        """The tenant's listings matching the filter, by listing_key (keyset: after
        ``flt.after_key``), at most ``flt.limit``."""

    @abc.abstractmethod
    def count_listings(self, tenant_id: str) -> int: ...

    @abc.abstractmethod
    def delete_listing(self, tenant_id: str, listing_key: str) -> bool:
        """True when the listing existed (and is gone)."""

    @abc.abstractmethod
    def record_listing_matches(self, matches: Sequence[ListingMatch]) -> int:
        """Remember listings as sent to their contacts, all in one transaction; a (tenant,
        contact, listing) already recorded keeps its first record. Returns how many were new.
        StoreError (nothing written) for an unknown tenant or an empty key."""

    @abc.abstractmethod
    def listing_matches(self, tenant_id: str, contact_id: str) -> list[ListingMatch]:
        """Every listing recorded as sent to the contact, oldest first (then by key)."""

    # ------------------------------------------------------------------ workflows
    @abc.abstractmethod
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

    # ------------------------------------------------------------------ workflow drafts
    @abc.abstractmethod
    def save_draft(self, draft: Draft) -> Draft:
        """Create or replace the draft of ``(draft.tenant_id, draft.key)``; returns it as
        stored. A draft is not validated: any JSON object is kept."""

    @abc.abstractmethod
    def get_draft(self, tenant_id: str, key: str) -> Draft | None: ...

    @abc.abstractmethod
    def list_drafts(self, tenant_id: str) -> list[Draft]:
        """The drafts of one tenant, by key."""

    @abc.abstractmethod
    def delete_draft(self, tenant_id: str, key: str) -> bool:
        """True when a draft was deleted, False when there was none."""

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

    @abc.abstractmethod
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
        (what ``EnrollRequest.max_per_hour`` counts)."""
        return sum(
            1
            for r in self.runs_of_contact(contact_id)
            if r.workflow_key == workflow_key and r.created_at > since
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
        key names one tenant's workflow only together with that tenant)."""

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
    def claim_events(self, owner: str, now: float, limit: int, lease_s: float) -> list[Event]:
        """Claim unprocessed events with ``occurred_at <= now``, oldest first (by id)."""

    @abc.abstractmethod
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

    @abc.abstractmethod
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
    def failed_events_count(self) -> int:
        """How many stored events are quarantined (``error`` set)."""

    # ------------------------------------------------------------------ outbox
    @abc.abstractmethod
    def claim_messages(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[ClaimedMessage]:
        """Claim messages that are pending/deferred with ``due_at <= now``, or ``sending`` with an
        expired lease (in doubt), skipping messages whose contact has an unprocessed event of a
        reply type (sms.received, email.received, voice.received) so stop-on-reply wins the
        race; set them ``sending`` and lease them. Ordered by due_at (then id).
        ``ClaimedMessage.in_doubt`` is True exactly for the messages that were already
        ``sending`` before this claim (the provider may have them: reconcile before sending),
        False for those claimed from pending/deferred."""

    @abc.abstractmethod
    def queue_messages(self, messages: Sequence[Message], now: float) -> list[int | None]:
        """Queue messages that belong to no run (``run_id`` None, e.g. the answer to a HELP text)
        in one transaction. For each, its new id (also set on the message), or None when its
        ``idempotency_key`` is already taken (by an earlier message or one before it in the
        list): the same key twice is one message. Workers are signalled when any was queued.
        A message with a ``run_id`` is refused (:class:`~leadflow.errors.InvalidInput`): a
        run's messages are written with its advance."""

    @abc.abstractmethod
    def update_messages(
        self, owner: str, updates: Sequence[MessageUpdate], events: Sequence[NewEvent], now: float
    ) -> list[int]:
        """One transaction: apply the verdicts (releasing leases) and append ``events``. The
        verdict's status is taken as is; its other fields change the message only when set --
        except that a verdict of sent or delivered clears ``suppressed_reason`` (a message that
        was deferred, e.g. for quiet hours, and then sent was not suppressed). Other verdicts
        (deferred, suppressed...) record their reason when given.

        **Fenced by the lease:** a verdict applies only while the message is ``sending`` with
        ``lease_owner == owner`` (an expired lease nobody took over still counts as held). A
        verdict on a message that another owner took over, or that was released, is refused, and
        so are the events about it (``data["message_id"]``): the new owner decides. Returns the
        refused message ids (in the order given)."""

    @abc.abstractmethod
    def renew_messages(
        self, owner: str, message_ids: Sequence[int], now: float, lease_s: float
    ) -> set[int]:
        """Just before a send: extend the lease (``now + lease_s``) of those messages that are
        still ``sending`` under ``owner``'s lease *and* whose contact has no unprocessed
        hold-back event (a reply or a consent change, as in :meth:`claim_messages`: re-checked
        when the message is about to leave); return their ids. Only those may be sent: the
        others were taken over (their verdicts will be refused) or wait behind a reply or an
        opt-out. One transaction."""

    @abc.abstractmethod
    def apply_message_facts(self, facts: Sequence[MessageFacts], now: float) -> None:
        """Record facts; a status never moves backwards (delivered is not undone by sent):
        pending < deferred < sending < sent < delivered, and failed/suppressed replace anything
        but delivered and are final. ``*_at`` are set only when still unset; ``error`` is taken
        unless the fact's status was refused. Unknown message ids are ignored."""

    @abc.abstractmethod
    def get_message(self, message_id: int) -> Message | None: ...

    @abc.abstractmethod
    def find_message(self, idempotency_key: str) -> Message | None: ...

    @abc.abstractmethod
    def find_message_by_provider(self, provider_id: str) -> Message | None:
        """The message a provider knows as ``provider_id`` (a Twilio MessageSid or CallSid, a
        SendGrid message id), or None."""

    @abc.abstractmethod
    def latest_message_to(self, contact_id: str, channel: str) -> Message | None:
        """The contact's most recent sent/delivered message on ``channel``."""

    def sent_count_since(
        self, contact_id: str, since: float, channels: Iterable[str] | None = None
    ) -> int:
        """How many of the contact's run messages (messages of a workflow's run: answers that
        belong to no run, such as a HELP answer, are not counted) are sent or delivered with
        ``sent_at >= since`` (optionally only on these channels; an empty list counts
        nothing)."""
        return self.sent_counts_since([contact_id], since, channels).get(contact_id, 0)

    @abc.abstractmethod
    def sent_counts_since(
        self, contact_ids: Iterable[str], since: float, channels: Iterable[str] | None = None
    ) -> dict[str, int]:
        """:meth:`sent_count_since` for many contacts in one query: every contact id asked for
        is a key (0 when nothing counts), in contact id order."""

    @abc.abstractmethod
    def last_reply_at(self, contact_ids: Iterable[str]) -> dict[str, float]:
        """For each contact that ever replied (an event of a reply type: sms.received,
        email.received, voice.received, processed or not), the ``occurred_at`` of its latest
        reply; contacts that never replied are absent. One query for all."""

    @abc.abstractmethod
    def list_messages(self, flt: MessageFilter) -> list[Message]:
        """Messages by id (above ``after_id``; with a scope, only messages whose contact is in
        it), with ``duplicates`` filled from the sandbox ledger."""

    @abc.abstractmethod
    def messages_of_run(self, run_id: int) -> list[Message]: ...

    # ------------------------------------------------------------------ leases
    @abc.abstractmethod
    def held_leases(self) -> list[HeldLease]:
        """Work in flight: per (owner, queue) with a lease on live work -- runs active/waiting,
        messages ``sending``, unprocessed events -- how many entries and their least and greatest
        ``lease_until``; ordered by owner, then queue ("events", "messages", "runs"). Expired
        leases count too (the work is held until claimed again or released). Cheap: leases are
        indexed, so this reads only the entries in flight."""

    @abc.abstractmethod
    def release_leases(self, owners: Sequence[str]) -> int:
        """Drop every lease these owners hold (presumed dead), in one transaction, without
        changing the work: runs and events become claimable as they are; a ``sending`` message
        stays ``sending`` with no lease, so the next claim takes it *in doubt* and reconciles
        it with the provider before any resend. Returns how many entries were released."""

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

    # ------------------------------------------------------------------ history (prune)
    @abc.abstractmethod
    def prunable_runs(
        self, before: float, after_id: int = 0, limit: int = 1000
    ) -> list[RunHistory]:
        """Finished runs (completed/exited/failed/cancelled) with ``ended_at < before`` and
        ``id > after_id``, none of whose messages is still pending/deferred/sending, in id order,
        at most ``limit``; each with its steps and messages (one consistent read). Live, waiting
        and paused runs are never returned."""

    @abc.abstractmethod
    def delete_runs_history(self, seqs: Mapping[int, int], before: float) -> list[int]:
        """In ONE transaction delete the runs of ``seqs`` (run id -> seq as read by
        :meth:`prunable_runs`) with their steps and messages -- only those still finished, with
        ``ended_at < before``, the same seq (unchanged since they were read) and no message
        pending/deferred/sending. Returns the ids deleted, in id order; the rest are left as
        they are (unknown ids included). Re-entry still counts the deleted runs (an enrollment
        mark per contact and workflow key, in the same transaction), and no id of a deleted run,
        step or message is ever handed out again."""

    @abc.abstractmethod
    def prunable_events(self, before: float, after_id: int = 0, limit: int = 1000) -> list[Event]:
        """Processed events with ``processed_at < before`` and ``occurred_at < before`` and
        ``id > after_id``, in id order, at most ``limit``. Unprocessed events never are."""

    @abc.abstractmethod
    def delete_events(self, event_ids: Sequence[int], before: float) -> list[int]:
        """In one transaction delete those of ``event_ids`` that are processed with
        ``processed_at < before`` and ``occurred_at < before``; returns the ids deleted, in id
        order. Their dedupe keys become free again."""

    # ------------------------------------------------------------------ webhooks
    @abc.abstractmethod
    def set_inbound_secret(self, tenant_id: str, secret: str, now: float) -> None:
        """Set (or replace) the secret that signs ``tenant_id``'s inbound lead webhooks."""

    @abc.abstractmethod
    def get_inbound_secret(self, tenant_id: str) -> str | None: ...

    @abc.abstractmethod
    def create_subscription(self, sub: WebhookSubscription, now: float) -> None:
        """Insert an outbound subscription (``created_at`` becomes ``now``); StoreError when
        the id is taken."""

    @abc.abstractmethod
    def list_subscriptions(
        self, tenant_id: str, active_only: bool = False
    ) -> list[WebhookSubscription]:
        """The tenant's subscriptions by id."""

    @abc.abstractmethod
    def subscribed_tenants(self) -> set[str]:
        """Tenants with at least one active subscription (one small read: the fan-out asks it
        before looking up whose events it holds)."""

    @abc.abstractmethod
    def get_subscription(self, tenant_id: str, sub_id: str) -> WebhookSubscription | None:
        """The subscription when it belongs to ``tenant_id``; None otherwise."""

    @abc.abstractmethod
    def update_subscription(self, sub: WebhookSubscription) -> bool:
        """Write url, event types, active and description of the subscription with ``sub.id``
        in ``sub.tenant_id``; False when there is none."""

    @abc.abstractmethod
    def delete_subscription(self, tenant_id: str, sub_id: str) -> bool:
        """Delete the tenant's subscription and its delivery log; False when there is none."""

    @abc.abstractmethod
    def enqueue_deliveries(self, items: Sequence[NewDelivery], now: float) -> int:
        """Insert pending deliveries due ``now`` in one transaction; an item whose (subscription,
        event) is already there is skipped. Returns how many were new."""

    @abc.abstractmethod
    def claim_deliveries(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[WebhookDelivery]:
        """Lease pending deliveries due at ``now`` (no live lease) to ``owner`` until
        ``now + lease_s``, oldest due first."""

    @abc.abstractmethod
    def finish_delivery(
        self,
        owner: str,
        delivery_id: int,
        status: str,
        attempts: int,
        next_attempt_at: float,
        last_status: int | None,
        last_error: str | None,
        now: float,
    ) -> bool:
        """Record an attempt and release the lease (``delivered_at = now`` when delivered);
        False, changing nothing, unless ``owner`` holds the delivery's lease."""

    @abc.abstractmethod
    def list_deliveries(
        self, tenant_id: str, subscription_id: str, limit: int = 100, after_id: int = 0
    ) -> list[WebhookDelivery]:
        """The subscription's deliveries by id (ids above ``after_id``), in ``tenant_id`` only."""

    @abc.abstractmethod
    def remember_signature(self, digest: str, now: float, keep_s: float) -> bool:
        """Record an inbound signature digest: True when new, False when it was seen (a
        replay). Digests seen before ``now - keep_s`` are dropped."""

    @abc.abstractmethod
    def forget_signature(self, digest: str) -> None:
        """Drop a digest again: the request it was remembered for could not be handled, and its
        sender's retry (the same signed request, for senders that sign without a timestamp)
        must not be refused as a replay."""

    # ------------------------------------------------------------------ sandbox provider ledger
    def sandbox_deliver(
        self,
        idempotency_key: str,
        channel: str,
        to: str | None,
        body: str | None,
        provider_id: str,
        now: float,
    ) -> bool:
        """Record a sandbox delivery in its own transaction (as an outside system would). True
        when new; False when the key was delivered before, in which case its ``duplicates``
        counter goes up by one and nothing else changes."""
        item = (idempotency_key, channel, to, body, provider_id)
        return self.sandbox_deliver_many([item], now)[0]

    @abc.abstractmethod
    def sandbox_deliver_many(
        self, items: Sequence[tuple[str, str, str | None, str | None, str]], now: float
    ) -> list[bool]:
        """Record a batch of sandbox deliveries in ONE transaction (an outside system receiving a
        batch). Items are ``(idempotency_key, channel, to, body, provider_id)``; per item, True
        when new, False when the key was delivered before -- by an earlier call or earlier in
        this one -- in which case its ``duplicates`` goes up by one and nothing else changes.
        All or nothing: a refused item (e.g. a new key without channel) records none."""

    @abc.abstractmethod
    def sandbox_lookup(self, idempotency_key: str) -> SandboxDelivery | None: ...

    @abc.abstractmethod
    def sandbox_deliveries(self) -> list[SandboxDelivery]: ...


def makes_work(advances: Iterable[Advance]) -> bool:
    """Whether committing these advances may leave work for a worker (a run with a wake_at, a
    message, an enrollment or an event): the writer then wakes :meth:`Store.wait_for_work`."""
    return any(a.wake_at is not None or a.messages or a.enrollments or a.events for a in advances)


__all__ = ["Message", "Store", "makes_work"]
