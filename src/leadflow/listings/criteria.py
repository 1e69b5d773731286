"""What a lead is looking for, as structured search criteria over RESO listings.

Prices are whole US dollars, sub types are RESO ``PropertySubType`` values as the listings carry
them (``SingleFamilyResidence``, ``Condominium``...; the displayed form "Single Family Residence"
is accepted and stored without spaces), features are the tags of
:data:`FEATURES`. An absent criterion is ``None`` (numbers) or an empty list.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# RESO PropertySubType values a criterion may name (the residential ones, plus Farm).
PROPERTY_SUB_TYPES = (
    "SingleFamilyResidence",
    "Condominium",
    "Townhouse",
    "Apartment",
    "Duplex",
    "Triplex",
    "Quadruplex",
    "MultiFamily",
    "ManufacturedHome",
    "MobileHome",
    "StockCooperative",
    "Cabin",
    "Ranch",
    "Farm",
    "UnimprovedLand",
)
_SUB_TYPE_KEYS = {v.lower(): v for v in PROPERTY_SUB_TYPES}

# Feature tags a criterion may name.
FEATURES = (
    "pool",
    "spa",
    "waterfront",
    "view",
    "garage",
    "fireplace",
    "basement",
    "yard",
    "new_construction",
    "balcony",
    "patio",
    "office",
    "single_story",
    "gated",
    "pet_friendly",
    "hardwood_floors",
    "central_air",
    "fixer_upper",
)

# The keys of the JSON form, in the order they are printed.
CRITERIA_KEYS = (
    "min_beds",
    "min_baths",
    "min_price",
    "max_price",
    "cities",
    "postal_codes",
    "property_sub_types",
    "features",
)

Count = Annotated[int, Field(ge=0, le=100)]
Baths = Annotated[float, Field(ge=0, le=100)]
Price = Annotated[int, Field(ge=0, le=10_000_000_000)]
City = Annotated[str, StringConstraints(min_length=1, max_length=100)]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]


class Criteria(BaseModel):
    """Search criteria. Every field is optional; lists keep the order the text gave."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_beds: Count | None = None
    min_baths: Baths | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    cities: list[City] = Field(default_factory=list)
    postal_codes: list[PostalCode] = Field(default_factory=list)
    property_sub_types: list[str] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list)

    @field_validator("property_sub_types")
    @classmethod
    def _known_sub_types(cls, value: list[str]) -> list[str]:
        """RESO values, also accepted as displayed ("Single Family Residence")."""
        out = []
        for given in value:
            found = _SUB_TYPE_KEYS.get(given.replace(" ", "").lower())
            if found is None:
                raise ValueError(f"unknown RESO PropertySubType {given!r}")
            out.append(found)
        return list(dict.fromkeys(out))

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in FEATURES]
        if unknown:
            raise ValueError(f"unknown feature {unknown[0]!r}")
        return value

    def is_empty(self) -> bool:
        """True when the text gave nothing to search by."""
        return self == Criteria()

    def to_json(self) -> dict[str, Any]:
        """The JSON form: exactly :data:`CRITERIA_KEYS`; a whole number of baths as an int."""
        out = self.model_dump()
        baths = out["min_baths"]
        if baths is not None and float(baths).is_integer():
            out["min_baths"] = int(baths)
        return {key: out[key] for key in CRITERIA_KEYS}
