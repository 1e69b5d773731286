"""Simulating a drafted workflow before anyone publishes it: a throwaway memory store, synthetic
leads over virtual days, the same engine, compliance and engagement model as ``leadflow
simulate``. The tenant's own data is never touched; nothing is published outside the scratch
store."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from leadflow.clock import VirtualClock
from leadflow.engine.workflows import publish
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.simulate.engagement import EngagementModel
from leadflow.simulate.leads import synthetic_contacts
from leadflow.simulate.simulation import Simulation
from leadflow.store.memory import MemoryStore

SIM_START = 1767571200.0  # Monday 2026-01-05 00:00 UTC: a seed reproduces the same numbers


@dataclass
class DraftSimulation:
    leads: int
    days: float
    nodes: list[dict[str, Any]]
    runs: dict[str, int]
    messages: dict[str, int]
    deferred_for_quiet_hours: int
    failures: dict[str, int]
    unreached: list[str]
    wall_seconds: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _without_event_data_filter(definition: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """Synthetic leads carry no source: a filter on the event's data would keep them all out."""
    data = copy.deepcopy(definition)
    for trigger in data.get("triggers") or []:
        if "event.data." in str(trigger.get("filter")) and trigger.get("event") == "lead.created":
            trigger.pop("filter", None)
            notes.append("the trigger's filter on the event's data is not simulated")
    return data


def simulate_draft(
    definition: dict[str, Any], *, leads: int = 50, days: float = 14, seed: int = 7
) -> DraftSimulation:
    """Run ``definition`` for ``leads`` synthetic leads over ``days`` virtual days."""
    notes: list[str] = []
    data = _without_event_data_filter(definition, notes)
    store = MemoryStore()
    store.upgrade()
    clock = VirtualClock(SIM_START)
    # no model: an ai_compose node sends its template (a scratch store has no token budget)
    settings = Settings(db="memory://", llm_base_url=None)
    rt = build_runtime(settings, store=store, clock=clock, seed=seed)
    started = time.monotonic()
    try:
        version = publish(rt.store, rt.engine.catalog, data, clock.now(), rt.engine.registry)
        wf = rt.engine.catalog.get(version.tenant_id, version.key, version.version)
        events = [t.event for t in wf.definition.triggers if t.type == "event" and t.event]
        sim = Simulation(rt, EngagementModel(seed))
        sim.add_leads(
            synthetic_contacts(leads, seed=seed, now=clock.now()),
            arrive_over_days=max(1.0, min(days * 0.6, 20.0)),
            seed=seed,
            event_type=events[0] if events else "lead.created",
            enroll_in=None if events else version.key,
        )
        sim.advance(days)
        report = sim.report()
    finally:
        rt.close()
    counts = {c.node: c for c in report.node_counts if c.workflow_key == version.key}
    nodes = []
    for node in data["nodes"]:
        c = counts.get(node["id"])
        nodes.append(
            {
                "node": node["id"],
                "kind": node["kind"],
                "entered": c.entered if c else 0,
                "sent": c.sent if c else 0,
                "delivered": c.delivered if c else 0,
                "replied": c.replied if c else 0,
                "exited": c.exited if c else 0,
            }
        )
    unreached = [n["node"] for n in nodes if n["entered"] == 0]
    return DraftSimulation(
        leads=leads,
        days=days,
        nodes=nodes,
        runs=dict(report.runs_by_status),
        messages=dict(report.messages_by_status),
        deferred_for_quiet_hours=report.deferred,
        failures=dict(report.failures),
        unreached=unreached,
        wall_seconds=round(time.monotonic() - started, 3),
        notes=notes,
    )
