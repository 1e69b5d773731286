"""HTTP ingest against a bare FastAPI endpoint, both driven by ``wrk`` in the same run.

    python bench/ingest_wrk.py [--rounds R] [--duration S] [--connections C] [--json]

Two servers listen on loopback, each one uvicorn process with the same settings as
``leadflow serve`` (uvloop and httptools, no uvicorn access log):

* **leadflow**: ``leadflow serve --no-worker`` on a fresh SQLite file, per-key rate limiting off
  (``LEADFLOW_RATE_LIMIT_PER_MINUTE=0``), a tenant with an admin API key and a pool of contacts
  (the same preparation as ``bench/api.py``);
* **bare**: a FastAPI app with one ``POST /api/v1/events`` route that parses the JSON body and
  answers 202 with a constant JSON object, nothing stored.

``wrk`` (Debian's package; one thread, C connections, keep-alive) drives each in turn with the
same Lua script: every request is ``POST /api/v1/events`` with ``Authorization: Bearer <the real
key>`` and a valid event about a contact of the pool with a unique ``dedupe_key``; the script
counts the answers that are not 2xx. Each server is warmed up first, then the two are measured
alternately, R rounds of S seconds each (bare first in every round), so a change of load on the
shared machine hits both. After each leadflow round the events table is counted by the run's
dedupe keys: every 2xx answer must be an event stored (the stored count may exceed the 2xx count
by the requests still in flight when wrk stopped, at most C). The run fails (exit 1, ``ok``
false) on any non-2xx answer, socket error or missing event.

The JSON printed has every round, and the medians: ``bare_rps``, ``leadflow_events_per_s``,
``ratio`` (median of the per-round ratios), ``non_2xx``, ``events_stored`` and the load
average (``os.getloadavg``) before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api import contact_id, cpu_s, free_port, prepare, running, server
from engine import Probe, log

BARE_MODE = "--serve-bare"  # internal: python bench/ingest_wrk.py --serve-bare PORT
WRK_MARK = "WRKJSON "
LUA = r"""
local counter = 0
local prefix = "%(prefix)s"
local contacts = %(contacts)d
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
ok = 0
non2xx = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"type":"form.submitted","contact_id":"%(contact_prefix)s%%06d",' ..
    '"data":{"form":"contact-us","listing":"MLS%%08d","message":"Is it available?"},' ..
    '"dedupe_key":"%%s-%%d"}',
    counter %% contacts, counter, prefix, counter)
  return wrk.format(nil, "/api/v1/events", nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local good, bad = 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    bad = bad + t:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests":%%d,"duration_us":%%d,"ok":%%d,"non_2xx":%%d,"socket_errors":%%d,' ..
    '"p50_us":%%d,"p99_us":%%d,"max_us":%%d}\n',
    summary.requests, summary.duration, good, bad,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


# ------------------------------------------------------------------------------ bare server
def serve_bare(port: int) -> None:
    """The bare app under uvicorn, configured like ``leadflow serve``."""
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/api/v1/events", status_code=202)
    async def post_event(body: dict[str, Any]) -> dict[str, Any]:
        return {"id": 1, "duplicate": False}

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        access_log=False,
        server_header=False,
        log_level="warning",
    )


def bare_server(port: int, logfile: Path) -> AbstractContextManager[int]:
    """The bare app in a process of its own; its pid once it answers."""
    command = [sys.executable, str(Path(__file__).resolve()), BARE_MODE, str(port)]
    return running(command, logfile, f"http://127.0.0.1:{port}/openapi.json")


# ------------------------------------------------------------------------------------- wrk
def wrk(
    port: int, token: str, prefix: str, args: argparse.Namespace, seconds: float, workdir: Path
) -> dict[str, Any]:
    """One wrk run of ``seconds``; its figures (and ``prefix``, the run's dedupe-key prefix)."""
    script = workdir / f"{prefix}.lua"
    script.write_text(
        LUA
        % {
            "prefix": prefix,
            "contacts": args.contacts,
            "token": token,
            "contact_prefix": contact_id(0)[:-6],
            "mark": WRK_MARK,
        }
    )
    cmd = [
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith(WRK_MARK)), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    out: dict[str, Any] = json.loads(line[len(WRK_MARK) :])
    wall = out["duration_us"] / 1e6
    out["rate_per_s"] = round(out["ok"] / wall, 1) if wall > 0 else 0.0
    out["prefix"] = prefix
    return out


def stored(probe: Probe, tenant: str, prefix: str) -> int:
    """Events of the run whose dedupe keys start with ``prefix`` (as the API stores them)."""
    pattern = f"api:{tenant}:{prefix}-%"
    return int(probe.one("SELECT count(*) FROM events WHERE dedupe_key LIKE ?", pattern))


