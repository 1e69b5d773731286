"""Matching benchmark: the top 5 listings for every lead, ranked by the 100-point score.

    python bench/matching.py [--leads 10000] [--listings 100000] [--top 5] [--seed 1] --json
    python bench/matching.py ... --saves-per-lead 8 [--popular 500]   # with "also saved"

Synthetic RESO listings (:func:`leadflow.listings.synthetic_listings`) are made and converted
first (not timed); then the timed part: the index of the sendable listings is built once and
every lead's criteria (a city or postal code, a price band, beds, baths, sometimes a type,
features or a point with a radius) are ranked against all of it. ``seconds`` is index build
plus ranking; ``per_lead_ms`` the ranking alone per lead (``per_lead_cpu_ms``: its CPU time,
steadier on a shared machine); ``peak_mib`` the process's peak
resident memory. Target (issue): 10,000 leads x 100,000 listings in <= 10 s.

With ``--saves-per-lead N`` every lead has also saved N listings of its city (drawn from the
city's ``--popular`` sendable listings, so leads share saves), and the ranking blends the
"also saved" criterion (node default weight): ``cosaves_seconds`` is building the co-saves
(timed apart; the node keeps them per tenant between visits), and ``per_lead_ms`` then includes
each lead's similar listings and the blended ranking. ``--sqlite-events`` also stores those
saves as ``listing.saved`` events (with three times as many other events around them) in a
fresh SQLite file and times what the node does: ``cache_cold_seconds``, the first read of the
tenant's co-saves from the store, and ``cache_warm_ms``, a later read after 50 new saves.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadflow.listings import ListingRow, synthetic_listings, to_listing
from leadflow.listings.collaborative import DEFAULT_WEIGHT, CoSaves, also_saved
from leadflow.listings.cosaves_cache import CoSavesCache
from leadflow.listings.ranking import FEATURES, Extra, ListingIndex, MatchCriteria
from leadflow.model.records import Contact, NewEvent
from leadflow.model.tenancy import Tenant
from leadflow.store.factory import open_store

_CITIES = {
    "Austin": (30.27, -97.74, ("78701", "78702", "78704", "78745")),
    "Boston": (42.36, -71.06, ("02108", "02134", "02215")),
    "Denver": (39.74, -104.99, ("80202", "80205", "80211")),
    "Portland": (45.52, -122.68, ("97201", "97209", "97214")),
    "Raleigh": (35.78, -78.64, ("27601", "27603", "27608")),
}
_TYPES = ("SingleFamilyResidence", "Condominium", "Townhouse", "Duplex")


def lead_criteria(count: int, seed: int) -> list[MatchCriteria]:
    """``count`` varied buyers' criteria, the same for the same seed."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        city = rnd.choice(list(_CITIES))
        lat, lon, zips = _CITIES[city]
        top = rnd.randrange(250_000, 1_400_000, 25_000)
        data: dict[str, Any] = {"max_price": top, "min_beds": rnd.randint(1, 5)}
        if rnd.random() < 0.5:
            data["min_price"] = top * 0.6
        if rnd.random() < 0.6:
            data["min_baths"] = rnd.randint(1, 3)
        data["postal_codes" if rnd.random() < 0.3 else "cities"] = (
            [rnd.choice(zips)] if rnd.random() < 0.3 else [city]
        )
        if rnd.random() < 0.4:
            data["property_sub_types"] = rnd.sample(_TYPES, rnd.randint(1, 2))
        if rnd.random() < 0.3:
            data["features"] = rnd.sample(list(FEATURES), rnd.randint(1, 2))
        if rnd.random() < 0.25:
            data["near"] = [lat + rnd.uniform(-0.2, 0.2), lon + rnd.uniform(-0.2, 0.2)]
            data["radius_km"] = rnd.choice((5, 10, 25))
        if rnd.random() < 0.2:
            data["min_area"] = rnd.randrange(800, 3000, 100)
        out.append(MatchCriteria.from_mapping(data))
    return out


def lead_saves(
    leads: list[MatchCriteria], index: ListingIndex, per_lead: int, popular: int, seed: int
) -> CoSaves:
    """Each lead (``lead00000``...) saves ``per_lead`` of its city's ``popular`` first
    listings (another city's when it named none)."""
    rnd = random.Random(seed)
    by_city: dict[str, list[str]] = {}
    for x in index.listings:
        if x.city:
            by_city.setdefault(x.city, []).append(x.listing_key)
    pools = {city: keys[:popular] for city, keys in by_city.items()}
    out = CoSaves()
    for n, criteria in enumerate(leads):
        city = criteria.cities[0] if criteria.cities else rnd.choice(sorted(pools))
        pool = pools.get(city) or pools[rnd.choice(sorted(pools))]
        for key in rnd.sample(pool, min(per_lead, len(pool))):
            out.add(f"lead{n:05d}", key)
    return out


