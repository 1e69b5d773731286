"""What a review does with an experiment's numbers: a pure function of the stored experiment, its
report and a random generator (the bandit's Monte Carlo), so every rule is tested without a
store and a review can be replayed.

The checks run in order and the first that applies wins:

1. manual mode, or an experiment no longer running: nothing to decide;
2. a sample-ratio mismatch (p < 0.001) blocks any change: the assignment itself is suspect;
3. a treated arm below ``min_sample``: keep collecting;
4. ``auto_apply``: below ``min_conversions`` in any treated arm, keep collecting; then apply
   the arm with the largest significant gain over the control whose guardrails hold (the
   control when every other arm is significantly worse); a would-be winner whose guardrail
   failed blocks; otherwise keep;
5. ``bandit``: reallocate the treated arms' share by top-two Thompson sampling. The likely
   best arm gets ``bandit_beta`` (0.8 by default) and its likely challengers the rest; the
   reason also gives each arm's chance to be the best.

The holdout arm keeps its planned weight whatever happens, and never wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadflow.experiments.bandit import best_arm_probabilities, top_two_thompson
from leadflow.experiments.report import ArmReport, ExperimentReport
from leadflow.model.experiments import APPLIED, RUNNING, Experiment

SRM_THRESHOLD = 0.001  # a sample-ratio p-value below this blocks every decision

KEEP = "keep"
APPLY_WINNER = "apply_winner"
REALLOCATE = "reallocate"
BLOCKED_SRM = "blocked_srm"
BLOCKED_GUARDRAIL = "blocked_guardrail"


@dataclass(frozen=True)
class Verdict:
    """What to do: the action, why (in words a person reads in the report), the weights new
    entrants get from now on, and the status and winner that follow."""

    action: str
    reason: str
    weights: dict[str, float]
    status: str = RUNNING
    winner: str | None = None


def _holdout_weight(report: ExperimentReport) -> tuple[str | None, float]:
    held = next((a for a in report.arms if a.holdout), None)
    return (None, 0.0) if held is None else (held.name, held.planned_weight)


def applied_weights(report: ExperimentReport, winner: str) -> dict[str, float]:
    """Every new entrant to ``winner``, except the holdout's planned share."""
    held, share = _holdout_weight(report)
    weights = {a.name: 0.0 for a in report.arms}
    weights[winner] = 1.0 - share
    if held is not None:
        weights[held] = share
    return weights


def _fmt_p(p: float) -> str:
    return f"{p:.2g}" if p < 0.001 else f"{p:.4f}"


def _srm_block(report: ExperimentReport, weights: dict[str, float]) -> Verdict | None:
    p = report.srm_p_value
    if p is None or p >= SRM_THRESHOLD:
        return None
    counts = ", ".join(f"{arm} {n}" for arm, n in report.srm_counts.items())
    expected = ", ".join(f"{arm} {w:.0%}" for arm, w in report.experiment.weights.items() if w > 0)
    reason = (
        f"sample ratio mismatch: p = {_fmt_p(p)} < {SRM_THRESHOLD} "
        f"(assigned {counts}; expected {expected}); no change until it is explained"
    )
    return Verdict(BLOCKED_SRM, reason, weights)


def _short_arms(report: ExperimentReport) -> list[ArmReport]:
    return [a for a in report.treated() if a.n < report.spec.min_sample]


def _keep_for_sample(report: ExperimentReport, weights: dict[str, float]) -> Verdict | None:
    short = _short_arms(report)
    if not short:
        return None
    need = report.spec.min_sample
    parts = "; ".join(f"arm {a.name} needs {need - a.n} more ({a.n} of {need})" for a in short)
    return Verdict(KEEP, f"minimum sample not met: {parts}", weights)


def _keep_for_conversions(report: ExperimentReport, weights: dict[str, float]) -> Verdict | None:
    need = report.spec.min_conversions
    short = [a for a in report.treated() if a.conversions < need]
    if not short:
        return None
    parts = "; ".join(
        f"arm {a.name} needs {need - a.conversions} more ({a.conversions} of {need})" for a in short
    )
    return Verdict(KEEP, f"too few conversions to judge: {parts}", weights)