def measure(
    name: str,
    port: int,
    pid: int,
    token: str,
    args: argparse.Namespace,
    seconds: float,
    workdir: Path,
) -> dict[str, Any]:
    prefix = f"{name}{uuid.uuid4().hex[:8]}"
    c0 = cpu_s(pid)
    out = wrk(port, token, prefix, args, seconds, workdir)
    requests = out["ok"] + out["non_2xx"]
    out["server_cpu_ms_per_request"] = (
        round((cpu_s(pid) - c0) * 1000 / requests, 3) if requests else None
    )
    return out


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = f"sqlite:///{workdir}/ingest.db"
    log(f"preparing {url}: tenant, key, {args.contacts} contacts")
    token = prepare(url, args.contacts)
    probe = Probe(url)
    tenant = "bench"
    rounds: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    bare_port, real_port = free_port(), free_port()
    with (
        bare_server(bare_port, workdir / "bare.log") as bare_pid,
        server(url, real_port, None, workdir / "server.log") as real_pid,
    ):
        log(f"warm-up: {args.warmup:g} s each")
        measure("w", bare_port, bare_pid, token, args, args.warmup, workdir)
        warm = measure("w", real_port, real_pid, token, args, args.warmup, workdir)
        warm["stored"] = stored(probe, tenant, warm["prefix"])
        for i in range(args.rounds):
            bare = measure("b", bare_port, bare_pid, token, args, args.duration, workdir)
            real = measure("l", real_port, real_pid, token, args, args.duration, workdir)
            time.sleep(0.5)  # the requests in flight when wrk stopped are answered
            real["stored"] = stored(probe, tenant, real["prefix"])
            ratio = real["rate_per_s"] / bare["rate_per_s"] if bare["rate_per_s"] else 0.0
            rounds.append({"bare": bare, "leadflow": real, "ratio": round(ratio, 3)})
            log(
                f"round {i + 1}: bare {bare['rate_per_s']:.0f}/s, leadflow "
                f"{real['rate_per_s']:.0f} events/s ({ratio:.1%}), stored {real['stored']}"
            )
        total_events = probe.count("events")
    runs = [warm, *(r["leadflow"] for r in rounds)]
    non_2xx = sum(r["non_2xx"] for r in runs) + sum(r["bare"]["non_2xx"] for r in rounds)
    socket_errors = sum(r["socket_errors"] for r in runs)
    socket_errors += sum(r["bare"]["socket_errors"] for r in rounds)
    lost = [r["prefix"] for r in runs if not r["ok"] <= r["stored"] <= r["ok"] + args.connections]
    return {
        "ok": non_2xx == 0 and socket_errors == 0 and not lost,
        "bare_rps": median([r["bare"]["rate_per_s"] for r in rounds]),
        "leadflow_events_per_s": median([r["leadflow"]["rate_per_s"] for r in rounds]),
        "ratio": median([r["ratio"] for r in rounds]),
        "non_2xx": non_2xx,
        "socket_errors": socket_errors,
        "events_accepted": sum(r["ok"] for r in runs),
        "events_stored": total_events,
        "runs_with_missing_events": lost,
        "rounds": rounds,
        "warmup": warm,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    match = re.search(r"wrk \S+", done.stdout + done.stderr)
    return match.group(0) if match else "wrk"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="R: alternating rounds (default 3)")
    p.add_argument("--duration", type=float, default=10.0, help="S: seconds per wrk run")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per server")
    p.add_argument("--connections", type=int, default=32, help="C: wrk connections")
    p.add_argument("--contacts", type=int, default=1_000, help="contacts in the pool")
    p.add_argument("--json", action="store_true", help="print one JSON object (progress: stderr)")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.duration <= 0 or args.warmup <= 0 or args.connections < 1:
        p.error("--rounds, --connections: at least 1; --duration, --warmup: above 0")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="leadflow-ingestwrk-"))
    try:
        result = run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result | {
        "connections": args.connections,
        "threads": 1,
        "duration_s": args.duration,
        "rate_limit_per_minute": 0,
        "wrk": wrk_version(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpu_count": os.cpu_count(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == [BARE_MODE]:
        serve_bare(int(sys.argv[2]))
        sys.exit(0)
    out = main()
    if "--json" in sys.argv[1:]:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        brief = {k: v for k, v in out.items() if k not in ("rounds", "warmup")}
        print(json.dumps(brief, indent=2))
    sys.exit(0 if out["ok"] else 1)
