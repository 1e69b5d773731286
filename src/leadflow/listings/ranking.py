"""Ranking listings against a lead's criteria: a 100-point score that explains itself.

The listings are turned into numpy arrays once (:class:`ListingIndex`); each lead is then
scored against all of them in a handful of vector operations and the best are picked with
``np.argpartition``. Only listings a lead may be sent are in the index at all: StandardStatus
Active (compared without spaces or case) and IDX display permission
(``InternetEntireListingDisplayYN`` true).

Points per criterion (:data:`WEIGHTS`, 100 in all):

* ``price`` 30 -- full inside [min_price, max_price]; above the maximum it falls linearly to 0
  at 20 % over, below the minimum to 0 at 30 % under; an unknown price scores 0.
* ``location`` 20 -- with a wanted point (``near``) and a listing position: full within
  ``radius_km``, falling linearly to 0 at three times the radius; otherwise full when the
  listing's city (case-insensitive) or postal code is one wanted.
* ``beds`` 15, ``baths`` 10 -- full at or above the minimum, half one short, else 0.
* ``type`` 10 -- full when the PropertySubType is one wanted.
* ``features`` 10 -- the share of the wanted features (:data:`FEATURES`) the listing has.
* ``area`` 5 -- full at or above ``min_area`` (LivingArea), falling to 0 at 75 % of it.

Only the criteria the lead stated count: their weights are scaled up to add to 100 (a lead who
named only a price and a city has price worth 60 and location 40), so a listing that misses
everything the lead asked for scores 0, and the points of the reasons always add up to the
score. A lead who stated nothing gets 100 for every listing.

Criteria from outside the listing's own fields join the same way (:class:`Extra`): a weight in
the units of :data:`WEIGHTS`, scaled with the others, a fit from 0 to 1 for every listing and a
sentence saying why (``Match.why``) -- the collaborative "also saved" criterion
(:mod:`leadflow.listings.collaborative`) is one. A lead with no extra criterion is ranked as
before, point for point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from leadflow.listings.match_criteria import FEATURES, MatchCriteria
from leadflow.model.listings import Listing, normalize_status

WEIGHTS: dict[str, float] = {
    "price": 30.0,
    "location": 20.0,
    "beds": 15.0,
    "baths": 10.0,
    "type": 10.0,
    "features": 10.0,
    "area": 5.0,
}
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.float32)
_EARTH_KM = 6371.0088

Floats = npt.NDArray[np.float32]


def _fold(text: str) -> str:
    """Compared without case, spaces or hyphens: "Single Family Residence" (as some feeds
    write it) is RESO's "SingleFamilyResidence", "Round Rock" is "round rock"."""
    return "".join(text.replace("-", " ").split()).casefold()


@dataclass(frozen=True, slots=True)
class Extra:
    """A criterion the listing's fields do not hold: ``weight`` (as in :data:`WEIGHTS`, before
    scaling), ``fit`` (0..1) for every listing of the index, and ``explain(listing_key)``: the
    sentence behind a listing's points (None: nothing to say)."""

    name: str
    weight: float
    fit: Floats
    explain: Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked listing: its score (0-100), the points of each criterion and, for criteria
    that say why (:class:`Extra`), the sentence."""

    listing: Listing
    score: float
    reasons: dict[str, float] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)

    def as_context(self) -> dict[str, Any]:
        """What a template sees in ``context.matches``."""
        return {
            "listing_key": self.listing.listing_key,
            "score": self.score,
            "reasons": dict(self.reasons),
            "why": dict(self.why),
            "address": self.listing.unparsed_address,
            "price": self.listing.list_price,
            "url": listing_url(self.listing),
        }


def listing_url(listing: Listing) -> str | None:
    """The listing's page when the feed gave one (``ListingURL``), else its first photo."""
    url = listing.extra.get("ListingURL")
    if isinstance(url, str) and url:
        return url
    return listing.photos[0] if listing.photos else None


def sendable(listing: Listing) -> bool:
    """Whether a listing may ever be sent to a lead: Active and IDX display allowed."""
    status = listing.standard_status
    return (
        status is not None
        and normalize_status(status) == "Active"
        and listing.internet_entire_listing_display_yn is True
    )


def _codes(values: Sequence[str | None]) -> tuple[npt.NDArray[np.int32], dict[str, int]]:
    table: dict[str, int] = {}
    out = np.full(len(values), -1, dtype=np.int32)
    for i, value in enumerate(values):
        if value:
            out[i] = table.setdefault(_fold(value), len(table))
    return out, table


