"""bench/scoring.py end to end: on a small generated CSV (fast, no data package), and once on
the real Caravan data, whose hold-out AUCs must land near the published ones."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "scoring.py"


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=timeout
    )


def test_scoring_bench_smoke_on_a_generated_csv(tmp_path: Path) -> None:
    rng = random.Random(11)
    path = tmp_path / "small.csv"
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["f1", "f2", "label"])
        for _ in range(1200):
            f1, f2 = rng.gauss(0, 1), rng.gauss(0, 1)
            out.writerow([f"{f1:.4f}", f"{f2:.4f}", int(rng.random() < (0.6 if f1 > 1 else 0.1))])
    done = run("--csv", str(path), "--target", "label", "--holdout-first", "300", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["dataset"] == "custom" and report["holdout_first"] == 300
    assert report["evaluate"]["rows"] == {"training": 900, "holdout": 300}
    assert set(report["auc"]) == {"logistic", "boosting"}
    assert all(value > 0.65 for value in report["auc"].values())
    assert report["chosen"] in report["auc"]
    assert report["wall_s"] > 0


def test_scoring_bench_on_caravan_reaches_the_published_range() -> None:
    done = run("--json", timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["evaluate"]["rows"] == {"training": 4822, "holdout": 1000}
    assert report["evaluate"]["features"] == 85  # the row-name column is not a feature
    assert report["auc"]["logistic"] > 0.72  # published: about 0.75
    assert report["auc"]["boosting"] > 0.77  # published: about 0.79
    chosen = report["evaluate"]["models"][report["chosen"]]
    assert chosen["brier"] < chosen["base_rate_brier"]


def test_scoring_bench_refuses_a_bad_holdout() -> None:
    done = run("--holdout-first", "0", "--json", timeout=60)
    assert done.returncode == 2
    assert "--holdout-first must be >= 1, got 0" in done.stderr
