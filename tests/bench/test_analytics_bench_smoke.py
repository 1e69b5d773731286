"""bench/analytics.py end to end, small: every report is timed, the funnel counts every run and
the attribution credits sum exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "analytics.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300
    )


def test_analytics_bench_smoke() -> None:
    done = run("--runs", "300", "--events-per-run", "4", "--deals", "50", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert (out["runs"], out["events"], out["deals"]) == (300, 1200, 50)
    assert out["funnel_entered"] == 300 and out["credit_sums_exact"] is True
    assert out["agents"] == 20 and out["cohort_rows"] >= 20
    for key in ("funnel", "cohorts_26w", "attribution_6_models", "agents"):
        assert out[f"{key}_seconds"] > 0
    assert out["ok"] is True


def test_analytics_bench_refuses_a_bad_count() -> None:
    done = run("--runs", "0")
    assert done.returncode == 2 and "--runs must be >= 1, got 0" in done.stderr
