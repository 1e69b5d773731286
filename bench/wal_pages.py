"""What the engine's SQLite writes cost: the worker phase's CPU and I/O, and the pages it writes.

    python bench/wal_pages.py [--runs 3000] [--json]

Runs the steps phase of ``bench/engine.py`` (W runs of 10 steps, one in-process worker, a fresh
SQLite file) with WAL checkpoints off, so that every page the phase commits stays in the WAL as
one frame; a reader opened just before the phase holds the WAL until it is read. Reports:

* ``frames_per_run``: WAL frames (pages of 4 KiB) written per run, and the same split by the
  b-tree each page belongs to (a table or an index, read from SQLite's ``dbstat``);
* ``user_s`` / ``sys_s`` / ``written_mb``: CPU and bytes written by the process during the
  worker phase (``getrusage``, ``/proc/self/io``), with checkpoints off.

Frames and bytes are counts, not times: two runs of the same code give the same figures, so an
index or a statement that writes more pages per run shows up whatever the machine's load.
Linux only (``/proc/self/io``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import runpy
import sqlite3
import struct
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from leadflow.engine.worker import Worker

HERE = Path(__file__).resolve().parent
WAL_HEADER = 32
FRAME_HEADER = 24


def io_counters() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/io").read_text().splitlines():
        key, value = line.split(":")
        out[key] = int(value)
    return out


def wal_frames(wal: Path) -> tuple[Counter[int], int, int]:
    """Frames per page number, commits, and the page size of a WAL file."""
    data = wal.read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    frames: Counter[int] = Counter()
    commits = 0
    offset = WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(data):
        page, db_size = struct.unpack(">II", data[offset : offset + 8])
        frames[page] += 1
        commits += db_size != 0  # a commit frame holds the database's size after it
        offset += FRAME_HEADER + page_size
    return frames, commits, page_size


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3000)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    connect = sqlite3.connect

    def no_checkpoints(*a: Any, **k: Any) -> sqlite3.Connection:
        conn = connect(*a, **k)
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        return conn

    sqlite3.connect = no_checkpoints  # type: ignore[assignment]
    engine = runpy.run_path(str(HERE / "engine.py"))
    path = Path(tempfile.mkdtemp()) / "steps.db"
    held: list[sqlite3.Connection] = []
    usage: dict[str, float] = {}
    run = Worker.run

    def measured(self: Worker, *a: Any, **k: Any) -> Any:
        reader = connect(path)
        reader.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the set-up's pages out of the WAL
        held.append(reader)  # a reader keeps the WAL when the store closes
        r0, i0, t0 = resource.getrusage(resource.RUSAGE_SELF), io_counters(), time.perf_counter()
        try:
            return run(self, *a, **k)
        finally:
            r1, i1 = resource.getrusage(resource.RUSAGE_SELF), io_counters()
            usage.update(
                wall_s=round(time.perf_counter() - t0, 3),
                user_s=round(r1.ru_utime - r0.ru_utime, 3),
                sys_s=round(r1.ru_stime - r0.ru_stime, 3),
                written_mb=round((i1["wchar"] - i0["wchar"]) / 1e6, 1),
                write_calls=i1["syscw"] - i0["syscw"],
            )

    Worker.run = measured  # type: ignore[method-assign]
    out = engine["bench_steps"](f"sqlite:///{path}", args.runs, 10, 1)
    frames, commits, page_size = wal_frames(Path(f"{path}-wal"))
    names = dict(held[0].execute("SELECT pageno, name FROM dbstat").fetchall())
    by_btree: Counter[str] = Counter()
    for page, n in frames.items():
        by_btree[names.get(page, "(free or overflow)")] += n
    total = sum(frames.values())
    result = {
        "runs": args.runs,
        "steps_per_s": out["steps_per_s"],
        **usage,
        "commits": commits,
        "page_size": page_size,
        "frames": total,
        "frames_per_run": round(total / args.runs, 2),
        "frames_per_run_by_btree": {
            name: round(n / args.runs, 2) for name, n in by_btree.most_common()
        },
    }
    held[0].close()
    os.remove(path)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['frames_per_run']} frames per run, {commits} commits")
        for name, n in result["frames_per_run_by_btree"].items():
            print(f"  {n:6.2f}  {name}")
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
