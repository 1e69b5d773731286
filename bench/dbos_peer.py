"""The peer for bench/engine.py's steps figure: DBOS Transact on SQLite, durable steps/s.

N workflows of S no-op steps (``@DBOS.step()``) each, run one after another in one process (one
worker, no queue), with DBOS's system database in a fresh SQLite file. DBOS checkpoints each
step's output and each workflow's status in that database before going on, as leadflow commits
each step row; the figures are workflows/s and steps/s (steps = N x S) over the wall time of the
N workflows.

DBOS is not a leadflow dependency; run it from a scratch virtualenv::

    python3 -m venv /tmp/dbosvenv && /tmp/dbosvenv/bin/pip install dbos
    /tmp/dbosvenv/bin/python bench/dbos_peer.py --workflows 2000 --steps 5 --json [--wal]

DBOS keeps SQLite's defaults (a rollback journal, ``synchronous = FULL``: several fsyncs per
commit); leadflow runs SQLite in WAL mode with ``synchronous = NORMAL`` (a commit survives a crash
of the process, not always a power cut). ``--wal`` gives DBOS's connections leadflow's settings,
for the figure at equal durability.

Prints one JSON object with ``--json`` (a line of text otherwise).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def use_wal() -> None:
    """Every SQLite connection SQLAlchemy opens from now on: WAL, ``synchronous = NORMAL``."""
    import sqlalchemy  # type: ignore[import-not-found,unused-ignore]
    from sqlalchemy import event

    def pragmas(dbapi_conn: Any, _record: Any) -> None:
        if type(dbapi_conn).__module__.startswith("sqlite3"):
            dbapi_conn.execute("PRAGMA journal_mode = WAL").fetchall()
            dbapi_conn.execute("PRAGMA synchronous = NORMAL")

    event.listen(sqlalchemy.engine.Engine, "connect", pragmas)


def run(workflows: int, steps: int, directory: Path, wal: bool = False) -> dict[str, Any]:
    from dbos import DBOS, DBOSConfig  # type: ignore[import-not-found,unused-ignore]

    if wal:
        use_wal()
    db = directory / "dbos_peer.sqlite"
    config: DBOSConfig = {
        "name": "leadflow-dbos-peer",
        "system_database_url": f"sqlite:///{db}",
        "run_admin_server": False,
    }
    DBOS(config=config)

    @DBOS.step()
    def no_op(i: int) -> int:
        return i

    @DBOS.workflow()
    def flow(n: int) -> int:
        total = 0
        for i in range(n):
            total += no_op(i)
        return total

    DBOS.launch()
    try:
        flow(steps)  # warm-up: connections, the first statements
        t0 = time.perf_counter()
        for _ in range(workflows):
            flow(steps)
        wall = time.perf_counter() - t0
    finally:
        DBOS.destroy()
    import dbos

    return {
        "peer": "dbos",
        "dbos_version": getattr(dbos, "__version__", None) or _version("dbos"),
        "python": platform.python_version(),
        "sqlite": "wal, synchronous=NORMAL" if wal else "defaults",
        "workflows": workflows,
        "steps_per_workflow": steps,
        "wall_s": round(wall, 3),
        "workflows_per_s": round(workflows / wall, 1),
        "steps_per_s": round(workflows * steps / wall, 1),
    }


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workflows", type=int, default=2000, help="N workflows (default 2000)")
    parser.add_argument("--steps", type=int, default=5, help="no-op steps per workflow (5)")
    parser.add_argument("--wal", action="store_true", help="leadflow's SQLite settings")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # DBOS logs each launch and workflow at INFO
    with tempfile.TemporaryDirectory(prefix="dbos-peer-") as tmp:
        result = run(args.workflows, args.steps, Path(tmp), args.wal)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"DBOS {result['dbos_version']}: {result['workflows_per_s']} workflows/s, "
            f"{result['steps_per_s']} steps/s ({args.workflows} x {args.steps} steps)"
        )


if __name__ == "__main__":
    sys.exit(main())
