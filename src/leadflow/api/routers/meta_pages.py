"""``/api/v1/tenants/current/meta/pages``: the caller's tenant's Facebook pages (admin keys
only). Meta's page webhook (Messenger messages, Lead Ads leads) is routed to the tenant owning
each page, and Messenger messages leave with the page's access token. The token is write-only:
answers show its last four characters. A page another tenant registered is a 409 that says
only that it is taken; another tenant's page is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadflow.access import meta as service
from leadflow.api.data.shape import Time
from leadflow.api.deps import AccessDep
from leadflow.api.routes import create_route, delete_route, routed
from leadflow.model.meta import MetaPage

router = APIRouter(prefix="/tenants/current/meta/pages", tags=["meta"])


class PageOut(BaseModel):
    page_id: str
    name: str | None
    access_token: str = Field(description="Only its last four characters (write-only).")
    created_at: Time


def _out(page: MetaPage) -> PageOut:
    return PageOut(
        page_id=page.page_id,
        name=page.name,
        access_token=service.token_hint(page),
        created_at=page.created_at,
    )


class PageList(BaseModel):
    items: list[PageOut]


class PageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The Facebook page's numeric id (or the Instagram account's)."
    )
    access_token: Annotated[str, StringConstraints(min_length=8, max_length=1000)] = Field(
        description="The page access token (pages_messaging, leads_retrieval)."
    )
    name: Annotated[str, StringConstraints(max_length=200)] | None = None


@routed(router.get, "", "List the tenant's Facebook pages", 403)
def list_pages(access: AccessDep) -> PageList:
    return PageList(items=[_out(p) for p in service.pages(access.runtime.store, access.principal)])


@create_route(router, "", "Register (or update) a Facebook page for the tenant", 403, 409)
def add_page(access: AccessDep, body: PageIn) -> PageOut:
    page = service.add_page(
        access.runtime.store,
        access.principal,
        body.page_id,
        body.access_token,
        access.now(),
        body.name,
    )
    return _out(page)


@delete_route(router, "/{page_id}", "Remove one of the tenant's Facebook pages", 403, 404)
def remove_page(
    access: AccessDep, page_id: Annotated[str, Path(min_length=1, max_length=64)]
) -> Response:
    service.remove_page(access.runtime.store, access.principal, page_id)
    return Response(status_code=204)
