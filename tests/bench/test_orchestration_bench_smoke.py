"""bench/orchestration.py end to end on a small batch: every task finished, with and without
the loopback model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "orchestration.py"


@pytest.mark.parametrize("extra", [[], ["--model-delay", "0.01"]])
def test_orchestration_bench_finishes_every_task(extra: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["PYTHONPATH"] = str(BENCH.parents[1] / "src")
    done = subprocess.run(
        [sys.executable, str(BENCH), "--tasks", "60", "--json", *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["tasks"] == report["finished"] == 60
    assert report["tasks_per_s"] > 0
    assert (report["model_delay_s"] is not None) == bool(extra)
