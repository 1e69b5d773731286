"""A tenant's experiments: listed with their contacts so far, reported, and decided by hand
(review now, roll an arm out, stop). Reads need any caller of the tenant; decisions an admin or
manager. Another tenant's experiment is NotFound as a missing one is."""

from __future__ import annotations

from typing import Any

from leadflow.access.scope import WRITE_ROLES, actor, require_role
from leadflow.errors import NotFound
from leadflow.experiments.report import ExperimentReport, build_report
from leadflow.model.experiments import Experiment, ExperimentDecision
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal


def owned(store: Store, principal: Principal, key: str) -> Experiment:
    found = store.get_experiment(principal.tenant_id, key)
    if found is None:  # another tenant's key is missing here too
        raise NotFound(f"no experiment {key!r}")
    return found


def listed(store: Store, principal: Principal) -> list[tuple[Experiment, int]]:
    """Every experiment of the tenant, with how many contacts it assigned so far."""
    tenant = principal.tenant_id
    return [
        (e, len(store.experiment_assignments(tenant, e.key)))
        for e in store.list_experiments(tenant)
    ]


def report(store: Store, principal: Principal, key: str, now: float) -> ExperimentReport:
    owned(store, principal, key)
    return build_report(store, principal.tenant_id, key, now)


def decisions(store: Store, principal: Principal, key: str) -> list[ExperimentDecision]:
    owned(store, principal, key)
    return store.experiment_decisions(principal.tenant_id, key)


def review(
    store: Store, principal: Principal, key: str, now: float
) -> tuple[Experiment, ExperimentDecision | None]:
    """Review now, whatever the next review time says: (the experiment as it was, the
    decision or None)."""
    tenant = require_role(principal, WRITE_ROLES, "reviewing an experiment")
    experiment = owned(store, principal, key)
    from leadflow.experiments.review import review_experiment  # numpy: only to decide

    return experiment, review_experiment(store, tenant, key, now)


def apply(store: Store, principal: Principal, key: str, arm: str, now: float) -> ExperimentDecision:
    """Roll ``arm`` out by hand; ValueError (``arm: ...``) when the experiment has no such arm
    to roll out."""
    tenant = require_role(principal, WRITE_ROLES, "applying an experiment's arm")
    owned(store, principal, key)
    from leadflow.experiments.review import apply_arm

    return apply_arm(store, tenant, key, arm, now, actor(principal))


def stop(store: Store, principal: Principal, key: str, now: float) -> ExperimentDecision:
    """Stop deciding; ValueError when the experiment is no longer running."""
    tenant = require_role(principal, WRITE_ROLES, "stopping an experiment")
    owned(store, principal, key)
    from leadflow.experiments.review import stop_experiment

    return stop_experiment(store, tenant, key, now, actor(principal))


def mode_of(experiment: Experiment) -> tuple[str, str]:
    """(decide, method) of the published block, with the block's defaults."""
    config = experiment.config
    return str(config.get("decide") or "manual"), str(config.get("method") or "sequential")


def summary_of(experiment: Experiment, contacts: int) -> dict[str, Any]:
    """What a list of experiments shows of one, as both doors name it (times in epoch
    seconds: each door writes them its way)."""
    decide, method = mode_of(experiment)
    return {
        "key": experiment.key,
        "workflow_key": experiment.workflow_key,
        "node_id": experiment.node_id,
        "decide": decide,
        "method": method,
        "status": experiment.status,
        "winner": experiment.winner,
        "weights": dict(experiment.weights),
        "contacts": contacts,
        "next_review_at": experiment.next_review_at,
    }
