"""What an experiment's report is computed from: the published block and arms as stored, and
per arm how many contacts were assigned, how many converted on the metric (and on each
guardrail), and for CUPED the metric counted before assignment.

Everything is read in one pass: the assignments, then every event of the metric's and the
guardrails' types for those contacts since the earliest moment any of them can count. A contact
converts when one of the types occurs at or after its assignment and no later than the window
after it; an event before the assignment belongs to the pre-period (CUPED covariate), never to
the outcome.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.definitions.experiment_model import ExperimentMetric, ExperimentSpec
from leadflow.model.experiments import Assignment, Experiment
from leadflow.model.records import Event
from leadflow.store.contract_experiments import ExperimentStore


@dataclass(slots=True)
class MetricCounts:
    """One metric in one arm: conversions (0/1 per contact) and, with a pre-period, the sums
    CUPED needs (covariate = the metric's events in the pre-period, a count per contact)."""

    conversions: int = 0
    pre_total: float = 0.0
    pre_sum_squares: float = 0.0
    sum_products: float = 0.0  # sum of outcome x covariate


@dataclass(slots=True)
class ArmCounts:
    """One arm: its contacts, the primary metric, and each guardrail by position."""

    n: int = 0
    metric: MetricCounts = field(default_factory=MetricCounts)
    guardrails: list[MetricCounts] = field(default_factory=list)


# ---------------------------------------------------------------------- the stored row
def spec_of(experiment: Experiment) -> ExperimentSpec:
    """The experiment block as published (``config`` also carries the arms)."""
    fields = ExperimentSpec.model_fields
    return ExperimentSpec.model_validate(
        {k: v for k, v in experiment.config.items() if k in fields}
    )


def arm_config(experiment: Experiment) -> list[dict[str, Any]]:
    """The published arms (name, weight, holdout); the current weights' names when absent."""
    arms = experiment.config.get("arms")
    if isinstance(arms, list) and arms:
        return [
            {
                "name": str(a["name"]),
                "weight": float(a.get("weight", 1.0)),
                "holdout": bool(a.get("holdout", False)),
            }
            for a in arms
        ]
    return [{"name": n, "weight": w, "holdout": False} for n, w in experiment.weights.items()]


def planned_weights(experiment: Experiment) -> dict[str, float]:
    """The published weights as shares summing to 1."""
    arms = arm_config(experiment)
    total = sum(a["weight"] for a in arms) or 1.0
    return {a["name"]: a["weight"] / total for a in arms}


def control_of(experiment: Experiment, spec: ExperimentSpec) -> str:
    chosen = experiment.config.get("control") or spec.control
    if chosen:
        return str(chosen)
    arms = arm_config(experiment)
    return str(next((a["name"] for a in arms if not a["holdout"]), arms[0]["name"]))


# ---------------------------------------------------------------------- counting
def _converted(times: Sequence[float], assigned_at: float, window_s: float) -> bool:
    return any(assigned_at <= t <= assigned_at + window_s for t in times)


def _pre_count(times: Sequence[float], assigned_at: float, pre_period_s: float) -> int:
    return sum(1 for t in times if assigned_at - pre_period_s <= t < assigned_at)


def _add(
    into: MetricCounts,
    times: Sequence[float],
    assigned_at: float,
    window_s: float,
    pre_period_s: float | None,
) -> None:
    outcome = 1 if _converted(times, assigned_at, window_s) else 0
    into.conversions += outcome
    if pre_period_s is not None:
        pre = _pre_count(times, assigned_at, pre_period_s)
        into.pre_total += pre
        into.pre_sum_squares += pre * pre
        into.sum_products += outcome * pre


def _times_by_contact(events: list[Event]) -> dict[str, dict[str, list[float]]]:
    """contact id -> event type -> occurrence times."""
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for event in events:
        if event.contact_id is not None:
            found[event.contact_id][event.type].append(event.occurred_at)
    return found


def _times_of(by_type: dict[str, list[float]], metric: ExperimentMetric) -> list[float]:
    return [t for kind in metric.event_types() for t in by_type.get(kind, ())]


def gather(
    store: ExperimentStore,
    assignments: Sequence[Assignment],
    arms: Sequence[str],
    metric: ExperimentMetric,
    guardrails: Sequence[ExperimentMetric],
    pre_period_s: float | None = None,
) -> dict[str, ArmCounts]:
    """Counts per arm (every name in ``arms``, empty when nobody was assigned to it). The metric
    gets the CUPED sums when ``pre_period_s`` is given; guardrails never do."""
    counts = {arm: ArmCounts(guardrails=[MetricCounts() for _ in guardrails]) for arm in arms}
    if not assignments:
        return counts
    types = {kind for m in (metric, *guardrails) for kind in m.event_types()}
    since = min(a.assigned_at for a in assignments) - (pre_period_s or 0.0)
    events = store.contact_events([a.contact_id for a in assignments], sorted(types), since)
    times = _times_by_contact(events)
    empty: dict[str, list[float]] = {}
    for assignment in assignments:
        arm = counts.setdefault(
            assignment.arm, ArmCounts(guardrails=[MetricCounts() for _ in guardrails])
        )
        arm.n += 1
        by_type = times.get(assignment.contact_id, empty)
        at = assignment.assigned_at
        _add(arm.metric, _times_of(by_type, metric), at, metric.window_s(), pre_period_s)
        for into, guardrail in zip(arm.guardrails, guardrails, strict=True):
            _add(into, _times_of(by_type, guardrail), at, guardrail.window_s(), None)
    return counts


__all__ = [
    "ArmCounts",
    "MetricCounts",
    "arm_config",
    "control_of",
    "gather",
    "planned_weights",
    "spec_of",
]
