"""Analytics benchmark: the time of each report over a database of synthetic history.

    python bench/analytics.py [--db sqlite:///PATH | postgresql://SERVER/DB] [--runs 20000]
                              [--events-per-run 10] [--deals 1000] [--seed 1]
                              [--reuse PATH-or-NAME] [--repeat 1] [--reports funnel,...] [--json]

Builds, with plain bulk INSERTs (not the engine: this measures reads), one tenant with
``--runs`` leads each run once through a five-node workflow (a text, a wait, an e-mail, a
branch, an exit) over 26 weeks: each run's steps and two messages (delivered; some opened,
clicked, replied), ``--events-per-run`` events per lead (lead.created, replies, opens,
appointments, page views) and ``--deals`` closed deals. Then times, through the same functions
the API calls: the workflow's funnel, a 26-week cohort grid, attribution of every deal in all
six models, agent performance. The issue's scale (1,000,000 runs, 10,000,000 events) is
``--runs 1000000``; it needs a quiet machine and about 10 GB of disk.

The build writes rows in bulk (SQLite: executemany in transactions of 50,000 leads with the
journal and fsync off, for the build only; PostgreSQL: COPY), with the tables' secondary
indexes dropped first and made again after. ``--reuse`` keeps the database for the next run
(a SQLite file, or a database of that name on the PostgreSQL server: without it the bench makes
``leadflow_bench_analytics_<pid>`` there and drops it at the end). The JSON carries the load
average before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leadflow.analytics.agents import agent_rows
from leadflow.analytics.attribution import attribute
from leadflow.analytics.cohorts import cohorts
from leadflow.analytics.filters import Filters
from leadflow.analytics.funnel import compute, report
from leadflow.model.deals import Deal, DealFilter
from leadflow.model.records import Scope
from leadflow.model.tenancy import Agent, Tenant
from leadflow.store.factory import open_store
from revision import commit

WEEK = 7 * 86400.0
START = 1_767_571_200.0  # Monday 2026-01-05
WORKFLOW = {
    "key": "bench",
    "name": "Bench",
    "triggers": [{"type": "event", "event": "lead.created"}],
    "start": "hello",
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hi", "next": "wait"},
        {"id": "wait", "kind": "wait", "duration": "1d", "next": "mail"},
        {"id": "mail", "kind": "send_email", "subject": "Homes", "body": "x", "next": "which"},
        {
            "id": "which",
            "kind": "branch",
            "default": "done",
            "cases": [
                {"when": {"field": "contact.state", "op": "eq", "value": "TX"}, "next": "done"}
            ],
        },
        {"id": "done", "kind": "exit", "reason": "done"},
    ],
}
AGENTS = [f"agent{i}" for i in range(20)]


def _rows(
    rng: random.Random, first: int, count: int, per_run: int
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of leads ``first + 1`` .. ``first + count`` (ids, contacts and keys global)."""
    out: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
    for i in range(first + 1, first + count + 1):
        cid = f"c{i}"
        t0 = START + rng.uniform(0, 26 * WEEK)
        owner = AGENTS[i % len(AGENTS)]
        state = "TX" if i % 3 == 0 else "CA"
        out["contacts"].append((cid, state, owner, '{"source": "web"}', t0, t0, "acme"))
        out["runs"].append(
            (i, "bench", 1, cid, "done", "exited", t0, t0 + 86400, t0 + 86400, "done")
        )
        outcome = "case:0" if state == "TX" else "default"
        for k, (node, kind, oc) in enumerate(
            [
                ("hello", "send_sms", "queued"),
                ("wait", "wait", "waiting"),
                ("wait", "wait", "timer"),
                ("mail", "send_email", "queued"),
                ("which", "branch", outcome),
                ("done", "exit", "exit:done"),
            ]
        ):
            out["steps"].append((i, node, kind, k + 1, 1, oc, t0 + k))
        replied = t0 + 3600 if rng.random() < 0.1 else None
        opened = t0 + 90000 if rng.random() < 0.3 else None
        out["messages"].append(
            (i, cid, "bench", "hello", "sms", f"k{i}a", t0, t0, "delivered", t0, t0 + 5,
             None, None, replied)
        )  # fmt: skip
        out["messages"].append(
            (i, cid, "bench", "mail", "email", f"k{i}b", t0 + 86400, t0, "delivered",
             t0 + 86400, t0 + 86405, opened, None, None)
        )  # fmt: skip
        kinds = ["lead.created"] + ["page.viewed"] * (per_run - 1)
        if replied:
            kinds[1 % per_run] = "sms.received"
        if rng.random() < 0.05 and per_run > 2:
            kinds[2] = "appointment.booked"
        for j, kind in enumerate(kinds):
            out["events"].append((kind, cid, "{}", f"e{i}:{j}", t0 + j * 3600, t0, t0))
    return out


