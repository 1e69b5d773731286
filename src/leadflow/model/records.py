"""Plain records that cross the Store boundary.

Slotted dataclasses, not pydantic models: thousands of them are built per second on the hot path.
Times are float epoch seconds (UTC). JSON-ish fields are plain dicts/lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    """Where a run stands, in the words of ARCHITECTURE.md."""

    ACTIVE = "active"  # runnable now (wake_at <= now)
    WAITING = "waiting"  # waiting for a time (wake_at) and/or an event (waiting_for)
    PAUSED = "paused"  # stopped by a reply or by hand; resumable
    COMPLETED = "completed"  # reached a node with no way on
    EXITED = "exited"  # a goal met, an exit node, unsubscribed, replied
    FAILED = "failed"  # a step failed for good with no on_error edge
    CANCELLED = "cancelled"  # stopped by hand


RUN_STATUSES = tuple(RunStatus)
LIVE_STATUSES = frozenset({RunStatus.ACTIVE, RunStatus.WAITING})
ENDED_STATUSES = frozenset(
    {RunStatus.COMPLETED, RunStatus.EXITED, RunStatus.FAILED, RunStatus.CANCELLED}
)


class MessageStatus(StrEnum):
    """Where a message of the outbox stands. ``sending`` is the in-flight state between claim and
    provider answer: a message found ``sending`` with an expired lease is "in doubt" and is
    reconciled with the provider (lookup by idempotency key) before it is ever sent again."""

    PENDING = "pending"
    DEFERRED = "deferred"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


MESSAGE_STATUSES = tuple(MessageStatus)
DUE_MESSAGE_STATUSES = frozenset({MessageStatus.PENDING, MessageStatus.DEFERRED})

CHANNELS = ("sms", "email", "voice", "webhook", "whatsapp")

# The tenant of data entered without one (CLI imports, single-brokerage installs).
DEFAULT_TENANT = "default"


# Contact attributes stored in their own columns; any other key of a patch goes to ``fields``.
# Read-only views of values kept in ``fields``: the lead score and its band (leadflow.scoring)
# read as ``contact.score`` / ``contact.score_band`` in conditions and templates.
CONTACT_DERIVED = ("score", "score_band")
CONTACT_SCALARS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "time_zone",
    "state",
    "owner",
    "stage",
)


@dataclass(slots=True)
class Contact:
    """A lead. Template and condition paths use these snake_case names (``contact.first_name``);
    CSV import maps RESO Contact columns onto them (ContactKey -> id, FirstName -> first_name...).
    ``fields`` holds every other column / custom field; ``consent`` maps channel -> state
    ("opted_in", "opted_out", "unknown"). ``tenant_id`` is the brokerage the lead belongs to
    (``"default"`` for data entered without one); ``owner`` is the agent's RESO MemberKey, which
    decides who sees the lead through the API (see :class:`Scope`)."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    time_zone: str | None = None
    state: str | None = None
    owner: str | None = None
    stage: str | None = None
    tags: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    consent: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0
    tenant_id: str = DEFAULT_TENANT

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "time_zone": self.time_zone,
            "state": self.state,
            "owner": self.owner,
            "stage": self.stage,
            "tags": list(self.tags),
            "fields": dict(self.fields),
            **{key: self.fields.get(key) for key in CONTACT_DERIVED},
            "consent": dict(self.consent),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "tenant_id": self.tenant_id,
        }


@dataclass(slots=True)
class ContactPatch:
    """A change to one contact, applied to the row as it is at commit time (so two runs of the
    same contact in one batch do not overwrite each other)."""

    contact_id: str
    set: dict[str, Any] = field(default_factory=dict)  # known attribute names or custom fields
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    consent: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class WorkflowVersion:
    key: str
    version: int
    name: str
    definition: dict[str, Any]  # the definition as JSON (model_dump(mode="json", by_alias=True))
    published_at: float
    tenant_id: str = DEFAULT_TENANT  # the owner; a workflow is (tenant_id, key)


@dataclass(slots=True)
class Draft:
    """An editable, unpublished workflow definition of one tenant (one per key); it may be
    invalid. ``updated_by`` names who saved it last (an API key id), when known."""

    tenant_id: str
    key: str
    definition: dict[str, Any]
    updated_at: float
    updated_by: str | None = None
    # where the designer placed each node, {node id: {"x": .., "y": ..}}; not part of the
    # definition (its YAML stays free of layout). None: never placed (saving a draft without
    # a layout keeps the one stored)
    layout: dict[str, dict[str, float]] | None = None


BRANCH_LINK = "_branch"  # a branch run's context: its parent run, fork and branch name
FORK_LINK = "_fork"  # a parallel node's parent run's context: the fork it waits at (node, visit)


