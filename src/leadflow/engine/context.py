"""What a node handler sees while it runs, and the three ways a handler can finish."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadflow.definitions.conditions import ENTERED
from leadflow.definitions.render_budget import RenderLimits
from leadflow.definitions.templates import render, render_plain
from leadflow.engine.compiled import CompiledWorkflow
from leadflow.engine.limits import Limits
from leadflow.engine.localtime import zone
from leadflow.errors import NoSendWindow, PermanentStepError
from leadflow.model.records import Contact, ContactPatch, EnrollRequest, Message, NewEvent, Run

if TYPE_CHECKING:
    from leadflow.engine.catalog import Catalog
    from leadflow.engine.gate import SendGate

FactsLoader = Callable[[int], dict[str, dict[str, Any]]]
MessageLookup = Callable[[str], Message | None]
RunsSince = Callable[[str, str, float], int]  # (contact, workflow key, since) -> runs created
BranchRuns = Callable[[Run], list[Run]]  # a parallel's parent run -> its branch runs, any status
DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Go:
    """Move on to ``next`` (None: the run is completed)."""

    next: str | None
    outcome: str = "ok"
    data: dict[str, Any] | None = None


@dataclass(slots=True)
class Sleep:
    """Stay at this node until ``wake_at`` (and/or an event of type ``waiting_for``)."""

    wake_at: float | None
    waiting_for: str | None = None
    outcome: str = "waiting"
    data: dict[str, Any] | None = None


@dataclass(slots=True)
class Finish:
    """End the run with ``status`` (exited / completed)."""

    status: str
    reason: str | None
    outcome: str


Result = Go | Sleep | Finish


@dataclass(slots=True)
class StepContext:
    """One node execution. Handlers read the run, contact and workflow, and add products
    (messages, contact patches, enrollments, events) that commit with the step or not at all."""

    run: Run
    contact: Contact | None
    workflow: CompiledWorkflow
    catalog: Catalog
    now: float
    step_seq: int
    context: dict[str, Any]
    rng: random.Random
    facts_loader: FactsLoader | None = None
    event: dict[str, Any] | None = None  # the event that resumed this node, if any
    gate: SendGate | None = None
    message_lookup: MessageLookup | None = None
    runs_since: RunsSince | None = None
    limits: Limits = DEFAULT_LIMITS
    branch_runs: BranchRuns | None = None
    messages: list[Message] = field(default_factory=list)
    patches: list[ContactPatch] = field(default_factory=list)
    enrollments: list[EnrollRequest] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    _scope: dict[str, Any] | None = None

    # ---------------------------------------------------------------- variables
    def scope(self) -> dict[str, Any]:
        """Roots for conditions and templates: contact, event, context, steps, workflow, run."""
        if self._scope is None:
            ctx = self.context
            event = ctx.get("_event") or ctx.get("trigger") or {}
            steps: dict[str, Any] = {}
            if self.workflow.needs_steps and self.facts_loader is not None:
                steps = self.facts_loader(self.run.id)
            for node_id, info in (ctx.get("steps") or {}).items():
                steps.setdefault(node_id, {}).update(info)
            self._scope = {
                "contact": self.contact.as_dict() if self.contact else {},
                "event": event,
                "context": ctx.get("vars") or {},
                "steps": steps,
                "workflow": {
                    "key": self.workflow.key,
                    "name": self.workflow.name,
                    "version": self.workflow.version,
                },
                "run": {"id": self.run.id, "created_at": self.run.created_at},
                "agent": {"id": self.contact.owner if self.contact else None},
                ENTERED: ctx.get(ENTERED) or {},
            }
        return self._scope

    def invalidate(self) -> None:
        self._scope = None

    def next_step(self, step_seq: int) -> None:
        """Make this context the one of the run's next node in the same advance: what a fresh
        context would hold (no resuming event, no products, the scope worked out anew)."""
        self.step_seq = step_seq
        self.event = None
        self.messages = []
        self.patches = []
        self.enrollments = []
        self.events = []
        self._scope = None

    def render(self, source: str, limits: RenderLimits | None = None) -> str:
        """Render a template within ``limits`` (default: ``self.limits.other``)."""
        variables = self.scope()
        limits = limits or self.limits.other
        plain = render_plain(source, variables, limits)  # no ``now`` in it: none worked out
        if plain is not None:
            return plain
        tz = self.local_zone()
        now = datetime.fromtimestamp(self.now, tz)
        return render(source, {**variables, "now": now}, limits)

    def local_zone_name(self) -> str:
        default = self.workflow.definition.settings.default_timezone
        return (self.contact.time_zone if self.contact else None) or default

    def local_zone(self) -> Any:
        return zone(self.local_zone_name(), self.workflow.definition.settings.default_timezone)

    def lookup_message(self, idempotency_key: str) -> Message | None:
        """The outbox message with this key (None when it cannot be looked up)."""
        return self.message_lookup(idempotency_key) if self.message_lookup else None

    def allowed_at(self, channel: str) -> float:
        """When a message on ``channel`` may leave (``now`` if it may leave now)."""
        if self.gate is None:
            return self.now
        try:
            return self.gate.earliest(
                channel, self.contact, self.workflow.definition.settings, self.now
            )
        except NoSendWindow:  # queued now: the dispatcher suppresses it, saying why (no_window)
            return self.now

    # ---------------------------------------------------------------- products
    def run_contact(self, kind: str) -> Contact:
        """The run's contact; :class:`PermanentStepError` when it does not exist (any more):
        for the node kinds (``kind``) that cannot do without one."""
        if self.contact is None:
            raise PermanentStepError(f"{kind}: the run's contact does not exist")
        return self.contact

    def idempotency_key(self, node_id: str) -> str:
        """Derived from (run, node, step number): the same step re-executed after a crash gets
        the same key; a later visit of the same node gets a new one."""
        return f"{self.run.id}:{node_id}:{self.step_seq}"

    def add_message(
        self,
        node_id: str,
        channel: str,
        to: str | None,
        body: str | None,
        *,
        subject: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Message:
        message = Message(
            run_id=self.run.id,
            contact_id=self.run.contact_id,
            workflow_key=self.workflow.key,
            node=node_id,
            channel=channel,
            to=to,
            idempotency_key=self.idempotency_key(node_id),
            due_at=self.now,
            created_at=self.now,
            subject=subject,
            body=body,
            payload=payload or {},
        )
        self.messages.append(message)
        return message

    def remember(self, node_id: str, **facts: Any) -> None:
        """Store facts about this node in the run context (``steps.<node>.<fact>``)."""
        steps = self.context.setdefault("steps", {})
        steps.setdefault(node_id, {}).update(facts)
        self.invalidate()