COLUMNS = {
    "contacts": ("id", "state", "owner", "fields", "created_at", "updated_at", "tenant_id"),
    "runs": ("id", "workflow_key", "version", "contact_id", "node", "status", "created_at",
             "updated_at", "ended_at", "exit_reason"),
    "steps": ("run_id", "node", "kind", "step_seq", "attempt", "outcome", "started_at"),
    "messages": ("run_id", "contact_id", "workflow_key", "node", "channel", "idempotency_key",
                 "due_at", "created_at", "status", "sent_at", "delivered_at", "opened_at",
                 "clicked_at", "replied_at"),
    "events": ("type", "contact_id", "data", "dedupe_key", "occurred_at", "created_at",
               "processed_at"),
}  # fmt: skip
TABLES = tuple(COLUMNS)
CHUNK = 50_000  # leads per batch of rows


def _deals(rng: random.Random, runs: int, deals: int) -> list[Deal]:
    return [
        Deal(
            "acme",
            f"D{i}",
            "buy",
            rng.randint(100_000, 900_000) * 100,
            "2026-06-01",
            START + rng.uniform(4, 30) * WEEK,
            contact_id=f"c{rng.randint(1, runs)}",
            agent_key=rng.choice(AGENTS),
            commission=rng.randint(3_000, 27_000) * 100,
        )
        for i in range(deals)
    ]


def build(url: str, runs: int, per_run: int, deals: int, seed: int) -> float:
    """The database (schema by the store, rows in bulk with the tables' secondary indexes
    dropped and made again after); returns the seconds it took."""
    started = time.perf_counter()
    store = open_store(url, check_schema=False)
    store.upgrade()
    store.create_tenant(Tenant("acme", "Acme"), START)
    store.upsert_agents([Agent("acme", a, None) for a in AGENTS], START)
    store.publish_workflow("bench", "Bench", WORKFLOW, START, tenant_id="acme")
    store.close()
    rng = random.Random(seed)
    batches = (
        _rows(rng, first, min(CHUNK, runs - first), per_run) for first in range(0, runs, CHUNK)
    )
    if url.startswith("sqlite"):
        _load_sqlite(url.split(":///", 1)[1], batches)
    else:
        _load_postgres(url, batches)
    store = open_store(url)
    store.save_deals(_deals(rng, runs, deals), START + 30 * WEEK)
    store.close()
    return time.perf_counter() - started


