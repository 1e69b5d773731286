"""bench/compliance.py end to end, tiny: the JSON it prints has every figure docs/benchmarks.md
reports, no rule broken, and the target reached."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "compliance.py"


def test_compliance_bench_smoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/bench.db"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sends", "600", "--seed", "3", "--db", db, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["ok"] is True
    assert out["violations"] == {"window": 0, "opt_out": 0, "reply": 0, "budget": 0}
    assert out["sends"] >= out["target_sends"] == 600
    assert out["contacts"] > 0 and out["seed"] == 3
    assert out["wall_s"] > 0 and out["sends_per_s"] > 0 and out["virtual_days"] >= 13
    assert sum(out["deferrals_by_reason"].values()) > 0
    assert sum(out["suppressions_by_reason"].values()) > 0
    assert sum(out["runs_by_status"].values()) > 0
    assert (tmp_path / "bench.db").exists()  # the run used the database it was given


def test_compliance_bench_refuses_a_bad_target() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sends", "0", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--sends must be >= 1, got 0" in done.stderr
