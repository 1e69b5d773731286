"""``leadflow db copy`` throughput: a demo installation (N leads over D virtual days) made in a
fresh SQLite file by ``leadflow demo``, then copied into a fresh PostgreSQL database; prints the
rows, tables, seconds and rows per second (the copy only, the demo is not timed).

    .venv/bin/python bench/db_copy.py --leads 2000 --days 5 --json
    .venv/bin/python bench/db_copy.py --pg postgresql://postgres@127.0.0.1/test --batch-size 500

The PostgreSQL database ``leadflow_bench_copy_<pid>`` is created on the server of ``--pg`` and
dropped at the end, even on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from leadflow.store.copy import copy_database

LEADFLOW = Path(sys.executable).with_name("leadflow")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--days", type=float, default=5)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    name = f"leadflow_bench_copy_{os.getpid()}"
    parts = urlsplit(args.pg)
    target = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    with tempfile.TemporaryDirectory() as tmp:
        source = f"sqlite:///{Path(tmp) / 'demo.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
        started = time.monotonic()
        subprocess.run(
            [str(LEADFLOW), "demo", "--leads", str(args.leads), "--days", str(args.days),
             "--db", source, "--json"],
            check=True, capture_output=True, env=env, cwd=tmp,
        )  # fmt: skip
        print(f"demo made in {time.monotonic() - started:.1f} s", file=sys.stderr)
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            started = time.monotonic()
            report = copy_database(source, target, batch_size=args.batch_size)
            seconds = time.monotonic() - started
        finally:
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result = {
        "leads": args.leads,
        "days": args.days,
        "batch_size": args.batch_size,
        "tables": len(report.tables),
        "rows": report.rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(report.rows / seconds) if seconds else None,
        "largest": sorted(((t.table, t.target_rows) for t in report.tables), key=lambda x: -x[1])[
            :5
        ],
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
