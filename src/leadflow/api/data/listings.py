"""Listings (RESO Property) as the API shows and takes them.

JSON field names are RESO's PascalCase spellings (``ListingKey``, ``ListPrice``,
``InternetEntireListingDisplayYN``), since that is what MLS feeds and tools send; a field
leadflow does not name is kept and given back as it came. Every read and write is scoped to the
caller's tenant (:mod:`leadflow.access.listings`), so another tenant's listing is simply not
found. Agents may read; writes need an admin or manager key.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from leadflow.listings.model import RESO_NAMES, ListingRow, to_reso, utc
from leadflow.model.listings import Listing, ListingChanges

MAX_IMPORT = 10_000
_OUT_NAMES = RESO_NAMES | {"created_at": "CreatedAt", "updated_at": "UpdatedAt"}


def _out_alias(name: str) -> str:
    return _OUT_NAMES[name]


# the tenant is the caller's; the keys of ``extra`` come back as fields of their own
_NOT_SHOWN = frozenset({"tenant_id", "extra"})
_AS_DATETIME = frozenset({"modification_timestamp"})  # epoch seconds in the record
_DESCRIPTIONS = {
    "standard_status": "RESO spelling.",
    "internet_entire_listing_display_yn": "IDX display permission.",
}
_OUT_CONFIG = ConfigDict(alias_generator=_out_alias, extra="allow")


def _listing_fields() -> dict[str, Any]:
    """The fields of :class:`Listing` as ``create_model`` takes them, in the record's order."""
    hints = get_type_hints(Listing)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(Listing):
        if f.name in _NOT_SHOWN:
            continue
        kind = datetime | None if f.name in _AS_DATETIME else hints[f.name]
        description = _DESCRIPTIONS.get(f.name)
        if f.default_factory is not dataclasses.MISSING:
            info = Field(default_factory=f.default_factory, description=description)
        elif f.default is not dataclasses.MISSING:
            info = Field(default=f.default, description=description)
        else:
            info = Field(description=description)
        fields[f.name] = (kind, info)
    return fields


if TYPE_CHECKING:
    _ListingFields = BaseModel
else:
    _ListingFields = create_model("_ListingFields", __config__=_OUT_CONFIG, **_listing_fields())


class ListingOut(_ListingFields):
    """A stored listing: the RESO fields leadflow knows, any other fields it was given, and
    when leadflow first stored it and last changed it."""

    model_config = _OUT_CONFIG

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
