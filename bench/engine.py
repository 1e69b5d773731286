"""Engine benchmark: steps/s, enroll/s, a million waiting runs' memory, timer lag.

    python bench/engine.py [--db URL] [--runs W] [--steps S] [--workers N] [--waiting M] --json

Phases (see bench/README.md for what each measures and why):

1. **steps**: W contacts (New York time, virtual start 12:00 local, so quiet hours never defer a
   text) enrolled in a workflow of S durable steps alternating ``send_sms`` and ``wait 1m``; a
   virtual-clock worker (in-process for N=1, N ``leadflow worker --virtual-clock`` processes
   otherwise) runs until nothing is left. ``steps_per_s`` = step rows committed / wall time.
2. **enroll**: M contacts inserted (``upsert_contacts`` in chunks), then ``enroll --all`` into a
   workflow whose first node is ``wait 1d``; ``enroll_per_s`` = runs created / wall time.
3. **waiting**: the worker moves all M runs into their wait; RSS is read while they wait.
4. **timer lag**: with the real clock, part of the waiting contacts enter a ``wait 1h`` whose
   timers come due spread evenly over ``--lag-spread`` seconds of wall time; an in-process worker
   (poll 0.05 s) fires them; lag = ``started_at - due_at`` of each ``timer`` step.

Prints one JSON object with ``--json`` (progress goes to stderr); a short table otherwise.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from leadflow.clock import RealClock, VirtualClock
from leadflow.engine.worker import VIRTUAL_NOW, Worker
from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import Contact, EnrollRequest
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.store.factory import open_store
from leadflow.store.sqlite import path_from_url

# Virtual starts. 17:00 UTC on a January Monday is 12:00 in New York (every contact's zone), so a
# run of S steps with 1-minute waits never meets quiet hours (8:00-21:00). Far in the future
# because `leadflow worker --virtual-clock` starts at max(saved virtual_now, wall clock).
STEPS_START = datetime(2099, 1, 5, 17, 0, tzinfo=UTC).timestamp()
WAIT_START = STEPS_START + 86400.0  # the waiting phase: after phase 1 even on a shared database
ZONE = "America/New_York"
CHUNK = 50_000  # contacts per upsert transaction
LAG_WAIT_S = 3600.0  # the lag workflow's wait
LAG_BATCH = 50  # runs per setup tick: the timers come due in groups of this size
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def rss_now_mb() -> float:
    """Current resident set size (VmRSS) in MiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - not Linux


