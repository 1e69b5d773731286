"""Listings in the memory backend (the same rules as the SQL backends, the tenant foreign key
included)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace

from leadflow.model.listings import (
    Listing,
    ListingChanges,
    ListingFilter,
    change_of,
    matches,
    prepared,
)
from leadflow.store.contract_listings import ListingStore
from leadflow.store.parts import MemoryPart


def _copy(listing: Listing) -> Listing:
    return replace(listing, photos=list(listing.photos), extra=copy.deepcopy(listing.extra))


class MemoryListings(MemoryPart, ListingStore):
    def _listings(self) -> dict[tuple[str, str], Listing]:
        return self._table("_listings_data", dict)

    def upsert_listings(self, listings: Sequence[Listing], now: float) -> ListingChanges:
        ready = [prepared(x) for x in listings]
        with self._lock:
            for listing in ready:  # check everything first: all or nothing
                self._need_tenant(listing.tenant_id, "listings.tenant_id")
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
        return self._copy_of(self._listings(), (tenant_id, listing_key), _copy)

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