@dataclass(slots=True)
class Run:
    id: int
    workflow_key: str
    version: int
    contact_id: str
    node: str | None
    status: str
    wake_at: float | None
    context: dict[str, Any]
    step_seq: int = 0  # steps committed so far; part of idempotency keys
    attempt: int = 0  # failed attempts at the current node (retry policy input)
    waiting_for: str | None = None  # event type a wait_for_event node awaits
    seq: int = 0  # optimistic-concurrency counter, bumped by every committed change
    created_at: float = 0.0
    updated_at: float = 0.0
    ended_at: float | None = None
    exit_reason: str | None = None
    error: str | None = None

    @property
    def parent_run_id(self) -> int | None:
        """For a branch run of a ``parallel`` node: the run that forked it."""
        link = self.context.get(BRANCH_LINK)
        return int(link["parent"]) if isinstance(link, dict) and "parent" in link else None

    @property
    def branch(self) -> str | None:
        """For a branch run of a ``parallel`` node: the branch's name."""
        link = self.context.get(BRANCH_LINK)
        return str(link.get("branch")) if isinstance(link, dict) else None


@dataclass(slots=True)
class ClaimedRun:
    run: Run
    contact: Contact | None


@dataclass(slots=True)
class Step:
    """One execution of one node for one run: the history."""

    run_id: int
    node: str
    kind: str
    step_seq: int
    attempt: int
    outcome: str  # e.g. "ok", "queued", "waiting", "timeout", "event", "case:0", "error", "goal:x"
    started_at: float
    due_at: float | None = None  # when it was due (timer lag = started_at - due_at)
    error: str | None = None
    data: dict[str, Any] | None = None
    id: int | None = None


@dataclass(slots=True)
class Message:
    """An outbound send in the outbox."""

    run_id: int | None
    contact_id: str | None
    workflow_key: str | None
    node: str | None
    channel: str
    to: str | None
    idempotency_key: str
    due_at: float
    created_at: float
    subject: str | None = None
    body: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # html, media_urls, url, headers...
    status: str = MessageStatus.PENDING
    attempts: int = 0
    sent_at: float | None = None
    delivered_at: float | None = None
    opened_at: float | None = None
    clicked_at: float | None = None
    replied_at: float | None = None
    provider_id: str | None = None
    suppressed_reason: str | None = None
    error: str | None = None
    duplicates: int = 0  # redeliveries the (sandbox) provider refused; filled by list_messages
    id: int | None = None


@dataclass(slots=True)
class ClaimedMessage:
    message: Message
    contact: Contact | None
    run_status: str | None
    workflow_version: int | None
    # True when the message was already ``sending`` before this claim (a previous claim's lease
    # expired: a crash between the provider call and the commit), so the provider may have it
    # already and must be asked (reconciled) before it is sent again. False when it was claimed
    # from pending/deferred.
    in_doubt: bool = False


@dataclass(frozen=True, slots=True)
class HeldLease:
    """Work one owner holds in one queue ("events", "messages" or "runs")."""

    owner: str
    queue: str
    count: int
    min_until: float
    max_until: float


@dataclass(slots=True)
class MessageUpdate:
    """The dispatcher's verdict on one claimed message."""

    message_id: int
    status: str
    due_at: float | None = None  # for deferred / retry (status pending)
    attempts: int | None = None
    sent_at: float | None = None
    delivered_at: float | None = None
    provider_id: str | None = None
    suppressed_reason: str | None = None
    error: str | None = None


@dataclass(slots=True)
class MessageFacts:
    """Engagement facts learned later (delivery receipts, opens, clicks, replies)."""

    message_id: int
    status: str | None = None  # e.g. delivered / failed; never moves a status backwards
    delivered_at: float | None = None
    opened_at: float | None = None
    clicked_at: float | None = None
    replied_at: float | None = None
    error: str | None = None


@dataclass(slots=True)
class NewEvent:
    type: str
    contact_id: str | None
    data: dict[str, Any]
    dedupe_key: str
    occurred_at: float
    # Recorded for history only, already processed: nothing listens to it (the writer knows).
    processed: bool = False


@dataclass(slots=True)
class Event:
    id: int
    type: str
    contact_id: str | None
    data: dict[str, Any]
    dedupe_key: str
    occurred_at: float
    created_at: float
    processed_at: float | None = None
    # Quarantined: the event could not be processed and was set aside (processed) with this
    # reason, so it blocks nothing (status "failed" in the API).
    error: str | None = None
    # What of its data was ignored, and why (e.g. ``data.message_id: 42 is not a message to
    # this contact``); the rest of the event was processed.
    ignored: str | None = None

    @property
    def status(self) -> str:
        """pending | processed | failed"""
        if self.error is not None:
            return "failed"
        return "pending" if self.processed_at is None else "processed"