def blended(index: ListingIndex, cosaves: CoSaves, contact: str) -> tuple[Extra, ...]:
    """The lead's "also saved" criterion, as the node makes it."""

    def where(key: str) -> str | None:
        at = index.position.get(key)
        return None if at is None else index.listings[at].unparsed_address

    found = also_saved(index, cosaves.similar(cosaves.saved_by(contact)), DEFAULT_WEIGHT, where)
    return () if found is None else (found,)


def cache_timings(cosaves: CoSaves, leads: int) -> dict[str, Any]:
    """The co-saves as events of a fresh SQLite store, read cold and warm by the node's cache."""
    now = 1_767_225_600.0
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}", check_schema=False)
        store.upgrade()
        store.create_tenant(Tenant("bench", "Bench"), now)
        ids = [f"lead{n:05d}" for n in range(leads)]
        store.upsert_contacts([Contact(c, tenant_id="bench") for c in ids], now)
        events = []
        for c in ids:
            for key in cosaves.saved_by(c):
                data = {"listing_key": key}
                for kind in ("listing.saved", "listing.viewed", "email.opened", "site.visited"):
                    events.append(NewEvent(kind, c, data, f"{kind}:{c}:{key}", now))
        for at in range(0, len(events), 5000):
            store.append_events(events[at : at + 5000], now)
        cache = CoSavesCache(store)
        began = time.perf_counter()
        cache.get("bench", now)
        cold = time.perf_counter() - began
        more = [
            NewEvent("listing.saved", ids[n % leads], {"listing_key": key}, f"new:{n}", now)
            for n, key in enumerate(cosaves.saved_by(ids[0]) * 50)
        ][:50]
        store.append_events(more, now)
        began = time.perf_counter()
        cache.get("bench", now + 60)
        warm = time.perf_counter() - began
        store.close()
    return {
        "events_stored": len(events) + len(more),
        "cache_cold_seconds": round(cold, 3),
        "cache_warm_ms": round(warm * 1000, 2),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--leads", type=int, default=10_000, help="leads to match")
    p.add_argument("--listings", type=int, default=100_000, help="synthetic listings")
    p.add_argument("--top", type=int, default=5, help="matches per lead")
    p.add_argument("--seed", type=int, default=1, help="data seed")
    p.add_argument("--saves-per-lead", type=int, default=0, help="'also saved' on: saves each")
    p.add_argument("--popular", type=int, default=500, help="listings per city saved from")
    p.add_argument("--sqlite-events", action="store_true", help="time the store's reads too")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.sqlite_events and not args.saves_per_lead:
        p.error("--sqlite-events needs --saves-per-lead")
    if args.saves_per_lead < 0:
        p.error(f"--saves-per-lead must be >= 0, got {args.saves_per_lead}")
    for name in ("leads", "listings", "top", "popular"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    raw = synthetic_listings(args.listings, seed=args.seed)
    listings = [to_listing(ListingRow.model_validate(x), "bench") for x in raw]
    leads = lead_criteria(args.leads, args.seed)

    cosaves_seconds = 0.0
    cosaves: CoSaves | None = None
    if args.saves_per_lead:
        first = ListingIndex(listings)
        began = time.perf_counter()
        cosaves = lead_saves(leads, first, args.saves_per_lead, args.popular, args.seed)
        cosaves_seconds = time.perf_counter() - began

    started = time.perf_counter()
    index = ListingIndex(listings)
    built = time.perf_counter()
    cpu_built = time.process_time()
    found = explained = 0
    for n, criteria in enumerate(leads):
        extra = blended(index, cosaves, f"lead{n:05d}") if cosaves is not None else ()
        picks = index.top(criteria, args.top, extra=extra)
        found += len(picks)
        explained += sum(1 for p in picks if p.why)
    done = time.perf_counter()
    cpu_done = time.process_time()

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cache = cache_timings(cosaves, args.leads) if args.sqlite_events and cosaves else {}
    return {
        "leads": args.leads,
        "listings": args.listings,
        "sendable_listings": len(index),
        "top": args.top,
        "seed": args.seed,
        "matches": found,
        "saves_per_lead": args.saves_per_lead,
        "explained_matches": explained,
        "cosaves_seconds": round(cosaves_seconds, 3),
        "seconds": round(done - started, 3),
        "index_seconds": round(built - started, 3),
        "per_lead_ms": round((done - built) * 1000 / args.leads, 3),
        "per_lead_cpu_ms": round((cpu_done - cpu_built) * 1000 / args.leads, 3),
        "peak_mib": round(peak_kib / 1024, 1),
        **cache,
        "target_seconds": 10.0,
        "ok": done - started <= 10.0 or args.leads * args.listings < 10**9,
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


if __name__ == "__main__":
    result = main()
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    sys.exit(0 if result["ok"] else 1)
