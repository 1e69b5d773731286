"""``/api/v1/integrations/{crm}``: the tenant's GoHighLevel (``ghl``) and Follow Up Boss
(``fub``) connectors. Admins set, read (secrets masked) and remove them; admins and managers
read the delivery and sync logs, run a one-off operation for a contact and sync one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from leadflow.access import integrations as service
from leadflow.api.data.shape import Iso, Record
from leadflow.api.deps import AccessDep
from leadflow.api.problems import problem_responses
from leadflow.model.crm import CrmDelivery

router = APIRouter(
    prefix="/integrations", tags=["integrations"], responses=problem_responses(403, 404)
)

CrmPath = Annotated[str, Path(min_length=1, max_length=10, description="ghl or fub")]


class Connector(BaseModel):
    crm: str
    config: dict[str, Any] = Field(description="As set; every secret masked (****abcd).")
    created_at: Iso
    updated_at: Iso


class Delivery(Record):
    id: int
    operation: str
    idempotency_key: str
    contact_id: str | None
    status: str = Field(description="pending, done or failed")
    attempts: int = Field(description="HTTP calls made for this change.")
    http_status: int | None
    remote_id: str | None = Field(description="The CRM's id of what was written.")
    error: str | None
    request: dict[str, Any]
    calls: list[dict[str, Any]] = Field(description="Each call: method, path, status, at.")
    created_at: Iso
    updated_at: Iso


class DeliveryList(BaseModel):
    items: list[Delivery]


class SyncEntry(Record):
    id: int
    contact_id: str
    field: str
    local_value: Any
    remote_value: Any
    winner: str = Field(description="local or remote")
    local_at: Iso
    remote_at: Iso
    at: Iso


class SyncLog(BaseModel):
    items: list[SyncEntry]


class OperationIn(BaseModel):
    operation: str = Field(
        description="upsert_contact, add_note, add_tag, create_task or move_stage"
    )
    contact_id: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str = Field(
        min_length=1, max_length=200, description="Names the change: the same key, one change."
    )


class SyncOut(BaseModel):
    contact_id: str
    remote_id: str
    pushed: dict[str, Any]
    pulled: dict[str, Any]


def _delivery(d: CrmDelivery) -> Delivery:
    return Delivery.of(d)


@router.put("/{crm}", summary="Set the tenant's CRM connector")
def put_connector(access: AccessDep, crm: CrmPath, body: dict[str, Any]) -> Connector:
    shown = service.put_connector(access.runtime.store, access.principal, crm, body, access.now())
    return Connector(**shown)


@router.get("/{crm}", summary="Show the tenant's CRM connector (secrets masked)")
def get_connector(access: AccessDep, crm: CrmPath) -> Connector:
    return Connector(**service.get_connector(access.runtime.store, access.principal, crm))


@router.delete("/{crm}", status_code=204, summary="Remove the tenant's CRM connector")
def delete_connector(access: AccessDep, crm: CrmPath) -> Response:
    service.delete_connector(access.runtime.store, access.principal, crm)
    return Response(status_code=204)


@router.get("/{crm}/deliveries", summary="The delivery log: every change sent to the CRM")
def list_deliveries(
    access: AccessDep,
    crm: CrmPath,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> DeliveryList:
    found = service.deliveries(access.runtime.store, access.principal, crm, before_id, limit)
    return DeliveryList(items=[_delivery(d) for d in found])


@router.get("/{crm}/sync-log", summary="The contact sync's decisions, newest first")
def list_sync_log(
    access: AccessDep,
    crm: CrmPath,
    contact_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SyncLog:
    found = service.sync_log(access.runtime.store, access.principal, crm, contact_id, limit)
    return SyncLog(items=[SyncEntry.of(e) for e in found])


@router.post("/{crm}/operations", summary="Make one change in the CRM for a contact (once)")
async def operate(access: AccessDep, crm: CrmPath, body: OperationIn) -> Delivery:
    link = service.link_of(access.runtime.store, access.runtime.clock)
    done = await run_in_threadpool(
        service.operate,
        link,
        access.principal,
        crm,
        body.operation,
        body.contact_id,
        body.params,
        body.idempotency_key,
    )
    return _delivery(done)


@router.post("/{crm}/sync/{contact_id}", summary="Sync one contact with the CRM")
async def sync_contact(
    access: AccessDep,
    crm: CrmPath,
    contact_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> SyncOut:
    link = service.link_of(access.runtime.store, access.runtime.clock)
    result = await run_in_threadpool(service.sync, link, access.principal, crm, contact_id)
    return SyncOut(
        contact_id=result.contact_id,
        remote_id=result.remote_id,
        pushed=result.pushed,
        pulled=result.pulled,
    )
