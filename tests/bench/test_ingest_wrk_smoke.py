"""bench/ingest_wrk.py end to end, short: the real ``leadflow serve`` and a bare FastAPI app
driven by wrk in turn; every answer a 2xx and every accepted event stored. Skipped where wrk
is not installed (Debian: ``apt-get install wrk``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
]
BENCH = Path(__file__).resolve().parents[2] / "bench" / "ingest_wrk.py"


def test_ingest_wrk_smoke() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--rounds",
            "1",
            "--duration",
            "1",
            "--warmup",
            "1",
            "--connections",
            "4",
            "--contacts",
            "20",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["ok"] is True and out["non_2xx"] == 0
    assert out["events_accepted"] > 0 and out["events_stored"] >= out["events_accepted"]
    assert out["bare_rps"] > 0 and out["leadflow_events_per_s"] > 0
