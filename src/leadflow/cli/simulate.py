"""``leadflow demo`` and ``leadflow simulate``: workflows over virtual days with synthetic leads."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress

from leadflow.cli.common import JsonOption, console, print_json, read_workflow_file, table
from leadflow.clock import VirtualClock, to_iso
from leadflow.definitions.io import load_text
from leadflow.engine.workflows import publish
from leadflow.errors import InvalidInput
from leadflow.settings import Settings
from leadflow.store.factory import open_store

# Monday 2026-01-05 00:00 UTC: a fixed start makes a seed reproduce the same numbers.
SIM_START = 1767571200.0

if TYPE_CHECKING:
    from leadflow.simulate.simulation import SimulationReport


def _simulate(
    definition: Any, db: str, leads: int, days: float, seed: int, fresh: bool
) -> tuple[SimulationReport, float]:
    if fresh and db.startswith("sqlite:///"):
        path = Path(db.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    from leadflow.runtime import build_runtime  # the engine: only when simulating
    from leadflow.simulate.engagement import EngagementModel
    from leadflow.simulate.leads import synthetic_contacts
    from leadflow.simulate.simulation import Simulation

    store = open_store(db, check_schema=False)
    store.upgrade()
    clock = VirtualClock(SIM_START)
    rt = build_runtime(Settings(db=db), store=store, clock=clock, seed=seed)
    started = time.monotonic()
    try:
        version = publish(rt.store, rt.engine.catalog, definition, clock.now(), rt.engine.registry)
        wf = rt.engine.catalog.get(version.tenant_id, version.key, version.version)
        events = [t.event for t in wf.definition.triggers if t.type == "event" and t.event]
        sim = Simulation(rt, EngagementModel(seed))
        contacts = synthetic_contacts(leads, seed=seed, now=clock.now())
        sim.add_leads(
            contacts,
            arrive_over_days=max(1.0, min(days * 0.6, 20.0)),
            seed=seed,
            event_type=events[0] if events else "lead.created",
            enroll_in=None if events else version.key,
        )
        with Progress(transient=True, console=console) as progress:
            task = progress.add_task(f"simulating {days:g} virtual days", total=days)
            end = clock.now() + days * 86400
            day = 0.0
            while day < days:  # a day at a time, for the progress bar
                chunk = min(1.0, days - day)
                sim.advance(chunk)
                day += chunk
                progress.update(task, completed=day)
        report = sim.report()
        report.start = SIM_START
        report.end = end
    finally:
        rt.close()
    return report, time.monotonic() - started


def _print(report: SimulationReport, seconds: float, json_out: bool) -> None:
    rows = [
        {
            "workflow": c.workflow_key,
            "version": c.version,
            "node": c.node,
            "entered": c.entered,
            "sent": c.sent,
            "delivered": c.delivered,
            "replied": c.replied,
            "exited": c.exited,
        }
        for c in report.node_counts
    ]
    summary = {
        "leads": report.leads,
        "virtual_start": to_iso(report.start),
        "virtual_end": to_iso(report.end),
        "wall_seconds": round(seconds, 2),
        "runs": report.runs_by_status,
        "messages": report.messages_by_status,
        "deferred_for_quiet_hours": report.deferred,
        "engagement_events": report.engagement_events,
        "failures": report.failures,
        "nodes": rows,
    }
    if json_out:
        print_json(summary)
        return
    table(
        f"per node, {report.leads} leads, {to_iso(report.start)} .. {to_iso(report.end)}",
        ["node", "entered", "sent", "delivered", "replied", "exited"],
        [
            [r["node"], r["entered"], r["sent"], r["delivered"], r["replied"], r["exited"]]
            for r in rows
        ],
    )
    console.print(
        "runs: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.runs_by_status.items()))
        + " | messages: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.messages_by_status.items()))
        + f" | deferred for quiet hours: {report.deferred}"
        + f" | simulated in {seconds:.1f}s",
        highlight=False,
    )
    for reason, n in sorted(report.failures.items(), key=lambda item: -item[1]):
        console.print(f"failed {n} x {reason}", highlight=False, markup=False)


def demo(
    leads: Annotated[int, typer.Option(min=1, max=1_000_000)] = 1000,
    days: Annotated[float, typer.Option(min=1, max=3650)] = 30,
    seed: Annotated[int, typer.Option()] = 7,
    db: Annotated[
        str, typer.Option("--db", help="Fresh database for the demo.")
    ] = "sqlite:///demo.db",
    json_out: JsonOption = False,
) -> None:
    """Simulate the New Lead Welcome workflow for synthetic leads over virtual days."""
    text = resources.files("leadflow.simulate").joinpath("new-lead-welcome.yaml").read_text()
    definition = load_text(text, filename="new-lead-welcome.yaml")
    report, seconds = _simulate(definition, db, leads, days, seed, fresh=True)
    _print(report, seconds, json_out)


def simulate(
    file: Annotated[Path, typer.Argument(help="Workflow YAML/JSON to simulate.")],
    leads: Annotated[int, typer.Option(min=1, max=1_000_000)] = 1000,
    days: Annotated[float, typer.Option(min=1, max=3650)] = 30,
    seed: Annotated[int, typer.Option()] = 7,
    db: Annotated[str, typer.Option("--db", help="Database for the simulation.")] = "memory://",
    json_out: JsonOption = False,
) -> None:
    """Simulate any workflow with synthetic leads: each lead arrives as the workflow's first
    trigger event, or is enrolled on arrival when the workflow has no event trigger."""
    if not file.is_file():
        raise InvalidInput(f"FILE: {file} does not exist")
    report, seconds = _simulate(read_workflow_file(file), db, leads, days, seed, fresh=False)
    _print(report, seconds, json_out)
