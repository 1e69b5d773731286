"""One listing as MLS tools send it: RESO Property field names (``ListingKey``, ``ListPrice``),
validated with pydantic, and turned into a :class:`~leadflow.model.listings.Listing`.

The same model checks a CSV row, a JSON object of an import file and an API request body, so a
rejection reads the same everywhere: ``ListPrice: Input should be a valid number``.

* Names are RESO's PascalCase spellings (:data:`RESO_NAMES`); ``Photos`` (a list of URLs) is
  leadflow's own (RESO keeps media in a resource of its own).
* Any other field is kept as given in ``Listing.extra`` (``CreatedAt`` / ``UpdatedAt`` are the
  store's and are ignored on the way in).
* ``StandardStatus`` takes either spelling ("Active Under Contract", "ActiveUnderContract")
  and is stored in RESO's; ``PostalCode`` must be text (a number would have lost its leading
  zeros); flags take true/false, Y/N, yes/no, 1/0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from leadflow.clock import to_iso
from leadflow.model.listings import Listing, StandardStatus, normalize_status

# Listing attribute -> RESO field name
RESO_NAMES: dict[str, str] = {
    "listing_key": "ListingKey",
    "listing_id": "ListingId",
    "standard_status": "StandardStatus",
    "property_type": "PropertyType",
    "property_sub_type": "PropertySubType",
    "list_price": "ListPrice",
    "original_list_price": "OriginalListPrice",
    "close_price": "ClosePrice",
    "unparsed_address": "UnparsedAddress",
    "street_number": "StreetNumber",
    "street_name": "StreetName",
    "city": "City",
    "state_or_province": "StateOrProvince",
    "postal_code": "PostalCode",
    "county_or_parish": "CountyOrParish",
    "subdivision_name": "SubdivisionName",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "bedrooms_total": "BedroomsTotal",
    "bathrooms_total_integer": "BathroomsTotalInteger",
    "living_area": "LivingArea",
    "lot_size_acres": "LotSizeAcres",
    "year_built": "YearBuilt",
    "garage_spaces": "GarageSpaces",
    "pool_private_yn": "PoolPrivateYN",
    "waterfront_yn": "WaterfrontYN",
    "new_construction_yn": "NewConstructionYN",
    "internet_entire_listing_display_yn": "InternetEntireListingDisplayYN",
    "public_remarks": "PublicRemarks",
    "list_agent_key": "ListAgentKey",
    "list_office_key": "ListOfficeKey",
    "modification_timestamp": "ModificationTimestamp",
    "photos": "Photos",
}
READ_ONLY = frozenset({"CreatedAt", "UpdatedAt", "ListingKey"})  # never kept in extra
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"


def reso_alias(name: str) -> str:
    return RESO_NAMES[name]


def _status(value: Any) -> Any:
    """Either spelling in, RESO's out (an unknown text is left for the Literal to refuse)."""
    return (normalize_status(value) or value) if isinstance(value, str) else value


# Every constraint is one the JSON Schema states too (patterns, not code), so a request the
# OpenAPI document allows is a request the API accepts.
_NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_NO_NUL)]
Remarks = Annotated[str, StringConstraints(max_length=20_000, pattern=_NO_NUL)]
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Status = Annotated[StandardStatus, BeforeValidator(_status)]
State = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{2}$")]
PostalCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$")]
Money = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
Area = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=1000)]
Url = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\x00-\x20\x7f]+$")]


class ListingFields(BaseModel):
    """Every field but the key, all optional (an API PUT takes the key from the path)."""

    model_config = ConfigDict(alias_generator=reso_alias, extra="allow", frozen=True)

    listing_id: Text | None = None
    standard_status: Status | None = None
    property_type: Text | None = None
    property_sub_type: Text | None = None
    list_price: Money | None = None
    original_list_price: Money | None = None
    close_price: Money | None = None
    unparsed_address: Text | None = None
    street_number: Text | None = None
    street_name: Text | None = None
    city: Text | None = None
    state_or_province: State | None = None
    postal_code: PostalCode | None = None
    county_or_parish: Text | None = None
    subdivision_name: Text | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    bedrooms_total: Count | None = None
    bathrooms_total_integer: Count | None = None
    living_area: Area | None = None
    lot_size_acres: Area | None = None
    year_built: Annotated[int, Field(ge=1600, le=2200)] | None = None
    garage_spaces: Annotated[float, Field(ge=0, le=1000)] | None = None
    pool_private_yn: bool | None = None
    waterfront_yn: bool | None = None
    new_construction_yn: bool | None = None
    internet_entire_listing_display_yn: bool | None = Field(
        default=None,
        description="IDX display permission: a listing without it is never sent to a lead.",
    )
    public_remarks: Remarks | None = None
    list_agent_key: Text | None = None
    list_office_key: Text | None = None
    modification_timestamp: datetime | None = Field(
        default=None, description="ISO 8601; a time without a zone is UTC."
    )
    photos: list[Url] = Field(default_factory=list, max_length=500, description="Photo URLs.")


class ListingRow(ListingFields):
    """A listing with its key: a row of an import."""

    listing_key: Key


def extras(model: BaseModel) -> dict[str, Any]:
    """The fields the model does not name (RESO fields leadflow does not use), kept as given."""
    return {k: v for k, v in (model.model_extra or {}).items() if k not in READ_ONLY}


def to_listing(model: ListingFields, tenant_id: str, listing_key: str | None = None) -> Listing:
    """The listing ``model`` describes, in ``tenant_id`` (``listing_key`` when the model has
    none)."""
    key = listing_key or getattr(model, "listing_key", None)
    if not key:
        raise ValueError("ListingKey is required")
    values = {name: getattr(model, name) for name in RESO_NAMES if name != "listing_key"}
    stamp = model.modification_timestamp
    if stamp is not None:
        values["modification_timestamp"] = (
            stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
        ).timestamp()
    values["photos"] = list(model.photos)
    return Listing(tenant_id, key, extra=extras(model), **values)


def utc(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def to_reso(listing: Listing, when: Callable[[float | None], Any] = to_iso) -> dict[str, Any]:
    """A stored listing as RESO JSON: the named fields (times through ``when``: UTC ISO 8601
    text unless told), then its other fields, then ``CreatedAt`` / ``UpdatedAt``."""
    out: dict[str, Any] = {alias: getattr(listing, name) for name, alias in RESO_NAMES.items()}
    out["ModificationTimestamp"] = when(listing.modification_timestamp)
    out["Photos"] = list(listing.photos)
    for name, value in listing.extra.items():
        out.setdefault(name, value)
    out["CreatedAt"] = when(listing.created_at)
    out["UpdatedAt"] = when(listing.updated_at)
    return out


def error_reasons(exc: ValidationError) -> list[str]:
    """One ``Field: problem`` per error (the value itself is never repeated)."""
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "row"
        out.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return out


__all__ = [
    "READ_ONLY",
    "RESO_NAMES",
    "ListingFields",
    "ListingRow",
    "error_reasons",
    "extras",
    "to_listing",
    "to_reso",
]
