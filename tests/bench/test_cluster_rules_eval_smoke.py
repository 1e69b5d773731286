"""bench/cluster_rules_eval.py end to end, tiny: both modes report every figure
docs/benchmarks.md gives, the counts add up, and with k given each cluster's rule is measured
against its planted group."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "cluster_rules_eval.py"


def test_cluster_rules_eval_smoke() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--scenarios", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    for mode in ("auto", "given"):
        summary, scenarios = out[mode]["summary"], out[mode]["scenarios"]
        assert summary["scenarios"] == len(scenarios) == 2
        assert summary["clusters"] == sum(len(s["clusters"]) for s in scenarios)
        ruled = summary["clusters"] - summary["without_rule"]
        assert sum(summary["depths"].values()) == ruled
        for key in ("p_and_r_at_least_0.9_vs_cluster", "p_and_r_at_least_0.9_vs_group"):
            assert 0.0 <= summary[key] <= 1.0
    given = out["given"]["scenarios"]
    assert all(s["k"] == s["groups"] for s in given)
    measured = [c for s in given for c in s["clusters"] if "recall_vs_group" in c]
    assert measured and all(0.0 <= c["recall_vs_group"] <= 1.0 for c in measured)
