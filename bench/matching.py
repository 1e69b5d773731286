"""Matching benchmark: the top 5 listings for every lead, ranked by the 100-point score.

    python bench/matching.py [--leads 10000] [--listings 100000] [--top 5] [--seed 1] --json

Synthetic RESO listings (:func:`leadflow.listings.synthetic_listings`) are made and converted
first (not timed); then the timed part: the index of the sendable listings is built once and
every lead's criteria (a city or postal code, a price band, beds, baths, sometimes a type,
features or a point with a radius) are ranked against all of it. ``seconds`` is index build
plus ranking; ``per_lead_ms`` the ranking alone per lead; ``peak_mib`` the process's peak
resident memory. Target (issue): 10,000 leads x 100,000 listings in <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import sys
import time
from datetime import UTC, datetime
from typing import Any

from leadflow.listings import ListingRow, synthetic_listings, to_listing
from leadflow.listings.ranking import FEATURES, ListingIndex, MatchCriteria

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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--leads", type=int, default=10_000, help="leads to match")
    p.add_argument("--listings", type=int, default=100_000, help="synthetic listings")
    p.add_argument("--top", type=int, default=5, help="matches per lead")
    p.add_argument("--seed", type=int, default=1, help="data seed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    for name in ("leads", "listings", "top"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    raw = synthetic_listings(args.listings, seed=args.seed)
    listings = [to_listing(ListingRow.model_validate(x), "bench") for x in raw]
    leads = lead_criteria(args.leads, args.seed)

    started = time.perf_counter()
    index = ListingIndex(listings)
    built = time.perf_counter()
    found = 0
    for criteria in leads:
        found += len(index.top(criteria, args.top))
    done = time.perf_counter()

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "leads": args.leads,
        "listings": args.listings,
        "sendable_listings": len(index),
        "top": args.top,
        "seed": args.seed,
        "matches": found,
        "seconds": round(done - started, 3),
        "index_seconds": round(built - started, 3),
        "per_lead_ms": round((done - built) * 1000 / args.leads, 3),
        "peak_mib": round(peak_kib / 1024, 1),
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
