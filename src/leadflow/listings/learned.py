"""Criteria learned from what a lead looked at: the listings of its ``listing.viewed`` and
``listing.saved`` events (``data.listing_key``), a saved listing counting twice.

* price band: 15 % either side of the (weighted) median ListPrice;
* min_beds / min_baths: the fewest among them;
* property_sub_types, cities, postal_codes: every one seen;
* features: those most of them (weighted) have.

Criteria the lead stated win over learned ones (:func:`merged`): a learned value only fills a
criterion the lead left empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from typing import TYPE_CHECKING

import numpy as np

from leadflow.listings.ranking import MatchCriteria
from leadflow.model.listings import Listing

if TYPE_CHECKING:
    from leadflow.store.contract import Store

LEARN_EVENTS = {"listing.viewed": 1, "listing.saved": 2}  # event type -> weight
PRICE_BAND = 0.15
RECENT = 50  # most recent events of each type that count


def _features(listing: Listing) -> set[str]:
    found = set()
    if listing.pool_private_yn:
        found.add("pool")
    if listing.waterfront_yn:
        found.add("waterfront")
    if (listing.garage_spaces or 0) > 0:
        found.add("garage")
    if listing.new_construction_yn:
        found.add("new_construction")
    return found


def _seen(values: Sequence[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def learn_criteria(looked_at: Sequence[tuple[Listing, int]]) -> MatchCriteria | None:
    """Criteria from (listing, weight) pairs; None when there are none."""
    if not looked_at:
        return None
    prices = [(x.list_price, w) for x, w in looked_at if x.list_price]
    low = high = None
    if prices:
        values = np.repeat([p for p, _ in prices], [w for _, w in prices])
        median = float(np.median(values))
        low, high = round(median * (1 - PRICE_BAND)), round(median * (1 + PRICE_BAND))
    beds = [x.bedrooms_total for x, _ in looked_at if x.bedrooms_total is not None]
    baths = [x.bathrooms_total_integer for x, _ in looked_at if x.bathrooms_total_integer]
    total = sum(w for _, w in looked_at)
    votes: dict[str, int] = {}
    for listing, weight in looked_at:
        for feature in _features(listing):
            votes[feature] = votes.get(feature, 0) + weight
    listings = [x for x, _ in looked_at]
    return MatchCriteria(
        min_beds=min(beds) if beds else None,
        min_baths=min(baths) if baths else None,
        min_price=low,
        max_price=high,
        cities=_seen([x.city for x in listings]),
        postal_codes=_seen([x.postal_code for x in listings]),
        property_sub_types=_seen([x.property_sub_type for x in listings]),
        features=tuple(sorted(f for f, v in votes.items() if v * 2 > total)),
    )


def merged(stated: MatchCriteria | None, learned: MatchCriteria | None) -> MatchCriteria:
    """``stated`` with its empty criteria filled from ``learned``."""
    if stated is None or learned is None:
        return stated or learned or MatchCriteria()
    fill = {}
    empty = MatchCriteria()
    for f in fields(MatchCriteria):
        mine = getattr(stated, f.name)
        if mine in (None, ()) or (mine == getattr(empty, f.name) and f.name != "radius_km"):
            fill[f.name] = getattr(learned, f.name)
    # A place the lead named rules out learned places of another kind.
    if stated.cities or stated.postal_codes or stated.near:
        fill.pop("cities", None)
        fill.pop("postal_codes", None)
    return replace(stated, **fill)


def learned_from_events(store: Store, tenant_id: str, contact_id: str) -> MatchCriteria | None:
    """Criteria learned from the contact's listing events (listings no longer stored are
    skipped)."""
    looked_at: list[tuple[Listing, int]] = []
    for kind, weight in LEARN_EVENTS.items():
        events = store.list_events(contact_id, limit=10_000, type=kind)[-RECENT:]
        for event in events:
            key = event.data.get("listing_key") if isinstance(event.data, dict) else None
            listing = store.get_listing(tenant_id, key) if isinstance(key, str) else None
            if listing is not None:
                looked_at.append((listing, weight))
    return learn_criteria(looked_at)


__all__ = ["LEARN_EVENTS", "learn_criteria", "learned_from_events", "merged"]