def _wanted(table: Mapping[str, int], values: Iterable[str]) -> list[int]:
    return [table[k] for k in map(_fold, values) if k in table]


def _one_of(codes: npt.NDArray[np.int32], wanted: Sequence[int]) -> npt.NDArray[np.bool_]:
    """``codes`` in ``wanted`` (a few values: one comparison each beats np.isin's sort)."""
    hit = np.zeros(codes.shape, dtype=bool)
    for code in wanted:
        hit |= codes == code
    return hit


def _floats(values: Iterable[float | None], missing: float) -> Floats:
    return np.array([missing if v is None else v for v in values], dtype=np.float32)


class ListingIndex:
    """The sendable listings of a set as arrays, built once and scored many times."""

    def __init__(self, listings: Iterable[Listing]) -> None:
        chosen = sorted((x for x in listings if sendable(x)), key=lambda x: x.listing_key)
        self.listings = chosen
        self.position = {x.listing_key: i for i, x in enumerate(chosen)}
        # An unknown price is +inf (past any maximum), unknown counts -9 and areas -1 (below
        # any minimum), unknown positions NaN (location falls back to city / postal code).
        self.price = _floats((x.list_price for x in chosen), np.inf)
        self.price_known = np.isfinite(self.price).astype(np.float32)
        self.beds = _floats((x.bedrooms_total for x in chosen), -9.0)
        self.baths = _floats((x.bathrooms_total_integer for x in chosen), -9.0)
        self.area = _floats((x.living_area for x in chosen), -1.0)
        lat = _floats((x.latitude for x in chosen), np.nan)
        lon = _floats((x.longitude for x in chosen), np.nan)
        self.lat_rad, self.lon_rad = np.radians(lat), np.radians(lon)
        self.cos_lat = np.cos(self.lat_rad)
        self.types, self.type_codes = _codes([x.property_sub_type for x in chosen])
        self.cities, self.city_codes = _codes([x.city for x in chosen])
        self.postals, self.postal_codes = _codes([x.postal_code for x in chosen])
        masks = np.zeros(len(chosen), dtype=np.uint8)
        for i, x in enumerate(chosen):
            masks[i] = (
                (FEATURES["pool"] if x.pool_private_yn else 0)
                | (FEATURES["waterfront"] if x.waterfront_yn else 0)
                | (FEATURES["garage"] if (x.garage_spaces or 0) > 0 else 0)
                | (FEATURES["new_construction"] if x.new_construction_yn else 0)
            )
        self.features = masks

    def __len__(self) -> int:
        return len(self.listings)

    def points(self, c: MatchCriteria, extra: Sequence[Extra] = ()) -> dict[str, Floats]:
        """Each stated criterion's points for every listing (see :func:`weights`), then the
        ``extra`` ones'."""
        w = weights(c, {x.name: x.weight for x in extra})
        out: dict[str, Floats] = {}
        if c.max_price or c.min_price:
            fit = self.price_known.copy()  # an unknown price scores 0
            if c.max_price:
                np.minimum(fit, _ramp(self.price, 1.2 * c.max_price, c.max_price), out=fit)
            if c.min_price:
                np.minimum(fit, _ramp(self.price, 0.7 * c.min_price, c.min_price), out=fit)
            out["price"] = _scaled(fit, w["price"])
        if c.min_beds is not None:
            out["beds"] = _scaled(_ramp(self.beds, c.min_beds - 2, c.min_beds), w["beds"])
        if c.min_baths is not None:
            out["baths"] = _scaled(_ramp(self.baths, c.min_baths - 2, c.min_baths), w["baths"])
        if c.min_area:
            out["area"] = _scaled(_ramp(self.area, 0.75 * c.min_area, c.min_area), w["area"])
        if c.property_sub_types:
            wanted = _wanted(self.type_codes, c.property_sub_types)
            out["type"] = _one_of(self.types, wanted).astype(np.float32) * w["type"]
        if c.features:
            bits = np.uint8(sum(FEATURES[f] for f in set(c.features)))
            share = _POPCOUNT[self.features & bits] / np.float32(len(set(c.features)))
            out["features"] = share * w["features"]
        if "location" in w:
            out["location"] = self._location(c, w["location"])
        for x in extra:
            if x.name in w:
                out[x.name] = x.fit.astype(np.float32) * np.float32(w[x.name])
        return out

    def _location(self, c: MatchCriteria, weight: float) -> Floats:
        place = np.zeros(len(self), dtype=bool)
        if c.cities:
            place |= _one_of(self.cities, _wanted(self.city_codes, c.cities))
        if c.postal_codes:
            place |= _one_of(self.postals, _wanted(self.postal_codes, c.postal_codes))
        by_place = place.astype(np.float32) * weight
        if c.near is None:
            return by_place
        km = self.distance_km(*c.near)
        near = _scaled(_ramp(km, 3 * c.radius_km, c.radius_km), weight)
        return np.where(np.isnan(km), by_place, near).astype(np.float32)

    def distance_km(self, lat: float, lon: float) -> Floats:
        """Great-circle distance (haversine) from a point to every listing (NaN: unknown)."""
        la, lo = np.radians(np.float32(lat)), np.radians(np.float32(lon))
        h = (
            np.sin((self.lat_rad - la) / 2) ** 2
            + np.cos(la) * self.cos_lat * np.sin((self.lon_rad - lo) / 2) ** 2
        )
        km: Floats = (2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))).astype(np.float32)
        return km

    def top(
        self,
        criteria: MatchCriteria,
        k: int,
        *,
        exclude: Iterable[str] = (),
        min_score: float = 0.0,
        extra: Sequence[Extra] = (),
    ) -> list[Match]:
        """The ``k`` best listings (score, then listing_key) scoring at least ``min_score``,
        leaving out the listing keys in ``exclude``; ``extra`` criteria blended in."""
        n = len(self)
        if n == 0 or k <= 0:
            return []
        points = self.points(criteria, extra)
        total = np.full(n, 0.0 if points else 100.0, dtype=np.float32)
        for value in points.values():
            total += value
        skip = [self.position[key] for key in exclude if key in self.position]
        if skip:
            total[skip] = -1.0
        best = _best(total, min(k, n))
        out = []
        for i in best.tolist():
            score = float(total[i])
            if score < min_score or score < 0:
                continue
            reasons = {name: round(float(v[i]), 2) for name, v in points.items()}
            key = self.listings[i].listing_key
            why = {
                x.name: said
                for x in extra
                if reasons.get(x.name) and (said := x.explain(key)) is not None
            }
            out.append(Match(self.listings[i], round(score, 2), reasons, why))
        return out


