"""One router module per resource; :func:`v1_router` gathers the resources under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from leadflow.api.deps import get_principal
from leadflow.api.problems import problem_responses
from leadflow.api.routers import contacts, events, runs, workflows

API_V1 = "/api/v1"


def v1_router() -> APIRouter:
    """Every resource router under ``/api/v1`` (errors documented as problem+json)."""
    v1 = APIRouter(
        prefix=API_V1,
        responses=problem_responses(401, 422, 429, 500),
        dependencies=[Depends(get_principal)],
    )
    v1.include_router(contacts.router)
    v1.include_router(events.router)
    v1.include_router(runs.router)
    v1.include_router(workflows.router)
    return v1
