"""``leadflow demo`` and ``leadflow simulate``: workflows over virtual days with synthetic leads."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress

from leadflow.cli.common import console, print_json, read_workflow_file, table
from leadflow.cli.options import JsonOption
from leadflow.clock import VirtualClock, to_iso
from leadflow.definitions.io import load_text
from leadflow.engine.workflows import publish
from leadflow.errors import InvalidInput, NotFound
from leadflow.playbooks.catalog import get_template, instantiate, parse_sets
from leadflow.settings import Settings
from leadflow.store.factory import open_store

# Monday 2026-01-05 00:00 UTC: a fixed start makes a seed reproduce the same numbers.
SIM_START = 1767571200.0

if TYPE_CHECKING:
    from leadflow.simulate.simulation import SimulationReport


def _simulate(
    definition: Any, db: str, leads: int, days: float, seed: int, fresh: bool
) -> tuple[SimulationReport, float, tuple[int, dict[str, int]]]:
    if fresh and db.startswith("sqlite:///"):
        path = Path(db.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    from leadflow.runtime import build_runtime  # the engine: only when simulating
    from leadflow.simulate.compare import goal_counts, goal_names
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
        goals = goal_counts(rt.store, version.key, goal_names(version.definition))
    finally:
        rt.close()
    return report, time.monotonic() - started, goals


def _print(
    report: SimulationReport,
    seconds: float,
    json_out: bool,
    goals: tuple[int, dict[str, int]] = (0, {}),
    label: str = "",
) -> dict[str, Any]:
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
        "goals": {
            g: {"reached": k, "rate": round(k / goals[0], 4) if goals[0] else 0.0}
            for g, k in goals[1].items()
        },
    }
    if json_out:
        return summary
    table(
        f"{label}per node, {report.leads} leads, {to_iso(report.start)} .. {to_iso(report.end)}",
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
    runs = goals[0]
    for goal, k in goals[1].items():
        rate = f"{k / runs:.1%}" if runs else "-"
        console.print(f"goal {goal}: {k} of {runs} runs ({rate})", highlight=False)
    return summary


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
    report, seconds, goals = _simulate(definition, db, leads, days, seed, fresh=True)
    summary = _print(report, seconds, json_out, goals)
    if json_out:
        print_json(summary)


def _definition(source: str, sets: list[str]) -> Any:
    """A workflow file, else a template filled in with ``--set`` values (defaults otherwise)."""
    path = Path(source)
    if path.is_file():
        if sets:
            raise InvalidInput("--set: applies to a template, not a workflow file")
        return read_workflow_file(path)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or "/" in source:
        raise InvalidInput(f"FILE: {path} does not exist")
    try:
        template = get_template(source)
    except NotFound:
        raise InvalidInput(
            f"FILE_OR_TEMPLATE: {source!r} is neither a file nor a template "
            "(`leadflow templates list` shows the templates)"
        ) from None
    return instantiate(template, parse_sets(sets))


def simulate(
    source: Annotated[
        str, typer.Argument(metavar="FILE_OR_TEMPLATE", help="Workflow YAML/JSON or template.")
    ],
    leads: Annotated[int, typer.Option(min=1, max=1_000_000)] = 1000,
    days: Annotated[float, typer.Option(min=1, max=3650)] = 30,
    seed: Annotated[int, typer.Option()] = 7,
    db: Annotated[str, typer.Option("--db", help="Database for the simulation.")] = "memory://",
    compare_with: Annotated[
        str | None,
        typer.Option("--compare", metavar="OTHER", help="A second file or template, side by side."),
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="NAME=VALUE for a template parameter.")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Simulate a workflow or template with synthetic leads; --compare sets two side by side.

    Each lead arrives as the workflow's first trigger event, or is enrolled on arrival when it
    has no event trigger. With --compare, the other one is simulated with the same leads and
    seed, and the goal rates are compared (difference B - A with its 95% interval)."""
    first = _definition(source, sets or [])
    if compare_with is None:
        report, seconds, goals = _simulate(first, db, leads, days, seed, fresh=False)
        summary = _print(report, seconds, json_out, goals)
        if json_out:
            print_json(summary)
        return
    if db != "memory://":
        raise InvalidInput("--compare: each side is simulated in its own memory:// database")
    second = _definition(compare_with, [])
    a = _simulate(first, db, leads, days, seed, fresh=False)
    b = _simulate(second, db, leads, days, seed, fresh=False)
    out_a = _print(a[0], a[1], json_out, a[2], label=f"A {source}: ")
    out_b = _print(b[0], b[1], json_out, b[2], label=f"B {compare_with}: ")
    from leadflow.simulate.compare import compare  # statsmodels: for --compare only

    diffs = compare(a[2], b[2])
    if json_out:
        print_json({"a": out_a, "b": out_b, "goals": [d.as_dict() for d in diffs]})
        return
    table(
        "goal rates, B - A (95% interval, Newcombe)",
        ["goal", "A", "B", "difference", "interval"],
        [
            [
                d.goal,
                f"{d.hits_a}/{d.runs_a} ({d.rate_a:.1%})",
                f"{d.hits_b}/{d.runs_b} ({d.rate_b:.1%})",
                f"{d.diff:+.1%}",
                "-" if d.low is None else f"{d.low:+.1%} .. {(d.high or 0):+.1%}",
            ]
            for d in diffs
        ],
    )
