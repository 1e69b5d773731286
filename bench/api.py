"""HTTP ingest benchmark: the real ``leadflow serve`` and a load generator on loopback.

    python bench/api.py [--backend sqlite|postgres] [--requests N] [--concurrency C] \\
        [--batches B] [--batch-size K] [--warmup W] [--profile-server PATH] [--json]

The server is ``leadflow serve --no-worker`` in a subprocess (uvicorn inside, one process) on a
fresh database: a SQLite file in a temp directory, or with ``--backend postgres`` a scratch
database ``leadflow_apibench_<pid>`` on the server of ``--pg-url`` (dropped at the end). Per-key
rate limiting is switched off for it (``LEADFLOW_RATE_LIMIT_PER_MINUTE=0``). Before it starts,
the benchmark migrates the database, makes a tenant ``bench`` with an admin API key and inserts a
pool of contacts into that tenant.

The load generator runs in this process (httpx.AsyncClient, HTTP/1.1 keep-alive, C connections):

1. **single**: W warm-up requests (not timed), then N ``POST /api/v1/events``, each with a
   unique ``dedupe_key`` and a contact from the pool, C at a time; every request is timed
   (perf_counter) -> events/s over the wall time of the N, and p50/p90/p99/max latency.
2. **batch**: B ``POST /api/v1/events/batch`` of K events each, one at a time (bodies encoded
   before the clock starts) -> events/s and per-batch latency.

Then the events table is counted: it must hold exactly what was sent (warm-up included), every
response must be a 2xx and no event may come back a duplicate; otherwise the run fails (exit 1)
and no rate is reported as valid (``ok`` false). CPU seconds of the server process and of the
load generator are reported per phase, so a run where the generator is the bottleneck shows it.

``--profile-server PATH`` runs the server under cProfile (every thread, the threadpool included)
and writes the combined stats to PATH at its shutdown (``python -m pstats PATH``); the figures of
a profiled run are not comparable with unprofiled ones.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from engine import PG_DEFAULT, Probe, is_postgres, leadflow_command, log, scratch_databases
from leadflow.model.records import Contact
from leadflow.store.factory import open_store
from leadflow.tenancy import accounts

TENANT = "bench"
EVENT_TYPE = "form.submitted"
READY_TIMEOUT_S = 60.0
PROFILE_MODE = "--serve-profiled"  # internal: python bench/api.py --serve-profiled OUT serve ...


# ------------------------------------------------------------------------------------ setup
def prepare(url: str, contacts: int) -> str:
    """Migrate ``url``, make the tenant and an admin key, insert the contact pool; the token."""
    now = time.time()
    store = open_store(url, check_schema=False)
    try:
        store.upgrade()
        accounts.create_tenant(store, TENANT, "Bench Realty", now)
        _, token = accounts.create_key(store, TENANT, "admin", now, name="bench")
        pool = [
            Contact(
                contact_id(i),
                tenant_id=TENANT,
                first_name=f"Lead{i}",
                email=f"lead{i}@example.com",
                phone=f"+1555{i:07d}",
                time_zone="America/New_York",
            )
            for i in range(contacts)
        ]
        store.upsert_contacts(pool, now)
    finally:
        store.close()
    return token


def contact_id(i: int) -> str:
    return f"bench-c{i:06d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_command(url: str, port: int, profile: str | None, processes: int = 1) -> list[str]:
    args = ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port), "--db", url]
    if processes > 1:
        args += ["--processes", str(processes)]
    if profile:
        return [sys.executable, str(Path(__file__).resolve()), PROFILE_MODE, profile, *args]
    return [*leadflow_command(), *args]


@contextmanager
def server(
    url: str, port: int, profile: str | None, logfile: Path, processes: int = 1
) -> Iterator[int]:
    """``leadflow serve`` on ``url``; yields its pid once /readyz answers 200; SIGTERM at the end
    (a graceful stop: the profile, if any, is written then)."""
    env = dict(os.environ)
    env["LEADFLOW_RATE_LIMIT_PER_MINUTE"] = "0"  # per-key rate limiting off
    env.pop("LEADFLOW_DB", None)
    command = server_command(url, port, profile, processes)
    with running(command, logfile, f"http://127.0.0.1:{port}/readyz", env) as pid:
        yield pid


@contextmanager
def running(
    command: list[str], logfile: Path, ready_url: str, env: dict[str, str] | None = None
) -> Iterator[int]:
    """A server process (output to ``logfile``); yields its pid once ``ready_url`` answers 200;
    SIGTERM at the end (SIGKILL after 30 s)."""
    with open(logfile, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited ({proc.returncode}): {logfile.read_text()}")
            try:
                if httpx.get(ready_url, timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server was not ready in {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
        yield proc.pid
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) and of its live child
    processes (the API processes of ``serve --processes N``), from /proc."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat(int(entry))
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: the parent pid
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------ load generator
class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.requests = 0  # sent (answered or not)
        self.accepted = 0
        self.duplicates = 0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def event_body(key: str, i: int, contacts: int) -> dict[str, Any]:
    return {
        "type": EVENT_TYPE,
        "contact_id": contact_id(i % contacts),
        "data": {"form": "contact-us", "listing": f"MLS{i:08d}", "message": "Is it available?"},
        "dedupe_key": key,
    }


class RawConnection:
    """One HTTP/1.1 keep-alive connection on asyncio streams: requests are written as prepared
    bytes and answers read by Content-Length. About 30x less client CPU per request than httpx
    (measured 1.2 ms per request for httpx.AsyncClient on this machine, which alone would cap a
    load generator sharing two cores with the server below 1,000 requests/s)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.head, len(body), body)
        )
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            raise
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            await self.close()
            raise ConnectionError("answer without Content-Length")
        payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxConnection:
    """The same interface over a shared httpx.AsyncClient (``--client httpx``)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        r = await self.client.post(path, content=body)
        return r.status_code, r.content

    async def close(self) -> None:
        pass


Connection = RawConnection | HttpxConnection
TRANSPORT_ERRORS = (httpx.HTTPError, OSError, asyncio.IncompleteReadError)


async def singles(
    conns: list[Connection], prefix: str, n: int, contacts: int
) -> tuple[Tally, float]:
    """N single-event POSTs, one connection each at a time; the tally and the wall time."""
    bodies = [
        json.dumps(event_body(f"{prefix}-{i}", i, contacts)).encode() for i in range(n)
    ]  # encoded before the clock starts
    tally = Tally()
    next_i = iter(range(n))

    async def one_connection(conn: Connection) -> None:
        for i in next_i:
            tally.requests += 1
            t0 = time.perf_counter()
            try:
                status, payload = await conn.post("/api/v1/events", bodies[i])
            except TRANSPORT_ERRORS as exc:
                tally.error(type(exc).__name__)
                continue
            tally.latencies.append(time.perf_counter() - t0)
            if status != 202:
                tally.error(str(status))
                continue
            tally.accepted += 1
            if json.loads(payload).get("duplicate"):
                tally.duplicates += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one_connection(conn) for conn in conns))
    return tally, time.perf_counter() - t0


async def batches(conn: Connection, b: int, size: int, contacts: int) -> tuple[Tally, float]:
    """B batch POSTs of ``size`` events, one after the other; the tally and the wall time."""
    bodies = [
        json.dumps({"events": [event_body(f"b{j}-{i}", i, contacts) for i in range(size)]}).encode()
        for j in range(b)
    ]
    tally = Tally()
    t0 = time.perf_counter()
    for body in bodies:
        tally.requests += 1
        s0 = time.perf_counter()
        try:
            status, payload = await conn.post("/api/v1/events/batch", body)
        except TRANSPORT_ERRORS as exc:
            tally.error(type(exc).__name__)
            continue
        tally.latencies.append(time.perf_counter() - s0)
        if status != 202:
            tally.error(str(status))
            continue
        answer = json.loads(payload)
        tally.accepted += int(answer.get("accepted", 0))
        tally.duplicates += int(answer.get("duplicates", 0))
        if answer.get("accepted", 0) + answer.get("duplicates", 0) != size:
            tally.error("batch-count-mismatch")
    return tally, time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0-1) in milliseconds, nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return round(ordered[k] * 1000, 2)


def summary(
    tally: Tally, wall: float, events: int, server_cpu: float, client_cpu: float
) -> dict[str, Any]:
    lat = tally.latencies
    return {
        "events": events,
        "wall_s": round(wall, 3),
        "events_per_s": round(tally.accepted / wall, 1) if wall > 0 else 0.0,
        "requests": tally.requests,
        "p50_ms": pct(lat, 0.50),
        "p90_ms": pct(lat, 0.90),
        "p99_ms": pct(lat, 0.99),
        "max_ms": round(max(lat) * 1000, 2) if lat else float("nan"),
        "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else float("nan"),
        "accepted": tally.accepted,
        "duplicates": tally.duplicates,
        "errors": tally.error_count,
        "error_kinds": tally.errors,
        "server_cpu_s": round(server_cpu, 2),
        "client_cpu_s": round(client_cpu, 2),
    }


async def load(args: argparse.Namespace, port: int, token: str, pid: int) -> dict[str, Any]:
    client = None
    conns: list[Connection]
    if args.client == "httpx":
        client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            limits=httpx.Limits(
                max_connections=args.concurrency, max_keepalive_connections=args.concurrency
            ),
            timeout=httpx.Timeout(120.0),
        )
        conns = [HttpxConnection(client) for _ in range(args.concurrency)]
    else:
        conns = [RawConnection(port, token) for _ in range(args.concurrency)]
    out: dict[str, Any] = {}
    try:
        warm = Tally()
        if args.warmup:
            log(f"warm-up: {args.warmup} single events")
            warm, _ = await singles(conns, "w", args.warmup, args.contacts)
            if warm.error_count:
                log(f"warm-up errors: {warm.errors}")
        out["warmup"] = {"accepted": warm.accepted, "errors": warm.error_count}
        if args.requests:
            log(f"single: {args.requests} events, {args.concurrency} connections")
            s0, c0 = cpu_s(pid), time.process_time()
            tally, wall = await singles(conns, "s", args.requests, args.contacts)
            single = summary(tally, wall, args.requests, cpu_s(pid) - s0, time.process_time() - c0)
            out["single"] = single
            log(f"single: {single['events_per_s']} events/s, p99 {single['p99_ms']} ms")
        if args.batches:
            log(f"batch: {args.batches} x {args.batch_size} events")
            s0, c0 = cpu_s(pid), time.process_time()
            tally, wall = await batches(conns[0], args.batches, args.batch_size, args.contacts)
            batch = summary(
                tally,
                wall,
                args.batches * args.batch_size,
                cpu_s(pid) - s0,
                time.process_time() - c0,
            )
            out["batch"] = batch
            log(f"batch: {batch['events_per_s']} events/s, p50 {batch['p50_ms']} ms per batch")
    finally:
        for conn in conns:
            await conn.close()
        if client is not None:
            await client.aclose()
    return out


def run_loop(coro: Any) -> Any:
    """asyncio.run, on uvloop when it is installed (it is, with uvicorn[standard])."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coro)
    return uvloop.run(coro)


