"""Offline evaluation of the collaborative "also saved" criterion: hit rate at 5 on held-out
saves, content-only ranking against the blended one.

    python bench/collab_eval.py --seeds 1,2,3 [--weight W] [--min-support N] --json
    python bench/collab_eval.py --saves saves.csv --listings listings.csv --json

The split is fixed: for every lead with at least two saves or tours, its last one (by time) is
held out, and everything the lead did from then on is hidden; the co-saves of all leads are
counted from what is left. Each lead is then ranked the way the ``match_properties`` node
ranks it -- its stated criteria filled from criteria learned from its remaining views and saves,
the listings it already saved or toured left out -- once on content alone and once with the
"also saved" criterion blended in. A hit: the held-out listing is among the top 5.

Synthetic worlds (``--seeds``) come from :func:`leadflow.listings.synthetic_saves.saves_world`
(planted taste clusters). Tuning seeds: 1, 2, 3; held-out seeds, never tuned on: 101, 102, 103.

A real export: ``--saves`` is a CSV with a header and four columns in this order -- contact
key, listing key, event type (``listing.saved``, ``open_house.visited``, ``listing.viewed`` or an
alias such as ``property.saved``; other types are skipped), timestamp (Unix seconds or ISO
8601) -- and ``--listings`` a listings file as ``leadflow listings import`` takes it (CSV with
RESO column names, or JSON). Real leads have no stated criteria here: only learned ones.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadflow.listings.collaborative import (
    DEFAULT_WEIGHT,
    MIN_SUPPORT,
    SIGNAL_EVENTS,
    CoSaves,
    also_saved,
)
from leadflow.listings.importer import parse_file
from leadflow.listings.learned import LEARN_EVENTS, learn_criteria, merged
from leadflow.listings.match_criteria import MatchCriteria
from leadflow.listings.ranking import Extra, ListingIndex
from leadflow.listings.synthetic_saves import Interaction, saves_world
from leadflow.model.listings import Listing
from leadflow.model.vocabulary import canonical

TUNING_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (101, 102, 103)
TOP = 5
SIGNAL = SIGNAL_EVENTS


@dataclass(frozen=True, slots=True)
class Case:
    """One lead of the split: what it did before its last save, and that save."""

    contact: str
    before: list[Interaction]
    held_out: str


def split(events: Sequence[Interaction]) -> list[Case]:
    """Each lead with two or more saves/tours: its last one held out, with all it did from
    that moment on (events in time order)."""
    by_lead: dict[str, list[Interaction]] = {}
    for e in sorted(events, key=lambda e: (e.at, e.listing_key, e.type)):
        by_lead.setdefault(e.contact, []).append(e)
    cases = []
    for contact, mine in sorted(by_lead.items()):
        signal = [e for e in mine if e.type in SIGNAL]
        if len({e.listing_key for e in signal}) < 2:
            continue
        last = signal[-1]
        before = [e for e in mine if e.at < last.at]
        if last.listing_key in {e.listing_key for e in before if e.type in SIGNAL}:
            continue  # saved before: not a new listing to find
        cases.append(Case(contact, before, last.listing_key))
    return cases


def learned(before: Sequence[Interaction], listings: dict[str, Listing]) -> MatchCriteria | None:
    """The criteria the node would learn from these events (its views and saves)."""
    looked = [
        (listings[e.listing_key], LEARN_EVENTS[e.type])
        for e in before
        if e.type in LEARN_EVENTS and e.listing_key in listings
    ]
    return learn_criteria(looked)


def evaluate(
    listings: list[Listing],
    events: Sequence[Interaction],
    stated: dict[str, MatchCriteria | None],
    *,
    weight: float,
    min_support: int,
) -> dict[str, Any]:
    """Hit rate at 5 of the content-only and the blended ranking on the split of ``events``."""
    cases = split(events)
    by_key = {x.listing_key: x for x in listings}
    index = ListingIndex(listings)
    hidden = {(c.contact) for c in cases}
    kept = [e for c in cases for e in c.before] + [e for e in events if e.contact not in hidden]
    blend = _blender(kept, index, weight=weight, min_support=min_support)
    hits = {"content": 0, "blended": 0}
    signalled = 0
    started = time.perf_counter()
    for case in cases:
        criteria = merged(stated.get(case.contact), learned(case.before, by_key))
        saved = {e.listing_key for e in case.before if e.type in SIGNAL}
        content = index.top(criteria, TOP, exclude=saved)
        hits["content"] += case.held_out in {m.listing.listing_key for m in content}
        extra = blend(case.contact)
        signalled += bool(extra)
        picks = index.top(criteria, TOP, exclude=saved, extra=extra) if extra else content
        hits["blended"] += case.held_out in {m.listing.listing_key for m in picks}
    n = len(cases)
    return {
        "leads": len({e.contact for e in events}),
        "cases": n,
        "with_signal": signalled,
        "hit5_content": round(hits["content"] / n, 4) if n else None,
        "hit5_blended": round(hits["blended"] / n, 4) if n else None,
        "rank_seconds": round(time.perf_counter() - started, 3),
    }


def _blender(
    kept: Sequence[Interaction], index: ListingIndex, *, weight: float, min_support: int
) -> Callable[[str], tuple[Extra, ...]]:
    """The blended criterion of a lead, from the co-saves of everything ``kept``."""
    cosaves = CoSaves()
    for e in sorted(kept, key=lambda e: e.at):
        if e.type in SIGNAL_EVENTS:
            cosaves.add(e.contact, e.listing_key)
    where = {x.listing_key: x.unparsed_address for x in index.listings}

    def blend(contact: str) -> tuple[Extra, ...]:
        similar = cosaves.similar(cosaves.saved_by(contact), min_support)
        found = also_saved(index, similar, weight, where.get)
        return (found,) if found is not None else ()

    return blend


def synthetic_run(seed: int, weight: float, min_support: int, taste: float) -> dict[str, Any]:
    world = saves_world(seed, taste=taste)
    out = evaluate(
        world.listings, world.events, world.criteria, weight=weight, min_support=min_support
    )
    return {"seed": seed, **out}


def read_saves(path: Path) -> list[Interaction]:
    """The four-column export (see the module); rows of other event types are skipped; a bad
    row stops with its line number."""
    out = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = csv.reader(fh)
        next(rows, None)
        for line, row in enumerate(rows, start=2):
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) < 4:
                raise SystemExit(f"{path}: line {line}: expected 4 columns, got {len(row)}")
            contact, key, kind, stamp = (cell.strip() for cell in row[:4])
            kind = canonical(kind)
            if kind not in (*SIGNAL, *LEARN_EVENTS):
                continue
            out.append(Interaction(contact, key, kind, _when(stamp, path, line)))
    return out


def _when(stamp: str, path: Path, line: int) -> float:
    try:
        return float(stamp)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(f"{path}: line {line}: timestamp {stamp!r} is not a time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def export_run(saves: Path, listings: Path, weight: float, min_support: int) -> dict[str, Any]:
    parsed = parse_file(listings, "export")
    events = read_saves(saves)
    out = evaluate(parsed.listings, events, {}, weight=weight, min_support=min_support)
    return {"saves": str(saves), "listings": len(parsed.listings), **out}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", default="1,2,3", help="synthetic seeds, comma-separated")
    p.add_argument("--held-out", action="store_true", help="the held-out seeds 101,102,103")
    p.add_argument("--weight", type=float, default=None, help="the criterion's weight")
    p.add_argument("--min-support", type=int, default=None, help="co-saves needed")
    p.add_argument(
        "--taste", type=float, default=0.7, help="share of saves from the cluster's groups"
    )
    p.add_argument("--saves", type=Path, help="a real export of saves (CSV, see above)")
    p.add_argument("--listings", type=Path, help="the listings file of that export")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if not 0 <= args.taste <= 1:
        p.error(f"--taste must be between 0 and 1, got {args.taste}")
    if (args.saves is None) != (args.listings is None):
        p.error("--saves and --listings go together")
    for name in ("saves", "listings"):
        path = getattr(args, name)
        if path is not None and not path.is_file():
            p.error(f"--{name}: no such file: {path}")
    try:
        args.seed_list = (
            list(HELD_OUT_SEEDS) if args.held_out else [int(s) for s in args.seeds.split(",")]
        )
    except ValueError:
        p.error(f"--seeds: expected whole numbers separated by commas, got {args.seeds!r}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    weight = DEFAULT_WEIGHT if args.weight is None else args.weight
    support = MIN_SUPPORT if args.min_support is None else args.min_support
    started = time.perf_counter()
    if args.saves is not None:
        runs = [export_run(args.saves, args.listings, weight, support)]
    else:
        runs = [synthetic_run(seed, weight, support, args.taste) for seed in args.seed_list]
    cases = sum(r["cases"] for r in runs)

    def pooled(arm: str) -> float | None:
        if not cases:
            return None
        return round(sum(r[f"hit5_{arm}"] * r["cases"] for r in runs if r["cases"]) / cases, 4)

    return {
        "weight": weight,
        "min_support": support,
        "taste": None if args.saves is not None else args.taste,
        "runs": runs,
        "cases": cases,
        "hit5_content": pooled("content"),
        "hit5_blended": pooled("blended"),
        "seconds": round(time.perf_counter() - started, 2),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


if __name__ == "__main__":
    result = main()
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>14}: {value}")
