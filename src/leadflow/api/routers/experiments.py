"""``/api/v1/experiments``: a tenant's experiments, each one's report with the numbers behind
every decision, and deciding now (review), rolling an arm out by hand (apply) or stopping.

Reads need any key of the tenant; review, apply and stop an admin or manager key. Another
tenant's experiment answers 404 as a missing one does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError

from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.api.data.experiments import (
    ApplyIn,
    DecisionList,
    DecisionOut,
    ExperimentList,
    ReportOut,
    ReviewOut,
    report_out,
    summary,
)
from leadflow.api.deps import Access, AccessDep
from leadflow.api.problems import problem_responses
from leadflow.errors import Conflict, NotFound
from leadflow.experiments.report import build_report
from leadflow.experiments.review import apply_arm, review_experiment, stop_experiment
from leadflow.model.experiments import Experiment

router = APIRouter(prefix="/experiments", tags=["experiments"])
Key = Annotated[str, Path(min_length=1, max_length=128, description="The experiment's key.")]


def _own(access: Access, key: str) -> Experiment:
    found = access.runtime.store.get_experiment(access.scope.tenant_id, key)
    if found is None:  # another tenant's key is missing here too
        raise NotFound(f"no experiment {key!r}")
    return found


def _by(access: Access) -> str:
    return f"key:{access.principal.key_id}"


@router.get("", summary="List the tenant's experiments")
def list_experiments(access: AccessDep) -> ExperimentList:
    store, tenant = access.runtime.store, access.scope.tenant_id
    items = []
    for experiment in store.list_experiments(tenant):
        contacts = len(store.experiment_assignments(tenant, experiment.key))
        items.append(summary(experiment, contacts))
    return ExperimentList(items=items)


@router.get(
    "/{key}",
    summary="An experiment's report: per-arm numbers, guardrails, sample ratio, decisions",
    responses=problem_responses(404),
)
def get_report(access: AccessDep, key: Key) -> ReportOut:
    _own(access, key)
    report = build_report(access.runtime.store, access.scope.tenant_id, key, access.now())
    return report_out(report)


@router.get(
    "/{key}/decisions",
    summary="An experiment's decisions, oldest first, each with the numbers it was taken on",
    responses=problem_responses(404),
)
def list_decisions(access: AccessDep, key: Key) -> DecisionList:
    _own(access, key)
    decisions = access.runtime.store.experiment_decisions(access.scope.tenant_id, key)
    return DecisionList(items=[DecisionOut.of(d) for d in decisions])


@router.post(
    "/{key}/review",
    summary="Review now (whatever the next review time says) and return the decision",
    responses=problem_responses(403, 404),
)
def review(access: AccessDep, key: Key) -> ReviewOut:
    require_role(access.principal, WRITE_ROLES, "reviewing an experiment")
    _own(access, key)
    decision = review_experiment(access.runtime.store, access.scope.tenant_id, key, access.now())
    return ReviewOut(decision=None if decision is None else DecisionOut.of(decision))


@router.post(
    "/{key}/apply",
    summary="Roll an arm out by hand: every new entrant gets it",
    responses=problem_responses(403, 404, 409),
)
def apply(access: AccessDep, key: Key, body: ApplyIn) -> DecisionOut:
    require_role(access.principal, WRITE_ROLES, "applying an experiment's arm")
    _own(access, key)
    try:
        decision = apply_arm(
            access.runtime.store, access.scope.tenant_id, key, body.arm, access.now(), _by(access)
        )
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("body", "arm"), "msg": str(exc).removeprefix("arm: "), "type": "value_error"}]
        ) from exc
    return DecisionOut.of(decision)


@router.post(
    "/{key}/stop",
    summary="Stop the experiment: the weights stay as they are, no review changes them",
    responses=problem_responses(403, 404, 409),
)
def stop(access: AccessDep, key: Key) -> DecisionOut:
    require_role(access.principal, WRITE_ROLES, "stopping an experiment")
    _own(access, key)
    try:
        decision = stop_experiment(
            access.runtime.store, access.scope.tenant_id, key, access.now(), _by(access)
        )
    except ValueError as exc:
        raise Conflict(str(exc)) from exc
    return DecisionOut.of(decision)
