"""Insights against the simulator's ground truth: power on a planted effect, false claims on A/A.

    python bench/insights_truth.py [--seeds 200] [--first-seed 1] [--leads 400]
                                   [--reply-rate 0.25] [--lift 2.0] [--db memory|sqlite] [--json]

For each seed, :func:`leadflow.simulate.planted.simulate_split` runs the split-test workflow
through the real engine over ``--leads`` synthetic leads (virtual time, the engagement model),
once with node ``hello_b``'s replies ``--lift`` times as likely (planted) and once with no effect
at all (A/A); then the insights report (``analytics.insights`` over ``funnel.load``, as the API
computes it, alpha 5 %, minimum sample 30) is read over the resulting store. Reported:

- planted: the share of seeds whose report claims arm b of split s converts better (the planted
  effect found), the share whose report also claims something false (a lead source, or arm a
  better), and false claims over all claims (what Benjamini-Hochberg bounds: with true effects
  in the report, a false claim beside them is allowed more often than under A/A);
- A/A: the share of seeds with any claim at all (every claim is false there: Benjamini-Hochberg
  at 5 % bounds this by 5 % when the tests are independent), and the claims by rule.

Intervals are 95 % Wilson intervals over seeds. ``--db sqlite`` uses a SQLite file per seed (as
the tests do) instead of the in-memory store; the numbers are the same, only slower. One JSON
line per seed goes to stderr as it is done (for long runs on a loaded machine).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from leadflow.analytics.filters import Filters
from leadflow.analytics.funnel import load
from leadflow.analytics.insights import Report, insights
from leadflow.model.records import Scope
from leadflow.simulate.planted import WORKFLOW_KEY, simulate_split
from leadflow.store import open_store
from revision import commit


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def report_for(seed: int, lift: float, args: argparse.Namespace, tmp: Path) -> Report:
    url = "memory://" if args.db == "memory" else f"sqlite:///{tmp / f'{seed}-{lift}.db'}"
    store = open_store(url, check_schema=False)
    try:
        simulate_split(store, seed, leads=args.leads, lift=lift, reply_rate=args.reply_rate)
        return insights(load(store, Scope("default"), WORKFLOW_KEY, Filters()))
    finally:
        store.close()


def found_planted(report: Report) -> bool:
    """The report says arm b converts better than arm a."""
    return any(f.rule == "split_arms" and "applying b" in f.text for f in report.findings)


def false_claims(report: Report) -> list[str]:
    """Claims that are false when only node hello_b's replies were lifted: any lead source, and
    arm a / node hello_a better."""
    wrong = {
        "sources": lambda f: True,
        "drop_off": lambda f: True,
        "split_arms": lambda f: "applying b" not in f.text,
        "messages": lambda f: not f.subject.startswith("hello_b"),
    }
    return [f.rule for f in report.findings if wrong[f.rule](f)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--leads", type=int, default=400)
    parser.add_argument("--reply-rate", type=float, default=0.25)
    parser.add_argument("--lift", type=float, default=2.0)
    parser.add_argument("--db", choices=["memory", "sqlite"], default="memory")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the sandbox tenant has no agent for reply tasks
    load_before = os.getloadavg()
    started = time.perf_counter()
    found = planted_false = aa_any = claims = false = 0
    aa_rules: Counter[str] = Counter()
    tested: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            planted = report_for(seed, args.lift, args, Path(tmp))
            found += found_planted(planted)
            wrong = false_claims(planted)
            planted_false += bool(wrong)
            claims += len(planted.findings)
            false += len(wrong)
            aa = report_for(seed, 1.0, args, Path(tmp))
            aa_any += bool(aa.findings)
            aa_rules.update(f.rule for f in aa.findings)
            tested[str(aa.tested)] += 1
            progress = {
                "seed": seed,
                "planted_found": found_planted(planted),
                "planted_claims": len(planted.findings),
                "planted_false": wrong,
                "aa_claims": [f.rule for f in aa.findings],
            }
            print(json.dumps(progress), file=sys.stderr, flush=True)  # one line per seed
    n = args.seeds
    out: dict[str, Any] = {
        "seeds": n,
        "leads": args.leads,
        "reply_rate": args.reply_rate,
        "lift": args.lift,
        "db": args.db,
        "planted_found": {"share": found / n, "ci95": wilson(found, n)},
        "planted_with_a_false_claim": {
            "share": planted_false / n,
            "ci95": wilson(planted_false, n),
        },
        "planted_false_discovery_proportion": round(false / claims, 4) if claims else 0.0,
        "aa_any_claim": {"share": aa_any / n, "ci95": wilson(aa_any, n)},
        "aa_claims_by_rule": dict(aa_rules),
        "aa_hypotheses_per_report": dict(sorted(tested.items())),
        "seconds": round(time.perf_counter() - started, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "commit": commit(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, "
        f"python {platform.python_version()}",
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for key, value in out.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