def rss_peak_mb() -> float:
    """Peak resident set size of this process in MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rate(count: float, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def steps_workflow(steps: int) -> dict[str, Any]:
    """S nodes alternating send_sms and wait 1m (sms first); the run completes after the last."""
    nodes: list[dict[str, Any]] = []
    for i in range(steps):
        node: dict[str, Any]
        if i % 2 == 0:
            node = {"id": f"sms_{i}", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"}
        else:
            node = {"id": f"wait_{i}", "kind": "wait", "duration": "1m"}
        nodes.append(node)
    for here, there in itertools.pairwise(nodes):
        here["next"] = there["id"]
    return {"key": "bench-steps", "name": "Bench steps", "start": nodes[0]["id"], "nodes": nodes}


WAIT_WORKFLOW: dict[str, Any] = {
    "key": "bench-wait",
    "name": "Bench wait",
    "start": "hold",
    "nodes": [
        {"id": "hold", "kind": "wait", "duration": "1d", "next": "nudge"},
        {"id": "nudge", "kind": "send_sms", "body": "Still looking, {{ contact.first_name }}?"},
    ],
}
LAG_WORKFLOW: dict[str, Any] = {
    "key": "bench-lag",
    "name": "Bench timer lag",
    "start": "tick",
    "nodes": [{"id": "tick", "kind": "wait", "duration": "1h"}],
}


def contacts(prefix: str, start: int, count: int, now: float) -> list[Contact]:
    """Plain valid contacts, cheap to make by the million."""
    return [
        Contact(
            id=f"{prefix}{i:07d}",
            first_name="Lee",
            last_name="Doe",
            email=f"{prefix}{i}@example.com",
            phone=f"+1212555{i % 10000:04d}",
            time_zone=ZONE,
            state="NY",
            stage="new",
            consent={"sms": "opted_in", "email": "opted_in"},
            created_at=now,
            updated_at=now,
        )
        for i in range(start, start + count)
    ]


def insert_contacts(rt: Runtime, prefix: str, count: int, now: float) -> float:
    """Upsert ``count`` contacts in chunks; return the seconds spent in the store."""
    spent = 0.0
    for start in range(0, count, CHUNK):
        batch = contacts(prefix, start, min(CHUNK, count - start), now)
        t0 = time.perf_counter()
        rt.store.upsert_contacts(batch, now)
        spent += time.perf_counter() - t0
    return spent


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


class Probe:
    """Read-only counts straight from the database (a second connection; SQLite or PostgreSQL,
    queries written with ``?`` placeholders)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pg = is_postgres(url)
        self.path = "" if self.pg else path_from_url(url)

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        if self.pg:
            import psycopg

            pg = psycopg.connect(self.url, autocommit=True)
            try:
                yield pg
            finally:
                pg.close()
            return
        conn = sqlite3.connect(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.pg else sql

    def one(self, sql: str, *params: Any) -> Any:
        with self._conn() as conn:
            return conn.execute(self._sql(sql), params).fetchone()[0]

    def rows(self, sql: str, *params: Any) -> dict[Any, Any]:
        with self._conn() as conn:
            return dict(conn.execute(self._sql(sql), params).fetchall())

    def count(self, table: str) -> int:
        return int(self.one(f"SELECT count(*) FROM {table}"))

    def max_id(self, table: str) -> int:
        return int(self.one(f"SELECT coalesce(max(id), 0) FROM {table}"))

    def lags(self, workflow_key: str, since_step: int) -> list[float]:
        with self._conn() as conn:
            return [
                float(r[0])
                for r in conn.execute(
                    self._sql(
                        "SELECT s.started_at - s.due_at FROM steps s "
                        "JOIN runs r ON r.id = s.run_id "
                        "WHERE s.id > ? AND s.outcome = 'timer' AND r.workflow_key = ?"
                    ),
                    (since_step, workflow_key),
                )
            ]


def fresh_runtime(url: str, clock: VirtualClock | RealClock, **settings: Any) -> Runtime:
    store = open_store(url, check_schema=False)
    store.upgrade()
    return build_runtime(Settings(db=url, **settings), store=store, clock=clock, seed=1)


@dataclass
class Timings:
    """Wall time spent in each part of the worker loop."""

    parts: dict[str, float] = field(default_factory=dict)

    def wrap(self, obj: object, method: str, name: str) -> None:
        inner: Callable[[float], int] = getattr(obj, method)

        def timed(now: float) -> int:
            t0 = time.perf_counter()
            try:
                return inner(now)
            finally:
                self.parts[name] = self.parts.get(name, 0.0) + time.perf_counter() - t0

        setattr(obj, method, timed)

    def instrument(self, worker: Worker) -> None:
        self.wrap(worker.events, "process_due", "events")
        self.wrap(worker.advancer, "advance_due", "advance")
        self.wrap(worker.dispatcher, "dispatch_due", "dispatch")
        self.wrap(worker.scheduler, "fire_due", "schedules")


def leadflow_command() -> list[str]:
    script = Path(sys.executable).parent / "leadflow"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from leadflow.cli.app import main; main()"]


def run_cli_workers(url: str, n: int) -> tuple[float, list[dict[str, Any]]]:
    """N ``leadflow worker --virtual-clock`` processes on one database; wall time until all
    exit, and their JSON summaries."""
    cmd = [*leadflow_command(), "worker", "--virtual-clock", "--db", url, "--json"]
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    summaries: list[dict[str, Any]] = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"worker failed ({proc.returncode}): {err}")
        summaries.append(json.loads(out))
    return time.perf_counter() - t0, summaries


