"""Property listings and the matches sent to contacts."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from leadflow.model.listings import Listing, ListingChanges, ListingFilter, ListingMatch


class ListingStore(abc.ABC):
    """The listings methods of the store contract."""

    @abc.abstractmethod
    def upsert_listings(self, listings: Sequence[Listing], now: float) -> ListingChanges:
        """Insert or replace listings by (tenant, listing_key), all in one transaction, in order
        (a key given twice is compared with its earlier self). StandardStatus is stored in its
        RESO spelling. ``created_at`` is kept for existing listings; ``updated_at`` becomes
        ``now``. Returns, per listing, whether it was new and its price / status change (old,
        new). StoreError (nothing written) for an unknown tenant, an empty key or an unknown
        StandardStatus."""

    @abc.abstractmethod
    def get_listing(self, tenant_id: str, listing_key: str) -> Listing | None: ...

    @abc.abstractmethod
    def list_listings(self, flt: ListingFilter) -> list[Listing]:
        """The tenant's listings matching the filter, by listing_key (keyset: after
        ``flt.after_key``), at most ``flt.limit``."""

    @abc.abstractmethod
    def count_listings(self, tenant_id: str) -> int: ...

    @abc.abstractmethod
    def delete_listing(self, tenant_id: str, listing_key: str) -> bool:
        """True when the listing existed (and is gone)."""

    @abc.abstractmethod
    def record_listing_matches(self, matches: Sequence[ListingMatch]) -> int:
        """Remember listings as sent to their contacts, all in one transaction; a (tenant,
        contact, listing) already recorded keeps its first record. Returns how many were new.
        StoreError (nothing written) for an unknown tenant or an empty key."""

    @abc.abstractmethod
    def listing_matches(self, tenant_id: str, contact_id: str) -> list[ListingMatch]:
        """Every listing recorded as sent to the contact, oldest first (then by key)."""


__all__ = ["ListingStore"]
