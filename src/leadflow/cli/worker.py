"""``leadflow worker``: run until SIGTERM/SIGINT, until idle, or through virtual time."""

from __future__ import annotations

import signal
import threading
import time
from typing import Annotated, Any

import typer

from leadflow.cli.common import console, print_json, require_db
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.clock import VirtualClock, to_iso
from leadflow.engine.worker import VIRTUAL_NOW
from leadflow.settings import Settings


def worker(
    db: DbOption = DEFAULT,
    until_idle: Annotated[bool, typer.Option(help="Stop when nothing is due now.")] = False,
    virtual_clock: Annotated[
        bool,
        typer.Option(
            help="Jump a virtual clock (kept in the database) to the next due moment "
            "until nothing is left."
        ),
    ] = False,
    batch: Annotated[int | None, typer.Option(min=1, max=10_000, help="Runs per batch.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Process events, advance due runs, dispatch the outbox and fire schedules."""
    overrides: dict[str, Any] = {"db": db}
    if batch is not None:
        overrides["batch"] = batch
    require_db(db)
    settings = Settings(**overrides)
    clock = VirtualClock(0.0) if virtual_clock else None
    from leadflow.runtime import build_runtime  # the engine: not for --help

    rt = build_runtime(settings, clock=clock)
    if clock is not None:
        # Resume at the virtual moment kept in the database (even if it is behind the wall
        # clock); a database without one starts at the current time.
        saved = rt.store.get_meta(VIRTUAL_NOW)
        clock.set(rt.store.raise_meta(VIRTUAL_NOW, float(saved) if saved else time.time()))
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    started = time.monotonic()
    try:
        w = rt.worker()
        stats = w.run(stop=stop, until_idle=until_idle, virtual=virtual_clock)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        rt.close()
    summary = {
        "ticks": stats.ticks,
        "events": stats.events,
        "runs_advanced": stats.runs,
        "messages_dispatched": stats.messages,
        "schedules_fired": stats.schedules,
        "seconds": round(time.monotonic() - started, 3),
        "virtual_now": to_iso(rt.clock.now()) if virtual_clock else None,
        "stopped_by_signal": stop.is_set(),
    }
    if json_out:
        print_json(summary)
    else:
        console.print(
            f"worker done: {stats.events} events, {stats.runs} run advances, "
            f"{stats.messages} messages in {summary['seconds']}s"
            + (f"; virtual time {summary['virtual_now']}" if virtual_clock else ""),
            highlight=False,
        )
