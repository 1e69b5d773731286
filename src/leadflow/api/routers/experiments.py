"""``/api/v1/experiments``: a tenant's experiments, each one's report with the numbers behind
every decision, and deciding now (review), rolling an arm out by hand (apply) or stopping.

Reads need any key of the tenant; review, apply and stop an admin or manager key. Another
tenant's experiment answers 404 as a missing one does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError

from leadflow.access import experiments as service
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
from leadflow.api.deps import AccessDep
from leadflow.api.routes import routed
from leadflow.errors import Conflict

router = APIRouter(prefix="/experiments", tags=["experiments"])
Key = Annotated[str, Path(min_length=1, max_length=128, description="The experiment's key.")]


@router.get("", summary="List the tenant's experiments")
def list_experiments(access: AccessDep) -> ExperimentList:
    found = service.listed(access.runtime.store, access.principal)
    return ExperimentList(items=[summary(e, contacts) for e, contacts in found])


@routed(
    router.get,
    "/{key}",
    "An experiment's report: per-arm numbers, guardrails, sample ratio, decisions",
    404,
)
def get_report(access: AccessDep, key: Key) -> ReportOut:
    return report_out(service.report(access.runtime.store, access.principal, key, access.now()))


@routed(
    router.get,
    "/{key}/decisions",
    "An experiment's decisions, oldest first, each with the numbers it was taken on",
    404,
)
def list_decisions(access: AccessDep, key: Key) -> DecisionList:
    decisions = service.decisions(access.runtime.store, access.principal, key)
    return DecisionList(items=[DecisionOut.of(d) for d in decisions])


@routed(
    router.post,
    "/{key}/review",
    "Review now (whatever the next review time says) and return the decision",
    403,
    404,
)
def review(access: AccessDep, key: Key) -> ReviewOut:
    _, decision = service.review(access.runtime.store, access.principal, key, access.now())
    return ReviewOut(decision=None if decision is None else DecisionOut.of(decision))


@routed(
    router.post, "/{key}/apply", "Roll an arm out by hand: every new entrant gets it", 403, 404, 409
)
def apply(access: AccessDep, key: Key, body: ApplyIn) -> DecisionOut:
    try:
        decision = service.apply(
            access.runtime.store, access.principal, key, body.arm, access.now()
        )
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("body", "arm"), "msg": str(exc).removeprefix("arm: "), "type": "value_error"}]
        ) from exc
    return DecisionOut.of(decision)


@routed(
    router.post,
    "/{key}/stop",
    "Stop the experiment: the weights stay as they are, no review changes them",
    403,
    404,
    409,
)
def stop(access: AccessDep, key: Key) -> DecisionOut:
    try:
        decision = service.stop(access.runtime.store, access.principal, key, access.now())
    except ValueError as exc:
        raise Conflict(str(exc)) from exc
    return DecisionOut.of(decision)
