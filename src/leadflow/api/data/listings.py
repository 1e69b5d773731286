"""Listings (RESO Property) as the API shows and takes them.

JSON field names are RESO's PascalCase spellings (``ListingKey``, ``ListPrice``,
``InternetEntireListingDisplayYN``), since that is what MLS feeds and tools send; a field
leadflow does not name is kept and given back as it came. Every read and write is scoped to the
caller's tenant (:mod:`leadflow.access.listings`), so another tenant's listing is simply not
found. Agents may read; writes need an admin or manager key.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from leadflow.listings.model import RESO_NAMES, ListingRow, to_reso, utc
from leadflow.model.listings import Listing, ListingChanges

MAX_IMPORT = 10_000
_OUT_NAMES = RESO_NAMES | {"created_at": "CreatedAt", "updated_at": "UpdatedAt"}


def _out_alias(name: str) -> str:
    return _OUT_NAMES[name]


class ListingOut(BaseModel):
    """A stored listing: the RESO fields leadflow knows, any other fields it was given, and
    when leadflow first stored it and last changed it."""

    model_config = ConfigDict(alias_generator=_out_alias, extra="allow")

    listing_key: str
    listing_id: str | None = None
    standard_status: str | None = Field(default=None, description="RESO spelling.")
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
    internet_entire_listing_display_yn: bool | None = Field(
        default=None, description="IDX display permission."
    )
    public_remarks: str | None = None
    list_agent_key: str | None = None
    list_office_key: str | None = None
    modification_timestamp: datetime | None = None
    photos: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class ListingPage(BaseModel):
    items: list[ListingOut]
    next: str | None = Field(
        description="Pass as `after` for the next page; null on the last page."
    )


class ListingImport(BaseModel):
    """Listings to store all together: none is stored unless every one is valid. They are
    applied in order, so a ListingKey given twice ends as its last item."""

    items: list[ListingRow] = Field(max_length=MAX_IMPORT)


class ImportSummary(BaseModel):
    inserted: int
    updated: int
    price_changes: int = Field(description="Existing listings whose ListPrice changed.")
    status_changes: int = Field(description="Existing listings whose StandardStatus changed.")


def listing_out(listing: Listing) -> ListingOut:
    return ListingOut.model_validate(to_reso(listing, utc))


def page_out(found: list[Listing], following: str | None) -> ListingPage:
    return ListingPage(items=[listing_out(x) for x in found], next=following)


def summary_out(changes: ListingChanges) -> ImportSummary:
    return ImportSummary(
        inserted=changes.inserted,
        updated=changes.updated,
        price_changes=len(changes.price_changes),
        status_changes=len(changes.status_changes),
    )