# ------------------------------------------------------------------------------- phase 1: steps
def bench_steps(url: str, runs: int, steps: int, workers: int) -> dict[str, Any]:
    probe = Probe(url)
    clock = VirtualClock(STEPS_START)
    rt = fresh_runtime(url, clock)
    try:
        publish(rt.store, rt.engine.catalog, steps_workflow(steps), STEPS_START)
        insert_contacts(rt, "s", runs, STEPS_START)
        ids = [c.id for c in contacts("s", 0, runs, STEPS_START)]
        t0 = time.perf_counter()
        enrolled = enroll(rt.store, rt.engine.catalog, "bench-steps", STEPS_START, contact_ids=ids)
        enroll_s = time.perf_counter() - t0
        steps_before, msgs_before = probe.count("steps"), probe.count("messages")
        events_before = probe.count("events")
        out: dict[str, Any] = {"enrolled": enrolled.created}
        log(f"steps: {enrolled.created} runs of {steps} steps, {workers} worker(s)")
        if workers == 1:
            timings = Timings()
            worker = rt.worker("bench-1")
            timings.instrument(worker)
            t0 = time.perf_counter()
            stats = worker.run(virtual=True)
            wall = time.perf_counter() - t0
            advances, dispatched, events = stats.runs, stats.messages, stats.events
            out["breakdown_s"] = {k: round(v, 3) for k, v in timings.parts.items()}
            out["conflicts"] = worker.advancer.conflicts
        else:
            rt.store.set_meta(VIRTUAL_NOW, repr(STEPS_START))
            rt.store.close()
            wall, summaries = run_cli_workers(url, workers)
            advances = sum(s["runs_advanced"] for s in summaries)
            dispatched = sum(s["messages_dispatched"] for s in summaries)
            events = sum(s["events"] for s in summaries)
            startup, _ = run_cli_workers(url, 1)  # nothing left: start-up and exit only
            out["worker_startup_s"] = round(startup, 3)
            out["steps_per_s_startup_excluded"] = rate(
                probe.count("steps") - steps_before, wall - startup
            )
    finally:
        rt.close()
    step_rows = probe.count("steps") - steps_before
    messages = probe.count("messages") - msgs_before
    statuses = probe.rows(
        "SELECT status, count(*) FROM runs WHERE workflow_key = 'bench-steps' GROUP BY status"
    )
    deferred = probe.one(
        "SELECT count(*) FROM steps WHERE id > ? AND outcome LIKE ?", steps_before, "deferred%"
    )
    delivered = probe.one(
        "SELECT count(*) FROM messages WHERE workflow_key = 'bench-steps' AND status = 'delivered'"
    )
    expected_advances = enrolled.created * (1 + steps // 2)  # enter, then once per wait
    return out | {
        "steps_per_s": rate(step_rows, wall),
        "advances_per_s": rate(advances, wall),
        "messages_per_s": rate(dispatched, wall),
        "events_per_s": rate(events, wall),
        "worker_phase_s": round(wall, 3),
        "step_rows": step_rows,
        "advances": advances,
        "wasted_advances": advances - expected_advances,  # claims redone (seq conflicts)
        "messages": messages,
        "messages_delivered": delivered,
        "events": probe.count("events") - events_before,
        "deferred_steps": deferred,
        "run_statuses": dict(statuses),
        "steps_enroll_s": round(enroll_s, 3),
    }


# ---------------------------------------------------------------- phases 2-4: enroll, wait, lag
def bench_waiting(url: str, waiting: int, lag_runs: int, lag_spread: float) -> dict[str, Any]:
    probe = Probe(url)
    clock = VirtualClock(WAIT_START)
    rt = fresh_runtime(url, clock)
    out: dict[str, Any] = {}
    try:
        publish(rt.store, rt.engine.catalog, WAIT_WORKFLOW, WAIT_START)
        log(f"waiting: inserting {waiting} contacts")
        spent = insert_contacts(rt, "w", waiting, WAIT_START)
        out["contacts_insert_per_s"] = rate(waiting, spent)
        out["rss_after_insert_mb"] = round(rss_now_mb(), 1)

        log("enroll: enroll --all into a workflow starting with wait 1d")
        t0 = time.perf_counter()
        enrolled = enroll(rt.store, rt.engine.catalog, "bench-wait", WAIT_START, everyone=True)
        enroll_s = time.perf_counter() - t0
        out |= {
            "enroll_per_s": rate(enrolled.created, enroll_s),
            "enroll_s": round(enroll_s, 3),
            "enrolled": enrolled.created,
        }

        log(f"waiting: advancing {enrolled.created} runs into their wait")
        worker = rt.worker("bench-wait")
        t0 = time.perf_counter()
        stats = worker.run(virtual=True, until=WAIT_START + 3600)
        entry_s = time.perf_counter() - t0
        waiting_now = probe.one(
            "SELECT count(*) FROM runs WHERE workflow_key = 'bench-wait' AND status = 'waiting'"
        )
        t0 = time.perf_counter()
        idle = worker.tick(WAIT_START + 3600)
        idle_tick = time.perf_counter() - t0
        out |= {
            "wait_entry_per_s": rate(stats.runs, entry_s),
            "wait_entry_s": round(entry_s, 3),
            "waiting_runs": waiting_now,
            "idle_tick_ms": round(idle_tick * 1000, 3) if idle == 0 else None,
            "rss_waiting_mb": round(rss_now_mb(), 1),
            "peak_rss_waiting_mb": round(rss_peak_mb(), 1),
        }
        log(f"waiting: {waiting_now} runs waiting, RSS {out['rss_waiting_mb']} MiB")
    finally:
        rt.close()
    if lag_runs > 0:
        out |= bench_lag(url, min(lag_runs, waiting), lag_spread, out["wait_entry_per_s"])
    return out


def bench_lag(url: str, n: int, spread: float, entry_rate: float) -> dict[str, Any]:
    """Timers of ``n`` runs come due evenly over ``spread`` seconds of wall time; a real-clock
    worker fires them. Each run is first moved into its wait by hand-driven ticks of the
    advancer at chosen moments ``now_i`` so that its timer is due at ``now_i + 1h``."""
    probe = Probe(url)
    rt = build_runtime(Settings(db=url, poll_s=0.05, batch=LAG_BATCH), clock=RealClock(), seed=2)
    try:
        publish(rt.store, rt.engine.catalog, LAG_WORKFLOW, time.time())
        ids = [c.id for c in contacts("w", 0, n, 0.0)]
        enrolled_at = time.time() - 2 * LAG_WAIT_S  # due at every setup tick below
        requests = [EnrollRequest("bench-lag", 1, cid, "tick") for cid in ids]
        wf = rt.engine.catalog.latest("default", "bench-lag")
        for req in requests:
            req.version = wf.version
        created = rt.store.enroll(requests, enrolled_at).created
        ticks = math.ceil(created / LAG_BATCH)
        # Time to move them into the wait, from the waiting phase's rate (smaller batches here).
        estimate = created / max(entry_rate, 500.0) * 3 + 2.0
        first_due = time.time() + estimate
        log(f"lag: {created} timers due over {spread:g}s starting in {estimate:.1f}s")
        setup = rt.worker("bench-lag-setup").advancer
        for i in range(ticks):
            setup.advance_due(first_due - LAG_WAIT_S + spread * i / ticks)
        headroom = first_due - time.time()
        since = probe.max_id("steps")
        worker = rt.worker("bench-lag")
        stop = threading.Event()

        def all_fired(now: float) -> int:
            if worker.stats.runs >= created:
                stop.set()  # this pass still ticks once, then the loop ends
            return 0

        t0 = time.perf_counter()
        worker.run(stop=stop, before_tick=all_fired)
        wall = time.perf_counter() - t0
    finally:
        rt.close()
    lags = sorted(probe.lags("bench-lag", since))
    q = statistics.quantiles(lags, n=100, method="inclusive") if len(lags) > 1 else lags * 99
    return {
        "timer_lag_p50_s": round(q[49], 4),
        "timer_lag_p99_s": round(q[98], 4),
        "timer_lag_max_s": round(lags[-1], 4) if lags else None,
        "timer_lag_min_s": round(lags[0], 4) if lags else None,
        "lag_timers": len(lags),
        "lag_spread_s": spread,
        "lag_setup_headroom_s": round(headroom, 3),
        "lag_worker_s": round(wall, 3),
    }


# ------------------------------------------------------------------------------------ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--db", help="SQLite or PostgreSQL URL shared by all phases (default: fresh temp files)"
    )
    p.add_argument(
        "--pg",
        nargs="?",
        const=PG_DEFAULT,
        metavar="URL",
        help="PostgreSQL: a fresh scratch database per phase, created next to the database of URL "
        f"(default {PG_DEFAULT}) and dropped at the end",
    )
    p.add_argument(
        "--pg-set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --pg: ALTER DATABASE SET on the scratch databases, e.g. synchronous_commit=off",
    )
    p.add_argument("--runs", type=int, default=20_000, help="W: runs in the steps phase")
    p.add_argument("--steps", type=int, default=10, help="S: durable steps per run")
    p.add_argument("--workers", type=int, default=1, help="N: worker processes (1: in-process)")
    p.add_argument("--waiting", type=int, default=1_000_000, help="M: runs enrolled and waiting")
    p.add_argument("--lag-runs", type=int, default=20_000, help="timers in the lag phase")
    p.add_argument("--lag-spread", type=float, default=15.0, help="seconds the timers spread on")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.runs < 1 or args.steps < 1 or args.workers < 1 or args.waiting < 0:
        p.error("--runs, --steps and --workers must be >= 1, --waiting >= 0")
    if args.db and not (args.db.startswith("sqlite:///") or is_postgres(args.db)):
        p.error("--db: the benchmark needs a sqlite:///PATH or postgresql:// URL")
    if args.db and args.pg:
        p.error("--db and --pg are exclusive")
    if args.pg and not is_postgres(args.pg):
        p.error("--pg: a postgresql:// URL")
    if args.pg_set and not args.pg:
        p.error("--pg-set needs --pg")
    if any(not re.fullmatch(r"[a-z_]+=[A-Za-z0-9_.]+", x) for x in args.pg_set):
        p.error("--pg-set: NAME=VALUE (letters, digits, _ and .)")
    return args


