"""``/api/v1/hooks/{tenant_id}/ghl`` and ``.../fub``: webhooks from the tenant's CRM.

Outside the API-key dependency: each delivery is authenticated by the CRM's own signature
(HighLevel ``x-wh-signature`` / ``X-GHL-Signature``, Follow Up Boss ``FUB-Signature``, see
:mod:`leadflow.integrations.signatures`). A missing, forged, stale or replayed signature, an
unknown tenant or one without that connector: the same 401, nothing written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from leadflow.access import integrations as service
from leadflow.api.data.shape import Record
from leadflow.api.deps import get_runtime
from leadflow.api.problems import problem_responses
from leadflow.integrations.http import CrmError

router = APIRouter(
    prefix="/api/v1/hooks/{tenant_id}",
    tags=["inbound webhooks"],
    responses=problem_responses(400, 401, 422, 500, 503),
)

TenantPath = Annotated[str, Path(min_length=1, max_length=64)]
_JSON_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}


class AcceptedItem(Record):
    contact_id: str
    created: bool = Field(description="A new contact.")
    event_type: str | None = Field(description="null: nothing mapped changed, no event.")
    event_id: int | None = Field(description="null when no event or received before.")


class CrmHookAnswer(Record):
    accepted: list[AcceptedItem]
    ignored: list[str] = Field(description="Parts not mapped, and why.")


async def _receive(request: Request, tenant_id: str, crm: str) -> CrmHookAnswer:
    body = await request.body()
    rt = get_runtime(request)
    link = service.link_of(rt.store, rt.clock)
    headers = dict(request.headers.items())
    try:
        found = await run_in_threadpool(service.webhook, link, tenant_id, crm, headers, body)
    except CrmError as exc:  # a record could not be read back: the CRM retries later
        raise HTTPException(503, f"{crm} could not be read back now: {exc.message}") from None
    return CrmHookAnswer.of(found)


@router.post("/ghl", summary="Receive a GoHighLevel webhook (signed)", openapi_extra=_JSON_BODY)
async def receive_ghl(request: Request, tenant_id: TenantPath) -> CrmHookAnswer:
    return await _receive(request, tenant_id, "ghl")


@router.post("/fub", summary="Receive a Follow Up Boss webhook (signed)", openapi_extra=_JSON_BODY)
async def receive_fub(request: Request, tenant_id: TenantPath) -> CrmHookAnswer:
    return await _receive(request, tenant_id, "fub")