EVENT_STATUSES = ("pending", "processed", "failed")


@dataclass(slots=True)
class EnrollRequest:
    workflow_key: str
    version: int
    contact_id: str
    start_node: str
    context: dict[str, Any] = field(default_factory=dict)
    reentry: str = "never"  # never | after | always
    reentry_days: int | None = None
    # The event whose processing asked for this run (complete_events only): when that event is
    # retried (one of its advances lost a seq race) the enrollment is dropped with it.
    event_id: int | None = None
    # At most this many runs of the workflow for the contact created in the hour up to now,
    # this one included (None: no cap). Counted by the store in the enrolling transaction.
    max_per_hour: int | None = None


@dataclass(slots=True)
class EnrollOutcome:
    created: int = 0
    skipped: int = 0
    run_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Advance:
    """Everything one run's advance (or an event's effect on one run) produced, committed
    atomically together with the run's new state. ``seq`` is the run's seq as claimed/read: the
    store applies the advance only if the run still has that seq (else it is dropped whole and
    counted as a conflict), and bumps it."""

    run_id: int
    seq: int
    node: str | None
    status: str
    wake_at: float | None
    context: dict[str, Any]
    step_seq: int
    attempt: int = 0
    waiting_for: str | None = None
    ended_at: float | None = None
    exit_reason: str | None = None
    error: str | None = None
    steps: list[Step] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    contact_patches: list[ContactPatch] = field(default_factory=list)
    enrollments: list[EnrollRequest] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    event_id: int | None = None  # the event that caused this advance (event processing only)
    version: int | None = None  # a new workflow version for the run (migration); None = same
    contact_id: str | None = None  # the run's contact (for the events its end records)


@dataclass(slots=True)
class CommitResult:
    applied: int = 0
    conflicts: int = 0
    conflicted_run_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Schedule:
    workflow_key: str
    version: int
    trigger_index: int
    cron: str
    timezone: str
    next_fire_at: float
    tenant_id: str = DEFAULT_TENANT  # the workflow's tenant (keys are per tenant)


@dataclass(frozen=True, slots=True)
class Scope:
    """What one API caller may see: the contacts of ``tenant_id`` -- all of them when ``owners``
    is None (an admin), else only those whose ``owner`` is one of ``owners`` (an agent: its own
    member key; a manager: its team's). Runs, messages and events are visible exactly when their
    contact is. Applied by the store in its queries, so nothing outside the scope is read."""

    tenant_id: str
    owners: frozenset[str] | None = None

    def allows(self, contact: Contact | None) -> bool:
        if contact is None or contact.tenant_id != self.tenant_id:
            return False
        return self.owners is None or (contact.owner is not None and contact.owner in self.owners)


@dataclass(slots=True)
class ContactFilter:
    """Contacts in ``scope`` (all tenants when None), optionally narrowed; ordered by id, keyset
    paged with ``after_id``. ``q`` matches a case-insensitive substring of the name, e-mail or
    phone; ``tag`` one tag; ``updated_since`` contacts changed at or after that time."""

    scope: Scope | None = None
    q: str | None = None
    email: str | None = None
    phone: str | None = None
    owner: str | None = None
    stage: str | None = None
    tag: str | None = None
    updated_since: float | None = None
    after_id: str | None = None
    limit: int = 100


@dataclass(slots=True)
class RunFilter:
    workflow_key: str | None = None
    contact_id: str | None = None
    status: str | None = None
    limit: int = 1000
    offset: int = 0
    scope: Scope | None = None  # only runs whose contact is in scope
    after_id: int = 0  # keyset paging: only ids greater than this


@dataclass(slots=True)
class MessageFilter:
    run_id: int | None = None
    contact_id: str | None = None
    status: str | None = None
    channel: str | None = None
    limit: int = 1000
    offset: int = 0
    scope: Scope | None = None  # only messages whose contact is in scope
    after_id: int = 0  # keyset paging: only ids greater than this


@dataclass(slots=True)
class NodeCount:
    workflow_key: str
    version: int
    node: str
    entered: int = 0
    sent: int = 0
    delivered: int = 0
    replied: int = 0
    exited: int = 0
    current: int = 0


@dataclass(slots=True)
class SandboxDelivery:
    idempotency_key: str
    channel: str
    to: str | None
    body: str | None
    provider_id: str
    delivered_at: float
    duplicates: int = 0


@dataclass(slots=True)
class RunHistory:
    """A finished run with everything recorded about it: what ``leadflow db prune`` archives
    and then deletes as one unit. Steps and messages are in id order."""

    run: Run
    steps: list[Step] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