@contextmanager
def scratch_databases(
    base_url: str,
    names: list[str],
    settings: Sequence[str] = (),
) -> Iterator[list[str]]:
    """Fresh PostgreSQL databases ``names`` on the server of ``base_url`` (connected to for the
    CREATE/DROP), each with ``ALTER DATABASE ... SET`` of ``settings`` (``name=value``); yields
    their URLs; drops them on the way out, whatever happened."""
    import psycopg

    parts = urlsplit(base_url)
    urls = [urlunsplit(parts._replace(path="/" + name)) for name in names]
    created: list[str] = []
    try:
        with psycopg.connect(base_url, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
                for setting in settings:
                    key, _, value = setting.partition("=")
                    admin.execute(f'ALTER DATABASE "{name}" SET {key.strip()} = {value.strip()}')
        yield urls
    finally:
        with psycopg.connect(base_url, autocommit=True) as admin:
            for name in created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('server_version')").fetchone()
        sync = conn.execute("SELECT current_setting('synchronous_commit')").fetchone()
    return f"PostgreSQL {row[0] if row else '?'} (synchronous_commit={sync[0] if sync else '?'})"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.pg:
        tag = f"leadflow_bench_{os.getpid()}"
        names = [f"{tag}_steps", f"{tag}_waiting"]
        with scratch_databases(args.pg, names, args.pg_set) as (steps, waiting):
            result = run_phases(args, steps, waiting)
            result["postgres"] = server_version(steps)
        result["db"] = "fresh PostgreSQL scratch databases, one per phase (dropped)"
        return result
    tmp = None if args.db else Path(tempfile.mkdtemp(prefix="leadflow-bench-"))
    try:
        steps_url = args.db or f"sqlite:///{tmp}/steps.db"
        waiting_url = args.db or f"sqlite:///{tmp}/waiting.db"
        result = run_phases(args, steps_url, waiting_url)
        if args.db and is_postgres(args.db):
            result["postgres"] = server_version(args.db)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    result["db"] = args.db or "fresh SQLite files in a temp dir (deleted)"
    return result


def run_phases(args: argparse.Namespace, steps_url: str, waiting_url: str) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {
        "runs": args.runs,
        "steps": args.steps,
        "workers": args.workers,
        "waiting": args.waiting,
    }
    result |= bench_steps(steps_url, args.runs, args.steps, args.workers)
    if args.waiting > 0:
        result |= bench_waiting(waiting_url, args.waiting, args.lag_runs, args.lag_spread)
    result |= {
        "peak_rss_mb": round(rss_peak_mb(), 1),
        "total_s": round(time.perf_counter() - started, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return result


HEADLINE = (
    "steps_per_s",
    "advances_per_s",
    "messages_per_s",
    "enroll_per_s",
    "wait_entry_per_s",
    "timer_lag_p50_s",
    "timer_lag_p99_s",
    "rss_waiting_mb",
    "peak_rss_mb",
)

if __name__ == "__main__":
    out = main()
    if "--json" in sys.argv[1:]:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        for key in HEADLINE:
            if key in out:
                print(f"{key:>20}: {out[key]}")
