"""The interfaces the engine needs from the layers above it, in one place.

* :class:`Provider`: a channel that really sends (channels implement it);
* :class:`DispatchPolicy` and :class:`SendGate`: whether and when a message may leave
  (compliance implements them);
* :class:`Handler`: what a node kind does, registered by kind (the engine's built-in kinds,
  feature kinds such as ``score`` or ``match_properties``, custom ``action`` nodes);
* :class:`SendTimer`: when a send node with ``timing: optimal`` sends (sendtime);
* :class:`EventObserver`: sees each claimed batch of events before its runs advance (consent
  changes and automatic answers, rescoring);
* :class:`PeriodicJob`: work a worker runs every so often (experiment reviews);
* :data:`PublishHook`: called when a workflow version is published (experiments sync);
* :class:`Ticker`: a worker's own part that looks for work on every pass (webhook deliveries).

Features implement them and hand them to the engine as a :class:`~leadflow.engine.plugins.Plugin`;
the engine knows nothing of who implements them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from leadflow.definitions.models import Settings as WorkflowSettings
from leadflow.definitions.models import WorkflowDefinition
from leadflow.engine.gate import SendGate as SendGate
from leadflow.model.records import Contact, Event, Message, Run, WorkflowVersion
from leadflow.store.contract import Store

if TYPE_CHECKING:
    from leadflow.engine.context import Result, StepContext


@dataclass(slots=True, frozen=True)
class SendResult:
    """What a provider says about one send."""

    provider_id: str
    status: Literal["sent", "delivered"] = "sent"
    duplicate: bool = False  # the provider already had this idempotency key and refused it


class Provider(Protocol):
    """Something that really sends: sandbox, Twilio, SMTP, an HTTP webhook..."""

    name: str

    def send(self, message: Message, now: float) -> SendResult:
        """Send ``message`` using ``message.idempotency_key``; raise
        :class:`~leadflow.errors.ProviderError` on failure (``retryable`` says if trying again may
        help)."""
        ...

    def lookup(self, idempotency_key: str) -> SendResult | None:
        """What the provider knows of an earlier send with this key, or None when it has none or
        cannot tell. Used to reconcile messages left in doubt by a crash before re-sending."""
        ...


@dataclass(slots=True, frozen=True)
class Decision:
    action: Literal["send", "defer", "suppress"]
    until: float | None = None  # for defer: the next allowed moment
    reason: str | None = None


SEND = Decision("send")


class DispatchPolicy(Protocol):
    """Decides, at the moment a message is about to leave, whether it may (compliance)."""

    def check(
        self,
        message: Message,
        contact: Contact | None,
        run: Run | None,
        settings: WorkflowSettings | None,
        now: float,
        sent_24h: int = 0,
        texts_calls_24h: int = 0,
    ) -> Decision:
        """``settings`` are the workflow's (its send window can only narrow the legal one; its
        default zone applies to contacts without one); ``sent_24h`` is how many messages the
        contact was sent in the last 24 hours across all workflows and channels,
        ``texts_calls_24h`` how many texts and calls (counted only for contacts a state caps)."""
        ...

    def capped(self, contact: Contact) -> bool:
        """Whether a per-day cap on texts and calls applies to ``contact`` (then the dispatcher
        counts them for :meth:`check`'s ``texts_calls_24h``)."""
        ...


class Handler(Protocol):
    """What a node kind does. ``enter`` runs when a run arrives at the node; ``resume`` when a
    run that slept at the node wakes (timer or event)."""

    def enter(self, ctx: StepContext, node: Any) -> Result: ...

    def resume(self, ctx: StepContext, node: Any) -> Result: ...


class SendTimer(Protocol):
    """Chooses the moment a send node with ``timing: optimal`` sends its message."""

    def choose(
        self, ctx: StepContext, node_id: str, channel: str, max_delay: float
    ) -> dict[str, Any]:
        """The chosen moment (``at``, epoch seconds) and its explanation, JSON-ready."""
        ...


@dataclass(slots=True)
class EventBatch:
    """A claimed batch of events as observers see it, before its runs advance. ``contacts``
    holds the events' contacts that the engine or an observer needs (by id); an observer that
    changes contacts puts a new mapping with their new state here, for the observers after it
    and for the runs."""

    store: Store
    events: Sequence[Event]
    contacts: dict[str, Contact]
    now: float


class EventObserver(Protocol):
    """Sees every claimed batch of events, in the order observers were installed, before the
    batch's runs advance (a crash before the batch commits shows it the batch again, so what
    it writes must be idempotent). An exception fails the batch (it is retried in halves)."""

    event_types: frozenset[str]  # events whose contacts it needs in ``EventBatch.contacts``

    def observe(self, batch: EventBatch) -> None: ...


class PeriodicJob(Protocol):
    """Work a worker runs when it is due: at its first pass, then at most once per
    ``interval_s`` of clock time.

    A job may also set ``background = True``: bookkeeping that must not take the engine's time
    while leads wait (the funnel summary's fold). It first comes due ``interval_s`` after the
    worker's first pass, and runs on a pass that found no other work; while the worker stays
    busy it waits up to ``BUSY_PATIENCE`` intervals (see :mod:`leadflow.engine.jobs`)."""

    name: str
    interval_s: float

    def run(self, now: float) -> int:
        """Do what is due at ``now``; how much was done (counted in the worker's stats)."""
        ...


class Ticker(Protocol):
    """A part of one worker that looks for its own work on every pass."""

    def tick(self, now: float) -> int: ...


# Called once a version is published: (the version, its definition, now).
PublishHook = Callable[[WorkflowVersion, WorkflowDefinition, float], None]
