"""bench/compose_eval.py end to end: it prints the figures docs/benchmarks.md reports for both
parts of the guardrails' evaluation set, and every tuning case gets the reviewer's verdict (the
held-out part is only measured, never asserted on)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "compose_eval.py"


def test_compose_eval_bench(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--json", "--show-tuning"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    tuning, held = out["tuning"], out["held_out"]
    assert tuning["wrong"] == [] and tuning["exact"] == tuning["cases"] == 50
    assert held["cases"] == 35 and "wrong" not in held
    assert set(held["checks"]) == {
        "segments",
        "length",
        "sender",
        "opt_out",
        "facts",
        "fair_housing",
    }
