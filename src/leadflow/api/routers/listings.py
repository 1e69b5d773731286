"""``/api/v1/listings``: the caller's tenant's listings (RESO Property, PascalCase JSON).

Read: ``GET /listings`` (filters, keyset paging with ``after`` and ``limit``), ``GET
/listings/{key}``. Write (admin or manager keys): ``PUT /listings/{key}`` (insert or replace),
``POST /listings/import`` (up to 10,000, all or nothing), ``DELETE /listings/{key}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from leadflow.access import listings as service
from leadflow.api.data.listings import (
    ImportSummary,
    ListingImport,
    ListingOut,
    ListingPage,
    listing_out,
    page_out,
    summary_out,
)
from leadflow.api.deps import AccessDep, PrincipalDep
from leadflow.api.problems import problem_responses
from leadflow.api.routes import delete_route, routed
from leadflow.listings.model import KEY_PATTERN, ListingFields, Status
from leadflow.model.listings import ListingFilter
from leadflow.tenancy.accounts import Principal

router = APIRouter(prefix="/listings", tags=["listings"])


def _writer(principal: PrincipalDep) -> Principal:
    """Refused (403) before the body is read when the key may not write listings."""
    service.writer(principal)
    return principal


WriterDep = Annotated[Principal, Depends(_writer)]
ListingKey = Annotated[
    str, Path(pattern=KEY_PATTERN, description="The listing's ListingKey (RESO).")
]
Text = Annotated[str | None, Query(min_length=1, max_length=200)]


@router.get("", summary="List the tenant's listings (by ListingKey)")
def list_listings(
    access: AccessDep,
    city: Text = None,
    postal_code: Text = None,
    standard_status: Annotated[
        Status | None, Query(description="Either spelling: Active Under Contract.")
    ] = None,
    property_sub_type: Text = None,
    min_price: Annotated[float | None, Query(ge=0, le=1e12)] = None,
    max_price: Annotated[float | None, Query(ge=0, le=1e12)] = None,
    min_beds: Annotated[int | None, Query(ge=0, le=1000)] = None,
    min_baths: Annotated[int | None, Query(ge=0, le=1000)] = None,
    idx_only: Annotated[
        bool, Query(description="Only listings with InternetEntireListingDisplayYN.")
    ] = False,
    after: Annotated[
        str | None, Query(max_length=128, description="The `next` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ListingPage:
    flt = ListingFilter(
        access.scope.tenant_id,
        city=city,
        postal_code=postal_code,
        standard_status=standard_status,
        property_sub_type=property_sub_type,
        min_price=min_price,
        max_price=max_price,
        min_beds=min_beds,
        min_baths=min_baths,
        idx_only=idx_only,
        after_key=after,
        limit=limit,
    )
    return page_out(*service.page(access.runtime.store, access.principal, flt))


@routed(router.post, "/import", "Store many listings at once (all or nothing)", 403)
def import_listings(access: AccessDep, _: WriterDep, body: ListingImport) -> ImportSummary:
    changes = service.import_many(access.runtime.store, access.principal, body.items, access.now())
    return summary_out(changes)


@routed(router.get, "/{listing_key}", "Show a listing", 404)
def get_listing(access: AccessDep, listing_key: ListingKey) -> ListingOut:
    return listing_out(service.get(access.runtime.store, access.principal, listing_key))


@router.put(
    "/{listing_key}",
    summary="Insert or replace a listing",
    responses={201: {"model": ListingOut, "description": "Created"}, **problem_responses(403)},
)
def put_listing(
    access: AccessDep,
    _: WriterDep,
    listing_key: ListingKey,
    body: ListingFields,
    response: Response,
) -> ListingOut:
    stored, created = service.put(
        access.runtime.store, access.principal, listing_key, body, access.now()
    )
    if created:
        response.status_code = 201
    return listing_out(stored)


@delete_route(router, "/{listing_key}", "Delete a listing", 403, 404)
def delete_listing(access: AccessDep, _: WriterDep, listing_key: ListingKey) -> None:
    service.delete(access.runtime.store, access.principal, listing_key)
