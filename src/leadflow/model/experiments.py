"""Experiments as stored: the experiment's live state, each contact's sticky arm, and every
decision with the numbers behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RUNNING = "running"  # arms allocated by ``weights``; reviews may decide
APPLIED = "applied"  # a winner was applied: every new entrant goes to ``winner``
STOPPED = "stopped"  # no more decisions; the weights stay as they are


@dataclass(frozen=True, slots=True)
class Experiment:
    """One experiment (a split node with an ``experiment`` block) of a tenant.

    ``config`` is the split's experiment block as published plus its ``arms`` (``name``,
    ``weight``, ``holdout``), ``weights`` the allocation new entrants get now (the planned
    weights until a decision changes them). ``revision`` counts the changes: a write names the
    revision it read, so two reviewers never both decide."""

    tenant_id: str
    key: str
    workflow_key: str
    node_id: str
    config: dict[str, Any]
    weights: dict[str, float]
    status: str = RUNNING
    winner: str | None = None
    revision: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    next_review_at: float | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """A contact's arm: written the first time it enters the split and never changed."""

    tenant_id: str
    experiment_key: str
    contact_id: str
    arm: str
    assigned_at: float
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class ExperimentDecision:
    """What a review (or a person) decided, with the numbers it saw.

    ``action``: keep | apply_winner | reallocate | blocked_srm | blocked_guardrail | stop |
    manual_apply. ``numbers`` is the report the decision was made on (per-arm counts, effects,
    intervals, p-values or chances to win, the sample-ratio p-value)."""

    tenant_id: str
    experiment_key: str
    decided_at: float
    action: str
    reason: str
    weights_before: dict[str, float]
    weights_after: dict[str, float]
    winner: str | None = None
    numbers: dict[str, Any] = field(default_factory=dict)
    id: int = 0


__all__ = ["APPLIED", "RUNNING", "STOPPED", "Assignment", "Experiment", "ExperimentDecision"]
