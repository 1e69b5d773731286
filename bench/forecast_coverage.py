"""Forecast interval coverage: how often held-out weeks fall inside the 80 % and 95 % intervals.

    python bench/forecast_coverage.py [--set tuning|held-out|both] [--limit N] [--json]

Runs :func:`leadflow.analytics.forecast.forecast_series` (the function the API and CLI call) on
synthetic weekly count series and reads each backtest: the model fitted without the last 4 weeks
and its intervals scored on them. Two sets, fixed before any change to the intervals was tried:

- **tuning** (the set the intervals were adjusted on): 40 Poisson series, mean 10 + 0.25 w over
  40 weeks (seeds 0-39), as ``tests/unit/analytics/test_forecast.py`` draws them: 160 weeks;
- **held-out** (never looked at while adjusting): 200 series (seeds 1000-1199) of 16-52 weeks,
  a level of 2, 5, 20 or 60 a week, a trend of -0.5 % to +1.5 % of the level a week, a seasonal
  swing of up to 25 % (a 13- or 26-week period) and, for half of them, extra-Poisson noise
  (gamma-Poisson, shape 8): 800 weeks.

Prints per set the coverage of each interval with its 95 % Wilson interval, the mean absolute
error, and the mean width of the intervals relative to the mean held-out count.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from leadflow.analytics.forecast import forecast_series
from revision import commit

HOLDOUT = 4


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal above 200)."""
    if mean <= 0:
        return 0
    if mean > 200:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def tuning_series(seed: int) -> list[int]:
    rng = random.Random(seed)
    return [poisson(rng, 10 + 0.25 * w) for w in range(40)]


def held_out_series(seed: int) -> list[int]:
    rng = random.Random(f"held-out:{seed}")
    weeks = rng.randint(16, 52)
    level = rng.choice([2.0, 5.0, 20.0, 60.0])
    slope = rng.uniform(-0.005, 0.015) * level
    swing = rng.uniform(0.0, 0.25)
    period = rng.choice([13, 26])
    phase = rng.uniform(0, 2 * math.pi)
    overdispersed = rng.random() < 0.5
    out = []
    for w in range(weeks):
        season = 1 + swing * math.sin(2 * math.pi * w / period + phase)
        mean = max(0.1, level + slope * w) * season
        if overdispersed:
            mean = rng.gammavariate(8.0, mean / 8.0)
        out.append(poisson(rng, mean))
    return out


SETS: dict[str, tuple[Callable[[int], list[int]], range]] = {
    "tuning": (tuning_series, range(40)),
    "held-out": (held_out_series, range(1000, 1200)),
}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(centre - half, 4), round(centre + half, 4))


def measure(name: str, limit: int | None = None) -> dict[str, Any]:
    make, seeds = SETS[name]
    seeds = seeds[:limit]
    weeks = in80 = in95 = 0
    abs_err = width80 = width95 = mean_count = 0.0
    started = time.perf_counter()
    for seed in seeds:
        counts = make(seed)
        back = forecast_series(counts, horizon=HOLDOUT, holdout=HOLDOUT)["backtest"]
        for row, actual in zip(back["predicted"], back["actual"], strict=True):
            weeks += 1
            in80 += row["lo80"] <= actual <= row["hi80"]
            in95 += row["lo95"] <= actual <= row["hi95"]
            abs_err += abs(row["mean"] - actual)
            width80 += row["hi80"] - row["lo80"]
            width95 += row["hi95"] - row["lo95"]
            mean_count += actual
    return {
        "series": len(seeds),
        "weeks": weeks,
        "coverage80": round(in80 / weeks, 4),
        "coverage80_ci95": wilson(in80, weeks),
        "coverage95": round(in95 / weeks, 4),
        "coverage95_ci95": wilson(in95, weeks),
        "mae": round(abs_err / weeks, 3),
        "relative_width80": round(width80 / max(mean_count, 1.0), 3),
        "relative_width95": round(width95 / max(mean_count, 1.0), 3),
        "seconds": round(time.perf_counter() - started, 1),
    }


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["tuning", "held-out", "both"], default="both")
    parser.add_argument("--limit", type=int, help="only the first N series of each set")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = list(SETS) if args.set == "both" else [args.set]
    load_before = os.getloadavg()
    out: dict[str, Any] = {name: measure(name, args.limit) for name in names}
    out["load_before"] = [round(x, 2) for x in load_before]
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out["commit"] = commit()
    out["machine"] = machine()
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for key, value in out.items():
            print(f"{key:10} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
