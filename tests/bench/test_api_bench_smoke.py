"""bench/api.py end to end, small: a real ``leadflow serve`` on a fresh SQLite file, 200 single
events and one batch of 500; every request answered 2xx and every event stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "api.py"


def test_api_bench_smoke() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--requests",
            "200",
            "--warmup",
            "50",
            "--batches",
            "1",
            "--batch-size",
            "500",
            "--contacts",
            "50",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["ok"] is True
    assert out["errors"] == 0 and out["duplicates"] == 0
    assert out["events_sent"] == out["events_stored"] == 50 + 200 + 500
    for phase in ("single", "batch"):
        for key in ("events_per_s", "p50_ms", "p90_ms", "p99_ms", "errors"):
            assert key in out[phase], (phase, key)
        assert out[phase]["errors"] == 0
        assert out[phase]["events_per_s"] > 0
    assert out["rate_limit_per_minute"] == 0