def _effect(arm: ArmReport) -> float:
    return arm.analysis.effect if arm.analysis is not None and arm.analysis.effect else 0.0


def _significant(arm: ArmReport) -> bool:
    return arm.analysis is not None and arm.analysis.significant


def _auto_apply(report: ExperimentReport, weights: dict[str, float]) -> Verdict:
    others = [a for a in report.treated() if a.name != report.control]
    better = sorted(
        (a for a in others if _significant(a) and _effect(a) > 0), key=_effect, reverse=True
    )
    clean = [a for a in better if not any(g.failed for g in a.guardrails)]
    if clean:
        best = clean[0]
        reason = (
            f"arm {best.name} beats {report.control} on {report.spec.metric.label()}: "
            f"{_effect(best):+.1%} ({_ci(best)}), applied to every new entrant"
        )
        return Verdict(APPLY_WINNER, reason, applied_weights(report, best.name), APPLIED, best.name)
    if better:
        best = better[0]
        failed = ", ".join(g.name for g in best.guardrails if g.failed)
        reason = (
            f"arm {best.name} beats {report.control} ({_effect(best):+.1%}) "
            f"but its guardrail {failed} is significantly worse; not applied"
        )
        return Verdict(BLOCKED_GUARDRAIL, reason, weights)
    if others and all(_significant(a) and _effect(a) < 0 for a in others):
        names = ", ".join(a.name for a in others)
        reason = f"every other arm ({names}) is significantly worse than {report.control}: applied"
        control = report.control
        return Verdict(APPLY_WINNER, reason, applied_weights(report, control), APPLIED, control)
    return Verdict(KEEP, f"no arm differs significantly from {report.control} yet", weights)


def _ci(arm: ArmReport) -> str:
    a = arm.analysis
    if a is None or a.ci_low is None or a.ci_high is None:
        return "no interval"
    return f"{1 - a.alpha:.0%} interval {a.ci_low:+.1%} to {a.ci_high:+.1%}"


def _bandit(report: ExperimentReport, rng: np.random.Generator) -> Verdict:
    treated = report.treated()
    held, share = _holdout_weight(report)
    arms = {a.name: a.stats for a in treated}
    floor = min(report.spec.weight_floor, 1.0 / len(arms))  # a floor every arm can have
    allocation = top_two_thompson(arms, rng=rng, floor=floor, beta=report.spec.bandit_beta)
    weights = {a.name: float(allocation[a.name]) * (1.0 - share) for a in treated}
    if held is not None:
        weights[held] = share
    ordered = {a.name: weights[a.name] for a in report.arms}
    shares = ", ".join(f"{a.name} {ordered[a.name]:.1%}" for a in treated)
    reason = f"top-two Thompson sampling: {shares}"
    if all(a.n >= 2 for a in treated):
        best = best_arm_probabilities(arms, rng)
        reason += "; chance to be best: " + ", ".join(f"{n} {p:.1%}" for n, p in best.items())
    return Verdict(REALLOCATE, reason, ordered)


def decide(
    experiment: Experiment, report: ExperimentReport, rng: np.random.Generator
) -> Verdict | None:
    """The verdict of a review of ``experiment`` on ``report``; None when there is nothing to
    decide (manual mode, or the experiment is applied or stopped)."""
    mode = report.spec.decide
    if mode == "manual" or experiment.status != RUNNING:
        return None
    weights = dict(experiment.weights)
    found = _srm_block(report, weights) or _keep_for_sample(report, weights)
    if found is not None:
        return found
    if mode == "auto_apply":
        return _keep_for_conversions(report, weights) or _auto_apply(report, weights)
    return _bandit(report, rng)


__all__ = [
    "APPLY_WINNER",
    "BLOCKED_GUARDRAIL",
    "BLOCKED_SRM",
    "KEEP",
    "REALLOCATE",
    "SRM_THRESHOLD",
    "Verdict",
    "applied_weights",
    "decide",
]
