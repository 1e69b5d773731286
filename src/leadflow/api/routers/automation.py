"""``/api/v1/automation``: AI drafting. ``POST /workflow`` drafts a workflow from a sentence
(validated, simulated, explained, with its confidence; saved as a draft on request, never
published); ``GET /calls`` lists the tenant's model calls and its tokens used this month."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from leadflow.access import automation as service
from leadflow.access import campaigns
from leadflow.api.data.automation import (
    AiCallList,
    AiCallOut,
    CampaignRequest,
    WorkflowDraftOut,
    WorkflowRequest,
)
from leadflow.api.deps import AccessDep
from leadflow.api.routes import routed

router = APIRouter(prefix="/automation", tags=["automation"])


@routed(
    router.post,
    "/workflow",
    "Draft a workflow from a sentence (never published; saved as a draft on request)",
    403,
    409,
)
def draft_workflow(access: AccessDep, body: WorkflowRequest) -> WorkflowDraftOut:
    options = service.DraftOptions(**body.options.model_dump())
    out = service.draft_workflow(
        access.runtime, access.principal, body.prompt, options, access.now()
    )
    return WorkflowDraftOut(**out)


@routed(
    router.post,
    "/smart-campaign",
    "Draft a campaign: segments, channel plans, workflow drafts, predictions",
    403,
)
def smart_campaign(access: AccessDep, body: CampaignRequest) -> dict[str, Any]:
    return campaigns.smart_campaign(
        access.runtime,
        access.principal,
        body.goal,
        body.audience,
        list(body.channels),
        body.start,
        body.end,
        body.budget,
        save=body.save,
        simulate=body.simulate,
        clusters=body.clusters,
        now=access.now(),
    )


@router.get("/calls", summary="The tenant's model calls, newest first, and its token usage")
def list_calls(
    access: AccessDep,
    since: Annotated[float | None, Query(description="Epoch seconds.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AiCallList:
    calls, used = service.list_calls(access.runtime, access.principal, since, limit)
    settings = access.runtime.settings
    return AiCallList(
        items=[AiCallOut.of(c) for c in calls],
        tokens_used_this_month=used,
        monthly_token_budget=settings.llm_monthly_token_budget if settings.llm_base_url else None,
    )
