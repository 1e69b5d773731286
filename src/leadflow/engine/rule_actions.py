"""The port for automation rules' action kinds.

A rule's action is ``{"kind": ..., ...}``. Each kind is a :class:`RuleAction`, installed through
a :class:`~leadflow.engine.plugins.Plugin`'s ``rule_actions`` (the rules feature installs the
built-in kinds; another feature adds its own the same way). An action never writes by itself:
:meth:`RuleAction.plan` says what it would do (a :class:`RulePlan`), so the dry run and the real
run are one computation, and the rules feature writes the plans of a firing in one transaction
with the firing (``prepare`` covers what must be written outside it, idempotently).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from leadflow.model.records import Contact, ContactPatch, EnrollRequest, Event, Message, NewEvent


class RuleActionError(Exception):
    """The action cannot be carried out for this event (the firing is recorded as failed)."""


@dataclass(frozen=True, slots=True)
class RuleTarget:
    """What an action acts on: the event, its contact (in the rule's tenant), and ``key``, unique
    per (rule, event, action index): the idempotency key of anything the action writes."""

    tenant_id: str
    rule_id: int
    rule_version: int
    event: Event
    contact: Contact
    key: str
    now: float


@dataclass(slots=True)
class RulePlan:
    """What one action would do. ``summary`` is what the dry run and the firing's audit show
    (``kind`` plus the action's particulars); the lists are written with the firing."""

    summary: dict[str, Any]
    patches: list[ContactPatch] = field(default_factory=list)
    enrollments: list[EnrollRequest] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # queued by idempotency key
    prepare: Callable[[], None] | None = None  # an idempotent write made before the firing


class RuleAction(Protocol):
    """One action kind of automation rules."""

    def problems(self, spec: Mapping[str, Any], tenant_id: str) -> list[tuple[str, str]]:
        """Static problems of ``spec`` (the action's JSON) as (field, problem); ``tenant_id``
        is the rule's, for checks that an id belongs to it."""
        ...

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        """What the action would do for ``target``; raises :class:`RuleActionError` when it
        cannot (a workflow deleted since the rule was saved...). Writes nothing."""
        ...


__all__ = ["RuleAction", "RuleActionError", "RulePlan", "RuleTarget"]
