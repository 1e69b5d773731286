"""``/api/v1/automation/orchestrate``: batches of AI tasks run by the workers. ``POST`` submits
a batch (compose, classify, summarise, draft_workflow, draft_campaign tasks with priorities and
dependencies), ``GET`` lists the tenant's batches, ``GET /{id}`` gives each task's status,
result, confidence, tokens and error, ``POST /{id}/cancel`` cancels the pending tasks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from leadflow.access import orchestration as service
from leadflow.api.data.orchestration import BatchIn
from leadflow.api.deps import AccessDep
from leadflow.api.routes import create_route, routed

router = APIRouter(prefix="/automation/orchestrate", tags=["automation"])

EXAMPLE = {
    "label": "monday follow-ups",
    "tasks": [
        {"id": "sum-1", "kind": "summarise", "input": {"contact_id": "c-1"}, "priority": 5},
        {
            "id": "msg-1",
            "kind": "compose",
            "input": {"brief": "invite to Saturday's open house", "contact_ids": ["c-1"]},
            "depends_on": ["sum-1"],
        },
        {"id": "cls-1", "kind": "classify", "input": {"texts": ["yes, what time?"]}},
    ],
}


@create_route(
    router, "", "Submit a batch of AI tasks (run by the workers; dependencies form a DAG)", 403, 404
)
def submit(access: AccessDep, body: Annotated[BatchIn, Body(examples=[EXAMPLE])]) -> dict[str, Any]:
    return service.submit(access.runtime, access.principal, body.plain(), access.now())


@router.get("", summary="The tenant's batches of AI tasks, newest first")
def list_batches(
    access: AccessDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    return {"items": service.list_batches(access.runtime, access.principal, limit)}


@routed(
    router.get,
    "/{batch_id}",
    "A batch: its status and each task's status, result, confidence, tokens, error",
    404,
)
def show(access: AccessDep, batch_id: str) -> dict[str, Any]:
    return service.show(access.runtime, access.principal, batch_id)


@routed(
    router.post,
    "/{batch_id}/cancel",
    "Cancel a batch: pending tasks are cancelled, running ones finish",
    403,
    404,
)
def cancel(access: AccessDep, batch_id: str) -> dict[str, Any]:
    return service.cancel(access.runtime, access.principal, batch_id, access.now())
