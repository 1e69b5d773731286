"""``/api/v1/deals``: the caller's tenant's closed deals (RESO-style PascalCase JSON; money as
decimal strings). Read: ``GET /deals`` (an agent sees its own deals, a manager its team's),
``GET /deals/{key}``. Write (admin or manager keys): ``POST /deals`` (one), ``POST
/deals/import`` (up to 10,000, all or nothing), ``DELETE /deals/{key}``. Each saved deal with a
contact raises one ``deal.closed`` event."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from leadflow.access import deals as service
from leadflow.analytics.deals import DealRow, deal_json
from leadflow.api.deps import AccessDep, PrincipalDep
from leadflow.api.problems import problem_responses
from leadflow.api.routes import create_route, routed
from leadflow.clock import day_start
from leadflow.model.deals import DealFilter
from leadflow.tenancy.accounts import Principal

router = APIRouter(prefix="/deals", tags=["deals"])
MAX_IMPORT = 10_000
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


def _writer(principal: PrincipalDep) -> Principal:
    """Refused (403) before the body is read when the key may not write deals."""
    service.writer(principal)
    return principal


WriterDep = Annotated[Principal, Depends(_writer)]
DealKey = Annotated[str, Path(pattern=KEY_PATTERN, description="The deal's key.")]


class DealImport(BaseModel):
    """Deals to save all together: none is saved unless every one is valid."""

    items: list[DealRow] = Field(max_length=MAX_IMPORT)


class DealPage(BaseModel):
    items: list[dict[str, Any]]
    next: str | None


class ImportSummary(BaseModel):
    inserted: int
    updated: int


def _rows(items: list[DealRow], where: str) -> list[tuple[dict[str, Any], str]]:
    return [(x.model_dump(by_alias=True), where.format(i)) for i, x in enumerate(items)]


@router.get("", summary="List the deals the key may see (by DealKey)")
def list_deals(
    access: AccessDep,
    closed_from: Annotated[dt.date | None, Query(description="CloseDate on or after.")] = None,
    closed_before: Annotated[dt.date | None, Query(description="CloseDate before.")] = None,
    after: Annotated[
        str | None, Query(max_length=128, description="`next` of the last page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DealPage:
    flt = DealFilter(
        access.scope.tenant_id,
        since=day_start(closed_from),
        until=day_start(closed_before),
        after_key=after,
        limit=limit,
    )
    found, nxt = service.page(access.runtime.store, access.principal, flt)
    return DealPage(items=[deal_json(d) for d in found], next=nxt)


@create_route(router, "", "Save one deal (insert or replace by DealKey)", 403)
def post_deal(access: AccessDep, _: WriterDep, body: DealRow, response: Response) -> dict[str, Any]:
    store = access.runtime.store
    inserted, _updated = service.import_rows(
        store, access.principal, _rows([body], "body"), access.now()
    )
    if not inserted:
        response.status_code = 200
    return deal_json(service.get(store, access.principal, body.deal_key))


@routed(router.post, "/import", "Save many deals at once (all or nothing)", 403)
def import_deals(access: AccessDep, _: WriterDep, body: DealImport) -> ImportSummary:
    inserted, updated = service.import_rows(
        access.runtime.store, access.principal, _rows(body.items, "body.items[{}]"), access.now()
    )
    return ImportSummary(inserted=inserted, updated=updated)


@routed(router.get, "/{deal_key}", "Show a deal", 404)
def get_deal(access: AccessDep, deal_key: DealKey) -> dict[str, Any]:
    return deal_json(service.get(access.runtime.store, access.principal, deal_key))


@router.delete(
    "/{deal_key}",
    summary="Delete a deal",
    status_code=204,
    responses=problem_responses(403, 404),
)
def delete_deal(access: AccessDep, _: WriterDep, deal_key: DealKey) -> Response:
    service.delete(access.runtime.store, access.principal, deal_key)
    return Response(status_code=204)
