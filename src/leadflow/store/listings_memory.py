"""Listings in the memory backend (the same rules as the SQL backends, the tenant foreign key
included)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from leadflow.errors import StoreError
from leadflow.model.listings import (
    Listing,
    ListingChanges,
    ListingFilter,
    change_of,
    matches,
    prepared,
)
from leadflow.model.tenancy import Agent, ApiKey, Team, Tenant


def _copy(listing: Listing) -> Listing:
    return replace(listing, photos=list(listing.photos), extra=copy.deepcopy(listing.extra))


class MemoryListings:
    if TYPE_CHECKING:
        _lock: threading.Lock

        def _tenancy(
            self,
        ) -> tuple[
            dict[str, Tenant],
            dict[tuple[str, str], Team],
            dict[tuple[str, str], Agent],
            dict[str, ApiKey],
        ]: ...

    def _listings(self) -> dict[tuple[str, str], Listing]:
        found = self.__dict__.get("_listings_data")
        if found is None:
            found = self.__dict__.setdefault("_listings_data", {})
        return found  # type: ignore[no-any-return]

    def upsert_listings(self, listings: Sequence[Listing], now: float) -> ListingChanges:
        ready = [prepared(x) for x in listings]
        with self._lock:
            tenants = self._tenancy()[0]
            for listing in ready:  # check everything first: all or nothing
                if listing.tenant_id not in tenants:
                    raise StoreError("FOREIGN KEY constraint failed: listings.tenant_id")
            stored = self._listings()
            changes = []
            for listing in ready:
                key = (listing.tenant_id, listing.listing_key)
                old = stored.get(key)
                created = now if old is None else old.created_at
                stored[key] = _copy(replace(listing, created_at=created, updated_at=now))
                changes.append(change_of(old, listing))
            return ListingChanges(tuple(changes))

    def get_listing(self, tenant_id: str, listing_key: str) -> Listing | None:
        with self._lock:
            found = self._listings().get((tenant_id, listing_key))
            return None if found is None else _copy(found)

    def list_listings(self, flt: ListingFilter) -> list[Listing]:
        with self._lock:
            found = [
                _copy(x)
                for key, x in sorted(self._listings().items())
                if matches(x, flt) and (flt.after_key is None or key[1] > flt.after_key)
            ]
        return found[: max(0, flt.limit)]

    def count_listings(self, tenant_id: str) -> int:
        with self._lock:
            return sum(1 for key in self._listings() if key[0] == tenant_id)

    def delete_listing(self, tenant_id: str, listing_key: str) -> bool:
        with self._lock:
            return self._listings().pop((tenant_id, listing_key), None) is not None


__all__ = ["MemoryListings"]