def _load_sqlite(path: str, batches: Iterator[dict[str, list[tuple[Any, ...]]]]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # the build only: a crash means build again
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1048576")
        marks = ", ".join("?" * len(TABLES))
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            TABLES,
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for rows in batches:
            conn.execute("BEGIN")
            for table, cols in COLUMNS.items():
                text = (
                    f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                )
                conn.executemany(text, rows[table])
            conn.execute("COMMIT")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def _load_postgres(url: str, batches: Iterator[dict[str, list[tuple[Any, ...]]]]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        indexes = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
            "current_schema() AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM "
            "pg_constraint k WHERE k.conname = i.indexname)",
            (list(TABLES),),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for rows in batches:
            with conn.transaction(), conn.cursor() as cur:
                for table, cols in COLUMNS.items():
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows[table]:
                            copy.write_row(row)
        for _, sql in indexes:
            conn.execute(sql)
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")  # what autovacuum does after a bulk load
        conn.execute("SELECT setval(pg_get_serial_sequence('runs', 'id'), max(id)) FROM runs")


def timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


REPORTS = ("funnel", "cohorts", "attribution", "agents")


def _reports(store: Any, repeat: int, wanted: tuple[str, ...]) -> dict[str, Any]:
    """Each wanted report run ``repeat`` times: its times (the first, and the best) and value."""
    scope, now = Scope("acme"), START + 30 * WEEK

    def attribution() -> Any:
        deals = store.list_deals(DealFilter("acme", limit=1 << 62))
        msgs: dict[str, list[Any]] = {}
        for m in store.messages_of_contacts({d.contact_id for d in deals if d.contact_id}):
            msgs.setdefault(m.contact_id or "", []).append(m)
        return attribute(deals, msgs)

    jobs = {
        "funnel": lambda: report(compute(store, scope, "bench", Filters())),
        "cohorts": lambda: cohorts(
            store, scope, "bench", Filters(), now, goals=["appointment.booked"], weeks=26
        ),
        "attribution": attribution,
        "agents": lambda: agent_rows(store, scope, Filters()),
    }
    out: dict[str, Any] = {}
    for name in wanted:
        times = []
        for _ in range(repeat):
            seconds, value = timed(jobs[name])
            times.append(seconds)
        out[name] = (times, value)
    return out


def _postgres_database(server: str, name: str, fresh: bool) -> tuple[str, bool]:
    """The URL of database ``name`` on the server of ``server`` (made, or made again when
    ``fresh``), and whether it already held a build."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not found or fresh:
            conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = server.partition("?")[0].rpartition("/")
    return f"{head}/{name}", bool(found and not fresh)


def _drop_postgres(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _built(url: str) -> tuple[int, int] | None:
    """(runs, events) of a bench database already built at ``url`` (brought to the latest
    schema first), or None when it holds no runs."""
    store = open_store(url, check_schema=False)
    try:
        store.upgrade()
        with store._read() as conn:  # type: ignore[attr-defined]  # bench only
            runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
            events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        store.close()
    return (int(runs), int(events)) if runs else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--db",
        default=None,
        help="sqlite:///PATH, or a PostgreSQL server URL (the bench makes its own database "
        "there, see --reuse); default: a SQLite file in a temporary folder",
    )
    ap.add_argument("--runs", type=int, default=20_000)
    ap.add_argument("--events-per-run", type=int, default=10)
    ap.add_argument("--deals", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--reuse",
        default=None,
        help="keep the built database for the next run: a SQLite file PATH (built when "
        "missing), or with a postgresql --db the name of the bench's database there",
    )
    ap.add_argument("--repeat", type=int, default=1, help="time each report this many times")
    ap.add_argument("--reports", default=",".join(REPORTS), help="which, comma-separated")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for name in ("runs", "events_per_run", "deals", "repeat"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    wanted = tuple(r for r in args.reports.split(",") if r)
    if not wanted or set(wanted) - set(REPORTS):
        ap.error(f"--reports: any of {', '.join(REPORTS)}")
    postgres = bool(args.db) and args.db.startswith("postgres")
    pg_name = args.reuse or f"leadflow_bench_analytics_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        if postgres:
            url, _ = _postgres_database(args.db, pg_name, fresh=args.reuse is None)
        elif args.reuse:
            url = f"sqlite:///{Path(args.reuse).resolve()}"
        else:
            url = args.db or f"sqlite:///{Path(tmp) / 'analytics.db'}"
        load_before = os.getloadavg()
        try:
            found = _built(url) if args.reuse else None
            expected = (args.runs, args.runs * args.events_per_run)
            if found is not None and found != expected:
                ap.error(f"--reuse {args.reuse}: built with {found[0]} runs and {found[1]} events")
            build_s = (
                0.0 if found else build(url, args.runs, args.events_per_run, args.deals, args.seed)
            )
            store = open_store(url)
            try:
                # The funnel's per-run summary (migration 0220) of the runs the build wrote:
                # made once here, timed apart (the engine's periodic fold does it in service).
                fold = getattr(store, "fold_run_facts", None)
                fold_s, folded = timed(fold) if fold is not None else (0.0, 0)
                done = _reports(store, args.repeat, wanted)
            finally:
                store.close()
        finally:
            if postgres and args.reuse is None:
                _drop_postgres(args.db, pg_name)
    names = {"cohorts": "cohorts_26w", "attribution": "attribution_6_models"}
    out: dict[str, Any] = {
        "commit": commit(),
        "machine": platform.machine(),
        "backend": url.split(":", 1)[0],
        "runs": args.runs,
        "events": args.runs * args.events_per_run,
        "deals": args.deals,
        "build_seconds": round(build_s, 2),
        "reused": bool(found),
        "load_before": [round(x, 2) for x in load_before],
        "fold_seconds": round(fold_s, 2),
        "folded_runs": folded,
    }
    for name, (times, _) in done.items():
        out[f"{names.get(name, name)}_seconds"] = round(times[0], 3)
        if args.repeat > 1:
            out[f"{names.get(name, name)}_best_seconds"] = round(min(times), 3)
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    ok = True
    if "funnel" in done:
        out["funnel_entered"] = done["funnel"][1]["entered"]
        ok = ok and out["funnel_entered"] == args.runs
    if "cohorts" in done:
        out["cohort_rows"] = len(done["cohorts"][1]["rows"])
    if "attribution" in done:
        credit = done["attribution"][1]
        out["credit_sums_exact"] = all(
            sum(v.values()) == credit.total for v in credit.credits.values()
        )
        ok = ok and out["credit_sums_exact"]
    if "agents" in done:
        out["agents"] = len(done["agents"][1])
    out["ok"] = ok
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:32} {value}")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
