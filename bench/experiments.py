"""Experiment statistics benchmark: peeking, power and bandit allocation, by simulation.

    python bench/experiments.py [--aa-runs 2000] [--ab-runs 1000] [--bandit-runs 200]
                                [--seed 1] [--json]

Runs :mod:`leadflow.experiments.simulation` and :mod:`leadflow.experiments.simulation_bandit`
with the real ``analyze`` and ``top_two_thompson``:

- A/A: two identical arms looked at once a day for 30 days; the share of runs declaring a winner
  at any look with the sequential method and with the plain test, and the plain test's rate at
  the last look alone. One scenario per base rate in ``AA_SCENARIOS``.
- A/B: the treatment converts 20% better (relative); the share of runs the sequential method
  detects within 30 days, the total sample (both arms) at detection, and the plain test's power
  read once at day 30 for comparison. One scenario per base rate in ``AB_SCENARIOS``.
- Bandit: arms converting at the rates in ``BANDIT_SCENARIOS``, 600 new units a day for 30 days,
  reweighted daily; the best arm's share over the period and in the last week, the worst arm's
  share in the last week, and the conversions gained over an even split.

Intervals are 95% Wilson intervals over runs. Exits 1 when a sequential A/A rate is above alpha
(5%) by more than its binomial noise (the interval's lower end above 5%).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from leadflow.experiments.simulation import Difference, aa_peeking, ab_detection
from leadflow.experiments.simulation_bandit import bandit_runs
from revision import commit

ALPHA = 0.05
DAYS = 30
# (base rate, new units per arm per day, difference): 10-25 conversions per arm on the first day;
# the last one reads the same data as the one before it as an absolute difference, not a lift
# (the fourth number: conversions each arm needs before a look counts, as auto_apply's
# min_conversions: 0 is the statistics alone, 30 the product's default)
AA_SCENARIOS: list[tuple[float, int, Difference, int]] = [
    (0.10, 200, "relative", 0),
    (0.05, 200, "relative", 0),
    (0.05, 500, "relative", 0),
    (0.02, 500, "relative", 0),
    (0.02, 500, "absolute", 0),
    (0.02, 500, "relative", 30),
    (0.01, 200, "relative", 0),
    (0.01, 200, "relative", 30),
]
AB_SCENARIOS = [(0.05, 1000), (0.02, 1000)]
# (arms' rates, beta): 0.8 is what experiments run with by default (bandit_beta); 0.5 is
# top-two sampling as published, built to identify the best arm rather than exploit it
BANDIT_SCENARIOS: list[tuple[dict[str, float], float]] = [
    ({"a": 0.040, "b": 0.050, "c": 0.065}, 0.8),
    ({"a": 0.040, "b": 0.045, "c": 0.050, "d": 0.060}, 0.8),
    ({"a": 0.050, "b": 0.060}, 0.8),
    ({"a": 0.040, "b": 0.050, "c": 0.065}, 0.5),
    ({"a": 0.050, "b": 0.060}, 0.5),
]
BANDIT_DAILY = 600


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--aa-runs", type=int, default=2000, help="A/A runs per scenario")
    p.add_argument("--ab-runs", type=int, default=1000, help="A/B runs per scenario")
    p.add_argument("--bandit-runs", type=int, default=200, help="bandit runs per scenario")
    p.add_argument("--seed", type=int, default=1, help="seed of every scenario")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    for name in ("aa_runs", "ab_runs", "bandit_runs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    return args


def _timed(run: Callable[[], Any]) -> dict[str, Any]:
    started = time.perf_counter()
    report: dict[str, Any] = run().as_dict()
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def _pct(rate: dict[str, Any]) -> str:
    return f"{rate['rate']:6.1%} [{rate['low']:.1%}, {rate['high']:.1%}]"


def _print(result: dict[str, Any]) -> None:
    print(f"A/A, {DAYS} daily looks, false winners (95% Wilson interval):")
    for s in result["aa"]:
        print(
            f"  base {s['base_rate']:.0%}, {s['daily_per_arm']}/arm/day, {s['difference']}, "
            f"min {s['min_conversions']} conversions: "
            f"sequential {_pct(s['sequential'])}  plain peeking {_pct(s['plain_peeking'])}  "
            f"plain last look {_pct(s['plain_final'])}  ({s['seconds']} s)"
        )
    print("A/B, +20% relative lift, sequential, detected within the period:")
    for s in result["ab"]:
        sample = s["sample"] or {"low": 0, "median": 0, "high": 0}
        print(
            f"  base {s['base_rate']:.0%}, {s['daily_per_arm']}/arm/day: "
            f"detected {_pct(s['detected'])}  median sample {sample['median']:,.0f} "
            f"[{sample['low']:,.0f}-{sample['high']:,.0f}] of {s['total_sample']:,}  "
            f"plain at day {DAYS} {_pct(s['fixed_horizon'])}  ({s['seconds']} s)"
        )
    print("Bandit, best arm's traffic share (median [quartiles] over runs):")
    for s in result["bandit"]:
        share, last = s["best_share"], s["best_last_week_share"]
        worst = s["worst_last_week_share"]
        print(
            f"  {s['rates']}, beta {s['beta']}: period {share['median']:.1%} "
            f"[{share['low']:.1%}-{share['high']:.1%}]  last week {last['median']:.1%}  "
            f"worst arm last week {worst['median']:.1%}  "
            f"most traffic {_pct(s['best_most_traffic'])}  "
            f"conversions {s['conversion_gain']:+.1%} vs even split  ({s['seconds']} s)"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    aa = [
        _timed(
            lambda base=base, daily=daily, difference=difference, least=least: aa_peeking(
                runs=args.aa_runs,
                days=DAYS,
                daily_per_arm=daily,
                base_rate=base,
                difference=difference,
                min_conversions=least,
                seed=args.seed,
            )
        )
        for base, daily, difference, least in AA_SCENARIOS
    ]
    ab = [
        _timed(
            lambda base=base, daily=daily: ab_detection(
                runs=args.ab_runs, days=DAYS, daily_per_arm=daily, base_rate=base, seed=args.seed
            )
        )
        for base, daily in AB_SCENARIOS
    ]
    bandit = [
        _timed(
            lambda rates=rates, beta=beta: bandit_runs(
                runs=args.bandit_runs,
                days=DAYS,
                daily_total=BANDIT_DAILY,
                rates=rates,
                beta=beta,
                seed=args.seed,
            )
        )
        for rates, beta in BANDIT_SCENARIOS
    ]
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "commit": commit(),
        "python": platform.python_version(),
        "seed": args.seed,
        "aa": aa,
        "ab": ab,
        "bandit": bandit,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return result


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if all(s["sequential"]["low"] <= ALPHA for s in outcome["aa"]) else 1)
