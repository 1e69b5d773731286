"""Reviews: compute the report, decide, and store the decision with the numbers behind it.

Every review stores a decision, "keep" included, so the history shows what was seen each time.
The experiment and its decision are written together on the revision the report was read at: of
two reviewers at the same revision one writes and the other gets None and writes nothing. The
bandit's random draws come from a generator seeded by the experiment's key and revision, so a
review can be replayed and gives the same weights.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable

import numpy as np

from leadflow.definitions.durations import DAY
from leadflow.errors import Conflict, StoreError
from leadflow.experiments.decide import Verdict, applied_weights, decide
from leadflow.experiments.metrics import spec_of
from leadflow.experiments.report import ExperimentReport, build_report
from leadflow.model.experiments import (
    APPLIED,
    RUNNING,
    STOPPED,
    Experiment,
    ExperimentDecision,
)
from leadflow.store.contract_experiments import ExperimentStore

MANUAL_APPLY = "manual_apply"
STOP = "stop"
_ATTEMPTS = 5  # a manual change retries this often when reviews keep moving the revision

log = logging.getLogger(__name__)


def review_rng(experiment: Experiment) -> np.random.Generator:
    """The generator a review of this revision uses by default (reproducible)."""
    text = f"{experiment.tenant_id}\0{experiment.key}\0{experiment.revision}"
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return np.random.default_rng(seed)


def _record(
    store: ExperimentStore, report: ExperimentReport, verdict: Verdict, now: float
) -> ExperimentDecision | None:
    """Store ``verdict`` on the revision ``report`` was read at (None: the revision moved)."""
    before = report.experiment
    running = verdict.status == RUNNING
    after = dataclasses.replace(
        before,
        weights=dict(verdict.weights),
        status=verdict.status,
        winner=verdict.winner,
        updated_at=now,
        next_review_at=now + report.spec.review_every_s() if running else None,
    )
    decision = ExperimentDecision(
        tenant_id=before.tenant_id,
        experiment_key=before.key,
        decided_at=now,
        action=verdict.action,
        reason=verdict.reason,
        weights_before=dict(before.weights),
        weights_after=dict(verdict.weights),
        winner=verdict.winner,
        numbers=report.as_dict(decisions=False),
    )
    return store.record_decision(decision, after, before.revision)


def record_review(
    store: ExperimentStore,
    report: ExperimentReport,
    now: float,
    *,
    rng: np.random.Generator | None = None,
) -> ExperimentDecision | None:
    """Decide on ``report`` and store the decision; None when there is nothing to decide
    (manual, not running) or another reviewer stored one on this revision first."""
    experiment = report.experiment
    verdict = decide(experiment, report, rng or review_rng(experiment))
    if verdict is None:
        return None
    return _record(store, report, verdict, now)


def review_experiment(
    store: ExperimentStore,
    tenant_id: str,
    key: str,
    now: float,
    *,
    rng: np.random.Generator | None = None,
) -> ExperimentDecision | None:
    """Review now, whatever ``next_review_at`` says (NotFound when there is no experiment)."""
    return record_review(store, build_report(store, tenant_id, key, now), now, rng=rng)


def review_due(
    store: ExperimentStore, now: float, *, rng: np.random.Generator | None = None
) -> int:
    """Review every experiment due at ``now`` (every tenant); how many decisions were stored.
    A due experiment with nothing to decide (its mode became manual) stops being due; one whose
    review fails (a stored block that no longer parses...) is logged and tried again one
    review period later, and the others are still reviewed."""
    stored = 0
    for experiment in store.due_experiments(now):
        try:
            stored += _review_one(store, experiment, now, rng)
        except StoreError:
            raise  # the database itself: the worker's pass fails and is retried as a whole
        except Exception:
            log.exception(
                "experiment %r of tenant %r: the review failed; next try in one review period",
                experiment.key,
                experiment.tenant_id,
            )
            later = dataclasses.replace(experiment, next_review_at=now + _period(experiment))
            store.save_experiment(later, experiment.revision)
    return stored


def _review_one(
    store: ExperimentStore, experiment: Experiment, now: float, rng: np.random.Generator | None
) -> int:
    report = build_report(store, experiment.tenant_id, experiment.key, now)
    if record_review(store, report, now, rng=rng) is not None:
        return 1
    if report.spec.decide == "manual":
        current = report.experiment
        store.save_experiment(dataclasses.replace(current, next_review_at=None), current.revision)
    return 0


def _period(experiment: Experiment) -> float:
    try:
        return spec_of(experiment).review_every_s()
    except ValueError:  # the block itself is what fails
        return DAY


def _manual(
    store: ExperimentStore,
    tenant_id: str,
    key: str,
    now: float,
    verdict_of: Callable[[ExperimentReport], Verdict],
) -> ExperimentDecision:
    """A change made by a person: re-read and retry when a review moved the revision."""
    for _ in range(_ATTEMPTS):
        report = build_report(store, tenant_id, key, now)
        stored = _record(store, report, verdict_of(report), now)
        if stored is not None:
            return stored
    raise Conflict(f"experiment {key!r} kept changing; try again")


def _apply_verdict(report: ExperimentReport, arm: str, by: str) -> Verdict:
    names = {a.name: a for a in report.arms}
    if arm not in names:
        known = ", ".join(sorted(names))
        raise ValueError(f"arm: no arm named {arm!r} (arms: {known})")
    if names[arm].holdout:
        raise ValueError(f"arm: {arm!r} is the holdout arm and cannot be applied")
    weights = applied_weights(report, arm)
    return Verdict(MANUAL_APPLY, f"arm {arm} applied by {by}", weights, APPLIED, arm)


def _stop_verdict(report: ExperimentReport, by: str) -> Verdict:
    e = report.experiment
    if e.status == STOPPED:
        raise Conflict(f"experiment {e.key!r} is already stopped")
    reason = f"stopped by {by}; new entrants keep the current weights"
    return Verdict(STOP, reason, dict(e.weights), STOPPED, e.winner)


def apply_arm(
    store: ExperimentStore, tenant_id: str, key: str, arm: str, now: float, by: str
) -> ExperimentDecision:
    """Roll ``arm`` out by hand: every new entrant gets it (the holdout keeps its share)."""
    return _manual(store, tenant_id, key, now, lambda r: _apply_verdict(r, arm, by))


def stop_experiment(
    store: ExperimentStore, tenant_id: str, key: str, now: float, by: str
) -> ExperimentDecision:
    """End the experiment: no more reviews; new entrants keep the current weights."""
    return _manual(store, tenant_id, key, now, lambda r: _stop_verdict(r, by))


__all__ = [
    "MANUAL_APPLY",
    "STOP",
    "apply_arm",
    "record_review",
    "review_due",
    "review_experiment",
    "review_rng",
    "stop_experiment",
]
