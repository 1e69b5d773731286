"""bench/insights_truth.py and bench/forecast_coverage.py end to end on a few seeds: they run,
and the figures they print add up to what they measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *args, "--json"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done


def test_insights_truth_bench_smoke() -> None:
    done = _run(str(BENCH / "insights_truth.py"), "--seeds", "2", "--leads", "400")
    out = json.loads(done.stdout)
    lines = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    assert [x["seed"] for x in lines] == [1, 2] and out["seeds"] == 2
    assert out["planted_found"]["share"] == sum(x["planted_found"] for x in lines) / 2 == 1.0
    assert out["aa_any_claim"]["share"] == sum(bool(x["aa_claims"]) for x in lines) / 2
    assert out["aa_hypotheses_per_report"] == {"8": 2}  # arms, two messages, six sources


def test_forecast_coverage_bench_smoke() -> None:
    out = json.loads(_run(str(BENCH / "forecast_coverage.py"), "--limit", "2").stdout)
    for name in ("tuning", "held-out"):
        got = out[name]
        assert got["series"] == 2 and got["weeks"] == 8
        assert got["coverage80"] <= got["coverage95"] and got["mae"] >= 0
        assert got["relative_width80"] < got["relative_width95"]