def weights(c: MatchCriteria, extra: Mapping[str, float] | None = None) -> dict[str, float]:
    """The criteria ``c`` states, and the ``extra`` ones with a weight above 0, each with its
    weight scaled so that they add up to 100."""
    stated = {
        "price": bool(c.min_price or c.max_price),
        "location": bool(c.cities or c.postal_codes or c.near),
        "beds": c.min_beds is not None,
        "baths": c.min_baths is not None,
        "type": bool(c.property_sub_types),
        "features": bool(c.features),
        "area": bool(c.min_area),
    }
    raw = {name: WEIGHTS[name] for name, on in stated.items() if on}
    raw.update({name: w for name, w in (extra or {}).items() if w > 0})
    total = sum(raw.values())
    return {name: w * 100 / total for name, w in raw.items()}


def _ramp(values: Floats, zero_at: float, full_at: float) -> Floats:
    """0 at ``zero_at``, 1 at ``full_at`` and beyond, linear between (either direction);
    a new array, computed in place."""
    out: Floats = values - np.float32(zero_at)
    out *= np.float32(1.0 / (full_at - zero_at))
    np.clip(out, 0, 1, out=out)
    return out


def _scaled(fit: Floats, weight: float) -> Floats:
    fit *= np.float32(weight)
    return fit


_STEPS = (0.0, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0)


def _best(total: Floats, k: int) -> npt.NDArray[np.intp]:
    """Positions of the ``k`` highest totals, best first, ties by position (listing_key).
    Cheaper than a partition of the whole array: count the totals above falling thresholds
    until ``k`` are in, then sort only those."""
    top = float(total.max())
    cut = -np.inf
    for step in _STEPS:
        if np.count_nonzero(total >= top - step) >= k:
            cut = top - step
            break
    chosen = np.flatnonzero(total >= cut)
    order = np.argsort(-total[chosen], kind="stable")[:k]
    picked: npt.NDArray[np.intp] = chosen[order]
    return picked


__all__ = [
    "FEATURES",
    "WEIGHTS",
    "Extra",
    "ListingIndex",
    "Match",
    "MatchCriteria",
    "listing_url",
    "sendable",
    "weights",
]
