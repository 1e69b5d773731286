"""Synthetic leads who save listings, with planted taste clusters: the evaluation set of the
collaborative "also saved" signal (``bench/collab_eval.py``).

Every listing belongs to one hidden *taste group* (a style, a school catchment... anything the
feed's fields do not show), drawn independently of its city, price, beds or type, so the
content criteria cannot see it. Leads come in clusters; a cluster has a home city, a budget, a
bed count and two favourite taste groups. A lead states criteria near its cluster's (not every
lead states any), and saves (sometimes tours: ``open_house.visited``) listings that fit those
criteria -- most of them, ``taste`` of the time, from its cluster's favourite groups, the rest
anywhere that fits. So the content ranking can find what fits but not what the lead will like
among it; other leads of the same cluster can.

The same seed gives the same world (plain :mod:`random`, nothing downloaded).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from leadflow.listings.match_criteria import MatchCriteria
from leadflow.listings.model import ListingRow, to_listing
from leadflow.listings.synthetic import synthetic_listings
from leadflow.model.listings import Listing

SAVED, TOURED, VIEWED = "listing.saved", "open_house.visited", "listing.viewed"
TENANT = "syn"


@dataclass(frozen=True, slots=True)
class Interaction:
    """One event of a lead about a listing, as a CRM export has it."""

    contact: str
    listing_key: str
    type: str
    at: float


@dataclass(slots=True)
class SavesWorld:
    listings: list[Listing]
    criteria: dict[str, MatchCriteria | None] = field(default_factory=dict)
    events: list[Interaction] = field(default_factory=list)
    cluster_of: dict[str, int] = field(default_factory=dict)
    group_of: dict[str, int] = field(default_factory=dict)


def _fits(x: Listing, city: str, max_price: float, min_beds: int) -> bool:
    return (
        x.city == city and (x.list_price or 0) <= max_price and (x.bedrooms_total or 0) >= min_beds
    )


def saves_world(
    seed: int,
    *,
    listings: int = 3000,
    leads: int = 600,
    clusters: int = 20,
    groups: int = 30,
    taste: float = 0.7,
    stated: float = 0.7,
    tenant_id: str = TENANT,
) -> SavesWorld:
    """A world of ``listings`` (all Active, IDX allowed) and ``leads`` leads in ``clusters``
    taste clusters over ``groups`` hidden groups (see the module)."""
    rnd = random.Random(seed)
    raw = synthetic_listings(listings, seed=seed)
    for item in raw:
        item["StandardStatus"], item["InternetEntireListingDisplayYN"] = "Active", True
    made = [to_listing(ListingRow.model_validate(x), tenant_id) for x in raw]
    world = SavesWorld(made)
    world.group_of = {x.listing_key: rnd.randrange(groups) for x in made}
    cities = sorted({x.city for x in made if x.city})
    plans = []
    for _ in range(clusters):
        plans.append(
            (
                rnd.choice(cities),
                float(rnd.randrange(500_000, 1_300_000, 50_000)),
                rnd.randint(2, 4),
                set(rnd.sample(range(groups), 2)),
            )
        )
    start = 1_767_225_600.0
    for n in range(leads):
        contact = f"lead{n:05d}"
        cluster = rnd.randrange(clusters)
        city, budget, beds, liked = plans[cluster]
        max_price = round(budget * rnd.uniform(0.85, 1.15), -3)
        min_beds = max(1, beds + rnd.choice((-1, 0, 0, 0)))
        world.cluster_of[contact] = cluster
        world.criteria[contact] = (
            MatchCriteria(cities=(city,), max_price=max_price, min_beds=min_beds)
            if rnd.random() < stated
            else None
        )
        fitting = [x for x in made if _fits(x, city, max_price, min_beds)]
        loved = [x for x in fitting if world.group_of[x.listing_key] in liked]
        if not fitting:
            continue
        chosen: list[Listing] = []
        for _ in range(rnd.randint(2, 9)):
            pool = loved if loved and rnd.random() < taste else fitting
            pick = rnd.choice(pool)
            if pick not in chosen:
                chosen.append(pick)
        at = start + rnd.uniform(0, 30 * 86_400)
        for pick in chosen:
            at += rnd.uniform(600, 3 * 86_400)
            if rnd.random() < 0.5:  # a look first, sometimes
                world.events.append(Interaction(contact, pick.listing_key, VIEWED, at - 300))
            kind = TOURED if rnd.random() < 0.15 else SAVED
            world.events.append(Interaction(contact, pick.listing_key, kind, at))
        for _ in range(rnd.randint(0, 6)):  # idle views of anything in the city
            look = rnd.choice(fitting)
            world.events.append(
                Interaction(contact, look.listing_key, VIEWED, start + rnd.uniform(0, 60 * 86_400))
            )
    world.events.sort(key=lambda e: (e.at, e.contact, e.listing_key, e.type))
    return world


__all__ = ["SAVED", "TOURED", "VIEWED", "Interaction", "SavesWorld", "saves_world"]
