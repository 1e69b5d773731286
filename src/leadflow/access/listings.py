"""A tenant's listings (RESO Property): read by any caller of the tenant, written (stored,
imported, deleted) by admins and managers. Every store call takes the caller's tenant, so
another tenant's listing is simply not found."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.access.paging import page_of
from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.errors import InvalidInput, NotFound
from leadflow.listings.events import record_listing_events
from leadflow.listings.importer import ParsedListings, import_listings
from leadflow.listings.model import ListingFields, to_listing
from leadflow.model.listings import Listing, ListingChanges, ListingFilter
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal


def writer(principal: Principal) -> str:
    """The caller's tenant when it may write listings; Forbidden otherwise."""
    refusal = f"a {principal.role} key may read listings; writing needs admin or manager"
    return require_role(principal, WRITE_ROLES, "writing listings", refusal)


def page(
    store: Store, principal: Principal, flt: ListingFilter
) -> tuple[list[Listing], str | None]:
    """One page (``flt.limit`` listings of the caller's tenant) and the ListingKey to go on
    after, when more may follow."""
    flt.tenant_id = principal.tenant_id
    return page_of(store.list_listings, flt, lambda x: x.listing_key)


def get(store: Store, principal: Principal, listing_key: str) -> Listing:
    found = store.get_listing(principal.tenant_id, listing_key)
    if found is None:
        raise NotFound(f"no listing {listing_key!r}")
    return found


def put(
    store: Store, principal: Principal, listing_key: str, body: ListingFields, now: float
) -> tuple[Listing, bool]:
    """Insert or replace one listing: (the listing stored, whether it is new)."""
    tenant = writer(principal)
    given = (body.model_extra or {}).get("ListingKey", listing_key)
    if given != listing_key:
        raise InvalidInput(f"ListingKey: {given!r} in the body is not {listing_key!r} of the path")
    changes = _store(store, [to_listing(body, tenant, listing_key)], now)
    return get(store, principal, listing_key), changes.inserted == 1


def import_many(
    store: Store, principal: Principal, rows: Sequence[ListingFields], now: float
) -> ListingChanges:
    """Store listings all together, in order (a ListingKey given twice ends as its last)."""
    tenant = writer(principal)
    return _store(store, [to_listing(x, tenant) for x in rows], now)


def import_parsed(
    store: Store, principal: Principal, parsed: ParsedListings, now: float, skip_invalid: bool
) -> ListingChanges:
    """Store the listings of a parsed file (see :func:`leadflow.listings.importer.
    import_listings`: nothing while a row is rejected, unless ``skip_invalid``)."""
    tenant = writer(principal)
    return import_listings(store, tenant, parsed, now, skip_invalid=skip_invalid)


def delete(store: Store, principal: Principal, listing_key: str) -> None:
    if not store.delete_listing(writer(principal), listing_key):
        raise NotFound(f"no listing {listing_key!r}")


def _store(store: Store, listings: list[Listing], now: float) -> ListingChanges:
    changes = store.upsert_listings(listings, now)
    record_listing_events(store, changes, now)
    return changes
