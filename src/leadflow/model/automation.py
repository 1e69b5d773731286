"""Automation rules: "when an event [with a filter] then actions", kept outside workflows.

A rule is a row per version: :class:`Rule` is one version of one tenant's rule (``id`` is the
rule, ``version`` counts its edits from 1; ``enabled`` is the rule's, not the version's). Each
time a rule acts on an event a :class:`RuleFiring` is recorded, unique per (event, rule), with
the version that fired, the actions as planned, the outcome and the error.

The storage contract is :class:`~leadflow.store.contract_rules.RuleStore`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadflow.model.records import ContactPatch, EnrollRequest, NewEvent

FIRING_OUTCOMES = ("applied", "failed")
FIRING_SOURCES = ("worker", "execute")


@dataclass(slots=True)
class RuleSpec:
    """What a rule says (one version). ``event`` is an event type, or ``prefix.*``."""

    name: str
    event: str
    actions: list[dict[str, Any]]
    filter: dict[str, Any] | None = None
    priority: int = 0  # higher first; ties by rule id
    stop: bool = False  # a firing of this rule keeps lower-priority rules off the event


@dataclass(slots=True)
class Rule:
    id: int
    tenant_id: str
    version: int
    spec: RuleSpec
    enabled: bool
    created_at: float  # the rule's creation
    updated_at: float  # this version's creation (or the last enable/disable)


@dataclass(slots=True)
class RuleFiring:
    """One rule acting on one event. ``actions`` are the planned actions as the dry run shows
    them; ``outcome`` is ``applied`` or ``failed`` (then ``error`` says why and nothing of the
    firing was applied)."""

    tenant_id: str
    rule_id: int
    rule_version: int
    event_id: int
    contact_id: str | None
    actions: list[dict[str, Any]]
    outcome: str
    fired_at: float
    source: str = "worker"
    error: str | None = None
    id: int | None = None


@dataclass(slots=True)
class FiringEffects:
    """What a firing writes in the transaction that records it (only if the firing is new)."""

    patches: list[ContactPatch] = field(default_factory=list)
    enrollments: list[EnrollRequest] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)


__all__ = ["FIRING_OUTCOMES", "FIRING_SOURCES", "FiringEffects", "Rule", "RuleFiring", "RuleSpec"]
