"""The designer's "Simulate" button, server side: how long ``POST /api/v1/workflows/simulate``
spends simulating ``examples/new-lead-welcome.yaml`` (five nodes) at the default size (50
leads, 14 virtual days) and at the API's bounds (500 leads, 60 days). The first simulation of a
process also loads the engine's features (measured apart, as "cold").

    python bench/designer_simulate.py [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from leadflow.simulate.draft import simulate_draft

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((50, 14.0), (500, 60.0))


def measure(repeats: int) -> dict[str, Any]:
    definition = yaml.safe_load((ROOT / "examples" / "new-lead-welcome.yaml").read_text())
    started = time.perf_counter()
    simulate_draft(definition, leads=5, days=1)
    out: dict[str, Any] = {"cold_first_s": round(time.perf_counter() - started, 2)}
    for leads, days in SIZES:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            sim = simulate_draft(definition, leads=leads, days=days)
            times.append(time.perf_counter() - t)
        out[f"{leads}_leads_{days:g}_days_s"] = {
            "median": round(statistics.median(times), 2),
            "runs": sum(sim.runs.values()),
        }
    out["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    found = measure(args.repeats)
    print(json.dumps(found) if args.json else json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
