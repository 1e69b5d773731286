"""Chaos benchmark: N ``leadflow worker --virtual-clock`` processes on one database, SIGKILLed at
seeded random moments and restarted, until all the work is done; then the database is checked.

    python bench/chaos.py [--pg [URL] | --sqlite] [--runs R] [--workers N] [--kills K] \\
        [--seed S] [--timeout SECONDS] [--json]

The larger version of tests/crash/test_postgres_chaos.py, on the same harness
(tests/support/storm.py) and the same nurture workflow (sms, wait 1h, email, wait until 10:00 the
next morning, sms). R runs are enrolled at a virtual Monday 15:00 UTC; N workers run at once, each
killed 0.05-0.6 s after it is ready and replaced at once, until K kills hit while work remained
(if the live runs run low before that, waves of extra runs are enrolled); then the workers run
until the database shows no open work, and one last worker must find nothing to do. Figures: see
bench/README.md. Nothing is asserted: the figures are reported, and the exit status is 1 when a
message was delivered twice or anything was lost (a run not completed, a message not delivered, a
wait not left by its timer, a failed step), 2 when the harness itself failed (a worker exiting
with an error, the timeout), 0 otherwise.

PostgreSQL (the default): a scratch database ``leadflow_chaos_<pid>`` is created on the server of
URL (default postgresql://postgres@127.0.0.1:5432/test) and dropped at the end, even on failure.
``--sqlite``: a SQLite file in a temporary directory (deleted at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from engine import PG_DEFAULT, is_postgres, log, scratch_databases, server_version
from leadflow.simulate.leads import synthetic_contacts

# The worker-storm harness is the crash tests' (tests/support/storm.py).
_TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from support.storm import (  # noqa: E402
    SEND_NODES,
    WAIT_NODES,
    Storm,
    StormError,
    StormPlan,
    figures,
    load_outcome,
    nurture,
    prepare,
)

# Monday 2026-01-05 15:00 UTC: 10:00 in New York, 7:00 in Los Angeles (quiet hours there).
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC).timestamp()
WORKFLOW = nurture("chaos-bench", "Chaos bench nurture")
KILL_AFTER = (0.05, 0.6)  # seconds of worker life (after "ready") before SIGKILL


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--pg",
        nargs="?",
        const=PG_DEFAULT,
        default=PG_DEFAULT,
        metavar="URL",
        help=f"PostgreSQL (the default): a scratch database on the server of URL (default "
        f"{PG_DEFAULT}), dropped at the end",
    )
    where.add_argument("--sqlite", action="store_true", help="a SQLite file in a temp directory")
    p.add_argument("--runs", type=int, default=10_000, help="R: runs enrolled at the start")
    p.add_argument("--workers", type=int, default=8, help="N: worker processes at once")
    p.add_argument("--kills", type=int, default=50, help="K: SIGKILLs while work remained")
    p.add_argument("--seed", type=int, default=20251121, help="contacts, batches, kill moments")
    p.add_argument("--timeout", type=float, default=3600.0, help="give up after SECONDS")
    p.add_argument("--json", action="store_true", help="print one JSON object (progress: stderr)")
    args = p.parse_args(argv)
    if not args.sqlite and not is_postgres(args.pg):
        p.error("--pg: a postgresql:// URL")
    if args.runs < 1 or args.workers < 1 or args.kills < 0:
        p.error("--runs and --workers: at least 1; --kills: at least 0")
    return args


def chaos(args: argparse.Namespace, url: str, workdir: Path) -> dict[str, Any]:
    t0 = time.monotonic()
    wave = max(150, args.runs // 20)  # top-ups only when the live runs run low before K kills
    plan = StormPlan(
        workflow_key=WORKFLOW["key"],
        workers=args.workers,
        min_kills=args.kills,
        kill_after=KILL_AFTER,
        wave=wave,
        topup_below=max(100, args.runs // 30),
        max_lives=50 * (args.kills + args.workers),
        deadline_s=args.timeout,
        start=START,
        ready_when="running",  # kills timed from the worker loop's start, not from the import
    )
    log(f"enrolling {args.runs} runs")
    prepare(url, WORKFLOW, args.runs, START, args.seed)
    pool = synthetic_contacts(args.runs + 100 * wave, seed=args.seed, now=START)
    setup_s = time.monotonic() - t0
    log(f"storm: {args.workers} workers, until {args.kills} kills hit while work remained")
    with Storm(url, plan, pool, args.runs, random.Random(args.seed), workdir, log) as storm:
        storm.storm()
        storm_s = storm.elapsed
        log(f"calm: {storm.stats.kills} kills in {storm_s:.1f} s; the workers finish the work")
        storm.calm()
        storm.idle_worker()
        wall_s = storm.elapsed
    stats = storm.stats
    log(f"all work done in {wall_s:.1f} s; reading the database back")
    found = figures(load_outcome(url, plan.workflow_key, stats.contacts), SEND_NODES, WAIT_NODES)
    losses = found["lost_runs"] + found["lost_messages"] + found["missed_timers"]
    ok = (
        found["duplicates"] == 0
        and found["duplicated_keys"] == 0
        and found["keys_with_several_messages"] == 0
        and losses == 0
        and found["failed_steps"] == 0
    )
    return {
        "ok": ok,
        "runs": stats.contacts,
        "initial_runs": args.runs,
        "top_up_runs": stats.contacts - args.runs,
        "workers": args.workers,
        "kills_asked": args.kills,
        "kills": stats.kills,
        "kills_with_work": stats.kills_with_work,
        "kills_left_in_doubt": stats.kills_mid_dispatch,
        "kills_left_claimed_runs": stats.kills_mid_advance,
        "restarts": stats.restarts,
        "natural_exits": stats.natural_exits,
        "rounds_after_storm": stats.rounds_after_storm,
        "setup_s": round(setup_s, 1),
        "storm_s": round(storm_s, 1),
        "wall_s": round(wall_s, 1),
        **found,
        "losses": losses,
        "steps_per_s": round(found["step_rows"] / wall_s, 1) if wall_s > 0 else None,
        "seed": args.seed,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds: workers killed, scratch database dropped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="leadflow-chaos-") as tmp:
            if args.sqlite:
                result = chaos(args, f"sqlite:///{tmp}/chaos.db", Path(tmp))
                result["db"] = "a fresh SQLite file in a temp dir (deleted)"
            else:
                name = f"leadflow_chaos_{os.getpid()}"
                with scratch_databases(args.pg, [name]) as (url,):
                    result = chaos(args, url, Path(tmp))
                    result["postgres"] = server_version(url)
                result["db"] = f"fresh PostgreSQL scratch database {name} (dropped)"
    except StormError as exc:
        log(f"harness failure: {exc}")
        return 2
    result["total_s"] = round(time.monotonic() - started, 1)
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")
    if not result["ok"]:
        log(
            f"FAILED: {result['duplicates']} duplicate deliveries "
            f"({result['duplicated_keys']} messages), {result['lost_runs']} lost runs, "
            f"{result['lost_messages']} lost messages, {result['missed_timers']} missed timers, "
            f"{result['failed_steps']} failed steps"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
