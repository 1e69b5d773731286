"""bench/matching.py end to end, small: the JSON it prints has every figure the benchmark
reports, and every lead gets its matches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess
BENCH = Path(__file__).resolve().parents[2] / "bench" / "matching.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=120
    )


def test_matching_bench_smoke() -> None:
    done = run("--leads", "200", "--listings", "2000", "--seed", "3", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert (out["leads"], out["listings"], out["top"], out["seed"]) == (200, 2000, 5, 3)
    assert 0 < out["sendable_listings"] < 2000  # not Active or no IDX permission: left out
    assert out["matches"] == 200 * 5
    assert out["seconds"] > 0 and out["per_lead_ms"] > 0 and out["peak_mib"] > 0
    assert out["seconds"] >= out["index_seconds"]
    assert out["ok"] is True


def test_matching_bench_refuses_a_bad_count() -> None:
    done = run("--leads", "0", "--json")
    assert done.returncode == 2
    assert "--leads must be >= 1, got 0" in done.stderr


def test_matching_bench_with_saves_blends_and_times_the_store_reads() -> None:
    done = run(
        "--leads", "200", "--listings", "2000", "--saves-per-lead", "6", "--popular", "40",
        "--sqlite-events", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["matches"] == 200 * 5 and out["saves_per_lead"] == 6
    assert 0 < out["explained_matches"] <= out["matches"]  # picks with an also_saved reason
    assert out["events_stored"] == 200 * 6 * 4 + 50  # saves, three other kinds, 50 later saves
    assert out["cache_cold_seconds"] > 0 and out["cache_warm_ms"] > 0


def test_store_reads_need_saves() -> None:
    done = run("--sqlite-events", "--json")
    assert done.returncode == 2
    assert "--sqlite-events needs --saves-per-lead" in done.stderr
