"""Listing records (RESO Property): one listing per (tenant, ListingKey), the filter that reads
them, and what an upsert changed (so callers can emit listing events later)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, get_args

from leadflow.errors import StoreError

StandardStatus = Literal[
    "Active",
    "ActiveUnderContract",
    "Canceled",
    "Closed",
    "ComingSoon",
    "Delete",
    "Expired",
    "Hold",
    "Incomplete",
    "Pending",
    "Withdrawn",
]
STANDARD_STATUSES: tuple[str, ...] = get_args(StandardStatus)
_STATUS_BY_FOLDED = {s.lower(): s for s in STANDARD_STATUSES}


def normalize_status(value: str) -> str | None:
    """The RESO spelling of a StandardStatus ("active under contract" -> "ActiveUnderContract"):
    compared case-insensitively with spaces (and '_', '-') removed; None when unknown."""
    folded = "".join(value.split()).replace("_", "").replace("-", "").lower()
    return _STATUS_BY_FOLDED.get(folded)


@dataclass(slots=True)
class Listing:
    """RESO Property, in snake_case (``list_price`` is ListPrice). Prices and areas are floats,
    counts ints, flags bools; ``modification_timestamp`` is epoch seconds (UTC); ``photos`` are
    URLs; ``extra`` keeps any other field of the feed as given."""

    tenant_id: str
    listing_key: str
    listing_id: str | None = None
    standard_status: str | None = None
    property_type: str | None = None
    property_sub_type: str | None = None
    list_price: float | None = None
    original_list_price: float | None = None
    close_price: float | None = None
    unparsed_address: str | None = None
    street_number: str | None = None
    street_name: str | None = None
    city: str | None = None
    state_or_province: str | None = None
    postal_code: str | None = None
    county_or_parish: str | None = None
    subdivision_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    bedrooms_total: int | None = None
    bathrooms_total_integer: int | None = None
    living_area: float | None = None
    lot_size_acres: float | None = None
    year_built: int | None = None
    garage_spaces: float | None = None
    pool_private_yn: bool | None = None
    waterfront_yn: bool | None = None
    new_construction_yn: bool | None = None
    internet_entire_listing_display_yn: bool | None = None
    public_remarks: str | None = None
    list_agent_key: str | None = None
    list_office_key: str | None = None
    modification_timestamp: float | None = None
    photos: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0


LISTING_FIELDS = tuple(f.name for f in fields(Listing))
LISTING_COLS = ", ".join(LISTING_FIELDS)
FLAG_FIELDS = frozenset(f for f in LISTING_FIELDS if f.endswith("_yn"))


@dataclass(slots=True)
class ListingFilter:
    """Which listings of one tenant to read, by listing_key; ``after_key`` pages (keyset)."""

    tenant_id: str
    city: str | None = None
    postal_code: str | None = None
    standard_status: str | None = None
    property_sub_type: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    min_beds: int | None = None
    min_baths: int | None = None
    idx_only: bool = False
    after_key: str | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class ListingChange:
    """What one upserted listing changed: new, or its price / status as (old, new) when they
    changed (None when they did not, and always None for a new listing)."""

    tenant_id: str
    listing_key: str
    new: bool
    price: tuple[float | None, float | None] | None = None
    status: tuple[str | None, str | None] | None = None


@dataclass(frozen=True, slots=True)
class ListingChanges:
    """One :class:`ListingChange` per upserted listing, in the order given."""

    changes: tuple[ListingChange, ...] = ()

    @property
    def inserted(self) -> int:
        return sum(1 for c in self.changes if c.new)

    @property
    def updated(self) -> int:
        return sum(1 for c in self.changes if not c.new)

    @property
    def price_changes(self) -> list[ListingChange]:
        return [c for c in self.changes if c.price is not None]

    @property
    def status_changes(self) -> list[ListingChange]:
        return [c for c in self.changes if c.status is not None]


def prepared(listing: Listing) -> Listing:
    """``listing`` as a store keeps it: StandardStatus in its RESO spelling. StoreError (so the
    batch writes nothing) for an empty key or an unknown status."""
    if not listing.tenant_id or not listing.listing_key:
        raise StoreError("listings: tenant_id and listing_key must not be empty")
    status = listing.standard_status
    if status is not None:
        found = normalize_status(status)
        if found is None:
            raise StoreError(
                f"listing {listing.listing_key!r}: StandardStatus {status!r} is not one of "
                + ", ".join(STANDARD_STATUSES)
            )
        status = found
    return replace(
        listing, standard_status=status, photos=list(listing.photos), extra=dict(listing.extra)
    )


def change_of(old: Listing | None, new: Listing) -> ListingChange:
    """What replacing ``old`` (None: none stored) by ``new`` changes."""
    if old is None:
        return ListingChange(new.tenant_id, new.listing_key, True)
    price = (old.list_price, new.list_price) if old.list_price != new.list_price else None
    status = (
        (old.standard_status, new.standard_status)
        if old.standard_status != new.standard_status
        else None
    )
    return ListingChange(new.tenant_id, new.listing_key, False, price, status)


def matches(listing: Listing, flt: ListingFilter) -> bool:
    """Whether ``listing`` passes ``flt`` (after_key and limit aside): the memory backend's
    reading of the SQL WHERE clause."""
    status = _filter_status(flt)
    price = listing.list_price
    return (
        listing.tenant_id == flt.tenant_id
        and (flt.city is None or listing.city == flt.city)
        and (flt.postal_code is None or listing.postal_code == flt.postal_code)
        and (status is None or listing.standard_status == status)
        and (flt.property_sub_type is None or listing.property_sub_type == flt.property_sub_type)
        and (flt.min_price is None or (price is not None and price >= flt.min_price))
        and (flt.max_price is None or (price is not None and price <= flt.max_price))
        and (
            flt.min_beds is None
            or (listing.bedrooms_total is not None and listing.bedrooms_total >= flt.min_beds)
        )
        and (
            flt.min_baths is None
            or (
                listing.bathrooms_total_integer is not None
                and listing.bathrooms_total_integer >= flt.min_baths
            )
        )
        and (not flt.idx_only or listing.internet_entire_listing_display_yn is True)
    )


def _filter_status(flt: ListingFilter) -> str | None:
    if flt.standard_status is None:
        return None
    return normalize_status(flt.standard_status) or flt.standard_status


def filter_where(flt: ListingFilter) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause (``?`` placeholders) and parameters of ``flt``, keyset included."""
    conditions: list[tuple[str, Any]] = [
        ("tenant_id = ?", flt.tenant_id),
        ("city = ?", flt.city),
        ("postal_code = ?", flt.postal_code),
        ("standard_status = ?", _filter_status(flt)),
        ("property_sub_type = ?", flt.property_sub_type),
        ("list_price >= ?", flt.min_price),
        ("list_price <= ?", flt.max_price),
        ("bedrooms_total >= ?", flt.min_beds),
        ("bathrooms_total_integer >= ?", flt.min_baths),
        ("internet_entire_listing_display_yn = ?", True if flt.idx_only else None),
        ("listing_key > ?", flt.after_key),
    ]
    used = [(sql, value) for sql, value in conditions if value is not None]
    return " WHERE " + " AND ".join(sql for sql, _ in used), tuple(v for _, v in used)


@dataclass(frozen=True, slots=True)
class ListingMatch:
    """A listing picked for a contact: its score then, and the step that picked it
    (``run:node:step``, so the same step executed again finds the same picks)."""

    tenant_id: str
    contact_id: str
    listing_key: str
    score: float
    step_key: str
    matched_at: float


__all__ = [
    "LISTING_COLS",
    "STANDARD_STATUSES",
    "Listing",
    "ListingChange",
    "ListingChanges",
    "ListingFilter",
    "ListingMatch",
    "StandardStatus",
    "normalize_status",
]