# ------------------------------------------------------------------------------------ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--pg-url",
        default=PG_DEFAULT,
        help=f"postgres: the server to make the scratch database on (default {PG_DEFAULT})",
    )
    p.add_argument("--requests", type=int, default=20_000, help="N: single-event requests")
    p.add_argument("--concurrency", type=int, default=16, help="C: connections at once")
    p.add_argument("--batches", type=int, default=10, help="B: batch requests")
    p.add_argument("--batch-size", type=int, default=10_000, help="K: events per batch")
    p.add_argument("--warmup", type=int, default=500, help="W: untimed single requests first")
    p.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator: raw HTTP/1.1 on asyncio streams (default) or httpx.AsyncClient",
    )
    p.add_argument("--contacts", type=int, default=1_000, help="contacts in the pool")
    p.add_argument("--profile-server", metavar="PATH", help="cProfile the server into PATH")
    p.add_argument(
        "--server-processes",
        type=int,
        default=1,
        metavar="N",
        help="API processes (`leadflow serve --processes N`); not with --profile-server",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (progress: stderr)")
    args = p.parse_args(argv)
    if args.requests < 0 or args.batches < 0 or args.warmup < 0:
        p.error("--requests, --batches and --warmup: at least 0")
    if args.concurrency < 1 or args.contacts < 1 or not 1 <= args.batch_size <= 10_000:
        p.error("--concurrency, --contacts: at least 1; --batch-size: 1-10,000")
    if args.backend == "postgres" and not is_postgres(args.pg_url):
        p.error("--pg-url: a postgresql:// URL")
    return args


def run(args: argparse.Namespace, url: str, workdir: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    log(f"preparing {url}: tenant, key, {args.contacts} contacts")
    token = prepare(url, args.contacts)
    port = free_port()
    logfile = workdir / "server.log"
    with server(url, port, args.profile_server, logfile, args.server_processes) as pid:
        log(f"server pid {pid} ready on port {port}")
        result = run_loop(load(args, port, token, pid))
    sent = args.warmup + args.requests + args.batches * args.batch_size
    stored = Probe(url).count("events")
    errors = sum(result[k]["errors"] for k in ("single", "batch") if k in result)
    errors += result["warmup"]["errors"]
    duplicates = sum(result[k]["duplicates"] for k in ("single", "batch") if k in result)
    result |= {
        "ok": errors == 0 and duplicates == 0 and stored == sent,
        "events_sent": sent,
        "events_stored": stored,
        "errors": errors,
        "duplicates": duplicates,
        "concurrency": args.concurrency,
        "client": args.client,
        "requests": args.requests,
        "batches": args.batches,
        "batch_size": args.batch_size,
        "rate_limit_per_minute": 0,
        "server": f"leadflow serve --no-worker --processes {args.server_processes}",
        "total_s": round(time.perf_counter() - t0, 1),
    }
    if not result["ok"]:
        tail = logfile.read_text(errors="replace")[-2000:]
        log(f"FAILED: sent {sent}, stored {stored}, errors {errors}, duplicates {duplicates}")
        log(f"server log (tail):\n{tail}")
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="leadflow-apibench-"))
    try:
        if args.backend == "postgres":
            with scratch_databases(args.pg_url, [f"leadflow_apibench_{os.getpid()}"]) as (url,):
                result = run(args, url, workdir)
                from engine import server_version

                result["postgres"] = server_version(url)
            result["db"] = "fresh PostgreSQL scratch database (dropped)"
        else:
            result = run(args, f"sqlite:///{workdir}/api.db", workdir)
            result["db"] = "fresh SQLite file in a temp dir (deleted)"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result |= {
        "backend": args.backend,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return result


def table(out: dict[str, Any]) -> str:
    rows: list[tuple[str, ...]] = [("", "single", "batch")]
    for key in (
        "events_per_s",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "max_ms",
        "errors",
        "wall_s",
        "server_cpu_s",
        "client_cpu_s",
    ):
        rows.append(
            (key, *(str(out.get(phase, {}).get(key, "-")) for phase in ("single", "batch")))
        )
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.rjust(width[i]) for i, cell in enumerate(r)) for r in rows]
    lines.append(
        f"ok={out['ok']} sent={out['events_sent']} stored={out['events_stored']} "
        f"backend={out['backend']} concurrency={out['concurrency']} rate limit off"
    )
    return "\n".join(lines)


# ------------------------------------------------------------------- profiled server (internal)
def serve_profiled(out_path: str, cli_args: list[str]) -> None:
    """Run the leadflow CLI with cProfile on in every thread; combined stats to ``out_path``."""
    import cProfile
    import pstats
    import threading

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_in_thread(frame: Any, event: str, arg: Any) -> None:
        prof = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(prof)
        prof.enable()  # replaces this hook for the thread

    main_prof = cProfile.Profile(time.thread_time)
    profiles.append(main_prof)
    threading.setprofile(start_in_thread)
    from leadflow.cli.app import app

    main_prof.enable()
    try:
        app(cli_args, prog_name="leadflow", standalone_mode=False)
    finally:
        main_prof.disable()
        threading.setprofile(None)
        stats = pstats.Stats(main_prof)
        with lock:
            for prof in profiles[1:]:
                prof.disable()
                stats.add(prof)
        stats.dump_stats(out_path)


if __name__ == "__main__":
    if sys.argv[1:2] == [PROFILE_MODE]:
        serve_profiled(sys.argv[2], sys.argv[3:])
        sys.exit(0)
    out = main()
    if "--json" in sys.argv[1:]:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        print(table(out))
    sys.exit(0 if out["ok"] else 1)
