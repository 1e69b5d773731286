"""The engine's CPU instructions per run, counted by Valgrind: a figure this machine's load
cannot move.

    python bench/instructions.py [--checkout DIR ...] [--small 500] [--large 1500] --json

Wall-time figures on a shared virtual machine vary by 20-40 % between two runs of the same code,
so two commits a few per cent apart cannot be told apart by ``bench/engine.py`` alone. This runs
the steps phase of ``bench/engine.py`` (``--waiting 0``: W runs of 10 steps, one in-process
worker, SQLite) under ``valgrind --tool=cachegrind --cache-sim=no`` twice, with W = ``--small``
and W = ``--large`` runs, and reports the instructions executed per run: (I(large) - I(small)) /
(large - small). Start-up, imports and the fixed phases cancel out; what is left is the cost of
one run's 15 step rows: advancing, rendering, the compliance checks, the outbox, the sandbox
provider and the delivery events, SQLite included. Two runs of the same code agree within 0.1 %.

Instructions are not time: they do not see cache misses or system calls (SQLite's writes to the
WAL), so a change that adds page writes can cost more wall time than its instructions say.

Each ``--checkout`` (default: this one) is run with ``PYTHONPATH=<checkout>/src`` and its own
``bench/engine.py``, so an older commit checked out with ``git worktree add`` is measured by the
same interpreter. Needs ``valgrind`` (Debian: ``apt-get install valgrind``); about a minute per
thousand runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def count(checkout: Path, runs: int) -> int:
    """Instructions executed by ``bench/engine.py --runs <runs> --waiting 0`` of ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={tmp}/cg.out",
                sys.executable,
                "bench/engine.py",
                "--runs",
                str(runs),
                "--waiting",
                "0",
                "--lag-runs",
                "10",
                "--lag-spread",
                "1",
                "--json",
            ],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    found = REFS.search(out.stderr)
    if out.returncode != 0 or found is None:
        raise SystemExit(f"{checkout}: valgrind run failed:\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_run(checkout: Path, small: int, large: int) -> dict[str, object]:
    low, high = count(checkout, small), count(checkout, large)
    return {
        "checkout": str(checkout),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=checkout,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip(),
        f"instructions_{small}": low,
        f"instructions_{large}": high,
        "instructions_per_run": round((high - low) / (large - small)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkout", action="append", type=Path, help="a checkout (repeatable)")
    ap.add_argument("--small", type=int, default=500)
    ap.add_argument("--large", type=int, default=1500)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.large <= args.small:
        raise SystemExit("--large must be more runs than --small")
    results = [per_run(c.resolve(), args.small, args.large) for c in args.checkout or [HERE]]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"{r['commit']}  {r['instructions_per_run']:>12,} instructions per run")


if __name__ == "__main__":
    main()
