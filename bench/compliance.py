"""Compliance benchmark: the 100,000-send simulation and its independent check.

    python bench/compliance.py [--sends 100000] [--seed 1] [--db sqlite:///PATH] --json

Leads over every US state, DC and three territories enter four drips (texts, e-mails, live
calls) on the virtual clock, answer with replies, STOPs, STARTs, HELPs and e-mail unsubscribes,
until at least ``--sends`` messages have left; then every message that left is checked against
the send windows, opt-outs, stop on reply and the budgets without the engine's own code
(:mod:`leadflow.simulate.compliance_check`). See ``docs/benchmarks.md``.

Prints one JSON object with ``--json`` (violations per rule, deferrals and suppressions by
reason, wall seconds, virtual days, sends/s); a short table otherwise. Exits 1 when any rule was
broken.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadflow.simulate.compliance import compliance_runtime, run_compliance


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sends", type=int, default=100_000, help="messages that must leave")
    p.add_argument("--seed", type=int, default=1, help="scenario seed")
    p.add_argument("--db", help="sqlite:///PATH or postgresql:// URL of an empty database "
                   "(default: a fresh SQLite file in a temp dir, deleted)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.sends < 1:
        p.error(f"--sends must be >= 1, got {args.sends}")
    if args.db and not args.db.startswith(("sqlite:///", "postgresql://", "postgres://")):
        p.error(f"--db must be a sqlite:/// or postgresql:// URL, got {args.db!r}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    tmp = None if args.db else Path(tempfile.mkdtemp(prefix="leadflow-compliance-"))
    url = args.db or f"sqlite:///{tmp}/compliance.db"
    try:
        runtime = compliance_runtime(url, seed=args.seed)
        try:
            result = run_compliance(runtime, sends=args.sends, seed=args.seed).as_dict()
        finally:
            runtime.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    result |= {
        "target_sends": args.sends,
        "seed": args.seed,
        "ok": not any(result["violations"].values()),
        "db": args.db or "a fresh SQLite file in a temp dir (deleted)",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return result


HEADLINE = ("sends", "contacts", "violations", "wall_s", "virtual_days", "sends_per_s", "ok")

if __name__ == "__main__":
    out = main()
    if "--json" in sys.argv[1:]:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        for key in HEADLINE:
            print(f"{key:>14}: {out[key]}")
    sys.exit(0 if out["ok"] else 1)
