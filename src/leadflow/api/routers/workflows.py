"""``/api/v1/workflows``: published workflows (read-only for now)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from leadflow.api.data.workflows import (
    WorkflowDetail,
    WorkflowList,
    get_published,
    list_published,
)
from leadflow.api.deps import AccessDep
from leadflow.api.problems import problem_responses

MAX_INT = 2**31 - 1
router = APIRouter(prefix="/workflows", tags=["workflows"])


@router.get("", summary="List published workflows (latest version of each)")
def list_workflows(access: AccessDep) -> WorkflowList:
    return list_published(access.runtime.store, access.scope.tenant_id)


@router.get(
    "/{key}",
    summary="Show a published workflow",
    responses=problem_responses(404),
)
def get_workflow(
    access: AccessDep,
    key: Annotated[str, Path(min_length=1, max_length=200, description="The workflow key.")],
    version: Annotated[
        int | None,
        Query(gt=0, le=MAX_INT, description="A version (1, 2, ...); the latest when omitted."),
    ] = None,
) -> WorkflowDetail:
    return get_published(access.runtime.store, access.scope.tenant_id, key, version)
