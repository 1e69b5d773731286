"""An experiment's report: per arm its contacts, conversions and rate, the analysis against the
control (with the experiment's method), the guardrails, the sample-ratio check, the holdout
comparison and the decisions taken so far.

The report is computed afresh from the stored assignments and events each time (nothing is
cached), so it may be asked for at any moment: the sequential method keeps its error rate under
continuous monitoring. The same numbers are what a review decides on, and they are stored with
the decision (:meth:`ExperimentReport.as_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from leadflow.definitions.experiment_model import ExperimentSpec
from leadflow.errors import NotFound
from leadflow.experiments.metrics import (
    ArmCounts,
    MetricCounts,
    arm_config,
    control_of,
    gather,
    planned_weights,
    spec_of,
)
from leadflow.experiments.stats import Analysis, ArmStats, analyze, mean, proportion, srm_p_value
from leadflow.model.experiments import (
    APPLIED,
    STOPPED,
    Assignment,
    Experiment,
    ExperimentDecision,
)
from leadflow.model.plain import field_values
from leadflow.store.contract_experiments import ExperimentStore

RECONFIGURED = "reconfigured"  # a published change of the split: counts start again


@dataclass(frozen=True)
class GuardrailReport:
    """One guardrail in one arm; ``failed`` when its rate is significantly above the control's.
    The difference is absolute (rate minus rate): a relative lift over a rare event such as an
    opt-out is too uncertain to flag anything. When the analysis has no answer (a control
    without a single opt-out has no variance, which is exactly when an arm that has many must be
    caught), a one-sided Fisher exact test (``exact_p_value``) decides instead."""

    name: str
    conversions: int
    rate: float | None
    analysis: Analysis | None
    failed: bool
    exact_p_value: float | None = None

    def as_dict(self) -> dict[str, Any]:
        analysis = None if self.analysis is None else self.analysis.as_dict()
        return {**field_values(self), "analysis": analysis}


@dataclass(frozen=True)
class ArmReport:
    """One arm: ``weight`` is what new entrants get now, ``planned_weight`` what was published
    (both as shares summing to 1); ``analysis`` compares it with the control (None for the
    control itself); ``stats`` is what the analysis and the bandit read."""

    name: str
    holdout: bool
    weight: float
    planned_weight: float
    n: int
    conversions: int
    rate: float | None
    analysis: Analysis | None
    guardrails: list[GuardrailReport]
    stats: ArmStats

    def as_dict(self) -> dict[str, Any]:
        """Without ``stats``: the counts above are what it holds."""
        return {
            **field_values(self, skip=("stats",)),
            "analysis": None if self.analysis is None else self.analysis.as_dict(),
            "guardrails": [g.as_dict() for g in self.guardrails],
        }


@dataclass(frozen=True)
class HoldoutReport:
    """Every treated arm pooled against the holdout arm: what the experiment as a whole adds."""

    arm: str
    treated_n: int
    treated_conversions: int
    treated_rate: float | None
    holdout_n: int
    holdout_conversions: int
    holdout_rate: float | None
    analysis: Analysis

    def as_dict(self) -> dict[str, Any]:
        return {**field_values(self), "analysis": self.analysis.as_dict()}


@dataclass(frozen=True)
class ExperimentReport:
    experiment: Experiment
    spec: ExperimentSpec
    control: str
    arms: list[ArmReport]
    srm_p_value: float | None
    srm_since: float
    srm_counts: dict[str, int]
    holdout: HoldoutReport | None
    decisions: list[ExperimentDecision]
    computed_at: float

    def arm(self, name: str) -> ArmReport:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(name)

    def treated(self) -> list[ArmReport]:
        """The arms that are not the holdout (the control included)."""
        return [a for a in self.arms if not a.holdout]

    def as_dict(self, *, decisions: bool = True) -> dict[str, Any]:
        """JSON-ready. A stored decision keeps these numbers without the earlier decisions
        (``decisions=False``), so the history does not nest inside itself."""
        e, spec = self.experiment, self.spec
        out: dict[str, Any] = {
            "key": e.key,
            "workflow_key": e.workflow_key,
            "node_id": e.node_id,
            "status": e.status,
            "winner": e.winner,
            "revision": e.revision,
            "weights": dict(e.weights),
            "next_review_at": e.next_review_at,
            "metric": spec.metric.label(),
            "window_s": spec.metric.window_s(),
            "method": spec.method,
            "alpha": spec.alpha,
            "decide": spec.decide,
            "min_sample": spec.min_sample,
            "cuped": spec.pre_period is not None,
            "control": self.control,
            "arms": [a.as_dict() for a in self.arms],
            "srm": {
                "p_value": self.srm_p_value,
                "since": self.srm_since,
                "counts": dict(self.srm_counts),
            },
            "holdout": None if self.holdout is None else self.holdout.as_dict(),
            "computed_at": self.computed_at,
        }
        if decisions:
            out["decisions"] = [decision_dict(d) for d in self.decisions]
        return out


def decision_dict(decision: ExperimentDecision) -> dict[str, Any]:
    """A stored decision, JSON-ready (``numbers`` included)."""
    return {
        "id": decision.id,
        "decided_at": decision.decided_at,
        "action": decision.action,
        "reason": decision.reason,
        "weights_before": dict(decision.weights_before),
        "weights_after": dict(decision.weights_after),
        "winner": decision.winner,
        "numbers": decision.numbers,
    }


# ---------------------------------------------------------------------- statistics
def _rate(conversions: int, n: int) -> float | None:
    return conversions / n if n else None


def _stats(counts: MetricCounts, n: int, cuped: bool) -> ArmStats:
    """0/1 outcomes: a proportion, or with CUPED a mean carrying the pre-period covariate."""
    if not cuped:
        return proportion(counts.conversions, n)
    pre = mean(counts.pre_total, counts.pre_sum_squares, n)
    c = float(counts.conversions)
    return mean(c, c, n, pre=pre, sum_products=counts.sum_products)


def _analyze(
    spec: ExperimentSpec,
    control: ArmStats,
    treatment: ArmStats,
    difference: Literal["relative", "absolute"] = "relative",
) -> Analysis:
    return analyze(
        control,
        treatment,
        method=spec.method,
        difference=difference,
        alpha=spec.alpha,
        tuning=spec.tuning,
    )


def _exact_p(mine: int, n: int, theirs: int, control_n: int) -> float | None:
    """One-sided Fisher exact p-value that the arm's rate is above the control's."""
    if not n or not control_n:
        return None
    from scipy.stats import fisher_exact

    table = [[mine, n - mine], [theirs, control_n - theirs]]
    return float(fisher_exact(table, alternative="greater").pvalue)


def _guardrail(
    spec: ExperimentSpec, i: int, counts: ArmCounts, control: ArmCounts | None
) -> GuardrailReport:
    mine = counts.guardrails[i].conversions
    label, rate = spec.guardrails[i].label(), _rate(mine, counts.n)
    if control is None:
        return GuardrailReport(label, mine, rate, None, False)
    theirs = control.guardrails[i].conversions
    theirs_stats, mine_stats = proportion(theirs, control.n), proportion(mine, counts.n)
    analysis = _analyze(spec, theirs_stats, mine_stats, "absolute")
    if analysis.error is None:
        failed = analysis.significant and (analysis.effect or 0.0) > 0
        return GuardrailReport(label, mine, rate, analysis, failed)
    exact = _exact_p(mine, counts.n, theirs, control.n)
    failed = exact is not None and exact < spec.alpha
    return GuardrailReport(label, mine, rate, analysis, failed, exact)


def _pooled(parts: Sequence[ArmCounts]) -> tuple[int, MetricCounts]:
    pooled = MetricCounts()
    for part in parts:
        pooled.conversions += part.metric.conversions
        pooled.pre_total += part.metric.pre_total
        pooled.pre_sum_squares += part.metric.pre_sum_squares
        pooled.sum_products += part.metric.sum_products
    return sum(p.n for p in parts), pooled


def _holdout(
    spec: ExperimentSpec, counts: Mapping[str, ArmCounts], arms: list[dict[str, Any]]
) -> HoldoutReport | None:
    held = next((a["name"] for a in arms if a["holdout"]), None)
    if held is None:
        return None
    cuped = spec.pre_period is not None
    n, pooled = _pooled([counts[a["name"]] for a in arms if not a["holdout"]])
    own = counts[held]
    analysis = _analyze(spec, _stats(own.metric, own.n, cuped), _stats(pooled, n, cuped))
    return HoldoutReport(
        held,
        n,
        pooled.conversions,
        _rate(pooled.conversions, n),
        own.n,
        own.metric.conversions,
        _rate(own.metric.conversions, own.n),
        analysis,
    )


# ---------------------------------------------------------------------- sample ratio
def srm_start(
    experiment: Experiment, decisions: Sequence[ExperimentDecision]
) -> tuple[float, bool]:
    """When the current weights took effect, and whether an assignment at that very moment
    already had them: the latest decision that changed them (a review decides after the
    entrants of its moment were assigned: strictly after), a reconfiguration (the split syncs
    before it assigns: from that moment), else the experiment's creation (from that moment)."""
    for decision in reversed(decisions):
        if decision.action == RECONFIGURED:
            return decision.decided_at, True
        if decision.weights_after != decision.weights_before:
            return decision.decided_at, False
    return experiment.created_at, True


