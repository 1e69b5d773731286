"""What a lead wants from a listing, as the ranking reads it: :class:`MatchCriteria`, with the
field names of the free-text criteria (``min_beds``, ``cities``...) plus a wanted point, a
radius and a minimum living area. Built from a dict (a contact's ``fields.criteria``) with
errors that name the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadflow.listings.criteria import FEATURES as TAGS
from leadflow.model.plain import field_values

# feature name -> bit in ListingIndex.features
FEATURES: dict[str, int] = {"pool": 1, "waterfront": 2, "garage": 4, "new_construction": 8}


def _texts(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"criteria.{name}: expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _number(data: Mapping[str, Any], name: str, *, whole: bool = False) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"criteria.{name}: expected a number, got {type(value).__name__}")
    if value < 0 or value != value:
        raise ValueError(f"criteria.{name}: must be a number >= 0")
    if whole and int(value) != value:
        raise ValueError(f"criteria.{name}: must be a whole number")
    return float(value)


@dataclass(frozen=True, slots=True)
class MatchCriteria:
    """What a lead wants, with the field names of the free-text criteria (``min_beds``...)
    plus ``near`` (latitude, longitude), ``radius_km`` and ``min_area`` (square feet)."""

    min_beds: int | None = None
    min_baths: float | None = None
    min_price: float | None = None
    max_price: float | None = None
    cities: tuple[str, ...] = ()
    postal_codes: tuple[str, ...] = ()
    property_sub_types: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    near: tuple[float, float] | None = None
    radius_km: float = 10.0
    min_area: float | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MatchCriteria:
        """Criteria from a dict (a contact's ``fields.criteria``, a parsed phrase). Unknown keys
        are ignored; a bad value raises ValueError naming the field and the problem."""
        if not isinstance(data, Mapping):
            raise ValueError("criteria: expected an object")
        beds = _number(data, "min_beds", whole=True)
        baths = _number(data, "min_baths")  # 2.5 baths is a real wish
        named = tuple(f.lower() for f in _texts(data, "features"))
        unknown = [f for f in named if f not in FEATURES and f not in TAGS]
        if unknown:
            raise ValueError(
                f"criteria.features: unknown {', '.join(unknown)} (known: {', '.join(TAGS)})"
            )
        # Only the features a listing's RESO fields can show are ranked (pool, waterfront,
        # garage, new construction); the others a lead may name (view, fireplace...) are kept
        # in its criteria but cannot be checked against the feed.
        features = tuple(f for f in named if f in FEATURES)
        near = data.get("near")
        point: tuple[float, float] | None = None
        if near is not None:
            if (
                not isinstance(near, list | tuple)
                or len(near) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in near)
                or not (-90 <= near[0] <= 90 and -180 <= near[1] <= 180)
            ):
                raise ValueError("criteria.near: expected [latitude, longitude]")
            point = (float(near[0]), float(near[1]))
        radius = _number(data, "radius_km")
        made = cls(
            min_beds=None if beds is None else int(beds),
            min_baths=baths,
            min_price=_number(data, "min_price"),
            max_price=_number(data, "max_price"),
            cities=_texts(data, "cities"),
            postal_codes=_texts(data, "postal_codes"),
            property_sub_types=_texts(data, "property_sub_types"),
            features=features,
            near=point,
            radius_km=radius or 10.0,
            min_area=_number(data, "min_area"),
        )
        if made.min_price and made.max_price and made.min_price > made.max_price:
            raise ValueError("criteria.min_price: is above max_price")
        return made

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the tuples as lists."""
        values = field_values(self).items()
        return {name: list(v) if isinstance(v, tuple) else v for name, v in values}


__all__ = ["FEATURES", "MatchCriteria"]
