"""bench/rules.py end to end on a small stream: it runs, every event is processed, rules fire,
and the figures it prints are the ones it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "rules.py"


def test_rules_bench_smoke() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--events", "800", "--contacts", "200", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    w, n = out["with_rules"], out["without_rules"]
    assert out["rules"] == 50 and w["events"] == n["events"] == 800
    assert 0 < w["firings"] < 800 * 50
    assert w["rules_events"] == w["processed"] > 800  # the stream and what the rules emitted
    assert abs(w["rules_events_per_s"] * w["rules_s"] / w["rules_events"] - 1) < 0.05
    assert w["rules_s"] < w["worker_s"]