def _srm(
    experiment: Experiment, assignments: Sequence[Assignment], since: float, inclusive: bool
) -> tuple[float | None, dict[str, int]]:
    weighted = {arm: w for arm, w in experiment.weights.items() if w > 0}
    counts = dict.fromkeys(weighted, 0)
    for a in assignments:
        counted = a.assigned_at >= since if inclusive else a.assigned_at > since
        if counted and a.arm in counts:
            counts[a.arm] += 1
    if experiment.status in (APPLIED, STOPPED) or len(weighted) < 2:
        return None, counts
    names = list(weighted)
    p = srm_p_value([counts[n] for n in names], [weighted[n] for n in names])
    return float(p), counts


# ---------------------------------------------------------------------- the report
def build_report(store: ExperimentStore, tenant_id: str, key: str, now: float) -> ExperimentReport:
    """The experiment's numbers as of ``now`` (NotFound when there is no such experiment)."""
    experiment = store.get_experiment(tenant_id, key)
    if experiment is None:
        raise NotFound(f"no experiment {key!r} in tenant {tenant_id!r}")
    spec = spec_of(experiment)
    arms = arm_config(experiment)
    control = control_of(experiment, spec)
    planned = planned_weights(experiment)
    assignments = store.experiment_assignments(tenant_id, key)
    counts = gather(
        store,
        assignments,
        [a["name"] for a in arms],
        spec.metric,
        spec.guardrails,
        spec.pre_period_s(),
    )
    cuped = spec.pre_period is not None
    base = counts[control]
    base_stats = _stats(base.metric, base.n, cuped)
    reports = []
    for arm in arms:
        name = arm["name"]
        own = counts[name]
        stats = _stats(own.metric, own.n, cuped)
        is_control = name == control
        reports.append(
            ArmReport(
                name=name,
                holdout=arm["holdout"],
                weight=float(experiment.weights.get(name, 0.0)),
                planned_weight=planned[name],
                n=own.n,
                conversions=own.metric.conversions,
                rate=_rate(own.metric.conversions, own.n),
                analysis=None if is_control else _analyze(spec, base_stats, stats),
                guardrails=[
                    _guardrail(spec, i, own, None if is_control else base)
                    for i in range(len(spec.guardrails))
                ],
                stats=stats,
            )
        )
    decisions = store.experiment_decisions(tenant_id, key)
    since, inclusive = srm_start(experiment, decisions)
    srm_p, srm_counts = _srm(experiment, assignments, since, inclusive)
    return ExperimentReport(
        experiment=experiment,
        spec=spec,
        control=control,
        arms=reports,
        srm_p_value=srm_p,
        srm_since=since,
        srm_counts=srm_counts,
        holdout=_holdout(spec, counts, arms),
        decisions=decisions,
        computed_at=now,
    )


__all__ = [
    "ArmReport",
    "ExperimentReport",
    "GuardrailReport",
    "HoldoutReport",
    "arm_config",
    "build_report",
    "decision_dict",
    "planned_weights",
    "spec_of",
]
