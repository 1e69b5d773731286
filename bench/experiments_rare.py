"""The figures behind the rare-conversion paragraph of docs/benchmarks.md "Experiments".

A/A experiments at a 2 % base rate with 500 units per arm per day, read daily for 30 days
(10,000 runs, seed 2026): the sequential method's false winners with no conversion minimum and
with 30 and 50 per arm, which way the false winners point and when, and the same data read as an
absolute difference. Then the A/B at a 2 % base rate with 2.5 times the traffic of the main bench
(2,500 units per arm per day, 1,000 runs, seed 1), and the confidence sequence's half-width in
standard errors at several sample sizes.

    .venv/bin/python bench/experiments_rare.py
"""

from __future__ import annotations

import math

import numpy as np

from leadflow.experiments.simulation import (
    aa_peeking,
    ab_detection,
    cumulative_conversions,
    first_significant_day,
)

RUNS, DAILY, BASE, SEED = 10_000, 500, 0.02, 2026


def _width_in_standard_errors(n: int, alpha: float = 0.05, tuning: float = 5000) -> float:
    """The sequence's half-width over the standard error at N units (rho as in the stats)."""
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    growth = n * rho2 + 1
    return math.sqrt(2 * growth * math.log(math.sqrt(growth) / alpha) / (n * rho2))


def main() -> None:
    for least in (0, 30, 50):
        rate = aa_peeking(
            runs=RUNS, daily_per_arm=DAILY, base_rate=BASE, min_conversions=least, seed=SEED
        ).sequential
        print(
            f"A/A, min conversions {least}: {rate.hits}/{rate.runs} false winners = "
            f"{rate.rate:.1%} [{rate.low:.1%}, {rate.high:.1%}]"
        )
    data = cumulative_conversions(
        np.random.default_rng(SEED), runs=RUNS, days=30, daily_per_arm=DAILY, rates=(BASE, BASE)
    )
    found = [
        first_significant_day(
            run, DAILY, method="sequential", difference="relative", alpha=0.05, tuning=5000
        )
        for run in data
    ]
    hits = [f for f in found if f is not None]
    worse = sum(1 for _, effect in hits if effect < 0)
    first = sum(1 for day, _ in hits if day == 1)
    print(f"A/A false winners {len(hits)}: treatment worse {worse}, at the first look {first}")
    absolute = aa_peeking(
        runs=RUNS, daily_per_arm=DAILY, base_rate=BASE, difference="absolute", seed=SEED
    ).sequential
    print(f"A/A as an absolute difference: {absolute.hits}/{absolute.runs} = {absolute.rate:.1%}")
    ab = ab_detection(runs=1000, daily_per_arm=2500, base_rate=BASE, seed=1)
    sample = ab.sample
    print(
        f"A/B +20 % at 2 %, 2,500 per arm per day: detected {ab.detected.rate:.1%}, median "
        f"sample {sample.median:,.0f}"
        if sample
        else "A/B: never detected"
    )
    widths = ", ".join(
        f"{n:,}: {_width_in_standard_errors(n):.2f}" for n in (400, 2000, 10000, 60000)
    )
    print(f"sequence half-width in standard errors by total units: {widths}")


if __name__ == "__main__":
    main()
